"""Per-column scaling fitted on the training slice only, with exact JSON round trips.

`SeriesScaler` fits with scikit-learn's MinMaxScaler / StandardScaler / RobustScaler (imported
when a scaler is fitted, not when one is loaded: `forecast predict` of a saved run does without
scikit-learn) and transforms with the same NumPy operations as their `transform`. It knows
which columns are targets, so `inverse_transform_targets` turns model outputs shaped
`(n, horizon, n_targets)` back into original units without the shape juggling (and the classic
"operands could not be broadcast" error) of hand-written scripts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, DataError, check_choice
from forecast.settings import choices

METHODS = choices("scaler")  # declared in `forecast.settings`
# The fitted attributes of each scikit-learn scaler that `transform` and its inverse use.
_STATE = {
    "minmax": ("min_", "scale_", "data_min_", "data_max_", "data_range_"),
    "standard": ("mean_", "scale_", "var_"),
    "robust": ("center_", "scale_"),
    "none": (),
}


class ScalerStats:
    """A loaded scaler's fitted statistics (`_STATE`'s names, `n_samples_seen_`), the
    attributes of the scikit-learn scaler that was fitted."""

    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)


def scaled(values: np.ndarray, scaler: SeriesScaler) -> np.ndarray:
    """`values` `(length, features)` (float64) scaled by fitted `scaler` (not "none"): a new
    float64 array, by the operations of scikit-learn's `transform` in its order (minmax:
    `* scale_ + min_`; standard: `- mean_`, `/ scale_`; robust: `- center_`, `/ scale_`), so
    the bits are the same."""
    sk, out = scaler._sk, np.array(values, dtype=np.float64)
    if scaler.method == "minmax":
        out *= sk.scale_
        out += sk.min_
    else:
        out -= sk.mean_ if scaler.method == "standard" else sk.center_
        out /= sk.scale_
    return out


class SeriesScaler:
    """Scale each column of a series; fit on the training slice, apply everywhere.

    Args:
        method: "minmax" (to `feature_range`), "standard" (zero mean, unit variance),
            "robust" (median and interquartile range) or "none".
        feature_range: the target range of "minmax".

    Attributes (after `fit`):
        columns_: column names in order (targets first, as `load_series` orders them).
        target_columns_: the target column names.
        n_features_in_: number of columns.
        scale_, offset_: per column, `scaled = x * scale_ + offset_` (float64, shape
            `(n_features_in_,)`).

    Example:
        >>> scaler = SeriesScaler("standard").fit(split.train)
        >>> scaled = scaler.transform(series)               # (length, features) float32
        >>> y_true = scaler.inverse_transform_targets(y)    # (n, horizon, n_targets)
    """

    def __init__(self, method: str = "standard", feature_range: tuple[float, float] = (0, 1)):
        self.method = method
        self.feature_range = feature_range

    def __repr__(self) -> str:
        return f"SeriesScaler(method={self.method!r}, feature_range={tuple(self.feature_range)})"

    def _check_method(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(
                f"scaler method must be one of {', '.join(METHODS)}, got {self.method!r}"
            )
        if self.method == "minmax" and not self.feature_range[0] < self.feature_range[1]:
            raise ConfigError(
                f"feature_range must be (low, high) with low < high, got {self.feature_range}"
            )

    def _new_sklearn(self) -> Any:
        self._check_method()
        from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

        if self.method == "minmax":
            low, high = self.feature_range
            return MinMaxScaler(feature_range=(float(low), float(high)))
        if self.method == "standard":
            return StandardScaler()
        if self.method == "robust":
            return RobustScaler()
        return None

    def fit(
        self, train: pd.DataFrame | np.ndarray, targets: Sequence[str] | Sequence[int] | None = None
    ) -> SeriesScaler:
        """Learn per-column statistics from the training slice (and nothing else).

        Args:
            train: the training slice, `(length, features)`; a frame from `load_series`
                carries its target names, otherwise pass `targets`.
            targets: target column names (for a frame) or positions; default: the frame's
                recorded targets, else the first column.

        Returns:
            self.
        """
        values, columns = self._values(train)
        if len(values) < 2:
            raise DataError(
                f"cannot fit a scaler on {len(values)} row(s); use a longer training slice"
            )
        if targets is None:
            recorded = (
                train.attrs.get("forecast", {}).get("target")
                if isinstance(train, pd.DataFrame)
                else None
            )
            targets = recorded or [columns[0]]
        names = [columns[t] if isinstance(t, (int, np.integer)) else str(t) for t in targets]
        for name in names:
            if name not in columns:
                raise ConfigError(
                    f"target {name!r} is not a column; columns are: {', '.join(columns)}"
                )
        sk = self._new_sklearn()
        self.columns_ = columns
        self.target_columns_ = names
        self.n_features_in_ = len(columns)
        self._sk = sk
        if sk is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                sk.fit(values)
        self._set_affine()
        with np.errstate(over="ignore", invalid="ignore"):
            self._check_overflow(values, values * self.scale_ + self.offset_)
        return self

    def _set_affine(self) -> None:
        sk, n = self._sk, self.n_features_in_
        if sk is None:
            self.scale_, self.offset_ = np.ones(n), np.zeros(n)
        elif self.method == "minmax":
            self.scale_, self.offset_ = sk.scale_.copy(), sk.min_.copy()
        elif self.method == "standard":
            self.scale_, self.offset_ = 1.0 / sk.scale_, -sk.mean_ / sk.scale_
        else:
            self.scale_, self.offset_ = 1.0 / sk.scale_, -sk.center_ / sk.scale_

    @staticmethod
    def _values(data: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, list[str]]:
        if isinstance(data, pd.Series):
            data = data.to_frame()
        if isinstance(data, pd.DataFrame):
            return data.to_numpy(dtype=np.float64), [str(c) for c in data.columns]
        arr = np.asarray(data, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise DataError(f"expected a 2-D array (length, features), got shape {arr.shape}")
        return arr, [str(i) for i in range(arr.shape[1])]

    def _check_fitted(self) -> None:
        if not hasattr(self, "columns_"):
            raise ConfigError("this SeriesScaler is not fitted yet; call fit(train) first")

    def transform(self, data: pd.DataFrame | np.ndarray, dtype: Any = np.float32) -> np.ndarray:
        """Scale `(length, features)` data with the fitted statistics; returns `dtype` array."""
        self._check_fitted()
        values, columns = self._values(data)
        if values.shape[1] != self.n_features_in_:
            raise DataError(
                f"expected {self.n_features_in_} columns ({', '.join(self.columns_)}), "
                f"got {values.shape[1]}"
            )
        if isinstance(data, pd.DataFrame) and columns != self.columns_:
            raise DataError(f"columns {columns} differ from the fitted ones {self.columns_}")
        if self._sk is not None and np.isinf(values).any():  # as scikit-learn refuses them
            col = int(np.argwhere(np.isinf(values))[0][1])
            raise DataError(f"column {self.columns_[col]!r} holds infinite values")
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.asarray(values if self._sk is None else scaled(values, self), dtype)
        self._check_overflow(values, out)
        return out

    def _check_overflow(self, values: np.ndarray, scaled: np.ndarray) -> None:
        """Raise DataError when finite `values` `(length, features)` became NaN or infinite
        once scaled (numbers too large for float32, or for the scaler's statistics)."""
        broken = np.isfinite(values) & ~np.isfinite(scaled)
        if not broken.any():
            return
        col = int(np.argwhere(broken)[0][1])
        row = int(np.nanargmax(np.where(np.isfinite(values[:, col]), np.abs(values[:, col]), 0)))
        raise DataError(
            f"column {self.columns_[col]!r} holds values too large to train on (row {row}: "
            f"{values[row, col]:.6g}); once scaled ({self.method}) they overflow 32-bit floats. "
            "Divide the column by a power of ten or remove the broken values"
        )

    def inverse_transform(self, scaled: np.ndarray) -> np.ndarray:
        """Undo `transform` for arrays whose last axis holds every column."""
        self._check_fitted()
        arr = np.asarray(scaled, dtype=np.float64)
        if arr.shape[-1] != self.n_features_in_:
            raise DataError(
                f"expected last axis of size {self.n_features_in_}, got shape {arr.shape}"
            )
        return self._invert(arr, slice(None))

    def inverse_transform_targets(self, y: np.ndarray) -> np.ndarray:
        """Undo the scaling of model outputs, for the target columns alone.

        Args:
            y: `(n, horizon, n_targets)`, or `(n, horizon)` when there is one target.

        Returns:
            float64 array of the same shape, in original units.
        """
        self._check_fitted()
        arr = np.asarray(y, dtype=np.float64)
        n_targets = len(self.target_columns_)
        if arr.ndim == 2 and n_targets == 1:
            return self._invert(arr[..., None], self._target_index())[..., 0]
        if arr.ndim < 1 or arr.shape[-1] != n_targets:
            raise DataError(
                f"expected model outputs shaped (n, horizon, {n_targets}) for targets "
                f"{self.target_columns_}, got shape {arr.shape}"
            )
        return self._invert(arr, self._target_index())

    def _target_index(self) -> list[int]:
        return [self.columns_.index(t) for t in self.target_columns_]

    def _invert(self, arr: np.ndarray, cols: slice | list[int]) -> np.ndarray:
        # Same operations, in the same order, as scikit-learn's inverse_transform.
        sk = self._sk
        if sk is None:
            return arr.copy()
        if self.method == "minmax":
            return (arr - sk.min_[cols]) / sk.scale_[cols]
        if self.method == "standard":
            return arr * sk.scale_[cols] + sk.mean_[cols]
        return arr * sk.scale_[cols] + sk.center_[cols]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of settings and fitted state; `from_dict` restores it bit-exactly."""
        self._check_fitted()
        state = {
            name: [float(v) for v in np.asarray(getattr(self._sk, name), dtype=np.float64)]
            for name in _STATE[self.method]
        }
        if self._sk is not None:
            state["n_samples_seen_"] = int(np.max(getattr(self._sk, "n_samples_seen_", 0)))
        return {
            "method": self.method,
            "feature_range": [float(v) for v in self.feature_range],
            "columns": list(self.columns_),
            "targets": list(self.target_columns_),
            "state": state,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeriesScaler:
        """Rebuild a fitted scaler from `to_dict()` output."""
        try:
            scaler = cls(data["method"], tuple(data["feature_range"]))
            scaler._check_method()
            scaler.columns_ = [str(c) for c in data["columns"]]
            scaler.target_columns_ = [str(c) for c in data["targets"]]
            scaler.n_features_in_ = len(scaler.columns_)
            sk = None
            if scaler.method != "none":  # the fitted statistics, without scikit-learn
                sk = ScalerStats(n_samples_seen_=data["state"].get("n_samples_seen_", 0))
                for name in _STATE[scaler.method]:
                    setattr(sk, name, np.asarray(data["state"][name], dtype=np.float64))
            scaler._sk = sk
            scaler._set_affine()
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"invalid scaler description ({exc}); re-fit and save it again"
            ) from exc
        return scaler


SERIES_SCALINGS = choices("series_scaling")
"""How many series are scaled (`PanelScaler`): "global": one scaler fitted on every series
pooled; "per_series": each series by the `scaler` method on its own training rows; "diff":
each series centred on its training mean and divided by its mean absolute seasonal
difference (the MASE scale, so an MAE loss weighs every series as MASE does); "mean": each
series divided by its mean level (DeepAR's scale, no centring; a series with a negative
value: "standard" on its own rows)."""
PER_SERIES = ("per_series", "diff", "mean")  # the values that fit one scaler per series


def check_series_scaling(value: str) -> str:
    """Check a `series_scaling` setting against `SERIES_SCALINGS` (ConfigError naming it)."""
    return check_choice("series_scaling", value, SERIES_SCALINGS)


def _level_scaler(
    frame: pd.DataFrame, targets: Sequence[str], mode: str, season: int
) -> SeriesScaler:
    """A "standard" `SeriesScaler` of one series whose target statistics are replaced by the
    `mode`'s ("diff": mean and mean |x_t - x_(t-season)| (lag 1 when the series is not longer
    than a season); "mean": 0 and the mean, for a target whose training values are all
    non-negative, not all zero); covariates (and "mean" targets with a negative value) keep
    their mean and standard deviation. A zero or undefined scale falls back to the standard
    deviation, then 1."""
    scaler = SeriesScaler("standard").fit(frame, targets=targets)
    sk = scaler._sk
    values = frame.to_numpy(dtype=np.float64)
    for j, name in enumerate(scaler.columns_):
        if name not in scaler.target_columns_:
            continue
        x = values[:, j][np.isfinite(values[:, j])]
        if mode == "mean" and not (len(x) and x.min() >= 0 and x.mean() > 0):
            continue  # negative values (or all zero): no level to divide by; standard
        if mode == "mean":
            center, scale = 0.0, float(np.mean(x))
        else:
            lag = season if len(x) > season else 1
            center = float(np.mean(x)) if len(x) else 0.0
            scale = float(np.mean(np.abs(x[lag:] - x[:-lag]))) if len(x) > lag else 0.0
        if not (np.isfinite(scale) and scale > 0):
            scale = float(sk.scale_[j]) if sk.scale_[j] > 0 else 1.0
        sk.mean_[j], sk.scale_[j], sk.var_[j] = center, scale, scale**2
    scaler._set_affine()
    return scaler


class PanelScaler(SeriesScaler):
    """A `SeriesScaler` fitted on every series' training rows pooled, and, with a per-series
    `per_series` mode (`PER_SERIES`; True means "per_series"), one more per series fitted on
    that series' own training rows: series levels in real panels differ by orders of
    magnitude. Series it has not seen (and every series when `per_series` is False or
    "global") use the pooled one. `key=` names the series.

    Attributes (after `fit_panel`): those of `SeriesScaler` (the pooled fit) and
    `per_series_`: `{id: SeriesScaler}` (empty without `per_series`).
    """

    def __init__(self, method: str = "standard", per_series: bool | str = False, season: int = 1):
        super().__init__(method)
        self.per_series = "per_series" if per_series is True else (per_series or "global")
        self.season = season
        self.per_series_: dict[str, SeriesScaler] = {}

    def fit_panel(
        self,
        parts: Mapping[str, pd.DataFrame],
        targets: Sequence[str] | None = None,
        also: Mapping[str, pd.DataFrame] | None = None,
    ) -> PanelScaler:
        """Fit on `{id: training rows}`: pooled, and per series with `per_series`, also for
        the series of `also` (`{id: training rows}` of series too short to train on: their
        fallback, the linear baseline, reads them on their own scale, as it was fitted)."""
        self.fit(pd.concat(list(parts.values()), ignore_index=True), targets=targets)
        every = {**parts, **{k: f for k, f in (also or {}).items() if len(f)}}
        if self.per_series == "per_series":
            self.per_series_ = {
                key: SeriesScaler(self.method).fit(frame, targets=targets)
                for key, frame in every.items()
            }
        elif self.per_series in PER_SERIES:
            names = self.target_columns_
            self.per_series_ = {
                key: _level_scaler(frame, names, self.per_series, self.season)
                for key, frame in every.items()
            }
        return self

    def _for(self, key: str | None) -> SeriesScaler:
        found = self.per_series_.get(key) if key is not None else None
        return found if found is not None else self

    def transform(self, data: Any, dtype: Any = np.float32, key: str | None = None) -> np.ndarray:
        """`SeriesScaler.transform` with the scaler of series `key`: for a frame in the fitted
        columns, the same float64 operations as scikit-learn's, without its per-call checks
        (which dominate when a panel of hundreds of series is scaled series by series)."""
        scaler = self._for(key)
        sk = scaler._sk
        fast = isinstance(data, pd.DataFrame) and list(data.columns) == scaler.columns_
        if not fast or sk is None:
            return (super() if scaler is self else scaler).transform(data, dtype)
        return scaled(data.to_numpy(dtype=np.float64), scaler).astype(dtype, copy=False)

    def inverse_transform_targets(self, y: np.ndarray, key: str | None = None) -> np.ndarray:
        """`SeriesScaler.inverse_transform_targets` with the scaler of series `key`."""
        scaler = self._for(key)
        return (super() if scaler is self else scaler).inverse_transform_targets(y)

    def to_dict(self) -> dict[str, Any]:
        """`SeriesScaler.to_dict` plus `per_series`: `{id: to_dict()}` (JSON, no pickle)."""
        return {**super().to_dict(), "per_series": {k: s.to_dict() for k, s in
                                                    self.per_series_.items()}}  # fmt: skip

    @classmethod
    def from_panel_dict(cls, data: dict[str, Any]) -> PanelScaler:
        """Rebuild from `to_dict()` (or a plain `SeriesScaler.to_dict()`: no per-series)."""
        pooled = SeriesScaler.from_dict(data)
        scaler = cls(pooled.method, per_series=bool(data.get("per_series")))
        scaler.__dict__.update({k: v for k, v in pooled.__dict__.items() if k != "method"})
        try:
            scaler.per_series_ = {
                str(k): SeriesScaler.from_dict(v) for k, v in data.get("per_series", {}).items()
            }
        except AttributeError as exc:
            raise ConfigError(f"invalid per-series scalers ({exc}); re-fit and save") from exc
        return scaler
