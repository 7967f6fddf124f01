"""The user state's stored layouts older than the current one, and the steps up to it.

A worker reads every state a predecessor wrote to the changelog: bytes of an
older version are migrated field by field, never reset
(``stream.core.state_layout.StateHistory``; docs/operations.md, "Upgrading the
state format").  The current layout is ``stream.core.features.STATE_LAYOUT``;
this module keeps what came before it.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable

from stream.core.rings import COUNT_AMOUNT, U8_MAX, U32_MAX, CountRing, MaxRing, Ring
from stream.core.state_layout import Array, RingField, Scalar, StateHistory, StateLayout, Step, Texts

# Each older version as it was stored, field by field in byte order, read off the
# codec of the commit that last wrote it (v2: e42295b, v3: 26ed953); and one
# ``Step`` per version step (see stream.core.state_layout: fields stored alike are
# copied by name, new ones take their defaults, ``rebuild`` computes the rest).
# Frozen: sizes are numbers, not the constants of stream.core.features, which describe
# the current layout.  Bytes written before version 2 carry no version byte and are not
# read.  When features.STATE_LAYOUT changes: copy it here first as the next LAYOUT_Vn
# (frozen the same way), bump STATE_VERSION, add the step to ``state_history``
# (docs/operations.md, "Upgrading the state format").
_LATE_VALUES = (("values", "H"),)
_COUNT_AMOUNT_U16 = (("counts", "H"), ("amounts", "I"))  # v2-v6: a ring's counts were u16

#: What v2 and v3 stored alike, before and after the rollover and lateness fields v3 changed.
_V2_V3_HEAD = (
    Scalar("last_ts", "d"), Scalar("first_ts", "I"), Scalar("n_loans", "I"), Scalar("n_repayments", "I"),
    Scalar("last_loan_ts", "d"),
    RingField("ring_1h", Ring, 6, 600, _COUNT_AMOUNT_U16),
    RingField("ring_24h", Ring, 24, 3600, _COUNT_AMOUNT_U16),
    RingField("ring_30d", Ring, 30, 86400, _COUNT_AMOUNT_U16),
    Array("hour_hist", "H", 24), Array("product_seen", "I", 5), Array("channel_seen", "I", 4),
    Array("device_hashes", "Q", 4), Array("device_seen", "I", 4), Array("device_first", "I", 4),
    Scalar("ew_log_amount", "d"), Scalar("ew_var_log_amount", "d"), Scalar("outstanding", "d"),
    Scalar("limit", "d"), Scalar("limit_before", "d"), Scalar("limit_changed_ts", "d"), Scalar("late_ewm", "d"),
)
_V2_V3_TAIL = (
    Array("recent_ids", "Q", 16), Scalar("recent_pos", "H"), Scalar("segment", "b", -1),
    Scalar("alert_key", "Q"), Scalar("alert_ts", "d"), Scalar("alert_rank", "b", -1),
)

#: Version 2 (2026-11-28, 6938283..e42295b): the first versioned layout.
LAYOUT_V2 = StateLayout(
    version=2,
    fields=(
        *_V2_V3_HEAD,
        Scalar("prev_due", "I"),  # due time of the user's latest loan (the v2 rollover chain's only memory)
        Scalar("prev_amount", "I"),  # its amount, whole yuan
        RingField("late_ring", MaxRing, 9, 864000, _LATE_VALUES),
        Scalar("late_last", "H"), Scalar("late_streak", "B"),
        Scalar("rollover_chain", "B"),  # consecutive loans each rolling over the one before
        Array("loan_hashes", "Q", 8),  # 64-bit id_hash of the loan id
        Array("loan_due", "I", 8), Array("loan_end", "I", 8), Array("loan_amount", "I", 8),
        *_V2_V3_TAIL,
    ),
)

#: Version 3 (2026-11-28, 3fa5b68..26ed953): rollover depth over the open loans, rising lateness.
LAYOUT_V3 = StateLayout(
    version=3,
    fields=(
        *_V2_V3_HEAD,
        RingField("late_ring", MaxRing, 9, 864000, _LATE_VALUES),
        Scalar("late_last", "H"), Scalar("late_streak", "B"), Scalar("late_nz_last", "H"), Scalar("late_nz_ts", "I"),
        Scalar("late_rising", "B"), Scalar("rollover_chain", "B"),
        Array("loan_hashes", "I", 8), Array("loan_due", "I", 8), Array("loan_end", "I", 8),
        Array("loan_amount", "I", 8), Array("loan_depth", "B", 8), Array("loan_rolled", "B", 8),
        *_V2_V3_TAIL,
    ),
)


#: Version 4 (2026-11-29, d786b47..d16a92f): short-term loans per day.
LAYOUT_V4 = StateLayout(
    version=4,
    fields=(*LAYOUT_V3.fields, RingField("short_ring", CountRing, 30, 86400, (("values", "B"),))),
)


#: Version 5 (2026-11-30, dcff580..068cbdd): the open loans' early-warning tags.
LAYOUT_V5 = StateLayout(
    version=5,
    fields=(*LAYOUT_V4.fields, Array("loan_ew", "B", 8), Array("loan_ew_source", "B", 8)),
)


#: Version 6 (2026-12-02, 8806c9f..5ee9fb6): the merchant of the latest merchant loan.
LAYOUT_V6 = StateLayout(
    version=6,
    fields=(*LAYOUT_V5.fields, Texts("merchant", 64, 1), Scalar("loan_at_merchant", "B")),
)
_COUNTED_RINGS = ("ring_1h", "ring_24h", "ring_30d")


def _in_a_byte(f: Any) -> Any:
    """A v6 field as v7 stores it: a counted ring's counts and the hour profile a byte each."""
    if f.name in _COUNTED_RINGS:
        return RingField(f.name, Ring, f.slots, f.bucket_width, COUNT_AMOUNT)
    return Array("hour_hist", "B", 24) if f.name == "hour_hist" else f


#: Version 7 (2026-12-04, 3556ef3..8e0dd06): a byte per ring count and hour; open loans' products,
#: the newest loan's amount and product, and the run of funded repayments.
LAYOUT_V7 = StateLayout(
    version=7,
    fields=(
        *map(_in_a_byte, LAYOUT_V6.fields),
        Array("loan_product", "B", 8), Scalar("last_loan_amount", "I"), Scalar("last_loan_product", "B"),
        Scalar("funded_ts", "I"), Scalar("funded_chain", "B"),
    ),
)


#: Version 8 (2026-12-06, 833dc0b..b1a291f): watch slots for the early warning's loans beyond the
#: open-loan slots, left off the stored bytes while empty.
LAYOUT_V8 = StateLayout(
    version=8,
    fields=(
        *LAYOUT_V7.fields,
        Array("watch_hashes", "I", 16), Array("watch_due", "I", 16), Array("watch_product", "B", 16),
        Array("watch_ew", "B", 16), Array("watch_ew_source", "B", 16),
    ),
    zero_tail=5,
)


def _with_position(f: Any) -> tuple[Any, ...]:
    return (f, Scalar("folded_through", "Q")) if f.name == "recent_pos" else (f,)


#: Version 9 (2026-12-07, 154e20f..1bb787a): the input position of the last event folded in,
#: after the dedup ring's position.
LAYOUT_V9 = StateLayout(
    version=9,
    fields=tuple(g for f in LAYOUT_V8.fields for g in _with_position(f)),
    zero_tail=5,
)


def _ring_with_u8_counts(name: str) -> Callable[[Any], Ring]:
    def rebuild(old: Any) -> Ring:
        ring: Ring = getattr(old, name)
        ring.counts = [min(c, U8_MAX) for c in ring.counts]
        return ring
    return rebuild


def _hours_in_a_byte(hours: list[int]) -> list[int]:
    """A v6 local-hour profile (two bytes an hour) halved until every hour fits one: its shape is what counts."""
    while max(hours) > U8_MAX:
        hours = [c // 2 for c in hours]
    return hours


_NARROWED = (*_COUNTED_RINGS, "hour_hist")
_NARROWED_TO_U8 = {**{name: _ring_with_u8_counts(name) for name in _COUNTED_RINGS},
                   "hour_hist": lambda old: _hours_in_a_byte(old.hour_hist)}
_NARROWED_AS_THEY_ARE = {name: attrgetter(name) for name in _NARROWED}


def _loan_hashes_from_v2(old: Any) -> list[int]:
    """v2 kept each open loan's 64-bit ``id_hash``, v3 its ``loan_hash``: the same hash's
    low 32 bits (1 when those are 0).  Exact: a repayment after the upgrade finds its loan."""
    return [((h & U32_MAX) or 1) if h else 0 for h in old.loan_hashes]


def state_history(current: StateLayout) -> StateHistory:
    """Every stored version up to ``current`` (``stream.core.features.STATE_LAYOUT``), one step each.

    v2 -> v3: prev_due / prev_amount dropped; loan ids rebuilt exactly; rollover_chain
    copied although v3 counts it differently (depth over the open loans, not consecutive
    rollovers of the latest loan: the same for a plain spiral); late_nz_last,
    late_nz_ts, late_rising, loan_depth, loan_rolled start at 0 (v2 kept nothing they
    could be rebuilt from).  v3 -> v4: short_ring starts empty (v3 kept no loan terms),
    so short_loans_30d counts only loans from the upgrade on, for up to 30 days.
    v4 -> v5: loan_ew / loan_ew_source start at 0: loans open at the upgrade carry
    no early-warning tag, so their outcomes are not counted (stream.core.outcome_watch).
    v5 -> v6: merchant / loan_at_merchant start empty: loans open at the upgrade carry no
    merchant, so their lateness is not attributed to one (stream.core.entities).
    v6 -> v7: each ring bucket's count saturates at 255 and the local-hour profile is halved
    below 255 (one byte each, not two): larger v6 counts are clamped, a v6 profile is
    halved as the fold halves it, and both go back into v6's two bytes as they are.
    The open loans' products, the newest loan's amount and product and the run of
    funded repayments start empty: a repayment into a loan open at the upgrade is not
    recognised as funded.
    v7 -> v8: the watch slots start empty: a loan already beyond the open-loan slots at the
    upgrade stays untracked, as it was; loans from the upgrade on are followed.
    v8 -> v9: ``folded_through`` starts at 0 (no position): until the user's next event, a
    replay is recognised by id alone, as before.
    v9 -> v10: ``rekeyed_through`` starts empty: a re-keyed copy sent again for an event folded
    before the upgrade is recognised by id alone, as before.
    """
    return StateHistory(current, (
        Step(LAYOUT_V2, LAYOUT_V3, rebuild={"loan_hashes": _loan_hashes_from_v2}),
        Step(LAYOUT_V3, LAYOUT_V4),
        Step(LAYOUT_V4, LAYOUT_V5),
        Step(LAYOUT_V5, LAYOUT_V6),
        Step(LAYOUT_V6, LAYOUT_V7, rebuild=_NARROWED_TO_U8, restore=_NARROWED_AS_THEY_ARE),
        Step(LAYOUT_V7, LAYOUT_V8),
        Step(LAYOUT_V8, LAYOUT_V9),
        Step(LAYOUT_V9, current),
    ))
