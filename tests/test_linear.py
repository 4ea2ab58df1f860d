"""Specification of forecast.linear: the ridge-on-normalized-windows baseline."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from forecast.linear import ALPHAS, LinearBaseline, _ridge

LOOKBACK, HORIZON = 8, 3


def _ar_series(n: int, seed: int = 0) -> np.ndarray:
    """A random walk with persistent AR(2) increments: `(n, 1)`."""
    rng = np.random.default_rng(seed)
    d = np.zeros(n)
    for t in range(2, n):
        d[t] = 0.9 * d[t - 1] - 0.2 * d[t - 2] + rng.normal()
    return np.cumsum(d)[:, None]


def _normalized_windows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    view = np.lib.stride_tricks.sliding_window_view(values[:, 0], LOOKBACK + HORIZON)
    last = view[:, LOOKBACK - 1 : LOOKBACK]
    return view[:, :LOOKBACK] - last, view[:, LOOKBACK:] - last


def test_the_ridge_solution_is_scikit_learns() -> None:
    X, Y = _normalized_windows(_ar_series(400))
    for alpha in (0.1, 100.0):
        coef, intercept = _ridge(X, Y, [alpha])[0]
        reference = Ridge(alpha=alpha).fit(X, Y)
        np.testing.assert_allclose(coef, reference.coef_.T, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(intercept, reference.intercept_, rtol=1e-6, atol=1e-9)


def test_predictions_add_the_last_value_back_to_the_normalized_forecast() -> None:
    series = _ar_series(500)
    baseline = LinearBaseline(LOOKBACK, HORIZON).fit([series[:400]], [(series, 400)])
    origins = np.arange(400, 480)
    X, _ = _normalized_windows(series[origins[0] - LOOKBACK :])
    coef, intercept = baseline.coef_[0], baseline.intercept_[0]
    by_hand = X[: len(origins)] @ coef + intercept + series[origins - 1]
    np.testing.assert_allclose(baseline.predict(series, origins)[..., 0], by_hand, rtol=1e-12)


def test_a_level_shift_moves_the_forecast_by_the_same_amount() -> None:
    series = _ar_series(500)
    baseline = LinearBaseline(LOOKBACK, HORIZON).fit([series[:400]], [])
    origins = np.arange(420, 490)
    shifted = baseline.predict(series + 50.0, origins)
    np.testing.assert_allclose(shifted, baseline.predict(series, origins) + 50.0, rtol=1e-9)


def test_it_beats_naive_on_a_process_with_linear_dynamics() -> None:
    series = _ar_series(3000)
    baseline = LinearBaseline(LOOKBACK, HORIZON).fit([series[:2000]], [(series[:2500], 2000)])
    origins = np.arange(2500, 3000 - HORIZON + 1)
    actual = series[origins[:, None] + np.arange(HORIZON)]
    linear_mae = np.abs(baseline.predict(series, origins) - actual).mean()
    naive_mae = np.abs(series[origins - 1][:, None] - actual).mean()
    assert linear_mae < 0.9 * naive_mae


def test_the_penalty_is_the_one_with_the_lowest_validation_mae() -> None:
    series = _ar_series(700)
    baseline = LinearBaseline(LOOKBACK, HORIZON).fit([series[:500]], [(series, 500)])
    X, Y = _normalized_windows(series[:500])
    Xv, Yv = _normalized_windows(series[500 - LOOKBACK :])
    errors = {
        a: np.abs(Xv @ c + b - Yv).mean()
        for a, (c, b) in zip(ALPHAS, _ridge(X, Y, ALPHAS), strict=True)
    }
    assert baseline.alpha_[0] == min(errors, key=errors.get)


def test_each_target_gets_its_own_map_from_its_own_history() -> None:
    two = np.hstack([_ar_series(600, seed=1), 5.0 * _ar_series(600, seed=2)])
    both = LinearBaseline(LOOKBACK, HORIZON).fit([two[:500]], [(two, 500)])
    first = LinearBaseline(LOOKBACK, HORIZON).fit([two[:500, :1]], [(two[:, :1], 500)])
    origins = np.arange(500, 590)
    np.testing.assert_allclose(
        both.predict(two, origins)[..., 0], first.predict(two[:, :1], origins)[..., 0]
    )


def test_too_few_training_windows_give_no_baseline() -> None:
    assert (
        not LinearBaseline(LOOKBACK, HORIZON)
        .fit([_ar_series(LOOKBACK + HORIZON + 3)], [])
        .is_fitted
    )


def test_save_and_load_round_trip(tmp_path) -> None:
    series = _ar_series(300)
    baseline = LinearBaseline(LOOKBACK, HORIZON).fit([series], [])
    baseline.save(tmp_path / "linear.npz")
    loaded = LinearBaseline.load(tmp_path / "linear.npz")
    origins = np.arange(100, 200)
    np.testing.assert_array_equal(
        loaded.predict(series, origins), baseline.predict(series, origins)
    )
    np.savez(tmp_path / "bad.npz", coef=baseline.coef_, intercept=baseline.intercept_[:, :1],
             alpha=baseline.alpha_)  # fmt: skip
    with pytest.raises(ValueError, match="shapes"):
        LinearBaseline.load(tmp_path / "bad.npz")


def test_a_gap_before_the_validation_part_shortens_the_scored_context_instead_of_failing():
    """A series with missing rows (kept as NaN by `fill='drop'`) 18 rows before its validation
    part: the longest candidate that fits the training part (98) crosses the gap in every
    validation window, so the candidates are scored on the windows a shorter context leaves."""
    from forecast.linear import choose_lookback

    values = (np.sin(np.arange(197) / 5) + 5.0).reshape(-1, 1)
    values[100:103] = np.nan
    train, val = values[:118], (values[:158], 118)
    choice = choose_lookback([train], [val], [7, 14, 98], horizon=12)
    assert choice.windows > 0
    assert choice.scores[98] is None  # its context would cross the gap
    assert choice.lookback in (7, 14) and choice.scores[choice.lookback] is not None
    with pytest.raises(Exception, match="use a larger validation part"):
        choose_lookback([train], [(values[:120], 118)], [7, 14, 98], horizon=12)
