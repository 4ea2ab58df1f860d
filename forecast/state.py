"""`FittedState`: everything `Forecaster.fit` learns, as one typed value; and its files.

The Forecaster owns one `FittedState` (`Forecaster.state_`) and is the only one that writes
it; nothing here sees a Forecaster. `forecaster.json` holds `FittedState.to_config` (with
format and versions added by `forecast.artifacts`): the settings (`Forecaster.get_config`
writes the lookback used there, as the format always had it), the window (the lookback
used, `lookback_`, and the horizon), the columns (targets first), frequency,
seasonal period, scaler parameters, the MASE scale, the last timestamps seen, a description
of the interval calibration (its arrays live in `intervals.npz`) and a summary of the fit.
`from_config` checks every value and its consistency, and raises `ArtifactError` naming the
file; `load_folder` / `save_folder` read and write a saved folder (`forecast.artifacts`
owns the files).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from forecast import artifacts, known_future, seasons
from forecast.combination import Combination
from forecast.competition import m4_season
from forecast.errors import ArtifactError, DataError, ForecastError
from forecast.evaluation import pooled_seasonal_scale, season_for
from forecast.guard import Guard
from forecast.intervals import Calibration
from forecast.known_future import CalendarChoice
from forecast.linear import LinearBaseline
from forecast.scaling import PanelScaler
from forecast.series import series_info

STATE_KEYS = ("settings", "columns", "n_targets", "freq", "season", "scaler", "mase_scale")


@dataclasses.dataclass
class FittedState:
    """What a fitted forecaster learned; the Forecaster shows each field as `<name>_`.

    Attributes:
        lookback: the input steps per window the model reads (`Forecaster.lookback_`).
        columns: the input columns: targets, past covariates, future covariates, calendar.
        n_targets: how many of `columns` (the first) are forecast.
        freq: the series' frequency (None: plain steps); season: the seasonal period.
        scaler: the `PanelScaler` fitted on the training parts.
        mase_scale: the pooled MASE scale `(n_targets,)` of the training parts.
        n_future: the trailing columns read over the horizon (known-future inputs).
        calendar: the derived calendar columns (`forecast.known_future.calendar_columns`).
        linear: the linear baseline (unfitted until fit fits it).
        history: per-epoch metrics of every fit, `{name: [value per epoch]}`.
        last_timestamps: each series' last timestamp seen in training.
        short_series: series too short to train on (forecast by their fallback).
        calibration: the interval calibration on the validation windows, or None.
        guard: the guard's per-series choice (`forecast.guard.Guard`), or None.
        seasons: every seasonal period (`forecast.seasons.resolve`; `season` is the shortest).
        calendar_choice: the calendar fit used and why (`forecast.known_future.CalendarChoice`;
            None for calendar="none").
        combination: the blend of the model with its baselines chosen on validation
            (`forecast.combination.Combination`), or None (the model alone).
    """

    lookback: int
    columns: list[str]
    n_targets: int
    freq: str | None
    season: int
    scaler: PanelScaler
    mase_scale: np.ndarray
    linear: LinearBaseline
    n_future: int = 0
    calendar: list[str] = dataclasses.field(default_factory=list)
    history: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    last_timestamps: dict[str, str] = dataclasses.field(default_factory=dict)
    short_series: list[str] = dataclasses.field(default_factory=list)
    calibration: Calibration | None = None
    guard: Guard | None = None
    seasons: tuple[int, ...] = ()
    calendar_choice: CalendarChoice | None = None
    combination: Combination | None = None

    @classmethod
    def learn(
        cls,
        train: Mapping[str, Any],
        lookback: int,
        horizon: int,
        *,
        scaler: str,
        series_scaling: str,
        season: Any,
        future_covariates: str | Sequence[str] = (),
        calendar_choice: CalendarChoice | None = None,
        holidays: str | None = None,
        short: Mapping[str, Any] | None = None,
    ) -> FittedState:
        """The data state of the training parts `train` (`{id: frame}`): columns (targets,
        covariates, future covariates, derived calendar columns), frequency, season, scaler
        (`PanelScaler` of the `scaler` / `series_scaling` settings), MASE scale and the
        known-future inputs (the calendar features of `calendar_choice`, the choice `fit`
        made); the linear baseline of the window `lookback` → `horizon` is left unfitted.
        `short`: the training parts of the series too short to train on (`{id: frame}`):
        with a per-series `series_scaling` each gets its own scaler, so that its fallback
        reads it on its own scale. The other arguments are the Forecaster's settings of
        those names."""
        info = series_info(next(iter(train.values())))
        freq = info["freq"]
        features = calendar_choice.features if calendar_choice else ()
        derived = known_future.calendar_columns(freq, features, holidays)
        n_targets = len(info["target"])
        seasonal = season_for(freq, season)
        panel = PanelScaler(scaler, series_scaling, m4_season(freq, season))
        targets = [frame.to_numpy()[:, :n_targets] for frame in train.values()]
        return cls(
            lookback=lookback,
            columns=list(info["target"]) + list(info["covariates"]) + derived,
            n_targets=n_targets,
            freq=freq,
            season=seasonal,
            scaler=panel.fit_panel(train, targets=info["target"], also=short),
            mase_scale=pooled_seasonal_scale(targets, seasonal),
            linear=LinearBaseline(lookback, horizon),
            n_future=len(known_future.names(future_covariates)) + len(derived),
            calendar=derived,
            seasons=seasons.resolve(freq, season, seasons.longest_rows(train)),
            calendar_choice=calendar_choice,
        )

    def loaded_covariates(self) -> list[str]:
        """The covariate columns loaded from data (past, then future covariates; the derived
        calendar columns are added after loading)."""
        return self.columns[self.n_targets : len(self.columns) - len(self.calendar)]

    def to_config(
        self, settings: Mapping[str, Any], best_epoch: int | None = None
    ) -> dict[str, Any]:
        """The JSON-ready config (see the module docstring) with the Forecaster's `settings`
        (as given) and the best epoch of the last fit."""
        cal, choice = self.calibration, self.calendar_choice
        return {
            "settings": dict(settings),
            "window": {"lookback": self.lookback, "horizon": settings["horizon"]},
            "columns": list(self.columns),
            "n_targets": self.n_targets,
            "known_future": {
                "n_future": self.n_future,
                "calendar_columns": list(self.calendar),
                "calendar_choice": choice.to_dict() if choice else None,
            },
            "freq": self.freq,
            "season": self.season,
            "seasons": list(self.seasons),
            "scaler": self.scaler.to_dict(),
            "mase_scale": [None if np.isnan(v) else float(v) for v in self.mase_scale],
            "last_timestamps": dict(self.last_timestamps),
            "short_series": list(self.short_series),
            "calibration": None if cal is None else cal.to_arrays()[1],
            "guard": None if self.guard is None else self.guard.to_dict(),
            "combination": None if self.combination is None else self.combination.to_dict(),
            "fit": {
                "best_epoch": best_epoch,
                "epochs_run": len(next(iter(self.history.values()), [])),
            },
        }

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], lookback: Any, horizon: int, source: str = "config"
    ) -> FittedState:
        """The state of `to_config`, for the settings `lookback` (an int, or "auto") and
        `horizon` (no linear map, history or calibration yet: `load_folder` reads them).
        A config whose settings say lookback "auto" reads too: the window holds the choice.

        Raises:
            ArtifactError: naming `source`, for a missing, invalid or inconsistent value.
        """
        check_keys(config, source)
        values = dict(
            columns=field(config, "columns", lambda v: [str(c) for c in v], source),
            n_targets=field(config, "n_targets", _whole, source),
            freq=config["freq"],
            season=field(config, "season", _whole, source),
            scaler=field(config, "scaler", lambda v: _usable(PanelScaler.from_panel_dict(v)), source),  # noqa: E501
            mase_scale=field(config, "mase_scale", lambda v: np.array([np.nan if x is None else x for x in v], float), source),  # noqa: E501
        )  # fmt: skip
        window = config.get("window", {"lookback": lookback, "horizon": horizon})
        try:
            known = config.get("known_future", {})  # absent: saved before known-future inputs
            fitted = cls(
                lookback=window["lookback"],
                linear=LinearBaseline(window["lookback"], horizon),
                n_future=int(known.get("n_future", 0)),
                calendar=[str(c) for c in known.get("calendar_columns", [])],
                last_timestamps=dict(config.get("last_timestamps", {})),
                short_series=[str(k) for k in config.get("short_series", [])],
                guard=Guard.from_dict(config["guard"]) if config.get("guard") else None,
                calendar_choice=_choice(known.get("calendar_choice")),
                combination=_combination(config.get("combination")),
                **values,
            )
            fitted.seasons = tuple(_whole(x) for x in config.get("seasons", [fitted.season]))
        except (TypeError, ValueError, KeyError, ForecastError) as exc:
            why = f"{source} has an invalid value ({exc}); restore it or re-train"
            raise ArtifactError(why) from exc
        fitted.check(window, lookback, horizon, source)
        return fitted

    def check(self, window: Any, lookback: Any, horizon: int, source: str) -> None:
        """ArtifactError naming `source` when the state does not hold together: the saved
        `window` against the settings `lookback` ("auto": any whole number) and `horizon`,
        the columns against the targets, the scaler and the MASE scale."""
        if isinstance(lookback, int):
            wanted = {"lookback": lookback, "horizon": horizon}
        else:  # "auto": the window holds the choice
            wanted = {"lookback": window.get("lookback") if _counts(window) else None,
                      "horizon": horizon}  # fmt: skip
        settings = f"settings lookback={lookback}, horizon={horizon}"
        problems = [
            (0 < self.n_targets <= len(self.columns), f"n_targets {self.n_targets} does not fit columns {self.columns}"),  # noqa: E501
            (self.scaler.columns_ == self.columns, "scaler columns differ from columns"),
            (len(self.mase_scale) == self.n_targets, "mase_scale length differs from n_targets"),
            (window == wanted, f"window {window} differs from {settings}"),
            (self.n_future <= len(self.columns) - self.n_targets, "n_future exceeds the covariates"),  # noqa: E501
        ]  # fmt: skip
        for what in (what for ok, what in problems if not ok):
            raise ArtifactError(f"{source}: {what}; restore it or re-train and save")


def check_keys(config: Mapping[str, Any], source: str) -> None:
    """ArtifactError naming `source` when `config` lacks a key of `STATE_KEYS`."""
    missing = ", ".join(k for k in STATE_KEYS if k not in config)
    if missing:
        raise ArtifactError(f"{source} lacks {missing}; restore it or re-train and save")


def field(config: Mapping[str, Any], key: str, read: Callable[[Any], Any], source: str) -> Any:
    """`read(config[key])`; a bad value is an ArtifactError naming `key` and `source`."""
    try:
        return read(config[key])
    except (TypeError, ValueError, KeyError, AttributeError, ForecastError) as exc:
        why = " ".join(str(exc).split())
        raise ArtifactError(
            f"{source}: field {key!r} has an invalid value ({why}); restore it or re-train"
        ) from None


def _choice(saved: Any) -> CalendarChoice | None:
    """The saved calendar choice (absent: saved before calendar="auto" chose)."""
    return CalendarChoice.from_dict(saved) if saved else None


def _combination(saved: Any) -> Combination | None:
    """The saved combination (absent: saved before the combination, or the model alone)."""
    return Combination.from_dict(saved) if saved else None


def _counts(window: Any) -> bool:
    """Whether the saved `window` holds a lookback that is a positive whole number."""
    value = window.get("lookback") if isinstance(window, Mapping) else None
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _whole(value: Any) -> int:
    """A saved count: an int (not a bool, a float or a string)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not a whole number")
    return value


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


def load_folder(
    folder: str | os.PathLike,
    config: Mapping[str, Any],
    fitted: FittedState,
    horizon: int,
    n_quantiles: int = 0,
) -> tuple[Any, FittedState]:
    """The model (Keras safe mode) of a folder written by `save_folder`, and `fitted` (its
    `config`'s state) with the saved linear baseline, history and interval calibration.
    The model maps `(None, lookback + ahead rows, columns)` to `(None, horizon, n_targets)`,
    with `n_quantiles` a last axis of quantiles.

    Raises:
        ArtifactError: for a missing folder or file, a corrupt model, or a file that does
            not fit the config.
    """
    folder = Path(folder)
    ahead = horizon if fitted.n_future else 0
    out = (None, horizon, fitted.n_targets, *([n_quantiles] if n_quantiles else []))
    model = artifacts.read_model(folder, (None, fitted.lookback + ahead, len(fitted.columns)), out)
    shape = (fitted.n_targets, fitted.lookback, horizon)
    return model, dataclasses.replace(
        fitted,
        linear=artifacts.read_linear(folder, shape) or fitted.linear,
        history=artifacts.read_history(folder),
        calibration=artifacts.read_calibration(
            folder, config.get("calibration"), (horizon, fitted.n_targets)
        ),
    )


def save_folder(
    path: str | os.PathLike,
    model: Any,
    config: Mapping[str, Any],
    fitted: FittedState,
    metrics: Mapping[str, Any] | None = None,
) -> None:
    """Write a fitted forecaster's folder (`forecast.artifacts.save_folder`): `model`, its
    `config`, and from `fitted` the history, linear baseline (when fitted) and interval
    calibration (when calibrated)."""
    artifacts.save_folder(
        path, model=model, config=dict(config), history=fitted.history,
        linear=fitted.linear if fitted.linear.is_fitted else None, metrics=metrics,
        calibration=fitted.calibration,
    )  # fmt: skip
