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
* **Whether its outcomes are risky borrowing at all** (``typology_agreement``).
  A lender's bad outcomes may be its ordinary borrowers' lateness, which the
  early warning predicts well and which is not what the monitor alerts on.
  With a typology prior (``models.prior``, learned on other lenders' labelled
  typologies), the early warning is used only if the prior also ranks high
  the loans it ranks highest.
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
#: ``typology_agreement`` compares the two readers' top percent of the history's loans.
AGREEMENT_TOP = 0.01
#: The early warning is used only when at least this share of its top percent is also in
#: the prior's top percent (ten times chance).  On the ten held-out lenders where it was
#: used (each prior trained without the lender's family) it cost PR-AUC on risky
#: borrowing at the four with 0.04-0.10, and helped at five with 0.14-0.63 (0.006 at
#: one with 0.095): docs/early_warning.md.
MIN_TYPOLOGY_AGREEMENT = 0.1


def typology_agreement(early_warning: np.ndarray, typology: np.ndarray, top: float = AGREEMENT_TOP) -> float:
    """The share of the loans in the early warning's top ``top`` that the typology prior also
    ranks in its top ``top``: ``top`` by chance, 1 when the two agree on what is riskiest."""
    early_warning, typology = np.asarray(early_warning, dtype=np.float64), np.asarray(typology, dtype=np.float64)
    ours = early_warning >= np.quantile(early_warning, 1.0 - top)
    theirs = typology >= np.quantile(typology, 1.0 - top)
    return float(theirs[ours].mean())


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
