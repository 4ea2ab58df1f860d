"""`intervals="auto"`: the interval mode chosen per run on the user's validation windows.

The candidates (`CANDIDATES`) are the ways `forecast.intervals.Calibration` can draw an
interval: conformal or adaptive (re-calibrated online as actuals arrive), on the point
forecast's absolute errors, on those errors divided by each window's own scale
(`intervals.window_scale`, locally weighted conformal), or with quantile heads on the CQR
scores. `held_out` splits each series' validation windows in time, fits a candidate's scores
on the early ones and measures its coverage and interval score on the late ones;
`choose_mode` is the rule that picks one from those measurements. The chosen mode then uses
the scores of every validation window. `choose_scale` picks, by the same check and noise
rule, the per-series scale many series' errors are pooled with. NumPy only; `forecast.bands`
hands it the scores.

The check is a sample: a few late windows (13 validation windows of a 12-step monthly series
give 6 late ones, 17 distinct values) measure a coverage with a standard error of 10 points,
and choosing on such noise picks whichever mode happened to fit those values. So the rule
keeps the first candidate, the documented default (adaptive), unless the check shows another
one better by more than its sampling error (`AUTO_NOISE` standard errors: the binomial one
of a coverage, the standard error of a mean interval score), and keeps it outright when the
check is too small to tell a mode within `AUTO_TOLERANCE` points from one outside
(`Check.size`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from forecast.intervals import adaptive_half_widths, conformal_quantile, scores_for

AUTO_TOLERANCE = 3.0  # points of coverage a mode may miss by on the held-out windows
AUTO_CHECK_SHARE = 0.5  # the late share of each series' validation windows that checks them
AUTO_TIE = 0.02  # widths within 2 % are a tie: the earlier candidate (adaptive first) wins
AUTO_NOISE = 2.0  # standard errors under which a difference on the held-out check is noise


class Check(NamedTuple):
    """One candidate's held-out check at one level (`check`).

    Attributes:
        coverage: % of the late validation values inside the interval.
        score: their mean interval score (width plus `2 / alpha` times the miss).
        score_se: the standard error of `score` (the scores' sd over `sqrt(size)`); 0: unknown.
        size: the late values that count as independent: each series' distinct target rows
            its late windows cover (overlapping windows share rows), times the targets;
            inf: unknown (no sampling error is then allowed for).
    """

    coverage: float
    score: float
    score_se: float = 0.0
    size: float = math.inf

    def coverage_se(self, level: float) -> float:
        """The binomial standard error (points) of a coverage at nominal `level` measured on
        `size` independent values; 0 when the size is unknown."""
        p = level / 100
        return 100 * math.sqrt(p * (1 - p) / self.size) if self.size > 0 else math.inf


@dataclass(frozen=True)
class Candidate:
    """An interval mode `intervals="auto"` weighs: its report `name`, whether it is
    re-calibrated online (`adaptive`), whether it widens the quantile heads' pairs
    (`quantile`: CQR) rather than the point forecast, and whether its scores are the
    window-scaled absolute errors (`local`: each half-width times the window's own scale,
    locally weighted conformal, Lei et al. 2018)."""

    name: str
    adaptive: bool
    quantile: bool = False
    local: bool = False  # the window-scaled scores (`window_scale`)


# in order of preference on a tie: adaptive first (it follows a shift after validation,
# which the validation windows cannot show), the point forecast's scores before CQR's
CANDIDATES = (
    Candidate("adaptive", True),
    Candidate("conformal", False),
    Candidate("adaptive window-scaled", True, local=True),
    Candidate("conformal window-scaled", False, local=True),
    Candidate("adaptive CQR", True, True),
    Candidate("conformal CQR", False, True),
)


def held_out(
    parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | float]],
    level: float,
    adaptive: bool,
    share: float = AUTO_CHECK_SHARE,
) -> tuple[float, float]:
    """(coverage %, mean interval score) of `check` (the same arguments)."""
    found = check(parts, level, adaptive, share)
    return found.coverage, found.score


def check(
    parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | float]],
    level: float,
    adaptive: bool,
    share: float = AUTO_CHECK_SHARE,
) -> Check:
    """Coverage (%) and mean interval score of one mode at one level on late validation
    windows, with the score's standard error and the check's size: the score (Winkler's, as
    in MSIS) is the width plus `2 / alpha` times how far an actual falls outside, so it
    rewards narrow intervals and penalizes misses, and a mode whose widths follow the noise
    beats a fixed one of the same coverage.

    Each series' windows are split in time: its last `share` (at least one when it has two
    or more) are checked, its earlier ones, pooled over series, fit the scores (pooled over
    horizon steps when too few: `scores_for`); adaptive: re-calibrated online over each
    series' late windows from there. When no series has two windows (one validation window
    each, M4-like), every other series checks and the rest fit (series are exchangeable for
    a global model's pooled scores, their order is not), without feedback.

    Args:
        parts: per series, in time order: scores `(n_k, horizon, n_targets)`, the widths
            before widening in the scores' units `(n_k, horizon, n_targets)` (hi - lo of the
            quantile pair; 0 for a point forecast), origins `(n_k,)` and the unit that turns
            a width into the units widths are compared in (1 when the scores are scaled per
            series; each window's scale over the series' `(n_k, 1, n_targets)` for
            window-scaled scores).
        level: percent; adaptive: re-calibrate online; share: the late share checked.

    Returns:
        `Check`: coverage in % of late scores inside, the mean interval score of the late
        intervals, its standard error and the number of distinct late values (`Check.size`).
    """
    parts = [(s, b, o, np.broadcast_to(u, (len(s), 1, s.shape[2]))) for s, b, o, u in parts]
    one_each = all(len(scores) < 2 for scores, *_ in parts)
    if one_each:  # every other series checks
        order = np.r_[np.arange(0, len(parts), 2), np.arange(1, len(parts), 2)]
        pooled = [np.concatenate([parts[k][i] for k in order]) for i in (0, 1, 3)]
        parts = [(pooled[0], pooled[1], np.zeros(len(pooled[0]), dtype=int), pooled[2])]
    early, late = [], []
    for scores, base, origins, unit in parts:
        cut = len(scores) - max(round(len(scores) * share), 1) if len(scores) > 1 else 1
        early.append(scores[:cut])
        late.append((scores[cut:], base[cut:], np.asarray(origins)[cut:], unit[cut:]))
    fit = scores_for(np.concatenate(early), level)
    hits, widths = [], []
    late = [part for part in late if len(part[0])]
    for scores, base, origins, unit in late:
        if adaptive:
            half = adaptive_half_widths(fit, scores, origins, level)
        else:
            half = np.broadcast_to(conformal_quantile(fit, level)[None], scores.shape)
        hits.append((scores <= half).ravel())
        penalty = 2 / (1 - level / 100) * np.maximum(scores - half, 0)
        widths.append(((base + 2 * half + penalty) * unit).ravel())
    if one_each:  # each late window is a series of its own
        size = sum(s.size for s, *_ in late)
    else:
        size = sum(distinct_values(o, *s.shape[1:]) for s, _, o, _ in late)
    found = np.concatenate(widths)
    se = float(found.std() / math.sqrt(max(size, 1)))
    return Check(100.0 * float(np.concatenate(hits).mean()), float(found.mean()), se, size)


def distinct_values(origins: np.ndarray, horizon: int, n_targets: int) -> int:
    """The target values that windows starting at `origins` `(m,)` (rows, ascending) with
    `horizon` steps cover, counted once each (windows one step apart share all but one):
    at most `m * horizon` rows, times `n_targets`."""
    origins = np.asarray(origins)
    if not len(origins):
        return 0
    rows = min(len(origins) * horizon, int(origins[-1] - origins[0]) + horizon)
    return rows * n_targets


def choose_mode(
    checks: Mapping[str, Mapping[float, tuple[float, ...]]],
    tolerance: float = AUTO_TOLERANCE,
    tie: float = AUTO_TIE,
    noise: float = AUTO_NOISE,
) -> tuple[str, str]:
    """The rule of `intervals="auto"`, on the held-out check of each candidate mode.

    1. Too small a check keeps the default. When `noise` binomial standard errors of a
       coverage measured on the check's `size` values exceed `tolerance` at some level, the
       check cannot tell a mode within `tolerance` points of nominal from one outside: the
       first candidate (the documented default, adaptive) is used.
    2. The contenders: the modes whose held-out coverage is within `tolerance` points of
       nominal at every level, or, when none is, those that miss by the least; a mode
       within `noise` standard errors of either bound counts too (its miss may be noise).
    3. The earliest contender (in preference order) is used unless another contender's
       interval score is lower by more than `tie` and by more than `noise` standard errors
       of the difference (relative to the earlier one's score, averaged over levels); then
       the one of those with the lowest score (the earlier on a tie).

    Without sizes and standard errors (plain `(coverage, score)` pairs) no sampling error is
    allowed for: the rule is then the one of coverage first, a `tie` margin on scores.

    Args:
        checks: candidate name -> level -> `Check` or (held-out coverage %, mean interval
            score), in order of preference (`CANDIDATES`; `check`).

    Returns:
        (the chosen name, a sentence saying why).
    """
    found = {n: {lv: Check(*c) for lv, c in by.items()} for n, by in checks.items()}
    names = list(found)
    levels = list(found[names[0]])
    cover = {n: "/".join(f"{found[n][lv].coverage:.1f}" for lv in levels) for n in names}
    nominal = "/".join(f"{lv:g}" for lv in levels)
    size = min(c.size for by in found.values() for c in by.values())
    se = max(found[names[0]][lv].coverage_se(lv) for lv in levels) if size < math.inf else 0.0
    if noise * se > tolerance:
        return names[0], (
            f"the held-out check has {size:g} distinct late validation values, too few to tell "
            f"a mode within {tolerance:g} points from one outside (coverage standard error "
            f"{se:.1f} points), so the default, {names[0]}; held-out coverage "
            + "; ".join(f"{n}: {cover[n]} %" for n in names)
        )
    miss = {n: max(abs(found[n][lv].coverage - lv) for lv in levels) for n in names}
    bound = max(tolerance, min(miss.values())) + noise * se
    contenders = [n for n in names if miss[n] <= bound]
    first = contenders[0]
    rel = {n: _relative(found[n], found[first], levels) for n in contenders}
    wins = [n for n in contenders[1:] if rel[n][0] > max(tie, noise * rel[n][1])]
    chosen = min(wins, key=lambda n: -rel[n][0]) if wins else first
    held = miss[chosen] <= tolerance
    why = (
        ("" if held else f"no mode held within {tolerance:g} points on the late validation "
         "windows; closest to nominal: ")
        + f"held-out coverage {cover[chosen]} %"
        + (f" within {tolerance:g} points of {nominal}" if held else "")
        + (f" (coverage standard error {se:.1f} points)" if se else "")
        + (
            f", an interval score {rel[chosen][0]:.0%} below {first}'s, more than noise"
            if chosen != first
            else ", no other mode's interval score lower by more than the tie and noise"
            if len(contenders) > 1
            else ""
        )
        + "".join(
            f"; {n}: {cover[n]} %"
            + (f", score x{1 - rel[n][0]:.2f} of {first}'s" if n in rel and n != first else "")
            for n in names
            if n != chosen
        )
    )  # fmt: skip
    return chosen, why


def choose_scale(
    checks: Mapping[int, Mapping[float, tuple[float, ...]]],
    tolerance: float = AUTO_TOLERANCE,
    tie: float = AUTO_TIE,
    noise: float = AUTO_NOISE,
) -> tuple[int, str]:
    """The per-series scale many series' errors are pooled with, chosen on the held-out
    check of the default mode, each scale's interval scores in the same units (each series'
    seasonal-naive MAE, MSIS's).

    The first lag (1: the mean absolute one-step change, the default) is kept unless the
    other (the season: the seasonal-naive MAE, MASE's scale) gives a held-out interval score
    lower by more than `tie` and by more than `noise` standard errors of the difference
    (`_relative`, averaged over levels) while its coverage misses nominal by no more than
    `tolerance` points, or the default's miss, plus `noise` coverage standard errors.

    Args:
        checks: lag -> level -> `Check` (`check` of the default mode with that lag's scales),
            the default lag first.

    Returns:
        (the chosen lag, a sentence saying why).
    """
    found = {lag: {lv: Check(*c) for lv, c in by.items()} for lag, by in checks.items()}
    (first, base), *others = found.items()
    levels = list(base)

    def miss(by: Mapping[float, Check]) -> float:
        return max(abs(by[lv].coverage - lv) for lv in levels)

    def text(lag: int) -> str:
        name = "one-step change" if lag == 1 else f"seasonal-naive MAE (lag {lag})"
        cover = "/".join(f"{found[lag][lv].coverage:.1f}" for lv in levels)
        return f"{name}: held-out coverage {cover} %, interval score {_mean_score(found[lag]):.3g}"

    se = max(base[lv].coverage_se(lv) for lv in levels) if base[levels[0]].size < math.inf else 0
    bound = max(tolerance, miss(base)) + noise * se
    wins = []
    for lag, by in others:
        gain, gain_se = _relative(by, base, levels)
        if miss(by) <= bound and gain > max(tie, noise * gain_se):
            wins.append((gain, lag))
    chosen = max(wins)[1] if wins else first
    why = (
        "per-series scale "
        + ("the one-step change" if chosen == 1 else f"the seasonal-naive MAE (lag {chosen})")
        + (", lower held-out interval score by more than noise" if wins else ", the default")
        + " ("
        + "; ".join(text(lag) for lag in found)
        + "; scores in seasonal-naive MAE units)"
    )
    return chosen, why


def _mean_score(by: Mapping[float, Check]) -> float:
    """The mean interval score of a check over its levels."""
    return float(np.mean([c.score for c in by.values()]))


def _relative(
    found: Mapping[float, Check], first: Mapping[float, Check], levels: Sequence[float]
) -> tuple[float, float]:
    """How much lower one mode's interval score is than `first`'s, as a share of `first`'s,
    and that difference's standard error as a share (the two scores' errors treated as
    independent: conservative, as their late values are the same), averaged over levels."""
    gain = [1 - found[lv].score / max(first[lv].score, 1e-12) for lv in levels]
    se = [math.hypot(found[lv].score_se, first[lv].score_se) / max(first[lv].score, 1e-12)
          for lv in levels]  # fmt: skip
    return float(np.mean(gain)), float(np.mean(se))


def candidate(name: str) -> Candidate:
    """The `CANDIDATES` entry called `name`."""
    return next(c for c in CANDIDATES if c.name == name)
