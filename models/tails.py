"""A second reader of the loan features that knows which way is risky, and its blend with the forest.

An isolation forest isolates whatever is rare, in any direction: a user with a
large limit who borrows little is as "anomalous" to it as one who borrows his
whole limit three times in a day.  Lending risk has a direction: more borrowed
against the limit, more loans, more products and channels, devices new to the
account, less time since the last loan.  ``DirectionalTails`` scores a loan by
how far out it sits on that risky side of each such feature, against the
history: the sum over features of minus the log of the history's share of
loans at least that far out (a one-sided empirical tail, like COPOD's, with the
side fixed by what the feature means instead of estimated).  The directions
are the features' meaning, not a fit to any data set.

The loan model's score blends the readers by rank (``Blend``): each score
becomes the share of history loans it beats (``Ranks``), the shares are
combined (``blend``: Fisher's sum of minus the log of each tail share), and
that is put back on the forest's scale by its own rank.
On the held-out worlds the forest and these tails ranked the test windows
better than the forest alone on 22 of 24 runs (mean PR-AUC +0.015, worst
+0.005; docs/worlds.md, ``bench/feature_ceiling.py``); the third reader, the
core forest (``models.core_forest``), came later.

Plain arrays only: every part saves into the model artefact as numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Sequence

import numpy as np

from models.core_forest import PREFIX as CORE_PREFIX
from models.core_forest import CoreForest
from models.prior import PREFIX as PRIOR_PREFIX
from models.prior import TypologyPrior
from models.tree_walk import in_blocks

#: Loan features where more is riskier, and where less is (by what they mean).
RISKY_HIGH: tuple[str, ...] = (
    "amount_over_limit", "amount_1h_over_limit", "amount_24h_over_limit", "amount_7d_over_limit",
    "amount_30d_over_limit", "loans_1h", "loans_24h", "loans_7d", "loans_30d", "distinct_products_7d",
    "distinct_channels_7d", "distinct_devices_30d", "unseen_device", "new_channel", "new_product", "utilisation",
    "recent_device", "night_hour", "amount_rel_segment", "loans_30d_rel_segment", "overdue_days", "overdue_loans",
    "short_loans_30d", "amount_z_user", "cash_loan",
)
RISKY_LOW: tuple[str, ...] = ("log_hours_since_prev_loan",)

#: Quantile levels kept per feature and per score: the tail shares are exact at
#: each kept value; ranks are interpolated between kept scores.
KNOTS = 1024


def _knots(values: np.ndarray) -> np.ndarray:
    """Distinct values of ``values`` at ``KNOTS`` evenly spaced quantiles (the minimum and maximum included).

    Values the data holds, never interpolated between them, so a history with
    fewer distinct values than ``KNOTS`` keeps every one of them.
    """
    return np.unique(np.quantile(values, np.linspace(0.0, 1.0, KNOTS), method="lower"))


@dataclass(frozen=True)
class DirectionalTails:
    """One-sided empirical tails of the risky features, as the history drew them."""

    columns: np.ndarray  # positions of the features in the model's columns
    signs: np.ndarray  # +1 where more is riskier, -1 where less is
    knots: np.ndarray  # (features, KNOTS) values, each row padded with +inf past its distinct values
    shares: np.ndarray  # (features, KNOTS + 1) history share at or beyond each knot; the last entry: beyond all
    rows: int  # history rows the shares were counted on (the smallest share is 1 / rows)

    @classmethod
    def fit(cls, names: Sequence[str], X: np.ndarray) -> "DirectionalTails":
        """From the history's rows ``X`` whose columns are ``names`` (the features not in either list are left out)."""
        picked = [(i, -1.0 if n in RISKY_LOW else 1.0) for i, n in enumerate(names) if n in RISKY_HIGH + RISKY_LOW]
        columns = np.array([i for i, _ in picked], dtype=np.intp)
        signs = np.array([s for _, s in picked], dtype=np.float64)
        knots = np.full((len(picked), KNOTS), np.inf)
        shares = np.zeros((len(picked), KNOTS + 1))
        rows = max(len(X), 1)
        for f, (i, sign) in enumerate(picked):
            column = np.sort(sign * X[:, i])
            kept = _knots(column) if len(column) else np.zeros(0)
            knots[f, : len(kept)] = kept
            at_or_beyond = 1.0 - np.searchsorted(column, kept, side="left") / rows
            shares[f, : len(kept)] = at_or_beyond
            shares[f, len(kept):] = 1.0 / rows
        return cls(columns, signs, knots, shares, rows)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per row and feature: minus the log of the history's share at or beyond the row's value.

        Between two kept values the share of the upper one is used, so a value
        scores at least as far out as it is; beyond the largest kept value the
        share is 1 / rows.  One ``searchsorted`` for every row and feature
        (``_lookup``): a loop over the features cost 0.4 ms per event alone.
        """
        X = np.atleast_2d(X)
        flat, starts = self._lookup
        keys = np.arange(len(self.columns)) + 1j * (self.signs * X[:, self.columns])
        at = np.searchsorted(flat, keys.ravel(), side="left").reshape(keys.shape) - starts
        shares = np.take_along_axis(self.shares, at.T, axis=1).T
        return -np.log(np.clip(shares, 1.0 / self.rows, 1.0))

    @cached_property
    def _lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """Every feature's kept values on one sorted axis, and where each feature's start.

        Complex numbers sort by real part, then imaginary: feature ``f``'s kept
        value ``v`` is ``f + v*1j``, so a row's value for feature ``f`` finds,
        with one ``searchsorted`` for all rows and features, how many of that
        feature's kept values are below it; exact, nothing is rescaled.
        """
        finite = [row[np.isfinite(row)] for row in self.knots]
        flat = np.concatenate([f + 1j * k for f, k in enumerate(finite)])
        starts = np.cumsum([0] + [len(k) for k in finite[:-1]])
        return flat, starts

    def score(self, X: np.ndarray) -> np.ndarray:
        """The sum of a row's contributions, ``WALK_ROWS`` rows at a time: ``contributions`` holds
        about 1 KB a row (keys, positions, shares, logs), which on a whole history was the
        peak of ``riskmon train``; rows are independent, so the scores are the same to the bit."""
        return in_blocks(lambda block: self.contributions(block).sum(axis=1), X)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"tails_columns": self.columns, "tails_signs": self.signs, "tails_knots": self.knots,
                "tails_shares": self.shares, "tails_rows": np.array([self.rows], dtype=np.int64)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "DirectionalTails":
        return cls(arrays["tails_columns"].astype(np.intp), arrays["tails_signs"], arrays["tails_knots"],
                   arrays["tails_shares"], int(arrays["tails_rows"][0]))


@dataclass(frozen=True)
class Ranks:
    """Where a score falls among the history's scores (share at or below it, interpolated)."""

    knots: np.ndarray  # distinct history scores at KNOTS quantiles
    levels: np.ndarray  # the history's share at or below each

    @classmethod
    def fit(cls, scores: np.ndarray) -> "Ranks":
        ordered = np.sort(scores)
        knots = _knots(ordered)
        return cls(knots, np.searchsorted(ordered, knots, side="right") / len(ordered))

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return np.interp(scores, self.knots, self.levels, left=0.0, right=1.0)

    def score_at(self, ranks: np.ndarray) -> np.ndarray:
        """The inverse: the history's score at each rank (interpolated)."""
        return np.interp(ranks, self.levels, self.knots)


#: The smallest tail share a reader's rank counts for in the blend (one loan in 10,000): a score above
#: every history score is as far out as this, not infinitely far.
MIN_TAIL_SHARE = 1e-4


def blend(*ranks: np.ndarray) -> np.ndarray:
    """Fisher's combination of the readers' ranks: the sum of minus the log of each one's tail share.

    Each rank r says the history has a share 1 - r of loans scored higher by
    that reader.  Summing -log(1 - r) lets one reader that finds a loan far out
    lift it even where another sees nothing, which the mean of the ranks
    dilutes: the core forest reads no lateness, and on the simulator, whose
    typologies are built on it, the mean cost the anomaly model 0.135 PR-AUC
    against 0.086 for this sum, which was also the better of the two on the
    held-out worlds (docs/worlds.md, "a third reader").
    """
    return -sum(np.log(np.maximum(1.0 - r, MIN_TAIL_SHARE)) for r in ranks)


def mean_rank(*ranks: np.ndarray) -> np.ndarray:
    """The mean of the readers' ranks: how models trained before ``blend`` combined them (kept to load them)."""
    return sum(ranks) / len(ranks)


@dataclass(frozen=True)
class Blend:
    """The loan model's score: the readers blended by rank, put back on the forest's scale.

    The readers are the forest, the directional tails and, when the model has
    them, the core forest (``models.core_forest``) and the typology prior
    (``models.prior``), with equal say
    (``blend``; a model saved before it averaged the ranks, ``mean_rank``, and
    keeps doing so).  The blend's own rank among the history's blends is
    mapped to the forest score at that rank, so the model score is
    distributed over the history exactly as the forest's was.  Everything downstream that was set on the
    forest's scale keeps its meaning: the rule bonus per rule (``RULE_BONUS``), the
    early warning's knots, the severity lines.  (On the rank scale the top 1 %
    spans 0.02, and the bonus would lift every rule hit above every anomaly.)
    The map is monotone: the blend's ranking is unchanged.
    """

    tails: DirectionalTails
    forest_ranks: Ranks
    tails_ranks: Ranks
    blend_ranks: Ranks
    core: CoreForest | None = None  # None: models trained before it, or on too few of its features
    core_ranks: Ranks | None = None
    fisher: bool = True  # False: a model saved when the ranks were averaged
    prior: TypologyPrior | None = None  # the typology prior (``models.prior``), bound to the model's columns
    prior_ranks: Ranks | None = None

    @property
    def combine(self) -> Callable[..., np.ndarray]:
        return blend if self.fisher else mean_rank

    @classmethod
    def fit(cls, names: Sequence[str], X: np.ndarray, forest_scores: np.ndarray,
            core: CoreForest | None = None, prior: TypologyPrior | None = None) -> "Blend":
        """From the history's rows ``X`` (columns ``names``) and their forest scores; ``prior`` unbound."""
        tails = DirectionalTails.fit(names, X)
        tail_scores = tails.score(X)
        forest_ranks, tails_ranks = Ranks.fit(forest_scores), Ranks.fit(tail_scores)
        ranks = [forest_ranks(forest_scores), tails_ranks(tail_scores)]
        core_ranks = None
        if core is not None:
            core_scores = core.score(X)
            core_ranks = Ranks.fit(core_scores)
            ranks.append(core_ranks(core_scores))
        prior_ranks = None
        if prior is not None:
            prior = prior.bind(names)
            prior_scores = prior.score(X)
            prior_ranks = Ranks.fit(prior_scores)
            ranks.append(prior_ranks(prior_scores))
        return cls(tails, forest_ranks, tails_ranks, Ranks.fit(blend(*ranks)), core, core_ranks,
                   prior=prior, prior_ranks=prior_ranks)

    def reader_ranks(self, X: np.ndarray, forest_scores: np.ndarray) -> list[np.ndarray]:
        """Each reader's rank of rows ``X`` whose forest scored ``forest_scores``: forest, tails[, core][, prior]."""
        ranks = [self.forest_ranks(forest_scores), self.tails_ranks(self.tails.score(X))]
        if self.core is not None and self.core_ranks is not None:
            ranks.append(self.core_ranks(self.core.score(X)))
        if self.prior is not None and self.prior_ranks is not None:
            ranks.append(self.prior_ranks(self.prior.score(X)))
        return ranks

    def score(self, X: np.ndarray, forest_scores: np.ndarray) -> np.ndarray:
        """Model scores of rows ``X`` whose forest scored ``forest_scores``."""
        return self.score_from_ranks(self.reader_ranks(X, forest_scores))

    def score_from_ranks(self, ranks: Sequence[np.ndarray]) -> np.ndarray:
        """Model scores from each reader's ranks (``reader_ranks``' order), e.g. ranks a surge discounted."""
        return self.forest_ranks.score_at(self.blend_ranks(self.combine(*ranks)))

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {**self.tails.to_arrays(), "ranks_fisher": np.array([int(self.fisher)], dtype=np.int64)}
        for name in RANKS:
            ranks = getattr(self, f"{name}_ranks")
            arrays[f"ranks_{name}_knots"], arrays[f"ranks_{name}_levels"] = ranks.knots, ranks.levels
        if self.core is not None and self.core_ranks is not None:
            arrays.update(self.core.to_arrays())
            arrays["ranks_core_knots"], arrays["ranks_core_levels"] = self.core_ranks.knots, self.core_ranks.levels
        if self.prior is not None and self.prior_ranks is not None:
            arrays.update(self.prior.to_arrays())
            arrays["ranks_prior_knots"], arrays["ranks_prior_levels"] = self.prior_ranks.knots, self.prior_ranks.levels
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "Blend":
        ranks = {f"{name}_ranks": Ranks(arrays[f"ranks_{name}_knots"], arrays[f"ranks_{name}_levels"])
                 for name in RANKS}
        core, core_ranks = None, None
        if "ranks_core_knots" in arrays:
            core = CoreForest.from_arrays({k: v for k, v in arrays.items() if k.startswith(CORE_PREFIX)})
            core_ranks = Ranks(arrays["ranks_core_knots"], arrays["ranks_core_levels"])
        prior, prior_ranks = None, None
        if "ranks_prior_knots" in arrays:
            prior = TypologyPrior.from_arrays({k: v for k, v in arrays.items() if k.startswith(PRIOR_PREFIX)})
            prior_ranks = Ranks(arrays["ranks_prior_knots"], arrays["ranks_prior_levels"])
        fisher = bool(arrays["ranks_fisher"][0]) if "ranks_fisher" in arrays else False
        return cls(DirectionalTails.from_arrays(arrays), **ranks, core=core, core_ranks=core_ranks, fisher=fisher,
                   prior=prior, prior_ranks=prior_ranks)

    @staticmethod
    def owns(key: str) -> bool:
        """Whether an artefact array (without its event-type prefix) belongs to a blend."""
        return key.startswith(("tails_", "ranks_", CORE_PREFIX, PRIOR_PREFIX))


RANKS = ("forest", "tails", "blend")
