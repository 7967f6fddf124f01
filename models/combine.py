"""How the early warning and the forest make one ranking (used by ``models.train``).

Two decisions, both taken on the lender's own history:

* **How much of the loan budget the early warning gets** (``early_warning_share``).
  Its skill is measured where the lender has ground truth: on the history's
  matured loans, the early warning's out-of-fold PR-AUC against the forest's
  PR-AUC on the same loans.  Worse than the forest: it is not used at all
  (``models.train``: it would only reorder the forest's ranking; at the
  issue's scale, 6,000 users and 60 days, three held-out world runs in 24
  trained such an early warning and lost 0.011-0.026 ROC-AUC to the forest
  alone).  As good: the floor share; ``FULL_LIFT`` times better or more: the
  ceiling; linear between.
  On the project's simulator the early warning predicted outcomes 1.4-1.7x
  better than the forest once 60+ days of history had matured, and a larger
  share ranked risky borrowing better at every cut; on held-out worlds where
  it predicted them no better, any share above the floor cost PR-AUC
  (docs/early_warning.md).
* **Where each probability lands on the forest's scale** (``scale_knots``).
  Within each band (below the alert line, between the alert line and the
  high line, above the high line) the early warning's k-th quantile maps onto
  the forest's k-th quantile in the same band, so a loan in the early
  warning's top 1 % of alerts ranks with the forest's top 1 % of alerts, and
  the band edges map exactly, so the alert and escalation lines are the budget's.
"""

from __future__ import annotations

import numpy as np

#: The early warning predicts the history's outcomes this many times better than the
#: forest (ratio of PR-AUCs) before it gets the ceiling share.
FULL_LIFT = 1.5
#: Knots per band (kept as arrays in the artefact).  Below the alert line sit almost all
#: loans, and an isotonic early warning gives them a few steps of nearly equal
#: probabilities: 16 knots put the band's top 6 % (the alerts' near-misses, where most
#: of the ranking's precision is decided) on one straight line.  On the project's
#: simulator 16 -> 1,024 knots lifted the combined PR-AUC on risky borrowing by
#: 0.013-0.020 at every cut with an early warning (docs/early_warning.md).
BAND_KNOTS = 1024


def share_by_skill(ew_pr_auc: float, forest_pr_auc: float, floor: float, ceiling: float) -> float:
    """The early warning's share of the loan budget, from its skill over the forest's on the history's outcomes."""
    if forest_pr_auc <= 0:
        return ceiling if ew_pr_auc > 0 else floor
    lift = ew_pr_auc / forest_pr_auc
    weight = float(np.clip((lift - 1.0) / (FULL_LIFT - 1.0), 0.0, 1.0))
    return floor + (max(ceiling, floor) - floor) * weight


def scale_knots(
    probability: np.ndarray, forest: np.ndarray, ew_lines: tuple[float, float], forest_lines: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Knots (probability -> forest score) of a piecewise-linear, non-decreasing map.

    ``probability`` and ``forest`` are the two scores over the same budget
    pool; ``ew_lines`` and ``forest_lines`` are each one's (alert, high) lines.
    The knots pass exactly through (0, 0), both pairs of lines and (1, 1);
    inside each band they pair equal quantiles of the two scores' values in
    that band.  The probabilities are strictly increasing (``np.interp``
    needs it); the forest scores never decrease.
    """
    p = np.asarray(probability, dtype=np.float64)
    f = np.asarray(forest, dtype=np.float64)
    edges_p = np.maximum.accumulate([0.0, ew_lines[0], max(ew_lines), 1.0])
    edges_f = np.maximum.accumulate([0.0, forest_lines[0], max(forest_lines), 1.0])
    xs: list[float] = [0.0]
    ys: list[float] = [0.0]
    levels = np.linspace(0.0, 1.0, BAND_KNOTS + 1)[1:-1]
    for band in range(3):
        lo_p, hi_p, lo_f, hi_f = edges_p[band], edges_p[band + 1], edges_f[band], edges_f[band + 1]
        in_p = p[(p >= lo_p) & (p < hi_p)]
        in_f = f[(f >= lo_f) & (f < hi_f)]
        if len(in_p) and len(in_f) and hi_p > lo_p:
            xs.extend(np.quantile(in_p, levels))
            ys.extend(np.quantile(in_f, levels))
        xs.append(hi_p)
        ys.append(hi_f)
    x, y = np.asarray(xs), np.asarray(ys)  # both non-decreasing: bands ascend, quantiles ascend within them
    keep = np.concatenate([[True], np.diff(x) > 0])  # ties (a band without spread): keep the first knot
    x, y = x[keep], y[keep]
    # Band edges must stay knots: a dropped tie at an edge keeps the first knot, whose y may be lower.
    for edge_p, edge_f in zip(edges_p, edges_f):
        at = np.flatnonzero(x == edge_p)
        if len(at):
            y[at[0]] = edge_f
    return x, np.maximum.accumulate(y)
