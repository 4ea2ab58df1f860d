"""The state schema of a fitted `Forecaster`: what `get_config` writes and `from_config` reads.

`forecaster.json` holds this config (with format and versions added by `forecast.artifacts`):
the settings as given, the window, the columns (targets first), frequency, seasonal period,
scaler parameters, the MASE scale, the last timestamps seen, a description of the interval
calibration (its arrays live in `intervals.npz`) and a summary of the fit. Restoring checks
every value and its consistency, and raises `ArtifactError` naming the file; `load_folder`
rebuilds a fitted forecaster from a saved folder and `save_folder` writes one
(`forecast.artifacts` owns the files).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from forecast import artifacts, known_future, quantiles, seasons
from forecast.competition import m4_season
from forecast.errors import ArtifactError, DataError, ForecastError
from forecast.evaluation import pooled_seasonal_scale, season_for
from forecast.guard import Guard
from forecast.known_future import CalendarChoice
from forecast.linear import LinearBaseline
from forecast.scaling import PanelScaler
from forecast.series import series_info

STATE_KEYS = ("settings", "columns", "n_targets", "freq", "season", "scaler", "mase_scale")


def learn(f: Any, train: Mapping[str, Any]) -> None:
    """Learn `Forecaster` `f`'s data state from its training parts `{id: frame}`: columns
    (targets, covariates, future covariates, derived calendar columns), frequency, season,
    scaler (`PanelScaler`), MASE scale, and the known-future inputs (`calendar_`: the
    derived columns, `n_future_`: the trailing columns read over the horizon)."""
    info = series_info(next(iter(train.values())))
    f.freq_ = info["freq"]
    choice = getattr(f, "calendar_choice_", None)  # calendar="auto": chosen on validation
    f.calendar_ = known_future.calendar_columns(
        f.freq_, choice.features if choice else (), f.holidays
    )
    f.columns_ = list(info["target"]) + list(info["covariates"]) + f.calendar_
    f.n_targets_ = len(info["target"])
    f.n_future_ = len(known_future.names(f.future_covariates)) + len(f.calendar_)
    f.season_ = season_for(f.freq_, f.season)
    f.seasons_ = seasons.resolve(f.freq_, f.season, seasons.longest_rows(train))
    scaler = PanelScaler(f.scaler, f.series_scaling, m4_season(f.freq_, f.season))
    f.scaler_ = scaler.fit_panel(train, targets=info["target"])
    targets = [frame.to_numpy()[:, : f.n_targets_] for frame in train.values()]
    f.mase_scale_ = pooled_seasonal_scale(targets, f.season_)
    f.history_ = {}


@contextlib.contextmanager
def own_fill(fill: Any) -> Iterator[None]:
    """Data a fitted forecaster reads with its own `fill` (not False): a message advising
    `fill=` says that instead (`predict` and `evaluate` take no fill of their own)."""
    try:
        yield
    except DataError as exc:
        if fill is False or "fill=" not in str(exc):
            raise
        what = str(exc).split("; pass fill=")[0].split("; use fill=")[0]
        raise DataError(
            f"{what}; this forecaster reads data with the fill it was trained with "
            f"({fill or 'none'}): fill those values in the file, or train again with "
            "fill='interpolate'"
        ) from None


def loaded_covariates(f: Any) -> list[str]:
    """The covariate columns a fitted `f` loads from data (past, then future covariates;
    the derived calendar columns are added after loading)."""
    return f.columns_[f.n_targets_ : len(f.columns_) - len(f.calendar_)]


def config_of(f: Any) -> dict[str, Any]:
    """The JSON-ready state of a fitted `Forecaster` `f` (see the module docstring)."""
    cal, choice = getattr(f, "calibration_", None), getattr(f, "calendar_choice_", None)
    return {
        "settings": f.get_params(),
        "window": {"lookback": f.lookback, "horizon": f.horizon},
        "columns": list(f.columns_),
        "n_targets": f.n_targets_,
        "known_future": {
            "n_future": f.n_future_,
            "calendar_columns": list(f.calendar_),
            "calendar_choice": choice.to_dict() if choice else None,
        },
        "freq": f.freq_,
        "season": f.season_,
        "seasons": list(f.seasons_),
        "scaler": f.scaler_.to_dict(),
        "mase_scale": [None if np.isnan(v) else float(v) for v in f.mase_scale_],
        "last_timestamps": dict(getattr(f, "last_timestamps_", {})),
        "short_series": list(getattr(f, "short_series_", [])),
        "calibration": None if cal is None else cal.to_arrays()[1],
        "guard": None if getattr(f, "guard_", None) is None else f.guard_.to_dict(),
        "fit": {
            "best_epoch": getattr(getattr(f, "fit_result_", None), "best_epoch", None),
            "epochs_run": len(next(iter(f.history_.values()), [])) if f.history_ else 0,
        },
    }


def restore(cls: type, config: Mapping[str, Any], source: str = "config") -> Any:
    """A `cls` (a `Forecaster`) with the settings and fitted state of `config_of` (no model,
    linear baseline or calibration yet: `Forecaster.load` attaches them).

    Raises:
        ArtifactError: naming `source`, for a missing, invalid or inconsistent value.
    """
    missing = ", ".join(k for k in STATE_KEYS if k not in config)
    if missing:
        raise ArtifactError(f"{source} lacks {missing}; restore it or re-train and save")

    def field(key: str, read: Any) -> Any:  # one saved value, a bad one named
        try:
            return read(config[key])
        except (TypeError, ValueError, KeyError, AttributeError, ForecastError) as exc:
            why = " ".join(str(exc).split())
            raise ArtifactError(
                f"{source}: field {key!r} has an invalid value ({why}); restore it or re-train"
            ) from None

    f = field("settings", lambda v: _checked(cls(**dict(v))))
    f.columns_ = field("columns", lambda v: [str(c) for c in v])
    f.n_targets_ = field("n_targets", _whole)
    f.freq_ = config["freq"]
    f.season_ = field("season", _whole)
    f.scaler_ = field("scaler", lambda v: _usable(PanelScaler.from_panel_dict(v)))
    f.mase_scale_ = field(
        "mase_scale", lambda v: np.array([np.nan if x is None else x for x in v], float)
    )
    try:
        f.last_timestamps_ = dict(config.get("last_timestamps", {}))
        f.short_series_ = [str(k) for k in config.get("short_series", [])]
        f.calibration_ = None
        f.guard_ = Guard.from_dict(config["guard"]) if config.get("guard") else None
        quantiles.resolve(f.loss, f.quantiles, f.intervals)
        known = config.get("known_future", {})  # absent: saved before known-future inputs
        f.n_future_ = int(known.get("n_future", 0))
        f.calendar_ = [str(c) for c in known.get("calendar_columns", [])]
        chosen = known.get("calendar_choice")  # absent: saved before calendar="auto" chose
        f.calendar_choice_ = CalendarChoice.from_dict(chosen) if chosen else None
        f.seasons_ = tuple(_whole(s) for s in config.get("seasons", [f.season_]))
    except (TypeError, ValueError, KeyError, ForecastError) as exc:
        why = f"{source} has an invalid value ({exc}); restore it or re-train"
        raise ArtifactError(why) from exc
    window = {"lookback": f.lookback, "horizon": f.horizon}
    saved = config.get("window", window)
    settings = f"settings lookback={f.lookback}, horizon={f.horizon}"
    problems = [
        (0 < f.n_targets_ <= len(f.columns_), f"n_targets {f.n_targets_} does not fit columns {f.columns_}"),  # noqa: E501
        (f.scaler_.columns_ == f.columns_, "scaler columns differ from columns"),
        (len(f.mase_scale_) == f.n_targets_, "mase_scale length differs from n_targets"),
        (saved == window, f"window {saved} differs from {settings}"),
        (f.n_future_ <= len(f.columns_) - f.n_targets_, "n_future exceeds the covariates"),
    ]  # fmt: skip
    for what in (what for ok, what in problems if not ok):
        raise ArtifactError(f"{source}: {what}; restore it or re-train and save")
    f.history_ = {}
    f.linear_ = LinearBaseline(f.lookback, f.horizon)
    return f


def _whole(value: Any) -> int:
    """A saved count: an int (not a bool, a float or a string)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not a whole number")
    return value


def _checked(f: Any) -> Any:
    """`f` with its saved settings checked (`Forecaster.check_settings`): a lookback "48"
    written as a string is named here, not met as a TypeError later."""
    f.check_settings()
    return f


def _usable(scaler: PanelScaler) -> PanelScaler:
    """`scaler` when every scale of it (pooled and per series) is finite and not zero: a zero
    scale would turn every forecast into NaN."""
    for key, one in {"pooled": scaler, **scaler.per_series_}.items():
        scale, offset = getattr(one, "scale_", None), getattr(one, "offset_", None)
        for name, values in (("scale", scale), ("offset", offset)):
            arr = np.asarray(values if values is not None else [], dtype=np.float64)
            bad = ~np.isfinite(arr) | ((arr == 0) if name == "scale" else False)
            if bad.any():
                column = one.columns_[int(np.flatnonzero(bad)[0])]
                raise ValueError(f"{key} scaler: column {column!r} has a zero or infinite {name}")
    return scaler


def load_folder(cls: type, path: str | os.PathLike) -> Any:
    """A fitted `cls` (a `Forecaster`) from a folder written by `Forecaster.save`: config,
    model (Keras safe mode), linear baseline, history and interval calibration.

    Raises:
        ArtifactError: for a missing folder or file, a corrupt model, a hand-edited or
            inconsistent forecaster.json, or an artifact from an incompatible version.
    """
    folder = Path(path)
    config = artifacts.read_config(folder)
    f = cls.from_config(config, source=str(folder / artifacts.CONFIG_FILE))
    qs = quantiles.resolve(f.loss, f.quantiles, f.intervals)  # checked by `restore`
    out = (None, f.horizon, f.n_targets_, *([len(qs)] if qs else []))  # quantile heads: Q
    f.model_ = artifacts.read_model(
        folder, (None, f.lookback + f.ahead_rows(), len(f.columns_)), out
    )
    f.linear_ = artifacts.read_linear(folder, (f.n_targets_, f.lookback, f.horizon)) or f.linear_
    f.history_ = artifacts.read_history(folder)
    f.calibration_ = artifacts.read_calibration(
        folder, config.get("calibration"), (f.horizon, f.n_targets_)
    )
    return f


def save_folder(f: Any, path: str | os.PathLike, metrics: Mapping[str, Any] | None = None) -> None:
    """Write fitted `Forecaster` `f` to a folder (`forecast.artifacts.save_folder`): model,
    config, history, linear baseline (when fitted), interval calibration (when calibrated)."""
    artifacts.save_folder(
        path, model=f.model_, config=f.get_config(), history=f.history_,
        linear=f.linear_ if f.linear_.is_fitted else None, metrics=metrics,
        calibration=getattr(f, "calibration_", None),
    )  # fmt: skip
