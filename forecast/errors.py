"""The toolkit's exceptions.

Every error a user can cause (bad data, a bad setting, a broken saved artifact) raises a
`ForecastError` subclass whose message says what was wrong and how to fix it, in one line.
The CLI prints such errors as `error: ...` and exits with status 2.
"""

from __future__ import annotations


class ForecastError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class DataError(ForecastError, ValueError):
    """The input data is unusable as given: missing column, NaN, unsorted time, too short, ..."""


class ConfigError(ForecastError, ValueError):
    """A setting is invalid: unknown model name, negative lookback, device chosen too late, ..."""


class ArtifactError(ForecastError, OSError):
    """A saved forecaster or model is missing, corrupt or from an incompatible version."""
