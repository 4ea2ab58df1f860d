"""`intervals="auto"`: the interval mode chosen per run on the user's validation windows.

The candidates (`CANDIDATES`) are the ways `forecast.intervals.Calibration` can draw an
interval: conformal or adaptive (re-calibrated online as actuals arrive), on the point
forecast's absolute errors, on those errors divided by each window's own scale
(`intervals.window_scale`, locally weighted conformal), or with quantile heads on the CQR
scores. `held_out` splits each series' validation windows in time, fits a candidate's scores
on the early ones and measures its coverage and interval score on the late ones;
`choose_mode` is the rule that picks one from those measurements. The chosen mode then uses
the scores of every validation window. NumPy only; `forecast.bands` hands it the scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from forecast.intervals import adaptive_half_widths, conformal_quantile, scores_for

AUTO_TOLERANCE = 3.0  # points of coverage a mode may miss by on the held-out windows
AUTO_CHECK_SHARE = 0.5  # the late share of each series' validation windows that checks them
AUTO_TIE = 0.02  # widths within 2 % are a tie: the earlier candidate (adaptive first) wins


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
    """Coverage (%) and mean interval score of one mode at one level on late validation
    windows: the score (Winkler's, as in MSIS) is the width plus `2 / alpha` times how far
    an actual falls outside, so it rewards narrow intervals and penalizes misses, and a
    mode whose widths follow the noise beats a fixed one of the same coverage.

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
        (coverage in % of late scores inside, mean interval score of the late intervals).
    """
    parts = [(s, b, o, np.broadcast_to(u, (len(s), 1, s.shape[2]))) for s, b, o, u in parts]
    if all(len(scores) < 2 for scores, *_ in parts):  # every other series checks
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
    for scores, base, origins, unit in (part for part in late if len(part[0])):
        if adaptive:
            half = adaptive_half_widths(fit, scores, origins, level)
        else:
            half = np.broadcast_to(conformal_quantile(fit, level)[None], scores.shape)
        hits.append((scores <= half).ravel())
        penalty = 2 / (1 - level / 100) * np.maximum(scores - half, 0)
        widths.append(((base + 2 * half + penalty) * unit).ravel())
    return 100.0 * float(np.concatenate(hits).mean()), float(np.concatenate(widths).mean())


def choose_mode(
    checks: Mapping[str, Mapping[float, tuple[float, float]]],
    tolerance: float = AUTO_TOLERANCE,
    tie: float = AUTO_TIE,
) -> tuple[str, str]:
    """The rule of `intervals="auto"`, on the held-out check of each candidate mode.

    The modes whose held-out coverage is within `tolerance` points of nominal at every level
    pass; of those, the best interval score wins (relative to the best candidate at each
    level, averaged over levels: the narrowest, misses counted), where scores within `tie`
    (a share) count as equal and the earlier candidate wins. When none passes, the mode
    whose worst level misses nominal by the least wins (the earlier on a tie).

    Args:
        checks: candidate name -> level -> (held-out coverage %, mean interval score), in
            order of preference (`CANDIDATES`; `held_out`).

    Returns:
        (the chosen name, a sentence saying why).
    """
    names = list(checks)
    levels = list(next(iter(checks.values())))
    miss = {n: max(abs(checks[n][lv][0] - lv) for lv in levels) for n in names}
    best_at = {lv: min(checks[n][lv][1] for n in names) for lv in levels}
    score = {
        n: float(np.mean([checks[n][lv][1] / max(best_at[lv], 1e-12) for lv in levels]))
        for n in names
    }
    cover = {n: "/".join(f"{checks[n][lv][0]:.1f}" for lv in levels) for n in names}
    passing = [n for n in names if miss[n] <= tolerance]
    if passing:
        best = min(score[n] for n in passing)
        chosen = next(n for n in passing if score[n] <= best * (1 + tie))
        others = [n for n in names if n != chosen]
        tied = f", a tie within {tie:.0%} won by the earlier mode" if score[chosen] > best else ""
        why = (
            f"held-out coverage {cover[chosen]} % within {tolerance:g} points of "
            f"{'/'.join(f'{lv:g}' for lv in levels)}, the best interval score of those "
            f"(x{score[chosen]:.2f} of the best candidate's{tied})"
            + "".join(f"; {n}: {cover[n]} %, score x{score[n]:.2f}" for n in others)
        )
        return chosen, why
    chosen = min(names, key=lambda n: miss[n])
    why = (
        f"no mode held within {tolerance:g} points on the late validation windows; the "
        f"closest to nominal: {cover[chosen]} %"
        + "".join(f"; {n}: {cover[n]} %" for n in names if n != chosen)
    )
    return chosen, why


def candidate(name: str) -> Candidate:
    """The `CANDIDATES` entry called `name`."""
    return next(c for c in CANDIDATES if c.name == name)
