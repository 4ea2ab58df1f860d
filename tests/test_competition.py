"""The M4 metrics against values computed by hand (forecast/competition.py)."""

from __future__ import annotations

import numpy as np
import pytest

from forecast import competition


def test_smape_is_the_m4_formula() -> None:
    # 200·|y−ŷ|/(|y|+|ŷ|): 200·10/210 and 200·0/200, averaged; 0/0 counts as 0
    assert competition.smape([100, 100], [110, 100]) == pytest.approx((2000 / 210) / 2)
    assert competition.smape([0.0], [0.0]) == 0.0


def test_mase_scales_by_the_series_own_seasonal_naive_error() -> None:
    history = np.array([1.0, 3.0, 2.0, 5.0])  # lag-1 |diffs| 2, 1, 3: scale 2
    assert competition.mase_scale(history, 1) == pytest.approx(2.0)
    assert competition.mase_scale(history, 2) == pytest.approx((1 + 2) / 2)  # |2-1|, |5-3|
    scores = competition.score_series([6.0, 8.0], {"m": [5.0, 5.0]}, 2.0)
    assert scores["m"]["MASE"] == pytest.approx((1 + 3) / 2 / 2)


def test_m4_seasons_per_frequency() -> None:
    assert [competition.m4_season(f) for f in ("W-SUN", "D", "MS", "QS-DEC", "h", None)] == [
        1, 1, 12, 4, 24, 1,
    ]  # fmt: skip
    assert competition.m4_season("D", season=7) == 7


def test_seasonality_test_by_hand() -> None:
    # A clean period-4 pattern over 12 values: r_4 is large, so the test passes.
    x = np.tile([1.0, 2.0, 3.0, 10.0], 3)
    dev = x - x.mean()
    acf = [dev[: 12 - k] @ dev[k:] / (dev @ dev) for k in (1, 2, 3, 4)]
    limit = 1.645 / np.sqrt(12) * np.sqrt(1 + 2 * sum(a * a for a in acf[:3]))
    assert abs(acf[3]) > limit
    assert competition.is_seasonal(x, 4)
    assert not competition.is_seasonal(x, 1)
    assert not competition.is_seasonal(x[:11], 4)  # fewer than 3 seasons


def test_naive2_reseasonalizes_the_last_adjusted_value() -> None:
    x = np.tile([1.0, 2.0, 3.0, 10.0], 3) * np.repeat([1.0, 1.0, 1.0], 4)
    figure = competition.seasonal_indices(x, 4)
    assert figure.mean() == pytest.approx(1.0)
    # constant level: the ratios to the centred MA (4) are the pattern over its mean 4
    assert figure == pytest.approx(np.array([1, 2, 3, 10]) / 4)
    forecast = competition.naive2(x, 6, 4)
    assert forecast == pytest.approx([1.0, 2.0, 3.0, 10.0, 1.0, 2.0])
    # not seasonal: plain naive
    assert competition.naive2(np.array([1.0, 2.0, 4.0]), 2, 1) == pytest.approx([4.0, 4.0])


def test_owa_is_relative_to_naive2_and_aggregated_from_means() -> None:
    per = {
        "a": competition.score_series([10.0], {"m": [9.0], "naive2": [8.0]}, 1.0),
        "b": competition.score_series([10.0], {"m": [10.0], "naive2": [12.0]}, 2.0),
    }
    assert per["a"]["m"]["OWA"] == pytest.approx(0.5 * ((200 / 19) / (400 / 18) + 1.0 / 2.0))
    agg = competition.aggregate(per)
    smape_m, smape_n2 = (200 / 19 + 0) / 2, (400 / 18 + 400 / 22) / 2
    mase_m, mase_n2 = (1.0 + 0.0) / 2, (2.0 + 1.0) / 2
    assert agg["m"]["OWA"] == pytest.approx(0.5 * (smape_m / smape_n2 + mase_m / mase_n2))
    assert agg["naive2"]["OWA"] == pytest.approx(1.0)
