"""forecast: LSTM time-series forecasting on Keras 3, measured against honest baselines.

The public API is re-exported here and imported lazily, so `import forecast` (and the CLI's
`--help`) stays fast: Keras and TensorFlow load only when a name that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import Any

from forecast import backends
from forecast._version import __version__
from forecast.errors import ArtifactError, ConfigError, DataError, ForecastError, ForecastWarning

# TensorFlow's start-up chatter (absl, oneDNN, CUDA stubs) is hidden as on the command line;
# its warnings and errors, and every Python warning, still show.
backends.quiet_backend_logs(level="1", python_loggers=False)

_LAZY = {
    "load_series": "forecast.series",
    "SeriesScaler": "forecast.scaling",
    "make_windows": "forecast.windowing",
    "split": "forecast.splits",
    "WindowFeeder": "forecast.windowing",
    "fit": "forecast.training",
    "get_builder": "forecast.models",
    "Forecaster": "forecast.forecaster",
    "use_backend": "forecast.backends",
}

__all__ = [
    "ArtifactError",
    "ConfigError",
    "DataError",
    "ForecastError",
    "ForecastWarning",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forecast' has no attribute {name!r}")
