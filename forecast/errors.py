"""The toolkit's exceptions.

Every error a user can cause (bad data, a bad setting, a broken saved artifact) raises a
`ForecastError` subclass whose message says what was wrong and how to fix it, in one line.
The CLI prints such errors as `error: ...` and exits with status 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Any


class ForecastError(Exception):
    """Base class of every error the toolkit raises on purpose.

    Attributes:
        setting: the name of the setting the message is about (`"normalize"`), when the
            message begins with it; interfaces rewrite it in their own terms (the CLI's
            `--normalize`).
    """

    def __init__(self, *args: Any, setting: str | None = None):
        super().__init__(*args)
        self.setting = setting


class DataError(ForecastError, ValueError):
    """The input data is unusable as given: missing column, NaN, unsorted time, too short, ..."""


class ConfigError(ForecastError, ValueError):
    """A setting is invalid: unknown model name, negative lookback, device chosen too late, ..."""


class TrainingError(ForecastError, RuntimeError):
    """Training failed in a way the data or settings caused: the loss became NaN or infinite."""


class ArtifactError(ForecastError, OSError):
    """A saved forecaster or model is missing, corrupt or from an incompatible version."""


class OutputError(ForecastError, OSError):
    """An output file or folder cannot be written: a directory in the way, no permission,
    the disk full, or the input file itself. Nothing earlier there was replaced."""


class ForecastWarning(UserWarning):
    """Something done to the data that the user must know of: a forecast read from filled
    values, an evaluation that scores rows the model was trained on. The CLI prints each as
    one `warning: ...` line."""


def check_positive_int(
    name: str, value: Any, allow_zero: bool = False, or_none: bool = False
) -> int:
    """Return `value` as an int, or raise `ConfigError` naming `name` and the value.

    Accepts Python and NumPy integers (not bools) that are >= 1 (>= 0 with `allow_zero`).
    With `or_none`, the message says None is also allowed (the caller handles None).
    """
    ok = isinstance(value, Integral) and not isinstance(value, bool)
    if not ok or value < (0 if allow_zero else 1):
        kind = "a non-negative" if allow_zero else "a positive"
        extra = " or None" if or_none else ""
        raise ConfigError(f"{name} must be {kind} integer{extra}, got {value!r}", setting=name)
    return int(value)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Return `value` lower-cased when it is one of `choices`, else raise `ConfigError`.

    The one validator for settings with a fixed set of values (model, loss, optimizer,
    scaler, normalize, device, ...); each set is declared once, by the module that owns it.

    Raises:
        ConfigError: "unknown {name} {value!r}; choose one of: a, b, c".
    """
    key = value.lower() if isinstance(value, str) else value
    if key not in choices:
        raise ConfigError(
            f"unknown {name} {value!r}; choose one of: {', '.join(choices)}", setting=name
        )
    return key
