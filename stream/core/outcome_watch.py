"""Delayed labels in production: what became of the loans the early warning scored.

The early warning's probability is a promise about the future; the stream
sees the future arrive as repayments.  Each open loan slot of the user's state
keeps the probability the loan was scored with (percent, one byte) and whether
it alerted and how (one byte).  The watch judges what the training label
judges (``models.outcomes``: a first-payment default), once per loan:

* **bad** when a repayment into it is ``late_days`` or more late;
* **good** at its first repayment less late than that: the loan's first
  payment (a one-off loan's repayment, an instalment plan's first instalment)
  came in time, and later instalments are not the label's business.  Unless
  it paid less than ``min_repaid_share`` of what was due by the first due
  date: then its next payment judges it, or the line below (a one-off loan
  such a payment closed is followed in a watch slot until then);
* **bad** when it is still unpaid ``late_days`` after its due date, seen at
  any later event of the same borrower, or by the **quiet sweep** while the
  borrower sends nothing: a defaulter often never comes back.  The worker
  looks at a few stored users per batch (``quiet_sweep_users``), in turns
  over the whole table, against the batch's event time on their partition
  (``stream.core.pipeline.sweep_quiet``).  A loan never repaid produces no
  repayment to realise it: on a held-out lender whose bad loans went unpaid,
  a watch that read repayments alone saw 6 of 2,063 (docs/early_warning.md).
  Not on a product training read as revolving: there the lender calls
  payments long after a draw's term on time, and only lateness is bad.

Until stop 56 an instalment plan was realised good only when it closed, and a
late later instalment made it bad: on long plans the watch read mostly bad
outcomes and paged at a lender whose early warning was calibrated against its
label (docs/early_warning.md).

A loan that finds the user's open-loan slots (``OPEN_LOAN_SLOTS``) full of
loans due sooner, or is pushed out of its slot by one, is followed in a watch
slot (``WATCH_SLOTS``, state version 8) until its first repayment: its id
hash, due date, product and tag.  Until stop 57 such loans were lost, up to
half of a lender's scored loans where borrowers stack them
(docs/early_warning.md).

Until stop 58 a first payment in time was good however small; the label's
bad outcomes are such payments for up to 40 % of a held-out lender's bad
loans, nearly all never followed by a second payment by maturity.

What the live watch cannot see: a loan that finds both kinds of slot full of
loans due sooner (counted as untracked, ``Outcome.untracked``), one a sweep
realised whose borrower then repays it less than ``late_days`` late by the
lender's count (the sweep reads the due date the state holds), and where the
label sums several small payments the watch reads the second alone: a second
payment in time is good, however small, and one into an instalment plan
after its first due date still counts (its slot is due a period later).
Realised rates per bucket are a drift signal (predicted vs realised on the
same loans), not the training metric.  State stays bounded: two bytes per
open-loan slot, eleven per watch slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from stream.core.contract import PRODUCTS, Event
from stream.core.features import DAY, INSTALMENT_PERIOD, INSTALMENT_PRODUCT, UserState, loan_hash, loan_slots

#: The default lateness (days) that makes an outcome bad; a model states its own.
DEFAULT_LATE_DAYS = 15
#: The default share of what was due by a loan's first due date that must be repaid by then.
DEFAULT_MIN_REPAID_SHARE = 0.5
#: Probability buckets of the metrics: tenths.
BUCKETS = tuple(f"{i / 10:.1f}-{(i + 1) / 10:.1f}" for i in range(10))
#: How a scored loan alerted (stored 1-3; 0 = the loan carries no early-warning tag).
SOURCES = ("no_alert", "early_warning", "other_alert")


@dataclass(frozen=True, slots=True)
class Realised:
    """One loan's outcome, realised by a repayment."""

    bucket: str  # BUCKETS entry of the probability it was scored with
    source: str  # SOURCES entry: how it alerted when scored
    probability: float  # the probability it was scored with (to the percent)
    bad: bool


def bucket_of(probability: float) -> str:
    return BUCKETS[min(int(probability * 10), 9)]


Tag = tuple[int, int]  # (1 + percent, 1 + source index) as stored; (0, 0) = none


def encode(probability: float, source: str) -> Tag:
    return 1 + min(100, max(0, round(probability * 100))), 1 + SOURCES.index(source)


def _realised(tag: Tag, bad: bool) -> Realised:
    """The outcome of a loan stored with ``tag`` (``encode``'s inverse, to the percent)."""
    probability = (tag[0] - 1) / 100
    return Realised(bucket_of(probability), SOURCES[tag[1] - 1], probability, bad)


class Before(NamedTuple):
    """A repayment's loan as the user's state held it before the repayment was folded in."""

    tag: Tag | None  # its early-warning tag (None: it has none)
    followed: bool  # it held an open-loan slot or a watch slot
    product: int = 0  # 1 + index into PRODUCTS (0: unknown)
    first_due: float | None = None  # what was due by its first due date, from its open-loan slot (None: unknown)


NOT_FOLLOWED = Before(None, False)


def _first_due_amount(state: UserState, slot: int) -> float:
    """What an open-loan slot's loan owes by its first due date: a one-off loan all of it, an
    instalment plan the share of its term its first instalment covers (``models.outcomes``).
    Read at its first payment, while ``loan_due`` is still the first due date; at a later one
    the share comes out larger than the plan's."""
    amount, due, end = state.loan_amount[slot], state.loan_due[slot], state.loan_end[slot]
    if state.loan_product[slot] != INSTALMENT_PRODUCT or due >= end:
        return float(amount)
    return amount * INSTALMENT_PERIOD / (end - (due - INSTALMENT_PERIOD))  # due < end: over 30 days


def before_repayment(state: UserState | None, event: Event) -> Before:
    """Read before a repayment is folded in: its loan's tag, whether the loan is followed (holds
    an open-loan slot or a watch slot), and from an open-loan slot its product and what it owed by
    its first due date; ``NOT_FOLLOWED`` for a loan event or a user not seen yet."""
    if state is None or event.event_type != "repayment":
        return NOT_FOLLOWED
    slot, watched = loan_slots(state, event.loan_id)
    if slot is not None:
        tag = state.loan_ew[slot], state.loan_ew_source[slot]
        return Before(tag if tag[0] else None, True, state.loan_product[slot], _first_due_amount(state, slot))
    if watched is None:
        return NOT_FOLLOWED
    tag = state.watch_ew[watched], state.watch_ew_source[watched]
    return Before(tag if tag[0] else None, True, state.watch_product[watched])


Overdue = tuple[tuple[int, Tag], ...]  # (loan hash, its tag then) of each open loan seen past its line


def after_fold(state: UserState, loan_id: str) -> bool:
    """Read right after an event is folded in: whether the watch follows its loan (an open-loan
    slot or a watch slot holds it)."""
    key = loan_hash(loan_id)
    return key in state.loan_hashes or key in state.watch_hashes


def _slot_tables(state: UserState) -> tuple[tuple[list[int], ...], ...]:
    """The two kinds of slot the watch follows loans in, open-loan and watch, each as parallel lists:
    (id hashes, due dates, products, tag percents, tag sources)."""
    return ((state.loan_hashes, state.loan_due, state.loan_product, state.loan_ew, state.loan_ew_source),
            (state.watch_hashes, state.watch_due, state.watch_product, state.watch_ew, state.watch_ew_source))


def _store(state: UserState, key: int, tag: Tag) -> None:
    """Tag every slot, open-loan or watch, that holds the loan of hash ``key``.  Normally one; a
    loan event redelivered after it left the per-user dedup window opens a second slot under the
    same id, and a tag on the first slot only would land on whichever slot a later fold had left
    first, so the states would depend on how the events were batched."""
    for hashes, _, _, percents, sources in _slot_tables(state):
        for slot, held in enumerate(hashes):
            if held == key:
                percents[slot], sources[slot] = tag


class BatchWatch:
    """Tags and realised outcomes of one batch, in event order, as if each event were its own batch.

    The pipeline folds a whole batch before scoring it, so a loan's tag is
    known only after every event of the batch is folded.  Each repayment's
    view is therefore taken while folding (its loan's tag then, and whether
    it left the loan open), and this pass replays tags in event order on top:
    a loan tagged earlier in the batch, or realised earlier in it, counts as
    it would have one event at a time, whatever the batch size (the offline
    replay and the worker batch differently and must agree).
    """

    def __init__(self, late_days: int, revolving: tuple[str, ...] = (),
                 min_repaid_share: float = DEFAULT_MIN_REPAID_SHARE) -> None:
        self.late_days = late_days
        self.min_repaid_share = min_repaid_share
        self._unswept = frozenset(PRODUCTS.index(p) + 1 for p in revolving if p in PRODUCTS)
        self._tags: dict[tuple[str, int], Tag] = {}  # this batch's tags so far by loan hash; (0, 0) once realised

    @classmethod
    def of(cls, early_warning: Any) -> BatchWatch:
        """The watch of a model's early warning: its lateness, revolving products and repaid share (a
        model without one, or an artefact from before them, gets the defaults)."""
        return cls(getattr(early_warning, "late_days", DEFAULT_LATE_DAYS), getattr(early_warning, "revolving", ()),
                   getattr(early_warning, "min_repaid_share", DEFAULT_MIN_REPAID_SHARE))

    def overdue(self, state: UserState | None, event: Event) -> Overdue:
        """Read before ``event`` is folded in: the open loans whose next due date lies ``late_days``
        or more before it, but the loan it repays (its own repayment decides), each with its tag as
        stored then (a loan tagged earlier in this batch has its tag in ``_tags``, not yet stored)."""
        if state is None:
            return ()
        return self.overdue_at(state, event.ts, loan_hash(event.loan_id) if event.event_type == "repayment" else 0)

    def overdue_at(self, state: UserState, at: float, own: int = 0) -> Overdue:
        """The open loans, but the one of hash ``own``, whose next due date lies ``late_days`` or more
        before ``at``, each with its tag as stored (:meth:`overdue` at an event; the quiet sweep at
        the stream's time)."""
        line = at - self.late_days * DAY
        seen: dict[int, Tag] = {}
        for hashes, dues, products, percents, sources in _slot_tables(state):
            for slot, key in enumerate(hashes):
                if key and key != own and dues[slot] <= line and products[slot] not in self._unswept:
                    seen.setdefault(key, (percents[slot], sources[slot]))
        return tuple(seen.items())

    def swept(self, state: UserState, user_id: str, overdue: Overdue) -> tuple[Realised, ...]:
        """The loans of ``overdue`` (from :meth:`overdue`) realised bad at this event: tagged, and not
        realised before."""
        out = []
        for key, seen in overdue:
            tag = self._tags.get((user_id, key), seen)
            if not tag[0]:
                continue
            self._tags[user_id, key] = (0, 0)
            _store(state, key, (0, 0))
            out.append(_realised(tag, True))
        return tuple(out)

    def loan_scored(self, state: UserState, event: Event, probability: float, source: str, was_followed: bool) -> None:
        """A scored loan; ``was_followed``: it took an open-loan or a watch slot when folded (a user
        with more loans than both keep may get neither, and the loan carries no tag)."""
        if not was_followed:
            return
        tag = encode(probability, source)
        key = loan_hash(event.loan_id)
        self._tags[event.user_id, key] = tag
        _store(state, key, tag)

    def repayment(self, state: UserState, event: Event, before: Before, still_followed: bool) -> Realised | None:
        """The outcome the repayment realises, or None.  From the fold: ``before``, its loan as the
        state held it (a tag of this batch counts only if it was followed then: a loan the watch no
        longer follows has lost its tag); ``still_followed``, whether it still holds an open-loan or
        a watch slot.  The tag is cleared wherever the loan is held: a loan left open may be pushed
        into a watch slot later in the batch.

        A payment in time but under ``min_repaid_share`` of what the loan owed by its first due date
        realises nothing while the loan is still followed (an instalment plan stays open; a one-off
        loan moves into a watch slot, ``stream.core.features``): its next payment, or the borrower's
        next event or the sweep once it is ``late_days`` past due, judges it, as the label judges
        what was repaid by then (``models.outcomes``).  Not on a revolving product: lateness only."""
        key = (event.user_id, loan_hash(event.loan_id))
        tag = self._tags[key] if key in self._tags and before.followed else before.tag
        if not tag or not tag[0]:
            return None
        bad = event.days_late >= self.late_days
        if (not bad and still_followed and before.first_due is not None and before.product not in self._unswept
                and event.amount < self.min_repaid_share * before.first_due):
            return None
        self._tags[key] = (0, 0)
        if still_followed:
            _store(state, key[1], (0, 0))
        return _realised(tag, bad)
