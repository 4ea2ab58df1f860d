"""The linear baseline: ridge regression on last-value-normalized windows (the "NLinear" idea).

Subtract each input window's last value from the window and from its targets, fit a ridge
regression from the window to the targets, add the last value back. On ETTh1 this plain linear
map beats the naive forecast by 12-20 % at 24-720 steps, so an LSTM that does not beat it is
not worth its training time: every `Forecaster.evaluate` report scores it beside naive and
seasonal naive.

It is fitted when the forecaster is: on the same training windows (in the scaler's units,
each target from its own history, every series pooled), with the ridge penalty chosen by MAE on
the validation windows (without validation data: on the last 20 % of the training windows).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forecast.errors import ConfigError, DataError
from forecast.gaps import complete_origins, complete_windows

ALPHAS = (0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5)  # ridge penalties tried
MAX_WINDOWS = 20_000  # training windows used at most (evenly spaced), to bound memory


def _windows(
    values: np.ndarray, first_origin: int, lookback: int, horizon: int, limit: int = MAX_WINDOWS
) -> tuple[np.ndarray, np.ndarray]:
    """Last-value-normalized inputs `(n, lookback)` and targets `(n, horizon)` of one target
    column `values` `(length,)`, for windows whose first target row is at least
    `first_origin`: all of them, or `limit` evenly spaced ones (only those are copied);
    never one that spans a gap row (NaN, `forecast.gaps`)."""
    inputs, targets, _ = _cut(values, first_origin, lookback, horizon, limit)
    return inputs, targets


def _cut(
    values: np.ndarray, first_origin: int, lookback: int, horizon: int, limit: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_windows`' inputs and targets, and each window's first target row `(n,)`."""
    start = max(first_origin - lookback, 0)
    span = np.asarray(values, dtype=np.float64)[start:]
    if len(span) < lookback + horizon:
        return np.empty((0, lookback)), np.empty((0, horizon)), np.empty(0, np.int64)
    view = np.lib.stride_tricks.sliding_window_view(span, lookback + horizon)
    complete = complete_windows(span, lookback, horizon)  # inside gap-free segments only
    picked = np.arange(len(view)) if complete is None else complete
    picked = picked[_even_subset(len(picked), limit)]
    view = view[picked]
    last = view[:, lookback - 1 : lookback]
    return view[:, :lookback] - last, view[:, lookback:] - last, start + picked + lookback


def _even_subset(n: int, limit: int) -> np.ndarray:
    return np.arange(n) if n <= limit else np.linspace(0, n - 1, limit).round().astype(np.int64)


class LinearBaseline:
    """One ridge map per target column, from a normalized window to its normalized targets.

    scikit-learn style: settings in `__init__`, `fit` learns the attributes ending in `_` and
    returns self. With fewer training windows than `lookback` (too few to fit one coefficient
    per input step) `fit` leaves it unfitted: `is_fitted` is False and reports leave it out.

    Args:
        lookback, horizon: the forecaster's window.

    Attributes:
        coef_: `(n_targets, lookback, horizon)`.
        intercept_: `(n_targets, horizon)`.
        alpha_: `(n_targets,)` the chosen ridge penalty of each target.

    Example:
        >>> baseline = LinearBaseline(lookback=24, horizon=12).fit([train], [(val, 24)])
        >>> baseline.predict(values, origins)            # (n, 12, n_targets)
    """

    def __init__(self, lookback: int, horizon: int):
        self.lookback = lookback
        self.horizon = horizon
        self.coef_: np.ndarray | None = None
        self.intercept_: np.ndarray | None = None
        self.alpha_: np.ndarray | None = None

    def __repr__(self) -> str:
        state = "" if self.is_fitted else ", not fitted"
        return f"LinearBaseline(lookback={self.lookback}, horizon={self.horizon}{state})"

    @property
    def is_fitted(self) -> bool:
        return self.coef_ is not None

    def fit(
        self,
        train: Sequence[np.ndarray],
        val: Sequence[tuple[np.ndarray, int]] = (),
        alpha: np.ndarray | None = None,
    ) -> LinearBaseline:
        """Fit on scaled target arrays; returns self (unfitted when there are too few windows).

        Args:
            train: one `(length, n_targets)` array per series.
            val: one `(array, first_origin)` per series: windows whose first target row is
                at least `first_origin` (the rows before are context); may be empty.
            alpha: `(n_targets,)` ridge penalties to use (a refit keeps those chosen on
                validation); None: chosen on `val` (else on the latest training windows).
        """
        lookback, horizon = self.lookback, self.horizon
        n_targets = train[0].shape[1]
        coefs, intercepts, alphas = [], [], []
        limit = max(MAX_WINDOWS // max(len(train), 1), 1)  # per series
        for t in range(n_targets):
            parts = [_windows(a[:, t], lookback, lookback, horizon, limit) for a in train]
            X = np.concatenate([p[0] for p in parts])
            Y = np.concatenate([p[1] for p in parts])
            if len(X) < lookback:
                self.coef_ = self.intercept_ = self.alpha_ = None
                return self
            val_parts = [_windows(a[:, t], first, lookback, horizon, limit) for a, first in val]
            Xv = np.concatenate([p[0] for p in val_parts]) if val_parts else X[:0]
            Yv = np.concatenate([p[1] for p in val_parts]) if val_parts else Y[:0]
            if alpha is not None:
                alpha_t = float(np.asarray(alpha, np.float64).reshape(-1)[t])
            elif len(Xv) == 0:  # select on the latest fifth of the training windows
                cut = int(len(X) * 0.8)
                alpha_t = _select_alpha(X[:cut], Y[:cut], X[cut:], Y[cut:])
            else:
                alpha_t = _select_alpha(X, Y, Xv, Yv)
            coef, intercept = _ridge(X, Y, [alpha_t])[0]
            coefs.append(coef)
            intercepts.append(intercept)
            alphas.append(alpha_t)
        self._set(np.stack(coefs), np.stack(intercepts), np.asarray(alphas, dtype=np.float64))
        return self

    def _set(self, coef: np.ndarray, intercept: np.ndarray, alpha: np.ndarray) -> None:
        n_targets, self.lookback, self.horizon = coef.shape
        if intercept.shape != (n_targets, self.horizon) or alpha.shape != (n_targets,):
            raise ValueError("coef, intercept and alpha shapes disagree")
        self.coef_, self.intercept_, self.alpha_ = coef, intercept, alpha

    @classmethod
    def from_arrays(
        cls, coef: np.ndarray, intercept: np.ndarray, alpha: np.ndarray
    ) -> LinearBaseline:
        """A fitted baseline from its arrays (`coef_ (n_targets, lookback, horizon)`, ...)."""
        baseline = cls(coef.shape[1], coef.shape[2])
        baseline._set(np.asarray(coef), np.asarray(intercept), np.asarray(alpha))
        return baseline

    def predict(self, values: np.ndarray, origins: np.ndarray) -> np.ndarray:
        """Forecasts `(n, horizon, n_targets)` for windows of `values` `(length, n_targets)`
        (scaled) whose first target row is `origins` `(n,)` (each >= lookback)."""
        if not self.is_fitted:
            raise ConfigError("this LinearBaseline is not fitted (too few training windows)")
        rows = np.asarray(origins)[:, None] - self.lookback + np.arange(self.lookback)
        windows = np.asarray(values, dtype=np.float64)[rows]  # (n, lookback, n_targets)
        last = windows[:, -1:, :]  # (n, 1, n_targets)
        normalized = windows - last
        out = np.einsum("nlt,tlh->nht", normalized, self.coef_) + self.intercept_.T[None]
        return out + last

    def save(self, path: str | os.PathLike) -> None:
        """Write the arrays as an `.npz` file (NumPy, no pickle)."""
        with open(path, "wb") as handle:
            np.savez(handle, coef=self.coef_, intercept=self.intercept_, alpha=self.alpha_)

    @classmethod
    def load(cls, path: str | os.PathLike) -> LinearBaseline:
        """Read a file written by `save`; raises ValueError when its arrays disagree."""
        with np.load(path, allow_pickle=False) as data:
            return cls.from_arrays(data["coef"], data["intercept"], data["alpha"])


LOOKBACK_SEASONS = (1, 2, 4, 7, 14)  # default lookback candidates, in seasons
LOOKBACK_STEPS = (8, 16, 32, 64, 128, 256)  # ... for data without a seasonal period


def lookback_candidates(seasons: int | Sequence[int]) -> tuple[int, ...]:
    """The lookbacks tried by default, ascending: 1, 2, 4, 7 and 14 of the shortest season (8
    to 256 steps when it is shorter than 4 or there is none), plus two of the longest season
    (`forecast.seasons`: for hourly data, seasons 24 and 168: 24 to 336 steps, a day to two
    weeks; daily data with two years, 7 and 365: 7 to 98 and 730). Candidates longer than
    the training parts allow are left out where they are scored
    (`forecast.panel.lookback_choice`: those `COVERED` series hold)."""
    found = sorted({int(s) for s in ([seasons] if isinstance(seasons, int) else seasons)})
    shortest = found[0] if found else 1
    out = set(LOOKBACK_STEPS if shortest < 4 else (shortest * k for k in LOOKBACK_SEASONS))
    if found and found[-1] >= 4:
        out.add(2 * found[-1])
    return tuple(sorted(out))


@dataclass
class LookbackChoice:
    """What `Forecaster.choose_lookback` found.

    Attributes:
        lookback: the candidate with the lowest validation MAE.
        scores: candidate -> validation MAE of the linear baseline (in the scaler's units,
            averaged over targets), or None where the training slice has too few windows.
        windows: validation windows scored (the same ones for every candidate).
    """

    lookback: int
    scores: dict[int, float | None]
    windows: int
    windows_note: str = ""  # e.g. how many series were too short to be scored

    def summary(self) -> str:
        tried = ", ".join(
            f"{k} {'too long' if v is None else f'{v:.4f}'}" for k, v in self.scores.items()
        )
        return (
            f"lookback {self.lookback}: the lowest validation MAE of the linear baseline over "
            f"{self.windows} windows{self.windows_note} (scaled units; {tried})"
        )


def longest_fitting(candidates: Sequence[int], shortest_train: int, horizon: int) -> int | None:
    """The longest candidate lookback with a whole window in the shortest training part."""
    fits = [c for c in candidates if c + horizon <= shortest_train]
    return max(fits) if fits else None


def _complete_windows(
    val: Sequence[tuple[np.ndarray, int]], inputs: int, horizon: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per series with any, its values and the first target rows `(m,)` of its complete
    validation windows with `inputs` rows of context (first row at least the span start)."""
    checks = [
        (values, complete_origins(values, max(start, inputs), inputs, horizon))
        for values, start in val
    ]
    return [(values, origins) for values, origins in checks if len(origins)]


def choose_lookback(
    train: Sequence[np.ndarray],
    val: Sequence[tuple[np.ndarray, int]],
    candidates: Sequence[int],
    horizon: int,
) -> LookbackChoice:
    """Score each candidate lookback by the validation MAE of a linear baseline fitted with it.

    Args:
        train: one scaled `(length, n_targets)` array per series.
        val: one `(scaled array, span_start)` per series, the rows before `span_start` being
            context. Every candidate is scored on the same windows: those whose first target
            row is at least `span_start` and the longest fitting candidate that leaves one
            (a gap may break the longest context of every validation window).
        candidates: lookbacks to try, sorted ascending.
        horizon: steps forecast.

    Returns:
        A `LookbackChoice` (ties: the shorter lookback).

    Raises:
        DataError: when the validation part has no complete window or no candidate fits.
    """
    longest = longest_fitting(candidates, min(len(a) for a in train), horizon)
    # The windows every candidate is scored on: those with the longest context that still
    # leaves a complete validation window (a gap before the validation part, forecast.gaps,
    # can break the longest context of every window; a shorter one may not cross it).
    fitting = [c for c in candidates if longest is None or c <= longest] or [candidates[0]]
    for inputs in sorted(fitting, reverse=True):
        checks = _complete_windows(val, inputs, horizon)
        if checks:
            break
    else:
        raise DataError(
            f"the validation part has no complete window of horizon {horizon} after "
            f"{min(fitting)} rows of context; use a larger validation part, a shorter "
            f"lookback or horizon, or fewer missing values"
        )
    windows = sum(len(origins) for _, origins in checks)
    if longest is not None:
        longest = inputs
    firsts = [(values, int(origins[0])) for values, origins in checks]
    steps = np.arange(horizon)
    scores: dict[int, float | None] = {}
    for lookback in candidates:
        baseline = None
        if longest is not None and lookback <= longest:
            baseline = LinearBaseline(lookback, horizon).fit(train, firsts)
        if baseline is None or not baseline.is_fitted:
            scores[lookback] = None
            continue
        errors = [
            np.abs(baseline.predict(values, origins) - values[origins[:, None] + steps])
            for values, origins in checks
        ]
        scores[lookback] = float(np.mean(np.concatenate([e.reshape(-1) for e in errors])))
    scored = {k: v for k, v in scores.items() if v is not None}
    if not scored:
        raise DataError(
            f"no lookback candidate fits: the training slice has too few windows for "
            f"{', '.join(map(str, candidates))}; try shorter candidates or more data"
        )
    best = min(scored, key=lambda k: (scored[k], k))
    return LookbackChoice(best, scores, windows)


def calendar_scores(
    train: Sequence[tuple[np.ndarray, np.ndarray]],
    val: Sequence[tuple[np.ndarray, np.ndarray, int]],
    lookback: int,
    horizon: int,
) -> tuple[float, float, int] | None:
    """The linear baseline's validation MAE without and with calendar inputs: the ridge map
    from a last-value-normalized window, then the same map given also the calendar columns of
    each window's first target row (one map per step: with one-hot hour-of-week columns,
    `forecast.known_future.probe_columns`, any weekly profile of the whole horizon). Each
    penalty is its best on the validation windows (as `LinearBaseline.fit` chooses it); every
    target pooled.

    Args:
        train: per series, scaled targets `(length, n_targets)` and calendar `(length, k)`.
        val: per series, targets, calendar and the first target row scored (the rows before
            are context).
        lookback, horizon: the forecaster's window.

    Returns:
        `(mae_without, mae_with, windows)` in scaled units, or None when the training part
        has fewer windows than inputs or the validation part has none.
    """
    limit = max(MAX_WINDOWS // max(len(train), 1), 1)  # per series
    errors: dict[bool, list[np.ndarray]] = {False: [], True: []}
    windows = 0
    for t in range(train[0][0].shape[1]):
        fit = [_with_calendar(y[:, t], c, lookback, lookback, horizon, limit) for y, c in train]
        held = [_with_calendar(y[:, t], c, s, lookback, horizon, limit) for y, c, s in val]
        (X, C, Y), (Xv, Cv, Yv) = ([np.concatenate(p) for p in zip(*parts, strict=True)]
                                   for parts in (fit, held))  # fmt: skip
        if len(X) < lookback + C.shape[1] or len(Xv) == 0:
            return None
        windows = len(Xv)
        for extra in (False, True):
            A, Av = (np.hstack([X, C]), np.hstack([Xv, Cv])) if extra else (X, Xv)
            fitted = _ridge(A, Y, ALPHAS)
            mae = [np.abs(Av @ coef + intercept - Yv) for coef, intercept in fitted]
            errors[extra].append(min(mae, key=np.mean).reshape(-1))
    return (
        float(np.concatenate(errors[False]).mean()),
        float(np.concatenate(errors[True]).mean()),
        windows,
    )


def _with_calendar(
    values: np.ndarray, calendar: np.ndarray, first: int, lookback: int, horizon: int, limit: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_cut`'s inputs `(n, lookback)`, the calendar `(n, k)` of each first target row, and
    the targets `(n, horizon)`."""
    inputs, targets, origins = _cut(values, first, lookback, horizon, limit)
    return inputs, np.asarray(calendar, dtype=np.float64)[origins], targets


def _ridge(X: np.ndarray, Y: np.ndarray, alphas: Sequence[float]):
    """Ridge with an unpenalized intercept (as scikit-learn's `Ridge`) for each alpha:
    a list of `(coef (lookback, horizon), intercept (horizon,))`."""
    x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
    Xc = X - x_mean
    gram, cross = Xc.T @ Xc, Xc.T @ (Y - y_mean)
    eye = np.eye(X.shape[1])
    out = []
    for alpha in alphas:
        coef = np.linalg.solve(gram + alpha * eye, cross)
        out.append((coef, y_mean - x_mean @ coef))
    return out


def _select_alpha(X: np.ndarray, Y: np.ndarray, Xv: np.ndarray, Yv: np.ndarray) -> float:
    """The penalty in `ALPHAS` with the lowest MAE on `(Xv, Yv)` when fitted on `(X, Y)`."""
    if len(X) == 0 or len(Xv) == 0:
        return ALPHAS[len(ALPHAS) // 2]
    errors = [np.abs(Xv @ coef + intercept - Yv).mean() for coef, intercept in _ridge(X, Y, ALPHAS)]
    return float(ALPHAS[int(np.argmin(errors))])
