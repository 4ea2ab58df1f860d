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

ALPHAS = (0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5)  # ridge penalties tried
MAX_WINDOWS = 20_000  # training windows used at most (evenly spaced), to bound memory


def _windows(
    values: np.ndarray, first_origin: int, lookback: int, horizon: int, limit: int = MAX_WINDOWS
) -> tuple[np.ndarray, np.ndarray]:
    """Last-value-normalized inputs `(n, lookback)` and targets `(n, horizon)` of one target
    column `values` `(length,)`, for windows whose first target row is at least
    `first_origin`: all of them, or `limit` evenly spaced ones (only those are copied)."""
    start = max(first_origin - lookback, 0)
    span = np.asarray(values, dtype=np.float64)[start:]
    if len(span) < lookback + horizon:
        return np.empty((0, lookback)), np.empty((0, horizon))
    view = np.lib.stride_tricks.sliding_window_view(span, lookback + horizon)
    view = view[_even_subset(len(view), limit)]
    last = view[:, lookback - 1 : lookback]
    return view[:, :lookback] - last, view[:, lookback:] - last


def _even_subset(n: int, limit: int) -> np.ndarray:
    return np.arange(n) if n <= limit else np.linspace(0, n - 1, limit).round().astype(np.int64)


@dataclass
class LinearBaseline:
    """One ridge map per target column, from a normalized window to its normalized targets.

    Attributes:
        coef: `(n_targets, lookback, horizon)`.
        intercept: `(n_targets, horizon)`.
        alpha: `(n_targets,)` the chosen ridge penalty of each target.
    """

    coef: np.ndarray
    intercept: np.ndarray
    alpha: np.ndarray

    @property
    def lookback(self) -> int:
        return self.coef.shape[1]

    @property
    def horizon(self) -> int:
        return self.coef.shape[2]

    @classmethod
    def fit(
        cls,
        train: Sequence[np.ndarray],
        val: Sequence[tuple[np.ndarray, int]],
        lookback: int,
        horizon: int,
    ) -> LinearBaseline | None:
        """Fit on scaled target arrays.

        Args:
            train: one `(length, n_targets)` array per series.
            val: one `(array, first_origin)` per series: windows whose first target row is
                at least `first_origin` (the rows before are context); may be empty.
            lookback, horizon: the forecaster's window.

        Returns:
            The fitted baseline, or None when the training data has fewer windows than
            `lookback` (too few to fit one coefficient per input step).
        """
        n_targets = train[0].shape[1]
        coefs, intercepts, alphas = [], [], []
        limit = max(MAX_WINDOWS // max(len(train), 1), 1)  # per series
        for t in range(n_targets):
            parts = [_windows(a[:, t], lookback, lookback, horizon, limit) for a in train]
            X = np.concatenate([p[0] for p in parts])
            Y = np.concatenate([p[1] for p in parts])
            if len(X) < lookback:
                return None
            val_parts = [_windows(a[:, t], first, lookback, horizon, limit) for a, first in val]
            Xv = np.concatenate([p[0] for p in val_parts]) if val_parts else X[:0]
            Yv = np.concatenate([p[1] for p in val_parts]) if val_parts else Y[:0]
            if len(Xv) == 0:  # select on the latest fifth of the training windows
                cut = int(len(X) * 0.8)
                alpha = _select_alpha(X[:cut], Y[:cut], X[cut:], Y[cut:])
            else:
                alpha = _select_alpha(X, Y, Xv, Yv)
            coef, intercept = _ridge(X, Y, [alpha])[0]
            coefs.append(coef)
            intercepts.append(intercept)
            alphas.append(alpha)
        return cls(np.stack(coefs), np.stack(intercepts), np.asarray(alphas, dtype=np.float64))

    def predict(self, values: np.ndarray, origins: np.ndarray) -> np.ndarray:
        """Forecasts `(n, horizon, n_targets)` for windows of `values` `(length, n_targets)`
        (scaled) whose first target row is `origins` `(n,)` (each >= lookback)."""
        rows = np.asarray(origins)[:, None] - self.lookback + np.arange(self.lookback)
        windows = np.asarray(values, dtype=np.float64)[rows]  # (n, lookback, n_targets)
        last = windows[:, -1:, :]  # (n, 1, n_targets)
        normalized = windows - last
        out = np.einsum("nlt,tlh->nht", normalized, self.coef) + self.intercept.T[None]
        return out + last

    def save(self, path: str | os.PathLike) -> None:
        with open(path, "wb") as handle:
            np.savez(handle, coef=self.coef, intercept=self.intercept, alpha=self.alpha)

    @classmethod
    def load(cls, path: str | os.PathLike) -> LinearBaseline:
        with np.load(path) as data:
            baseline = cls(data["coef"], data["intercept"], data["alpha"])
        n_targets, _, horizon = baseline.coef.shape
        if baseline.intercept.shape != (n_targets, horizon) or baseline.alpha.shape != (n_targets,):
            raise ValueError("coef, intercept and alpha shapes disagree")
        return baseline


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
