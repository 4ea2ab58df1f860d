"""Tests for forecast/interval_choice.py: the held-out check's size and noise, and the rule of
`intervals="auto"` keeping its default (adaptive) unless another mode wins by more than noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forecast.interval_choice import Check, check, choose_mode, distinct_values


def _parts(errors: np.ndarray, local: np.ndarray | None = None) -> list:
    """One series' windows, one step apart: plain parts, or window-scaled with `local`."""
    n = len(errors)
    if local is None:
        return [(errors, 0 * errors, np.arange(n), 1.0)]
    return [(errors / local, 0 * errors, np.arange(n), local)]


def _checks(errors: np.ndarray, local: np.ndarray, levels=(80, 95)) -> dict:
    return {
        name: {lv: check(_parts(errors, loc), lv, adaptive) for lv in levels}
        for name, adaptive, loc in (
            ("adaptive", True, None),
            ("conformal", False, None),
            ("adaptive window-scaled", True, local),
        )
    }


def test_distinct_values_count_the_rows_overlapping_windows_share_once() -> None:
    assert distinct_values(np.arange(7), 12, 1) == 18  # 7 windows one step apart
    assert distinct_values(np.arange(0, 36, 12), 12, 2) == 72  # 3 apart: 36 rows, 2 targets
    assert distinct_values(np.array([0, 100]), 3, 1) == 6  # far apart: each its own
    assert distinct_values(np.array([], dtype=int), 3, 1) == 0


def test_check_measures_size_and_score_error() -> None:
    rng = np.random.default_rng(1)
    errors = np.abs(rng.normal(size=(400, 4, 1)))
    found = check(_parts(errors), 80, adaptive=False)
    assert found.size == 200 + 3  # the late 200 windows one step apart, 4 steps each
    assert 0 < found.score_se < found.score / 5
    one_each = [(e[None], 0 * e[None], np.array([3]), 1.0) for e in errors[:100]]
    assert check(one_each, 80, adaptive=False).size == 50 * 4  # each late series: 4 values
    assert Check(80.0, 1.0).coverage_se(80) == 0.0  # no size: no noise allowed for
    assert Check(80.0, 1.0, 0.1, 100).coverage_se(80) == pytest.approx(4.0)


def test_a_small_check_keeps_the_default_where_chance_favours_another_mode() -> None:
    """13 validation windows of a 12-step monthly series (AirPassengers): 6 late windows,
    17 distinct values. The noise is constant, so window-scaled intervals are twice as wide
    for nothing; on these 17 values no mode holds and window-scaled happens to come closest
    to nominal. A coverage measured on 17 values is +-10 points: the default stays."""
    rng = np.random.default_rng(10)
    local = np.exp(rng.normal(size=(13, 1, 1)))
    errors = np.abs(rng.normal(size=(13, 12, 1)))
    checks = _checks(errors, local)
    assert checks["adaptive"][80].size == 17
    chosen, why = choose_mode(checks)
    assert chosen == "adaptive"
    assert why.startswith("the held-out check has 17 distinct late validation values, too few")
    # the same numbers taken at face value (no sizes): chance picks window-scaled
    bare = {n: {lv: c[:2] for lv, c in by.items()} for n, by in checks.items()}
    assert choose_mode(bare)[0] == "adaptive window-scaled"
    assert checks["adaptive window-scaled"][80].score > 1.5 * checks["adaptive"][80].score


def test_a_real_win_of_window_scaled_is_taken() -> None:
    """Many windows whose noise follows their own scale: window-scaled scores give a much
    lower interval score at the same coverage, far beyond the check's noise."""
    rng = np.random.default_rng(3)
    n = 3000
    local = np.exp(rng.normal(size=(n, 1, 1)))
    errors = np.abs(rng.normal(size=(n, 1, 1))) * local
    checks = _checks(errors, local)
    assert checks["adaptive"][80].size == 1500
    chosen, why = choose_mode(checks)
    assert chosen == "adaptive window-scaled"
    assert "below adaptive's, more than noise" in why


def test_a_score_gain_within_noise_keeps_the_default() -> None:
    """Both hold; the challenger's score is 5 % lower, beyond the 2 % tie but within two
    standard errors of the difference: the default stays. With ten times the values (a
    standard error a third as large) the same gain is taken."""
    noisy = {
        "adaptive": {80: Check(80.5, 1.00, 0.03, 2000), 95: Check(95.2, 2.0, 0.06, 2000)},
        "conformal window-scaled": {
            80: Check(81.0, 0.95, 0.03, 2000),
            95: Check(95.5, 1.9, 0.06, 2000),
        },
    }
    chosen, why = choose_mode(noisy)
    assert chosen == "adaptive" and "lower by more than the tie and noise" in why
    precise = {
        n: {lv: c._replace(score_se=c.score_se / 3, size=20000) for lv, c in by.items()}
        for n, by in noisy.items()
    }
    assert choose_mode(precise)[0] == "conformal window-scaled"


def test_a_default_that_misses_by_noise_stays_one_that_misses_clearly_goes() -> None:
    """adaptive misses 80 % by 3.8 points on 1000 values (standard error 1.3): within noise
    of the 3-point tolerance, so it stays; missing by 10 it gives way to conformal."""
    near = {
        "adaptive": {80: Check(83.8, 1.0, 0.01, 1000), 95: Check(96.0, 2.0, 0.02, 1000)},
        "conformal": {80: Check(81.0, 1.0, 0.01, 1000), 95: Check(95.0, 2.0, 0.02, 1000)},
    }
    assert choose_mode(near)[0] == "adaptive"
    far = {**near, "adaptive": {80: Check(70.0, 0.8, 0.01, 1000), 95: near["adaptive"][95]}}
    chosen, why = choose_mode(far)
    assert chosen == "conformal" and "within 3 points" in why


def test_coverage_error_is_binomial() -> None:
    c = Check(95.0, 1.0, 0.0, 475)
    assert c.coverage_se(95) == pytest.approx(100 * math.sqrt(0.95 * 0.05 / 475))
