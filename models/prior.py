"""A fourth reader of the loan features: what the typologies look like, learned from worlds no lender wrote.

The three other readers (``models.tails.Blend``) are unsupervised: they rank
what is rare in the lender's own history, and rare is not the same as risky.
On the held-out worlds a supervised classifier fitted on *another* world's
labels ranked risky borrowing nearly as well as the forest did, and very
differently: with both in the blend the worst world's PR-AUC rose in every
family of worlds (docs/worlds.md, "A typology prior").  ``TypologyPrior`` is
that classifier: a ``HistGradientBoostingClassifier`` on the loan model's
columns, trained by ``bench/train_prior.py`` on the labelled loans of many
synthetic lenders written by independent authors (five of the six held-out families
and the project's simulator, at seeds the quality tables do not use), and
shipped with the package (``PRIOR_DIR``), compiled to arrays like the
early warning (no pickle).

It is one reader among four with an equal say, and everything that is the
lender's own stays fitted on the lender's history: its rank among the
history's loans, the blend's scale, the alert budget.  What it brings is
which way each combination of features is risky; what it cannot know is a
typology no author wrote, which is what the other readers are for.
``riskmon train --typology-prior none`` leaves it out (a model fitted on the
lender's history alone).

It reads no amount in yuan (``log_amount``): lenders' amounts differ by
orders of magnitude, and the ratios to the limit carry what transfers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from models.artifact import ModelLoadError, load_model, save_model
from models.boosting import CompiledBoosting

#: The shipped prior (``bench/train_prior.py`` writes it; ``riskmon train`` reads it by default).
PRIOR_DIR = Path(__file__).resolve().parent / "prior"
#: Loan model columns the prior does not read (why: the module doc).
LEFT_OUT: tuple[str, ...] = ("log_amount",)
PREFIX = "prior_"
TREES = f"{PREFIX}trees."
#: Trees at most this deep: every row walks every tree to the deepest leaf's level (``models.tree_walk``),
#: so unbounded trees (20 levels) cost 22 us per loan; at 6 levels the prior ranked the held-out
#: families as well (docs/worlds.md, "A typology prior").
MAX_DEPTH = 6
REFERENCE_ROWS = 64


class PriorError(ValueError):
    """A prior that cannot be used with this model (the message says why and what to do)."""


@dataclass(frozen=True)
class TypologyPrior:
    """Boosted trees over named loan features; ``bind`` places them in a model's columns."""

    features: tuple[str, ...]
    trees: CompiledBoosting
    provenance: dict[str, Any]  # what it was trained on (sources, rows, positives, seeds)
    reference_X: np.ndarray  # rows of ``features`` and their raw scores at training: checked on every load
    reference_raw: np.ndarray
    columns: np.ndarray | None = None  # positions of ``features`` in a model's columns, once bound

    @classmethod
    def fit(cls, features: Sequence[str], X: np.ndarray, y: np.ndarray, provenance: dict[str, Any],
            seed: int = 7) -> "TypologyPrior":
        """Train on labelled loan rows ``X`` (columns ``features``; ``y`` 1 for a typology's loan)."""
        y = np.asarray(y, dtype=np.int64)
        if y.sum() == 0 or y.sum() == len(y):
            raise PriorError(f"a prior needs loans of both kinds; got {int(y.sum())} typology loans of {len(y)}")
        from sklearn.ensemble import HistGradientBoostingClassifier  # training only (as in models.core_forest)

        clf = HistGradientBoostingClassifier(max_iter=200, max_depth=MAX_DEPTH, random_state=seed).fit(X, y)
        trees = CompiledBoosting.from_sklearn(clf)
        check = X[: min(len(X), 2000)]
        if not np.allclose(trees.raw(check), clf.decision_function(check), rtol=0, atol=1e-9):
            raise PriorError("the compiled prior disagrees with scikit-learn's trees: pin scikit-learn's version")
        pick = np.random.default_rng(seed).choice(len(X), size=min(REFERENCE_ROWS, len(X)), replace=False)
        return cls(tuple(features), trees, dict(provenance), X[pick], trees.raw(X[pick]))

    def bind(self, names: Sequence[str]) -> "TypologyPrior":
        """This prior reading the columns of a model whose columns are ``names``; PriorError if one is missing."""
        missing = [f for f in self.features if f not in names]
        if missing:
            raise PriorError(f"the model has no column for the prior's features {missing}; train the prior "
                             "again on this version's features (bench/train_prior.py) or pass --typology-prior none")
        columns = np.array([list(names).index(f) for f in self.features], dtype=np.intp)
        return TypologyPrior(self.features, self.trees, self.provenance, self.reference_X, self.reference_raw, columns)

    def _rows(self, X: np.ndarray) -> np.ndarray:
        if self.columns is None:
            raise PriorError("an unbound prior: bind it to the model's columns first")
        return np.atleast_2d(X)[:, self.columns]

    def score(self, X: np.ndarray) -> np.ndarray:
        """Log-odds that each row (the model's columns) is a typology's loan."""
        return self.trees.raw(self._rows(X))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per row, what each of the model's columns added to the log-odds (0 for columns it does not read)."""
        X = np.atleast_2d(X)
        out = np.zeros(X.shape, dtype=np.float64)
        out[:, self.columns] = self.trees.contributions(self._rows(X))
        return out

    def check(self) -> None:
        """Re-score the reference rows; PriorError when the trees no longer give what they gave at training."""
        raw = self.trees.raw(self.reference_X)
        if len(raw) == 0 or not np.allclose(raw, self.reference_raw, rtol=0, atol=1e-9):
            raise PriorError("the prior's reference rows score differently than at training: the artefact is damaged")

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays, ``PREFIX``-named (a model keeps them beside its own); ``columns`` once bound."""
        arrays = {f"{TREES}{k}": v for k, v in self.trees.to_arrays().items()}
        arrays[f"{PREFIX}features"] = np.array(self.features, dtype=np.str_)  # unicode, not objects: no pickle
        arrays[f"{PREFIX}reference_X"], arrays[f"{PREFIX}reference_raw"] = self.reference_X, self.reference_raw
        if self.columns is not None:
            arrays[f"{PREFIX}columns"] = self.columns
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], provenance: dict[str, Any] | None = None) -> "TypologyPrior":
        trees = CompiledBoosting({k[len(TREES):]: v for k, v in arrays.items() if k.startswith(TREES)})
        columns = arrays.get(f"{PREFIX}columns")
        prior = cls(tuple(str(f) for f in arrays[f"{PREFIX}features"]), trees, provenance or {},
                    arrays[f"{PREFIX}reference_X"], arrays[f"{PREFIX}reference_raw"],
                    None if columns is None else columns.astype(np.intp))
        prior.check()
        return prior

    def save(self, directory: Path) -> None:
        """The stand-alone artefact (``models.artifact`` format: npz arrays and a JSON document)."""
        save_model(directory, self.to_arrays(), {"kind": "typology_prior", "features": list(self.features),
                                                 "provenance": self.provenance})

    @classmethod
    def load(cls, directory: Path) -> "TypologyPrior":
        arrays, meta = load_model(directory)
        if meta.get("kind") != "typology_prior":
            raise PriorError(f"{directory} holds no typology prior (kind {meta.get('kind')!r})")
        return cls.from_arrays(arrays, meta.get("provenance", {}))


def prior_path(where: str | Path | None) -> Path | None:
    """Where the ``typology_prior`` setting points: a directory, ``"default"`` (the shipped one), or
    None for ``"none"``/empty (no prior)."""
    if where is None or str(where).lower() in ("", "none", "off", "false"):
        return None
    return PRIOR_DIR if str(where) == "default" else Path(where)


def load_prior(where: str | Path | None) -> TypologyPrior | None:
    """The prior a setting names (``prior_path``), loaded; None for no prior."""
    path = prior_path(where)
    if path is None:
        return None
    try:
        return TypologyPrior.load(path)
    except ModelLoadError as exc:
        raise PriorError(f"typology_prior {where!s}: {exc}; or set typology_prior=none to train without one") from exc
