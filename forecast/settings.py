"""The settings protocol of the toolkit's estimators (scikit-learn's `BaseEstimator` style).

An estimator takes its settings as `__init__` keyword arguments and stores each one
unchanged under its own name; `Settings` then gives it `get_params`, `set_params` and a
`repr` that shows the settings that differ from their defaults. `Forecaster` is one.
"""

from __future__ import annotations

import inspect
from typing import Any

from forecast.errors import ConfigError


class Settings:
    """`get_params` / `set_params` / `repr` from the names of `__init__`'s parameters."""

    @classmethod
    def _param_names(cls) -> list[str]:
        return list(inspect.signature(cls.__init__).parameters)[1:]  # all but self

    def get_params(self) -> dict[str, Any]:
        """The constructor settings, as given (the names of `__init__`'s parameters)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Any:
        """Change settings (e.g. `epochs` before continuing training); returns self.

        Raises:
            ConfigError: for a name that is not a setting, listing the settings.
        """
        names = self._param_names()
        for name, value in params.items():
            if name not in names:
                raise ConfigError(f"unknown setting {name!r}; settings are: {', '.join(names)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = type(self)().get_params()
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k]]
        return f"{type(self).__name__}({', '.join(changed)})"
