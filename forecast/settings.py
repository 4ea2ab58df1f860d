"""Every `Forecaster` setting declared once, and the settings protocol of the estimators.

`SETTINGS` is THE table of the settings: each one's default and, for a fixed set of values,
the values it takes. The Forecaster's `__init__` takes its defaults from it (`DEFAULTS`), the
modules that check a setting take their valid values from it (`models.BUILDERS`,
`scaling.METHODS`, `intervals.INTERVAL_MODES`, ...), and the command line derives its option
defaults and the choices in its `--help` from it (`forecast.cli_options`); `forecast batch`
and `forecast tune` take its names as TOML keys. This module imports nothing of the package
but `errors`, so the command line reads it without starting Keras.

An estimator takes its settings as `__init__` keyword arguments and stores each one
unchanged under its own name; `Settings` then gives it `get_params`, `set_params` and a
`repr` that shows the settings that differ from their defaults.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from forecast.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """One setting: its `default`, and `choices`, the values it takes when they are a fixed
    set of names (None: a number, a column name, ... checked by its owner)."""

    default: Any
    choices: tuple[str, ...] | None = None


SETTINGS: dict[str, Setting] = {
    "model": Setting("single", ("single", "stacked", "attention")),
    "lookback": Setting("auto"),  # forecast.lookback.AUTO, or a whole number
    "horizon": Setting(1),
    "target": Setting(None),
    "covariates": Setting(()),
    "future_covariates": Setting(()),
    "calendar": Setting("none", ("none", "auto", "on")),
    "holidays": Setting(None),
    "time_col": Setting(None),
    "id_col": Setting(None),
    "freq": Setting(None),
    "fill": Setting(None),
    "load_options": Setting(None),
    "scaler": Setting("standard", ("minmax", "standard", "robust", "none")),
    "series_scaling": Setting("mean", ("global", "per_series", "diff", "mean")),
    "normalize": Setting("last", ("last", "mean_std", "none")),  # None means "none"
    "ridge_skip": Setting(True),
    "epochs": Setting(100),
    "patience": Setting(10),
    "reduce_lr_patience": Setting(None),
    "batch_size": Setting(None),
    # `forecast.training.LOSSES` maps each to Keras; "quantile": quantile heads.
    "loss": Setting(
        "mae",
        ("mse", "mae", "mape", "msle", "huber", "logcosh", "categorical_crossentropy", "quantile"),
    ),
    "quantiles": Setting(None),
    "optimizer": Setting(
        "adam", ("sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam")
    ),
    "learning_rate": Setting(1e-3),
    "seed": Setting(0),
    "device": Setting("auto", ("auto", "cpu", "gpu", "gpu:N")),  # N is a GPU number
    "distribution": Setting(None, ("none", "data_parallel")),  # None means "none": one device
    "season": Setting(None),
    "ensemble": Setting(1),
    "model_options": Setting(None),
    "intervals": Setting("auto", ("auto", "conformal", "adaptive", "raw", "none")),
    "guard": Setting("auto", ("auto", "fallback", "combine", "report")),
    # the model blended with its baselines, weights chosen on validation (forecast.combination)
    "combination": Setting("auto", ("auto", "none", "panel", "series")),
    "train_rows": Setting(None),
    "windows_per_epoch": Setting(None),
    "val_origins": Setting(1),  # or "auto": horizon origins (forecast.panel.VAL_ORIGINS)
    "refit": Setting(False),  # train again on train + validation rows (forecast.refit)
    "verbose": Setting(1),
}
DEFAULTS = SimpleNamespace(**{name: s.default for name, s in SETTINGS.items()})
# A run's split when none is given (`forecast.splits.SplitSpec`, `--split`, `batch`'s `split`):
# train, validation and test fractions, in time order.
SPLIT = (0.6, 0.2, 0.2)


def choices(name: str) -> tuple[str, ...]:
    """The values setting `name` takes (`SETTINGS`), in their declared order."""
    found = SETTINGS[name].choices
    if found is None:
        raise KeyError(f"setting {name!r} takes no fixed set of values")
    return found


def one_of(name: str, last: str = "or") -> str:
    """The values of setting `name` as a phrase: "single, stacked or attention"."""
    values = choices(name)
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} {last} {values[-1]}"


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
