"""`Forecaster`: the one object most users touch — fit, predict, evaluate, backtest, save.

It runs short workflows over the pipeline's modules: `series.as_collection` (one series or
many, as one `series_set.SeriesSet`; results unwrapped back to a frame or `{id: frame}`) →
`splits` (THE split) → `SeriesScaler` fitted on the training part → `linear`
(the baseline the model starts from) → a `models` builder → `training.fit` → predictions
turned back into original units and scored by `evaluation` beside the baselines. Its state
schema is `get_config()` / `from_config()`; `artifacts` writes and reads the files.

Example:
    >>> f = Forecaster(model="single", lookback=48, horizon=24, target="OT", epochs=50)
    >>> f.fit(train_df, val=0.2)
    >>> f.evaluate(test_df_with_context).overall()
    >>> f.predict(df)            # the next 24 timestamps
    >>> f.save("runs/ett"); Forecaster.load("runs/ett")
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

import forecast.calendar_choice as calendar_choice
import forecast.combination as combination
import forecast.known_future as known_future
import forecast.refit as refitting
import forecast.seasons as seasons
from forecast import artifacts, backends, bands, intervals, lookback, models, panel, state, training
from forecast import quantiles as quantile_heads
from forecast.competition import m4_season, mase_scale
from forecast.errors import ConfigError, ForecastWarning, check_positive_int
from forecast.evaluation import (
    BacktestResult,
    Report,
    backtest_folds,
    baseline_forecasts,
    check_fold_settings,
    run_backtest,
    tidy_forecasts,
)
from forecast.gaps import check_window_fits
from forecast.guard import check_guard, fit_guard
from forecast.known_future import CalendarChoice
from forecast.linear import LinearBaseline, LookbackChoice, lookback_candidates
from forecast.scaling import SeriesScaler, check_series_scaling
from forecast.series import (
    LoadOptions,
    as_collection,
    check_forecast_rows,
    future_index,
    series_info,
)
from forecast.series_set import SeriesSet
from forecast.settings import DEFAULTS, Settings
from forecast.splits import SplitParts, SplitSpec
from forecast.state import FittedState
from forecast.windowing import WindowFeeder

Validation = float | int | pd.DataFrame | Mapping[str, Any] | SplitSpec | None


def _fitted(name: str) -> property:
    """`state_.<name>` read as the Forecaster's `<name>_`; AttributeError before `fit`."""

    def read(self: Forecaster) -> Any:
        if self.state_ is None:
            raise AttributeError(f"{name}_: this Forecaster is not fitted yet")
        return getattr(self.state_, name)

    return property(read, doc=f"`state_.{name}` (`forecast.state.FittedState`).")


class Forecaster(Settings):
    """Train an LSTM forecaster and measure it honestly, in five lines.

    Settings are stored unchanged by `__init__` (scikit-learn style); `fit` learns the
    model (`model_`) and one `forecast.state.FittedState` (`state_`), whose fields read as
    the attributes that end in `_` (`lookback_`, `scaler_`, `history_`, `columns_`, ...).

    Args:
        model: "single", "stacked" or "attention" (see `forecast.models`).
        lookback: input steps per window; "auto" (the default): chosen by `fit` on the
            validation part (`choose_lookback`; the choice kept in `lookback_choice_`), or
            `forecast.lookback.FALLBACK` (48) steps when there is no validation part. The
            setting stays as given; the lookback used is `lookback_`.
        horizon: steps forecast at once.
        target: column(s) to forecast; by default taken from the data.
        covariates: extra input columns (past values only).
        future_covariates, calendar, holidays: known-future inputs, read over the horizon
            (`forecast.known_future`): columns given for the `horizon` rows after the last
            target too; calendar: hour/weekday/yearday sin/cos from the timestamps, "on"
            (day of year from two training years only), "auto" (chosen on or off on the
            validation windows, `forecast.calendar_choice`; in `calendar_choice_`), "none";
            holidays="US": a 0/1 public-holiday column (the `holidays` extra).
        time_col, id_col, freq, fill: passed to `load_series` for raw frames and paths.
        load_options: more `load_series` options (sort, duplicates, tz, sep, ...), saved.
        scaler: "standard", "minmax", "robust" or "none" (fitted on the training slice).
        series_scaling: "mean" (default: each series divided by its own mean level, scale-free;
            chosen on the panels' validation parts), "per_series", "diff" or "global" (one
            scaler over every series): `forecast.scaling.SERIES_SCALINGS`.
        normalize: per-window normalization inside the model: "last" (forecast the change
            from the last value, robust to level shifts), "mean_std" or "none" (or None).
        ridge_skip: start from the linear baseline, its ridge map frozen as the linear skip
            (`forecast.models.start_from_linear`; with `normalize="last"`); kept when no
            epoch beats it on validation (`training.fit(keep_start=True)`).
        epochs, patience, batch_size: training length, early-stopping patience, batch size
            (None: `forecast.training.batch_size_for`).
        reduce_lr_patience: halve the learning rate after this many flat epochs; None: never.
        loss: by name (see `forecast.training`); default "mae" (`benchmarks/choice.py`);
            "quantile": quantile heads, one forecast per `quantiles`, the median the point.
        quantiles: with loss="quantile", e.g. (0.1, 0.5, 0.9); None: (0.025, 0.1, 0.5, 0.9,
            0.975) (`forecast.quantiles`).
        optimizer, learning_rate: by name (see `forecast.training`).
        seed: seeds everything for repeatable runs.
        device: "auto", "cpu", "gpu" or "gpu:N".
        distribution: "data_parallel": every GPU (else CPU) device splits each batch; None: one.
        season: seasonal period(s), e.g. 24 or (24, 168) (`forecast.seasons`); default from
            the frequency (hourly: 24 and 168). Seasonal naive and MASE use the shortest,
            the default lookback candidates 1-14 of the shortest and two of the longest.
        ensemble: train this many models with seeds `seed, seed + 1, ...` and average their
            forecasts (one saved Keras model; `forecast.training.train_members`).
        model_options: extra keyword arguments for the model builder (units, dropout, ...).
        intervals: "auto" (default): the mode below chosen per run on the validation windows
            (early windows fit, late windows check; `forecast.interval_choice`);
            "conformal": calibrate prediction intervals on the validation windows after
            training (`forecast.intervals`; CQR with quantile heads); "adaptive": the same,
            re-calibrated online on the actuals of the span scored (evaluate, backtests,
            predict_windows; `predict` has none and uses the fixed quantile); "raw": the
            quantile heads' own bounds; "none": point forecasts only (`forecast.bands`).
        guard: per series, the model against seasonal naive and the linear baseline on the
            validation windows (`forecast.guard.GUARDS`; the result in `guard_`): "auto",
            "fallback", "combine" or "report".
        combination: blend the model's forecasts with seasonal naive and the linear baseline,
            the weights chosen on the validation windows (`forecast.combination`; in
            `combination_`, None for the model alone): "auto" (default: in a panel, weights
            per series for the series with at least horizon and 24 validation windows, the
            model alone elsewhere; chosen on the panels' validation parts), "none", "panel"
            (one set for every series) or "series".
        train_rows: train on the windows whose targets lie in the last `train_rows` rows of
            each series' training part only; None: every window.
        windows_per_epoch: an epoch trains on this many windows, drawn anew each epoch
            (seeded: reproducible) from all the training windows; None: every window. Bounds
            an epoch of a huge panel (`forecast.windowing.WindowFeeder`).
        refit: after every choice is made on the validation part (lookback, calendar, epoch,
            guard, combination, intervals), train the model again on the training and
            validation rows for the chosen epoch count (`forecast.refit`); default False.
        val_origins: validation windows per series a validation part cut from the series
            holds at least (`forecast.panel.roll_validation`: the last training rows join it,
            origins one row apart): 1 (default: the part as cut), a number, or "auto"
            (`horizon`). Lookback choice, early stopping, guard and intervals use every
            origin. 1 was chosen on the panels' validation parts: rolling cost more in
            training rows than it gave (`benchmarks/results/panels/validation/`).
        verbose: 1 progress bar, 2 one line per epoch, 0 quiet.
    """

    state_: FittedState | None = None  # what fit learned; only the Forecaster writes it
    _chosen: int | None = None  # resolve_lookback's choice, before the state holds it
    columns_ = _fitted("columns")
    n_targets_ = _fitted("n_targets")
    n_future_ = _fitted("n_future")
    calendar_ = _fitted("calendar")
    freq_ = _fitted("freq")
    season_ = _fitted("season")
    scaler_ = _fitted("scaler")
    mase_scale_ = _fitted("mase_scale")
    linear_ = _fitted("linear")
    history_ = _fitted("history")
    last_timestamps_ = _fitted("last_timestamps")
    short_series_ = _fitted("short_series")
    calibration_ = _fitted("calibration")
    guard_ = _fitted("guard")
    combination_ = _fitted("combination")
    seasons_ = _fitted("seasons")

    def __init__(
        self,
        model: str = DEFAULTS.model,
        lookback: int | str = DEFAULTS.lookback,
        horizon: int = DEFAULTS.horizon,
        target: str | Sequence[str] | None = DEFAULTS.target,
        covariates: str | Sequence[str] = DEFAULTS.covariates,
        future_covariates: str | Sequence[str] = DEFAULTS.future_covariates,
        calendar: str = DEFAULTS.calendar,
        holidays: str | None = DEFAULTS.holidays,
        time_col: str | None = DEFAULTS.time_col,
        id_col: str | None = DEFAULTS.id_col,
        freq: str | None = DEFAULTS.freq,
        fill: str | None = DEFAULTS.fill,
        load_options: Mapping[str, Any] | None = DEFAULTS.load_options,
        scaler: str = DEFAULTS.scaler,
        series_scaling: str = DEFAULTS.series_scaling,
        normalize: str | None = DEFAULTS.normalize,
        ridge_skip: bool = DEFAULTS.ridge_skip,
        epochs: int = DEFAULTS.epochs,
        patience: int | None = DEFAULTS.patience,
        reduce_lr_patience: int | None = DEFAULTS.reduce_lr_patience,
        batch_size: int | None = DEFAULTS.batch_size,
        loss: str = DEFAULTS.loss,
        quantiles: Sequence[float] | None = DEFAULTS.quantiles,
        optimizer: str = DEFAULTS.optimizer,
        learning_rate: float | None = DEFAULTS.learning_rate,
        seed: int | None = DEFAULTS.seed,
        device: str = DEFAULTS.device,
        distribution: str | None = DEFAULTS.distribution,
        season: int | Sequence[int] | str | None = DEFAULTS.season,
        ensemble: int = DEFAULTS.ensemble,
        model_options: Mapping[str, Any] | None = DEFAULTS.model_options,
        intervals: str = DEFAULTS.intervals,
        guard: str = DEFAULTS.guard,
        combination: str = DEFAULTS.combination,
        train_rows: int | None = DEFAULTS.train_rows,
        windows_per_epoch: int | None = DEFAULTS.windows_per_epoch,
        val_origins: int | str = DEFAULTS.val_origins,
        refit: bool = DEFAULTS.refit,
        verbose: int = DEFAULTS.verbose,
    ):
        self.model = model
        self.lookback = lookback
        self.horizon = horizon
        self.target = target
        self.covariates = covariates
        self.future_covariates = future_covariates
        self.calendar = calendar
        self.holidays = holidays
        self.time_col = time_col
        self.id_col = id_col
        self.freq = freq
        self.fill = fill
        self.load_options = load_options
        self.scaler = scaler
        self.series_scaling = series_scaling
        self.normalize = normalize
        self.ridge_skip = ridge_skip
        self.epochs = epochs
        self.patience = patience
        self.reduce_lr_patience = reduce_lr_patience
        self.batch_size = batch_size
        self.loss = loss
        self.quantiles = quantiles
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.seed = seed
        self.device = device
        self.distribution = distribution
        self.season = season
        self.ensemble = ensemble
        self.model_options = model_options
        self.intervals = intervals
        self.guard = guard
        self.combination = combination
        self.train_rows = train_rows
        self.windows_per_epoch = windows_per_epoch
        self.val_origins = val_origins
        self.refit = refit
        self.verbose = verbose

    # ----------------------------------------------------------------- settings
    @property
    def is_fitted(self) -> bool:
        return getattr(self, "model_", None) is not None

    @property
    def lookback_(self) -> int:
        """The lookback the windows use: the fitted state's; before `fit`, the one
        `resolve_lookback` chose, or the `lookback` setting when it is a number."""
        if self.state_ is not None:
            return self.state_.lookback
        if self._chosen is not None:
            return self._chosen
        if lookback.is_auto(self.lookback):
            raise AttributeError("lookback_: chosen by fit (or resolve_lookback) on the data")
        return self.lookback

    @property
    def calendar_choice_(self) -> CalendarChoice | None:
        """The calendar the model reads and why (`forecast.known_future.CalendarChoice`; None
        for calendar="none" and before fit): the fitted state's."""
        return self.state_.calendar_choice if self.state_ is not None else None

    def check_settings(self) -> None:
        """Check every setting against its one declaration; `fit` calls it before any data
        work. Raises ConfigError naming the setting and the value."""
        for name in ("horizon", "epochs", "ensemble"):
            check_positive_int(name, getattr(self, name))
        seasons.parse(self.season)
        if not lookback.is_auto(self.lookback):
            check_positive_int("lookback", self.lookback)
        for name in ("batch_size", "train_rows", "windows_per_epoch"):
            if getattr(self, name) is not None:
                check_positive_int(name, getattr(self, name), or_none=True)
        models.get_builder(self.model)
        models.check_normalize(self.normalize)
        SeriesScaler(self.scaler)
        check_series_scaling(self.series_scaling)
        training.check_loss(self.loss)
        training.check_optimizer(self.optimizer, self.learning_rate)
        intervals.check_interval_mode(self.intervals)
        check_guard(self.guard)
        combination.check_combination(self.combination)
        self._quantiles()
        panel.check_val_origins(self.val_origins)
        backends.check_distribution(self.distribution)
        known_future.check_settings(self.future_covariates, self.covariates, self.calendar,
                                    self.holidays)  # fmt: skip

    def _quantiles(self) -> tuple[float, ...] | None:
        """The quantiles the model learns, or None (no quantile heads);
        `forecast.quantiles.resolve` checks the settings (ConfigError)."""
        return quantile_heads.resolve(self.loss, self.quantiles, self.intervals)

    def check_levels(self, levels: Any, strict: bool = True) -> tuple[float, ...]:
        """Interval `levels` in percent, checked (`forecast.intervals.check_levels`); with
        quantile heads each must be one they serve (ConfigError naming those), or, not
        `strict`, the others are dropped."""
        return bands.check_levels(levels, self._quantiles(), strict)

    def _bands(self) -> bands.Bands:
        """What drawing this forecaster's intervals needs (`forecast.bands`)."""
        return bands.Bands(
            self.intervals, self._quantiles(), self.lookback_, self.n_targets_, self.calibration_,
            self.season_,
        )  # fmt: skip

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise ConfigError("this Forecaster is not fitted yet; call fit(series) or load(dir)")

    # ----------------------------------------------------------------- data
    def collection(self, series: Any, calendar: Sequence[str] | None = None) -> SeriesSet:
        """`series` as this forecaster reads it: a `forecast.series_set.SeriesSet` (a lone
        series flagged `lone`), targets first, in the fitted columns once fitted.
        `calendar`: the calendar features to build (`fit` gives its choice's); default those
        of the fitted state (none before fit)."""
        fitted = self.is_fitted
        roles = {"target": self.columns_[: self.n_targets_], "freq": self.freq_,
                 "covariates": self.state_.loaded_covariates()} if fitted else {}  # fmt: skip
        options = LoadOptions.from_settings(
            self.get_params(), **roles,
            future_rows=known_future.is_used(self.future_covariates, self.calendar, self.holidays),
        )  # fmt: skip
        with state.own_fill(self.fill if fitted else False):
            data = as_collection(series, fitted=fitted, **options.kwargs())
        if calendar is None:  # fitted: its columns; while fitting: the state's choice
            calendar = known_future.building(
                self.calendar_ if fitted else None, self.calendar_choice_
            )
        return data.map(lambda frame: known_future.with_calendar(frame, calendar, self.holidays))

    def ahead_rows(self) -> int:
        """Horizon rows in the model's input window: `horizon` with known-future inputs."""
        return self.horizon if self.n_future_ else 0

    def target_values(self, frame: pd.DataFrame) -> np.ndarray:
        """Target values `(rows, n_targets)` of `frame`, in original units."""
        return frame.to_numpy(dtype=np.float64)[:, : self.n_targets_]

    # ----------------------------------------------------------------- calendar
    def choose_calendar(self, series: Any, val: Validation = 0.2) -> CalendarChoice | None:
        """The calendar `fit` gives a new model on `series` / `val`
        (`forecast.calendar_choice.choose`: calendar="auto" compares the linear baseline with
        and without it on the validation windows), without fitting anything; the lookback
        must be known (a number, or `resolve_lookback` first)."""
        without = functools.partial(self.collection, calendar=())  # parts cut without one
        return calendar_choice.choose(
            self.calendar, series, val, self.lookback_, self.horizon, without,
            season=self.season, scaler=self.scaler, series_scaling=self.series_scaling,
        )  # fmt: skip

    # ----------------------------------------------------------------- lookback
    def default_lookbacks(self, series: Any) -> tuple[int, ...]:
        """`forecast.linear.lookback_candidates` of the seasons of `series` (`forecast.seasons`)."""
        data = self.collection(series)
        info = series_info(next(iter(data.values())))
        return lookback_candidates(
            seasons.resolve(info["freq"], self.season, seasons.longest_rows(data))
        )

    def choose_lookback(
        self, series: Any, val: Validation = 0.2, candidates: Sequence[int] | None = None
    ) -> LookbackChoice:
        """Choose the lookback on validation data, cheaply: for each candidate, fit the linear
        baseline (the map the default models start from) on the training windows and score
        its MAE on the same validation windows (`forecast.panel.lookback_choice`); the lowest
        wins (ties: the shorter). Nothing is changed: apply it with `resolve_lookback`.

        Args:
            series, val: as in `fit` (with a `SplitSpec`, `series` is all the data).
            candidates: lookbacks to try; default `default_lookbacks(series)`.

        Returns a `forecast.linear.LookbackChoice`; raises ConfigError without validation data
        or for a bad candidate, DataError when no candidate fits the training slice.
        """
        parts = isinstance(series, SplitParts)
        data = series if parts else self.collection(series)  # read once
        if candidates is None:
            candidates = self.default_lookbacks(data.train if parts else data)
        origins = panel.origins_wanted(self.val_origins, self.horizon)
        return lookback.choose(
            data, val, candidates, self.horizon, self.scaler, self.collection, origins
        )

    def resolve_lookback(
        self, series: Any, val: Validation = 0.2, candidates: Sequence[int] | None = None
    ) -> LookbackChoice | None:
        """Set `lookback_` to `choose_lookback`'s winner; without a validation part, to
        `forecast.lookback.FALLBACK` (given `candidates` then raise ConfigError); the
        `lookback` setting stays as given. `fit` calls it for `lookback="auto"`. Returns
        the choice (None: the fallback), also kept in `lookback_choice_`."""
        self._chosen, self.lookback_choice_ = lookback.resolve(
            lambda: self.choose_lookback(series, val, candidates), candidates is not None
        )
        return self.lookback_choice_

    # ----------------------------------------------------------------- fit
    def fit(
        self,
        series: Any,
        val: Validation = 0.2,
        epochs: int | None = None,
        run_dir: str | os.PathLike | None = None,
    ) -> Forecaster:
        """Train on `series`, early-stopping on a validation part.

        A fitted forecaster (including one from `Forecaster.load`) continues training from its
        current weights, keeping its scaler: `Forecaster.load(d).fit(new_data, epochs=20)`.

        Args:
            series: a DataFrame, CSV path, `{id: frame}` collection (one global model), or a
                `SplitParts` (its training and validation parts; `val` is then ignored).
            val: the last fraction (float) or number of rows (int) of each series used for
                validation, separate validation data, or a `SplitSpec`; 0 or None trains
                without validation.
            epochs: overrides the `epochs` setting for this call.
            run_dir: folder for checkpoints, history and crash resume.

        Returns self.
        """
        self.check_settings()
        training.use_device(self.device)
        first = not self.is_fitted
        if first and self._chosen is None and lookback.is_auto(self.lookback):
            self.resolve_lookback(series, val)
        collect, choice = self.collection, None
        if first:  # the calendar a new model reads (calendar="auto": on validation)
            choice = self.choose_calendar(series, val)
            features = choice.features if choice else ()
            collect = functools.partial(self.collection, calendar=features)
        data, train, held, starts, short = self._training_parts(series, val, collect)
        if first:
            self.state_ = FittedState.learn(
                train, self.lookback_, self.horizon, scaler=self.scaler,
                series_scaling=self.series_scaling, season=self.season,
                future_covariates=self.future_covariates, calendar_choice=choice,
                holidays=self.holidays, short=short,
            )  # fmt: skip
        fitted = self.state_
        fitted.short_series = list(short)
        train_arrays = [self.scaler_.transform(f, key=k) for k, f in train.items()]
        val_arrays = [self.scaler_.transform(f, key=k) for k, f in held.items()]
        val_starts = [starts[k] for k in held]
        n_windows = sum(max(len(a) - self.lookback_ - self.horizon + 1, 0) for a in train_arrays)
        self.batch_size_ = training.batch_size_for(n_windows, self.batch_size)
        fitted.linear = LinearBaseline(self.lookback_, self.horizon).fit(
            [a[:, : self.n_targets_] for a in train_arrays],
            [(a[:, : self.n_targets_], s) for a, s in zip(val_arrays, val_starts, strict=True)],
        )
        feeds = self._feeders(train_arrays, val_arrays, val_starts)
        fit_args = dict(
            epochs=epochs or self.epochs, patience=self.patience,
            reduce_lr_patience=self.reduce_lr_patience, verbose=self.verbose,
            keep_start=first,  # a new model: no epoch better on validation, the linear start stays
        )  # fmt: skip
        if first:
            result = self._train_new(*feeds, run_dir, fit_args)
        else:
            training.set_seed(self.seed)
            result = training.fit(self.model_, *feeds, run_dir=run_dir, **fit_args)
        for key, values in result.history.items():
            fitted.history.setdefault(key, []).extend(values)
        self.fit_result_ = result
        fitted.last_timestamps = {k: str(f.index[-1]) for k, f in data.items()}
        fitted.guard, fitted.combination, spans = None, None, {}
        if held:  # every validation window of every series, model vs baselines: ONE pass
            rows = {k: len(f) - max(starts[k], self.lookback_) for k, f in held.items()}
            spans = self.window_spans(held, rows)
            fitted.guard = fit_guard(spans, self.guard, self.horizon)
            spans = fitted.guard.apply_spans(spans)  # what the forecaster gives, calibrated
            scales = {k: self._scale(f) for k, f in train.items()}
            fitted.combination = combination.fit_combination(
                spans, scales, self.combination, self.horizon
            )
            if fitted.combination is not None:
                spans = fitted.combination.apply_spans(spans)
        fitted.calibration = bands.calibrate(self._bands(), train, held, spans)
        if first and self.refit and held:
            self._refit(refitting.joined_parts(train, held, starts))
        return self

    def refit_on(self, series: Any, val: Validation = 0.2) -> Forecaster:
        """What `fit(refit=True)` does last, for a forecaster fitted without it on the same
        `series` / `val`: train a new model on the training and validation rows for the
        chosen epoch count, every choice kept (`forecast.refit`). Returns self."""
        self._check_fitted()
        _, train, held, starts, _ = self._training_parts(series, val, self.collection)
        self._refit(refitting.joined_parts(train, held, starts))
        return self

    def _training_parts(
        self, series: Any, val: Validation, collect: Callable[[Any], SeriesSet]
    ) -> tuple[SeriesSet, SeriesSet, SeriesSet, dict[str, int], SeriesSet]:
        """`(data, train, held, starts, short)`: `forecast.panel.fit_parts` of `series`, the
        series too short for one training window (`short`: their training parts; their
        fallback forecasts them) left out of `train` and `held`, each training part cut to
        its last `train_rows` windows; every series too short is the window-fits error."""
        data, train, held, starts = panel.fit_parts(
            series, val, self.lookback_, self.horizon, collect,
            origins=panel.origins_wanted(self.val_origins, self.horizon),
        )  # fmt: skip
        kept, short = panel.trainable(train, self.lookback_ + self.horizon)
        if not kept:  # every series too short: say so for the longest
            rows = max(len(frame) for frame in train.values())
            check_window_fits(rows, self.lookback_, self.horizon, "the longest training part")
        rows = self.train_rows and self.train_rows + self.lookback_  # the recent windows only
        held = held.only(k for k in kept if k in held)
        cut = train.only(kept).map(lambda f: f.iloc[-rows:] if rows else f)  # short: fallback
        return data, cut, held, starts, train.only(short)

    def _refit(self, joined: Mapping[str, pd.DataFrame]) -> None:
        """Train a new model on `joined` (each series' training and validation rows) for the
        chosen epoch count without validation (0: the linear start as is), the linear
        baseline refitted there with the penalty chosen before (`forecast.refit`)."""
        epochs = refitting.epochs_for(getattr(self.fit_result_, "best_epoch", None))
        if epochs is None:
            return
        self.refit_epochs_ = epochs  # the CLI's `refit:` line and metrics.json
        arrays = [self.scaler_.transform(f, key=k) for k, f in joined.items()]
        targets = [a[:, : self.n_targets_] for a in arrays]
        self.state_.linear = LinearBaseline(self.lookback_, self.horizon).fit(
            targets, alpha=self.linear_.alpha_
        )
        if epochs == 0:
            training.set_seed(self.seed)
            self.model_ = self._new_model()
            self.model_.optimizer.build(self.model_.trainable_variables)  # saved with its state
            return
        feed, _ = self._feeders(arrays, [], [])
        args = dict(epochs=epochs, patience=None, reduce_lr_patience=self.reduce_lr_patience,
                    verbose=self.verbose)  # fmt: skip
        self._train_new(feed, None, None, args)

    def _scale(self, frame: pd.DataFrame) -> np.ndarray:
        """The in-sample seasonal-naive MAE `(n_targets,)` of one training part (the MASE
        scale the combination's weights are chosen with)."""
        values = self.target_values(frame)
        return np.array([mase_scale(values[:, j], self.season_) for j in range(values.shape[1])])

    def _feeders(
        self, train: list[np.ndarray], val: list[np.ndarray], val_starts: list[int]
    ) -> tuple[WindowFeeder, WindowFeeder | None]:
        args = dict(
            lookback=self.lookback_, horizon=self.horizon, batch_size=self.batch_size_,
            target_cols=slice(0, self.n_targets_), ahead=self.ahead_rows(),
        )  # fmt: skip
        train_feed = WindowFeeder(train, shuffle=True, seed=self.seed,
                                  windows_per_epoch=self.windows_per_epoch, **args)  # fmt: skip
        if not val:
            return train_feed, None
        return train_feed, WindowFeeder(val, shuffle=False, first_target=val_starts, **args)

    def _train_new(
        self, train_feed: WindowFeeder, val_feed: Any, run_dir: Any, fit_args: dict
    ) -> training.FitResult:
        """Train `ensemble` new models (`training.train_members`) and keep one, or their
        average; returns the first member's FitResult."""
        members, results = training.train_members(
            self._new_model, self.ensemble, train_feed, val_feed, seed=self.seed,
            run_dir=run_dir, distribution=self.distribution, **fit_args,
        )  # fmt: skip
        if len(members) == 1:
            self.model_ = members[0]
        else:
            self.model_ = self._compiled(models.average_members(members))
            self.model_.optimizer.build(self.model_.trainable_variables)  # saved with its state
        return results[0]

    def _new_model(self) -> keras.Model:
        """A compiled model of the configured builder; with `ridge_skip` (and
        `normalize="last"`), its linear path is the fitted linear baseline, frozen."""
        model = models.get_builder(self.model)(
            lookback=self.lookback_, n_inputs=len(self.columns_), horizon=self.horizon,
            n_targets=self.n_targets_, normalize=self.normalize,
            quantiles=self._quantiles(), **dict(self.model_options or {}),
            **({"n_future": self.n_future_} if self.n_future_ else {}),
        )  # fmt: skip
        last = models.check_normalize(self.normalize) == "last"
        if self.ridge_skip and last and self.linear_.is_fitted and models.has_linear_skip(model):
            models.start_from_linear(
                model, self.linear_.coef_, self.linear_.intercept_, len(self.columns_)
            )
        return self._compiled(model)

    def _compiled(self, model: keras.Model) -> keras.Model:
        return training.compile_model(
            model, self.loss, self.optimizer, self.learning_rate, quantiles=self._quantiles()
        )

    # ----------------------------------------------------------------- predict
    def _fallback(self, key: str, rows: int) -> str | None:
        """The fallback that forecasts series `key` with `rows` rows of input, or None when
        the model does (`forecast.panel.fallback_method`)."""
        if key not in self.short_series_ and rows >= self.lookback_:
            return None
        return panel.fallback_method(rows, self.lookback_, self.season_, self.linear_.is_fitted)

    def window_spans(self, data: SeriesSet, start: Any) -> dict[str, panel.Span]:
        """`forecast.panel.window_spans` of this forecaster: every window's forecasts, the
        model's from ONE batched prediction over every series; the guard's choice applied
        (`forecast.guard.Guard.apply`: the method then names the baseline)."""
        spans = panel.window_spans(
            data, start, self.lookback_, self.horizon, self.n_targets_, self.scaler_,
            fallback=self._fallback, baselines=self._baselines, predict=self._predict,
            quantiles=self._quantiles(), ahead=self.ahead_rows(),
        )  # fmt: skip
        guard, blend = getattr(self, "guard_", None), getattr(self, "combination_", None)
        spans = spans if guard is None else guard.apply_spans(spans)
        return spans if blend is None else blend.apply_spans(spans)

    def _predict(self, windows: Any) -> np.ndarray:
        return panel.model_output(self.model_, windows)  # the same whatever the batch

    def _with_future(self, data: SeriesSet, key: str) -> pd.DataFrame:
        """Series `key` of `data`, then (with known-future inputs) the `horizon` rows a
        forecast reads (`forecast.known_future.future_frame`, from `data.future`)."""
        if not self.n_future_:
            return data[key]
        known = self.future_covariates, known_future.features_of(self.calendar_), self.holidays
        return known_future.extended(data[key], self.horizon, self.freq_, data.future.get(key),
                                     *known, data.label(key))  # fmt: skip

    def predict(self, series: Any, levels: Any = None) -> pd.DataFrame | dict[str, pd.DataFrame]:
        """Forecast the `horizon` steps after the end of `series` (every series of a
        collection in one batched model call; series too short for the model are forecast
        by their fallback, named in `frame.attrs["method"]`).

        Args:
            series: the data; its last `lookback` rows are the input, without a gap (with
                `future_covariates`, then the `horizon` rows after the last target value,
                the target empty, that give them).
            levels: prediction-interval levels in percent, e.g. (80, 95), from the validation
                errors by the `intervals` mode (with "auto", the one chosen at fit; an adaptive
                mode has no new actuals here and gives the fixed conformal quantile of every
                validation window); None: point forecasts only.

        Returns:
            A DataFrame indexed by the next `horizon` timestamps (from the series'
            frequency), one column per target, in original units, then with `levels` the
            bounds `<target>-lo-80`, `<target>-hi-80`, ...; for a collection, a dict of such
            frames.
        """
        self._check_fitted()
        levels, data = self.check_levels(levels), self.collection(series)
        for note in self.calibration_.notes(levels) if levels and self.calibration_ else []:
            warnings.warn(note, ForecastWarning, stacklevel=2)  # as `train` says it
        rows = panel.input_rows(data, self.lookback_)  # the rows after a series' last gap
        methods = {k: self._fallback(k, rows[k]) for k in data}
        for key in (k for k, m in methods.items() if m is None):
            check_forecast_rows(data[key], self.lookback_, self.n_targets_)
        arrays = {k: self.scaler_.transform(self._with_future(data, k), key=k)
                  for k in data if not methods[k]}  # fmt: skip
        steps = self.lookback_ + self.ahead_rows()
        scaled = self._predict(panel.last_windows(arrays, steps)) if arrays else []
        predicted = dict(zip(arrays, scaled, strict=True))
        out, names = {}, pd.Index(self.columns_[: self.n_targets_])  # one Index for every frame
        for key, frame in data.items():
            by = methods[key] or "model"
            if methods[key] is None:  # with quantile heads: the median, and the quantiles
                out_ = predicted[key][None]
                values, quants = panel.unscaled(self.scaler_, key, out_, self._quantiles())
                values, by, quants = self._guarded(key, frame, values, quants)
            else:
                values = self._baselines(frame, np.array([len(frame)]), key)[methods[key]]
                quants = None
            tz = (frame.attrs.get("load") or {}).get("tz")
            index = future_index(frame.index, self.horizon, self.freq_, tz)
            method = "model" if methods[key] is None else "naive"  # a fallback: naive's errors
            bounds = bands.bounds(self._bands(), key, frame, values, levels, method, quants=quants)
            extra = intervals.bound_columns(bounds, names)
            out[key] = pd.DataFrame(values[0], index, names)
            out[key] = out[key].assign(**extra) if extra else out[key]  # assign copies
            out[key].attrs["method"] = by
        return data.with_frames(out).unwrap()  # a lone series' frame, else {id: frame}

    def _guarded(
        self, key: str, frame: pd.DataFrame, values: np.ndarray, quants: np.ndarray | None
    ) -> tuple[np.ndarray, str, np.ndarray | None]:
        """The model's next forecast `values` `(1, horizon, n_targets)` of series `key` (input
        `frame`) as `window_spans` gives it: the guard's choice, then the combination."""
        guard, blend = getattr(self, "guard_", None), getattr(self, "combination_", None)
        acts = guard is not None and guard.acts(key)
        if not acts and (blend is None or blend.weights_for(key) is None):
            return values, "model", quants
        base = self._baselines(frame, np.array([len(frame)]), key)
        by = "model"
        if acts:
            values, by, quants = guard.apply(key, values, base, quants)
        if by == "model" and blend is not None:
            values, quants = blend.apply(key, values, base, quants)
        return values, by, quants

    def predict_windows(
        self, series: Any, start: Any = None, baselines: bool = False, levels: Any = None
    ) -> pd.DataFrame:
        """Every rolling forecast over a span, as a tidy DataFrame (one batched prediction).

        Args:
            series: the data, with at least `lookback` rows before `start`.
            start: where forecast targets begin: a fraction or row count of the series' end,
                or a timestamp; default: as early as the lookback allows.
            baselines: add a column per baseline (naive, seasonal_naive, mean, linear).
            levels: add `lo-80`, `hi-80`, ... columns (as in `predict`; "adaptive": online).

        Returns columns `series` (for collections), then `forecast.evaluation.tidy_forecasts`'.
        """
        self._check_fitted()
        levels, data = self.check_levels(levels), self.collection(series)
        frames = []
        for key, (origins, preds, actual, bases, _, quants) in self.window_spans(
            data, start
        ).items():
            extra = dict(bases) if baselines else {}
            if levels:
                bounds = bands.bounds(
                    self._bands(), key, data[key], preds, levels, "model", origins, actual, quants
                )
                extra.update(intervals.bound_columns(bounds))
            tidy = tidy_forecasts(data[key].index, origins, preds, actual, self.columns_, extra)
            if not data.lone:
                tidy.insert(0, "series", key)
            frames.append(tidy)
        return pd.concat(frames, ignore_index=True)

    # ----------------------------------------------------------------- evaluate
    def evaluate(
        self, series: Any, test: Any = None, history: Any = None, levels: Any = intervals.LEVELS
    ) -> Report:
        """Score the model beside the naive, seasonal-naive, mean and linear baselines (the
        linear one when fitted), each series by the competitions' sMAPE, MASE and OWA against
        Naive2, and the prediction intervals.

        Args:
            series: the data to score on. Windows use its rows as inputs, so a test slice
                should come with `lookback` rows of context before it (as `split` gives).
            test: where the scored targets begin: a fraction or row count at the end of
                `series`, or a timestamp; default: every window of `series`.
            history: each series' rows before its test part (a frame or `{id: frame}`), for
                the per-series MASE scale and Naive2; default: the rows of `series` before
                its first scored target.
            levels: prediction intervals scored for the model and naive (its own conformal
                errors); skipped without a calibration; by default, those quantile heads serve.

        Returns a `Report` in original units (MAE, RMSE, MAPE, sMAPE, MASE; overall and per
        step), with `per_series`, `competition` (`forecast.panel.competition_scores`) and
        `intervals` (coverage, width, pinball, MSIS per level).
        """
        self._check_fitted()
        strict = levels is not intervals.LEVELS  # the default: the levels the model serves
        levels = self.check_levels(levels, strict) if self.calibration_ else ()
        data = self.collection(series)
        spans = self.window_spans(data, test)
        names = self.columns_[: self.n_targets_]
        guard = getattr(self, "guard_", None)
        guarded = guard.acting if guard is not None else ()
        report = panel.span_report(spans, self.mase_scale_, names, guarded)
        past = self.collection(history) if history is not None else None
        report.per_series, report.competition = panel.competition_scores(
            data, spans, past, m4_season(self.freq_, self.season), self.horizon, names
        )
        if levels:
            bands.score(self._bands(), report, data, spans, levels, names, self.mase_scale_)
        return report

    def _baselines(
        self, frame: pd.DataFrame, origins: np.ndarray, key: str
    ) -> dict[str, np.ndarray]:
        """Every baseline's forecasts, in original units, `(n, horizon, n_targets)`, for the
        windows of one series whose first target rows are `origins` (the mean over the input
        rows there are, the linear baseline where its input fits)."""
        values = self.target_values(frame)
        rows = min(self.lookback_, int(origins.min()))
        found = baseline_forecasts(values, origins, rows, self.horizon, self.season_)
        if self.linear_.is_fitted and rows == self.lookback_:
            inputs = self.scaler_.transform(frame, key=key)[:, : self.n_targets_]
            scaled = self.linear_.predict(inputs, origins)
            found["linear"] = self.scaler_.inverse_transform_targets(scaled, key)
        return found

    def backtest(
        self,
        series: Any,
        folds: int = 5,
        test_size: int | None = None,
        step: int | None = None,
        mode: str = "expanding",
        refit_every: int = 1,
        val: float | int = 0.2,
        keep_models: bool = False,
    ) -> BacktestResult:
        """Rolling-origin backtest: train, test on the next block, move the origin, repeat.

        Each refit trains a fresh copy of this forecaster's settings, so the scaler is
        refitted on that fold's training slice only.

        Args:
            series: one series or a collection (every series is cut at the same rows).
            folds, test_size, step, mode: the plan (`forecast.evaluation.backtest_folds`).
            refit_every: retrain every k folds; 0 trains once, on the first fold, only.
            (`lookback="auto"` is chosen once, on the rows before the first test block.)
            val: validation fraction or rows of each fold's training slice.
            keep_models: keep each fold's fitted forecaster on the result (`models`).

        Returns:
            A `forecast.evaluation.BacktestResult`.
        """
        check_positive_int("refit_every", refit_every, allow_zero=True)
        check_fold_settings(folds, mode)
        data, params = self.collection(series), self.get_params()
        plan = lambda steps: backtest_folds(  # noqa: E731
            min(len(f) for f in data.values()), steps, self.horizon,
            folds=folds, test_size=test_size, step=step, mode=mode,
        )  # fmt: skip
        if lookback.is_auto(self.lookback):  # chosen once, on the rows before the first test
            cut = plan(min(self.default_lookbacks(data)))[0].cut
            chooser = Forecaster(**params)
            chooser.resolve_lookback(lookback.head(data, cut), val)
            params["lookback"] = chooser.lookback_
        refit = lambda train: Forecaster(**params).fit(train, val=val)  # noqa: E731
        steps = params["lookback"]
        return run_backtest(data, plan(steps), steps, refit, refit_every, keep_models)

    # ----------------------------------------------------------------- state and files
    def get_config(self) -> dict[str, Any]:
        """Everything but the weights needed to rebuild this fitted forecaster, JSON-ready:
        the settings and the fitted state (`forecast.state.FittedState.to_config`)."""
        self._check_fitted()
        best = getattr(getattr(self, "fit_result_", None), "best_epoch", None)
        # The settings as given, but the lookback used (forecaster.json's format: a loaded
        # forecaster has the lookback its model reads; one saved with "auto" loads too).
        settings = {**self.get_params(), "lookback": self.lookback_}
        return self.state_.to_config(settings, best)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], source: str = "config") -> Forecaster:
        """A forecaster with the settings and fitted state of `get_config()` (no model yet:
        `load` attaches the saved model, linear baseline and interval calibration). Raises
        ArtifactError naming `source` for a missing, invalid or inconsistent value.
        """
        state.check_keys(config, source)
        f = state.field(config, "settings", lambda v: cls(**dict(v))._checked(), source)
        f.state_ = FittedState.from_config(config, f.lookback, f.horizon, source)
        return f

    def _checked(self) -> Forecaster:
        """self with its settings checked (`check_settings`): a lookback "48" written as a
        string in a saved config is named there, not met as a TypeError later."""
        self.check_settings()
        return self

    def save(self, path: str | os.PathLike, metrics: Mapping[str, Any] | None = None) -> None:
        """Save to a folder (`forecast.state.save_folder`), atomically: a crash mid-save leaves
        the previous one intact."""
        self._check_fitted()
        state.save_folder(path, self.model_, self.get_config(), self.state_, metrics)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Forecaster:
        """Load a folder written by `save` (Keras safe mode, no pickle); `ArtifactError` for a
        missing, corrupt, hand-edited, inconsistent or incompatible one (`state.load_folder`)."""
        folder = Path(path)
        config = artifacts.read_config(folder)
        f = cls.from_config(config, source=str(folder / artifacts.CONFIG_FILE))
        heads = len(f._quantiles() or ())  # checked by `from_config`
        f.model_, f.state_ = state.load_folder(folder, config, f.state_, f.horizon, heads)
        return f

    def restore_fitted(
        self, path: str | os.PathLike, fit_result: training.FitResult | None = None
    ) -> Forecaster:
        """Take the model and fitted state that a forecaster of these settings saved in
        `path` (a run killed after training), keeping these settings; `fit_result`, its
        last fit's, becomes `fit_result_`. Returns self."""
        kept = type(self).load(path)
        self.model_, self.state_ = kept.model_, kept.state_
        if fit_result is not None:
            self.fit_result_ = fit_result
        return self

    def export_h5(self, path: str | os.PathLike) -> None:
        """Write the bare Keras model as a legacy `.h5` file, for classic scripts."""
        self._check_fitted()
        artifacts.export_h5(self.model_, path)

    def attention(self, series: Any) -> np.ndarray:
        """Attention weights `(lookback, lookback)` of the attention model on the last window
        (of the first member, for an ensemble)."""
        self._check_fitted()
        key, frame = next(iter(self.collection(series).items()))  # the first series
        window = self.scaler_.transform(frame.iloc[-self.lookback_ - self.ahead_rows() :], key=key)[
            None
        ]
        return models.attention_weights(models.first_member(self.model_), window)[0]
