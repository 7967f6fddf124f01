"""Per-user rolling features from bounded state: the one implementation used by the
stream worker and by every offline command (train, score, evaluate).

Why this shape:
* **Bounded state.**  A user's state has a fixed size whatever their history:
  time-bucketed ring counters for the windows, a few exponentially weighted
  moments, and small fixed-size slot tables (devices, open loans, recent event
  ids).  It serialises to a fixed-length byte string (``STATE_BYTES``), which is
  what the Faust table and its changelog store.
* **Order tolerance.**  Ring counters add a late event into the bucket it belongs
  to as long as that bucket is still inside the ring, so events that arrive a
  little out of order count exactly as if they had been in order.  Window sums
  are taken as of the newest event time seen for the user.  An event older than a
  ring's horizon is still scored but no longer counted in that window.
* **Idempotence.**  In the stream, the state remembers the input position
  (partition, offset) of the last event folded into it, written atomically
  with it: a replay after a crash re-reads events at positions the state has
  already passed, however many there are; and, for events that came as re-keyed
  copies (a producer without keys), how far each source partition's copies are
  folded (``Copy``), so copies sent again by a forwarder's successor are recognised
  too.  The last ``RECENT_IDS`` event ids (64-bit hashes) are kept as well, for
  copies of an event at other positions (a producer's retry) and for offline
  files, which have no positions.  Ids alone were not enough: a replay of more than
  ``RECENT_IDS`` of a user's events pushes each id out before its own copy
  comes, and every event was counted twice (docs/reliability.md, finding 20).

Windows are bucket-aligned: "1h" is the current 10-minute bucket plus the five
before it, "24h" the current hour bucket plus 23, "7d"/"30d" the current day
bucket plus 6 / 29 (UTC days).

Each thing is declared once: a state field is one line of ``STATE_LAYOUT``
(``UserState``'s slots, defaults and byte codec follow from it; bump
``STATE_VERSION`` with it, keeping the old layout and a migration step in
``stream.core.state_versions`` so stored states are upgraded, not reset); a feature is its name in ``LOAN_FEATURES`` /
``REPAYMENT_FEATURES`` (the model's column order), its words in ``FEATURE_TEXT``
(checked against the names at import) and one ``f.name = value`` line where its
event type's features are built (a missing or misspelt name raises).
"""

from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Sequence

from stream.core.contract import CHANNELS, PRODUCTS, SEGMENTS, Event, LoanEvent
from stream.core.rings import COUNT_AMOUNT, U8_MAX, U32_MAX, CountRing, MaxRing, Ring
from stream.core.state_layout import Array, RingField, Scalar, StateLayout, Texts
from stream.core.state_versions import state_history

HOUR = 3600.0
DAY = 86400.0

# (slots, bucket width in seconds) of the three ring counters.
RING_1H = (6, 600)
RING_24H = (24, 3600)
RING_30D = (30, 86400)
LATE_RING = (9, 10 * 86400)  # worst lateness per 10-day bucket: the "90d" window
#: Leads every serialised state; bump it whenever STATE_LAYOUT changes, so a
#: worker never misreads state written by an older version from the changelog
#: (it migrates it: STATE_HISTORY below, from stream.core.state_versions).
STATE_VERSION = 10
RECENT_IDS = 16  # dedup by id: the last 16 events of the user (replays are recognised by position)
DEVICE_SLOTS = 4
OPEN_LOAN_SLOTS = 8
#: Loans the early warning's outcome watch follows beyond the open-loan slots
#: (stream.core.outcome_watch): a loan that finds the open-loan slots full of loans due
#: sooner, or is pushed out of its slot by one, keeps its id hash, due date, product and
#: early-warning tag in a watch slot until its first repayment; so does a one-off loan closed
#: by a payment smaller than its amount, until its next one (since stop 58).  Features never read them:
#: the eight open-loan slots stay what the model was trained on.  When the watch slots are
#: full, the soonest due are kept, and an entry WATCH_FORGET_DAYS past its due date makes
#: room for any loan (the sweep realised it long before, at lateness settings up to that).
#: Sixteen, twice the open-loan slots: with eight, a fifth of the scored loans of a held-out
#: lender whose borrowers stack loans were still lost, with sixteen 7 % (docs/early_warning.md).
WATCH_SLOTS = 16
WATCH_FORGET_DAYS = 90
#: Source partitions whose re-keyed copies a state follows (``Copy``), the most recently seen
#: first: a producer without keys spreads a user's events over every partition, and a replay
#: of each one re-sends its copies.  Beyond eight, the partition seen longest ago is forgotten and
#: its copies are recognised by id alone.
REKEY_SOURCES = 8
#: The state keeps the id of the merchant the user's latest merchant loan was drawn at, and
#: which open loans were drawn there: a repayment carries no merchant, so a late one is
#: attributed through its loan (the merchant's entity view counts its borrowers' lateness,
#: stream.core.entities).  One merchant, not one per loan: ids take up to 64 bytes and the
#: state stays near 1 KB.  A loan at another merchant takes the slot, and the open loans
#: drawn at the one before are then no longer attributed (a ring's members draw at the ring's till).
MERCHANT_ID_BYTES = 64  # the contract's longest id
#: A new loan, at least as big, taken while an earlier loan is unpaid and falls due
#: within the next ROLLOVER_DAYS (or fell due less than ROLLOVER_GRACE_DAYS ago) rolls
#: it over.  Due dates are calendar dates: "up to 3 days before the due date" is up to
#: 4 x 24 h before the due moment (the disbursal's time of day), and the due date
#: itself is good until its end, up to 24 h after that moment.
ROLLOVER_DAYS = 4.0
ROLLOVER_GRACE_DAYS = 1.0
EW_ALPHA = 0.2  # weight of the newest loan in the user's amount moments
ROLLOVER_MAX_GROWTH = 3.0  # a bigger jump is a different loan, not a rollover of the previous one
#: A rollover at least this much bigger than the loan it repays deepens the chain; a smaller
#: one starts it again at depth 1.  A debt spiral borrows more each time, step after step
#: (the fees and interest of the loan before); a borrower who rolls the same loan over every
#: week (a payday habit) does not, and a depth that counted every rollover grew with tenure:
#: calibrated on a 45-day history, it crossed the threshold in the next fortnight for 57 such
#: borrowers of one held-out payday lender.  Escalation in a row, not in total, so the depth
#: does not grow with tenure either for a borrower whose amounts drift up now and then
#: (docs/worlds.md, "flat rollovers").
ROLLOVER_ESCALATION = 1.1
RECENT_DEVICE_S = 6 * HOUR  # a device first seen this recently, on an established account
ESTABLISHED_S = 7 * DAY
INSTALMENT_PERIOD = 30 * DAY
RISING_HORIZON_S = 30 * DAY
#: A repayment is "funded" when the user's newest loan, of another product than the loan
#: repaid, was taken at most FUNDED_HOURS before it and is FUNDED_MIN_RATIO to
#: FUNDED_MAX_RATIO times the repaid loan's amount: borrowed money repaying other debt.
#: Two credit lines paying each other off do it again and again; ``funded_repeats_30d``
#: counts such repayments in a row, each within FUNDED_HORIZON_S of the one before.
FUNDED_HOURS = 48.0
FUNDED_MIN_RATIO = 0.9
FUNDED_MAX_RATIO = 1.5
FUNDED_HORIZON_S = 30 * DAY
#: A loan of at most this many days is short-term (payday-style cash).  Drawing
#: several within a month is the early sign of a borrower living on short credit:
#: it precedes the late repayments of an overdue escalation by weeks.
SHORT_TERM_DAYS = 14

#: Every feature's name, with the words an alert's reasons use for it.  One table for
#: both event types: a name means the same thing on a loan and on a repayment.
FEATURE_TEXT: dict[str, str] = {
    "log_amount": "log(1+amount)",
    "amount_over_limit": "loan amount / credit limit",
    "loans_1h": "loans in 1h",
    "loans_24h": "loans in 24h",
    "loans_7d": "loans in 7d",
    "loans_30d": "loans in 30d",
    "amount_1h_over_limit": "amount borrowed in 1h / limit",
    "amount_24h_over_limit": "amount borrowed in 24h / limit",
    "amount_7d_over_limit": "amount borrowed in 7d / limit",
    "amount_30d_over_limit": "amount borrowed in 30d / limit",
    "distinct_products_7d": "distinct products in 7d",
    "distinct_channels_7d": "distinct channels in 7d",
    "distinct_devices_30d": "distinct devices in 30d",
    "unseen_device": "device never seen for this user",
    "new_channel": "new channel",
    "new_product": "product never used before",
    "log_hours_since_prev_loan": "log(1+hours since previous loan)",
    "night_hour": "loan at night (0-6h)",
    "hour_unusual": "unusual hour for this user",
    "amount_z_user": "amount vs. user's own history (sd)",
    "utilisation": "outstanding / limit",
    "log_limit_change": "log(limit change in 7d)",
    "late_max_90d": "worst days late in 90d",
    "late_ewm": "typical days late (recent)",
    "late_last": "days late of the latest repayment",
    "late_streak": "repayments each later than the last",
    "rollover_chain": "loans in a row each taken, bigger, to repay the one before (rollover depth)",
    "rollover_growth": "loan / the loan it rolls over",
    "recent_device": "device first seen within hours",
    "segment_code": "segment",
    "amount_rel_segment": "log(amount vs. segment median)",
    "loans_30d_rel_segment": "loans in 30d vs. segment median",
    "overdue_days": "days the most overdue open loan is past due",
    "overdue_loans": "open loans past due",
    "loans_while_late": "loans taken while this repayment was late",
    "repaid_by_rollover": "rollover depth of the loan that repaid this one",
    "funded_repeats_30d": "repayments in a row, each within 30 days, funded by a new loan of another product",
    "late_rising": "late repayments in a row, each later than the last",
    "short_loans_30d": "short-term loans (up to 14 days) in 30d",
    "log_term_days": "log(1+term in days) of this loan",
    "product_code": "product of this loan (index into PRODUCTS)",
    "cash_loan": "unsecured cash loan",
    "days_late": "days late",
    "late_trend": "days later than the user's trend",
}

#: The model's column order for loans (a trained model stores it and refuses another).
LOAN_FEATURES: tuple[str, ...] = (
    "log_amount",
    "amount_over_limit",
    "loans_1h",
    "loans_24h",
    "loans_7d",
    "loans_30d",
    "amount_1h_over_limit",
    "amount_24h_over_limit",
    "amount_7d_over_limit",
    "amount_30d_over_limit",
    "distinct_products_7d",
    "distinct_channels_7d",
    "distinct_devices_30d",
    "unseen_device",
    "new_channel",
    "new_product",
    "log_hours_since_prev_loan",
    "night_hour",
    "hour_unusual",
    "amount_z_user",
    "utilisation",
    "log_limit_change",
    "late_max_90d",
    "late_ewm",
    "late_last",
    "late_streak",
    "rollover_chain",
    "rollover_growth",
    "recent_device",
    "segment_code",
    "amount_rel_segment",
    "loans_30d_rel_segment",
    "overdue_days",
    "overdue_loans",
    "late_rising",
    "short_loans_30d",
    "log_term_days",
    "product_code",
    "cash_loan",
)

#: The model's column order for repayments.
REPAYMENT_FEATURES: tuple[str, ...] = (
    "days_late",
    "late_trend",
    "late_streak",
    "late_max_90d",
    "late_ewm",
    "log_amount",
    "utilisation",
    "loans_7d",
    "loans_30d",
    "amount_30d_over_limit",
    "rollover_chain",
    "log_hours_since_prev_loan",
    "segment_code",
    "overdue_days",
    "loans_while_late",
    "repaid_by_rollover",
    "late_rising",
    "short_loans_30d",
    "funded_repeats_30d",
)


def _check_names() -> None:
    """Every listed feature has words, every worded feature is listed, none twice (at import)."""
    for names in (LOAN_FEATURES, REPAYMENT_FEATURES):
        if len(set(names)) != len(names):
            raise ValueError(f"feature named twice: {sorted(n for n in names if names.count(n) > 1)}")
    listed = set(LOAN_FEATURES) | set(REPAYMENT_FEATURES)
    if listed != set(FEATURE_TEXT):
        raise ValueError(
            f"features without words: {sorted(listed - set(FEATURE_TEXT))}; "
            f"words for no feature: {sorted(set(FEATURE_TEXT) - listed)}"
        )


_check_names()

#: Each loan feature's position in the FeatureRow tuple (the model's column).
_LOAN_COLUMN: dict[str, int] = {name: i for i, name in enumerate(LOAN_FEATURES)}


def _values_in_order(names: tuple[str, ...]) -> Callable[[object], tuple[float, ...]]:
    """A method returning the attributes ``names`` as a tuple, in that order.

    Generated straight-line code (``return (self.a, self.b, ...)``): it runs for
    every event, and a generic ``attrgetter`` costs several times more.
    """
    namespace: dict[str, Any] = {}
    exec(f"def values(self):\n    return ({''.join(f'self.{n}, ' for n in names)})\n", namespace)  # noqa: S102
    return namespace["values"]


class _LoanFeatures:
    """One loan's features, set by name (``f.loans_1h = ...``); ``values()`` is the
    FeatureRow tuple in LOAN_FEATURES order.  Building by name instead of by
    position means a misspelt feature fails at once (no such slot) and a forgotten
    one when ``values()`` reads it (unset slot), instead of shifting every later
    column the model reads."""

    __slots__ = LOAN_FEATURES
    values = _values_in_order(LOAN_FEATURES)


class _RepaymentFeatures:
    """One repayment's features, set by name; ``values()`` in REPAYMENT_FEATURES order."""

    __slots__ = REPAYMENT_FEATURES
    values = _values_in_order(REPAYMENT_FEATURES)


#: Loan features that are a yes or a no (1.0 / 0.0): an alert tells them as such, with how often
#: the training's loans said yes (``models.model.describe``), not as a median and p99 of 0 and 1.
FLAG_FEATURES: frozenset[str] = frozenset(
    {"unseen_device", "recent_device", "new_channel", "new_product", "night_hour", "cash_loan"})
#: Features whose value is relative to the user's segment, filled in by
#: ``apply_segment_stats`` with medians learnt at training time.
SEGMENT_RELATIVE = {"amount_rel_segment": "log_amount", "loans_30d_rel_segment": "loans_30d"}

_NO_PREVIOUS_HOURS = 24 * 90.0
_U16_MAX = 0xFFFF


def _sec(ts: float) -> int:
    """Whole seconds clamped to what a 32-bit state field holds (1970 to 2106).

    The contract accepts any date; an event outside that range is still scored,
    its remembered times just saturate instead of breaking serialisation.
    """
    return min(max(int(ts), 0), U32_MAX)


def id_hash(text: str) -> int:
    """Stable 64-bit hash of an id (Python's ``hash`` changes per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


#: The user's state, field by field in byte order: the one place a field is declared.
#: ``UserState``'s slots, defaults and byte codec and ``STATE_BYTES`` all follow from it.
#: Times stored as "I" are whole seconds (0 = never): 4 bytes each keeps the state small.
STATE_LAYOUT = StateLayout(
    version=STATE_VERSION,
    fields=(
        Scalar("last_ts", "d"),  # newest event time seen
        Scalar("first_ts", "I"),  # whole seconds; 0 = no event yet
        Scalar("n_loans", "I"),
        Scalar("n_repayments", "I"),
        Scalar("last_loan_ts", "d"),
        RingField("ring_1h", Ring, *RING_1H, COUNT_AMOUNT),
        RingField("ring_24h", Ring, *RING_24H, COUNT_AMOUNT),
        RingField("ring_30d", Ring, *RING_30D, COUNT_AMOUNT),
        Array("hour_hist", "B", 24),  # loans per local hour, all halved when one reaches 255
        Array("product_seen", "I", len(PRODUCTS)),  # newest loan time per product
        Array("channel_seen", "I", len(CHANNELS)),
        Array("device_hashes", "Q", DEVICE_SLOTS),  # least recently seen is replaced
        Array("device_seen", "I", DEVICE_SLOTS),
        Array("device_first", "I", DEVICE_SLOTS),
        Scalar("ew_log_amount", "d"),
        Scalar("ew_var_log_amount", "d"),
        Scalar("outstanding", "d"),
        Scalar("limit", "d"),
        Scalar("limit_before", "d"),  # limit before its latest change
        Scalar("limit_changed_ts", "d"),
        Scalar("late_ewm", "d"),
        RingField("late_ring", MaxRing, *LATE_RING, (("values", "H"),)),
        Scalar("late_last", "H"),  # days late of the latest repayment
        Scalar("late_streak", "B"),  # consecutive repayments each later than the one before
        Scalar("late_nz_last", "H"),  # days late of the latest-arrived late (days_late >= 1) repayment
        Scalar("late_nz_ts", "I"),  # its time, whole seconds
        Scalar("late_rising", "B"),  # late repayments in a row each later than the late one before (on-time ones skipped)
        Scalar("rollover_chain", "B"),  # rollover depth of the latest-arrived loan (see _rollover)
        Array("loan_hashes", "I", OPEN_LOAN_SLOTS),  # open loans (32-bit id hash), soonest due kept when full
        Array("loan_due", "I", OPEN_LOAN_SLOTS),  # next due time
        Array("loan_end", "I", OPEN_LOAN_SLOTS),  # final due time (instalments)
        Array("loan_amount", "I", OPEN_LOAN_SLOTS),  # whole yuan
        Array("loan_depth", "B", OPEN_LOAN_SLOTS),  # rollover depth: 0, or 1 + that of the loan it rolled over
        Array("loan_rolled", "B", OPEN_LOAN_SLOTS),  # depth of the loan that rolled this one over (0: none)
        Array("recent_ids", "Q", RECENT_IDS),  # dedup: 64-bit hashes of the last event ids
        Scalar("recent_pos", "H"),
        Scalar("folded_through", "Q"),  # input position of the last event folded in (``position``; 0: none)
        Scalar("segment", "b", -1),  # index into SEGMENTS from the latest loan; repayments do not carry it
        Scalar("alert_key", "Q"),  # hash of what fired in the user's last sent alert (for suppression)
        Scalar("alert_ts", "d"),  # event time of that alert
        Scalar("alert_rank", "b", -1),  # its severity rank
        RingField("short_ring", CountRing, *RING_30D, (("values", "B"),)),  # short-term loans (SHORT_TERM_DAYS) per day
        Array("loan_ew", "B", OPEN_LOAN_SLOTS),  # early-warning probability the open loan was scored with: 1 + percent (0: none)
        Array("loan_ew_source", "B", OPEN_LOAN_SLOTS),  # how it alerted: 1 + index into outcome_watch.SOURCES
        Texts("merchant", MERCHANT_ID_BYTES, 1),  # id (UTF-8) of the merchant the latest merchant loan was drawn at
        Scalar("loan_at_merchant", "B"),  # bit i: open-loan slot i was drawn at that merchant
        Array("loan_product", "B", OPEN_LOAN_SLOTS),  # 1 + index into PRODUCTS of the open loan (0: unknown)
        Scalar("last_loan_amount", "I"),  # whole yuan of the newest loan (the one last_loan_ts is the time of)
        Scalar("last_loan_product", "B"),  # 1 + its index into PRODUCTS (0: no loan yet)
        Scalar("funded_ts", "I"),  # time of the latest funded repayment, whole seconds (0: none)
        Scalar("funded_chain", "B"),  # funded repayments in a row, each within FUNDED_HORIZON_S of the one before
        Array("watch_hashes", "I", WATCH_SLOTS),  # loans beyond the open-loan slots until their first repayment (0: free)
        Array("watch_due", "I", WATCH_SLOTS),  # first due time (the open slot's next due time, for a loan pushed out)
        Array("watch_product", "B", WATCH_SLOTS),  # 1 + index into PRODUCTS
        Array("watch_ew", "B", WATCH_SLOTS),  # early-warning tag, as loan_ew
        Array("watch_ew_source", "B", WATCH_SLOTS),  # as loan_ew_source
        # per source partition, the position of its re-keyed copies folded in with none missing (0: free)
        Array("rekeyed_through", "Q", REKEY_SOURCES),
    ),
    zero_tail=6,  # the watch slots and the re-keyed copies' sources: left off while empty (COMPACT_STATE_BYTES)
)
#: The stored size of a state whose watch slots follow a loan or that has folded a re-keyed copy.
STATE_BYTES = STATE_LAYOUT.size
#: Nearly every user's watch slots are empty (the watch follows only loans beyond eight open
#: ones), and with producers that key by user no event of theirs is a re-keyed copy: such a state is
#: stored without the tail, 1,008 bytes (version 7's 1,000 and v9's position); 1,248 while the watch
#: follows a loan of the user's or the state follows re-keyed copies.  Issue 4's bar is 1,024 bytes a
#: user, key included.
COMPACT_STATE_BYTES = STATE_LAYOUT.compact_size

#: Every stored version up to STATE_LAYOUT (``stream.core.state_versions``).
STATE_HISTORY = state_history(STATE_LAYOUT)
_CODEC = STATE_LAYOUT.compile(older=STATE_HISTORY.upgrade)


class UserState:
    """Everything the monitor remembers about one user (fixed size): the fields of
    STATE_LAYOUT, whose comments say what each holds."""

    __slots__ = STATE_LAYOUT.names
    # Generated from STATE_LAYOUT (see stream.core.state_layout): every field at its default;
    # the encoding stored in the Faust table / changelog, led by STATE_VERSION (without the
    # empty watch slots: COMPACT_STATE_BYTES); and its decoding.  Bytes of an older stored
    # version are migrated (STATE_HISTORY.upgrade); any other bytes raise StateFormatError.
    __init__ = _CODEC.init
    to_bytes = _CODEC.encode
    from_bytes = classmethod(_CODEC.decode)


#: Where every stored version (2 to STATE_VERSION) keeps ``first_ts``: after the version byte and
#: ``last_ts``.  Read without decoding, to scan a whole table (``first_seen``).
_FIRST_TS = struct.Struct("<I")
_FIRST_TS_AT = 1 + struct.calcsize("<d")
assert STATE_LAYOUT.names[:2] == ("last_ts", "first_ts")


def first_seen(stored: bytes) -> int:
    """A stored state's ``first_ts`` without decoding it (0 for bytes too short to hold one): a worker
    scans its table for the state epoch (``stream.core.state_epoch``) at 0.2 us a state."""
    return _FIRST_TS.unpack_from(stored, _FIRST_TS_AT)[0] if len(stored) >= _FIRST_TS_AT + _FIRST_TS.size else 0


def state_encoder(version: int) -> Callable[[UserState], bytes]:
    """How a worker stores states: in the current layout (``version`` 0 or
    ``STATE_VERSION``), or in an older one while workers that read only that
    version still share the consumer group (a rolling upgrade, docs/operations.md).
    ValueError for a version this code cannot write."""
    if version in (0, STATE_VERSION):
        return UserState.to_bytes
    if version not in STATE_HISTORY.writable_versions:
        raise ValueError(
            f"state_write_version {version} cannot be written by this monitor; it writes versions "
            f"{', '.join(map(str, STATE_HISTORY.writable_versions))} (0 = the current one)"
        )
    return lambda state: STATE_HISTORY.downgrade(state, version)


@dataclass(frozen=True, slots=True)
class FeatureRow:
    """Features of one event, in the order of LOAN_FEATURES or REPAYMENT_FEATURES."""

    event_type: str
    values: tuple[float, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return LOAN_FEATURES if self.event_type == "loan" else REPAYMENT_FEATURES


#: Bits of a ``position`` that hold the offset (+1); the partition is above them.
OFFSET_BITS = 48
_OFFSET_MASK = (1 << OFFSET_BITS) - 1


def position(partition: int, offset: int) -> int:
    """Where an input message sits, as ``folded_through`` stores it: the partition in the top
    16 bits, the offset + 1 in the low 48 (2.8e14 messages a partition); 0 means "unknown"."""
    return (partition << OFFSET_BITS) | ((offset + 1) & _OFFSET_MASK)


def covers(through: int, at: int) -> bool:
    """A state folded through position ``through`` has folded the message at ``at``: the same
    partition, not beyond it (0, no position, covers nothing)."""
    return through != 0 and at >> OFFSET_BITS == through >> OFFSET_BITS and at & _OFFSET_MASK <= through & _OFFSET_MASK


@dataclass(frozen=True, slots=True)
class Copy:
    """A re-keyed copy (``stream.core.routing``): a message without its user's key, sent on to the
    user's partition by the worker that read it.  After a crash that worker's successor reads the
    original again and sends another copy, a new message at a new offset, so the copy's own
    position cannot tell it was folded; its original's can.

    ``source``: the original's ``position``.  ``after``: the ``position`` of the copy the same
    forwarder sent just before it, in the same batch, for the same user from the same partition
    (0: none, it was the first).  A forwarder's batches reach the user's partition in order, but
    inside one batch a copy the broker refused is sent again after the ones behind it, so a state
    counts a source partition's copies as folded only through an unbroken chain (``_note_copy``)."""

    source: int
    after: int = 0


def _rekeyed_slot(state: UserState, source: int) -> int | None:
    """The ``rekeyed_through`` slot of ``source``'s partition (None: not followed)."""
    partition = source >> OFFSET_BITS
    for i, through in enumerate(state.rekeyed_through):
        if through and through >> OFFSET_BITS == partition:
            return i
    return None


def replayed(state: UserState, event: Event, at: int, copy: Copy | None = None) -> bool:
    """The event at input position ``at`` (0: none), or the re-keyed ``copy``, is one the state has
    folded already: the state ``covers`` its position, or its original's, and its time is not after
    the newest the state has seen (every folded event's is not).  The time check keeps a recreated
    input topic, whose offsets start again at 0, from having its new events taken for old ones."""
    if event.ts > state.last_ts:
        return False
    if at and covers(state.folded_through, at):
        return True
    if copy is None:
        return False
    slot = _rekeyed_slot(state, copy.source)
    return slot is not None and covers(state.rekeyed_through[slot], copy.source)


def _note_copy(state: UserState, copy: Copy) -> None:
    """Count ``copy``'s original, and every earlier one of its partition's copies, as folded: when
    it was the first of its forwarder's batch (every earlier copy reached the partition before it)
    or the copy just before it is counted already.  Otherwise (the one before was refused and is
    on its way again) the partition's position stays where it is, and what lies beyond it is
    recognised by id, as before v10.  The partition moves to the front; a ninth one pushes out the
    one seen longest ago."""
    slots = state.rekeyed_through
    i = _rekeyed_slot(state, copy.source)
    if copy.after and (i is None or not covers(slots[i], copy.after)):
        return
    del slots[len(slots) - 1 if i is None else i]
    slots.insert(0, copy.source)


def update(state: UserState, event: Event, at: int = 0, copy: Copy | None = None) -> FeatureRow | None:
    """Fold ``event`` into ``state`` and return its features, or None for a duplicate.

    ``at``: the event's input ``position`` (0 offline, where there is none); ``copy``: where its
    original sat, for a re-keyed copy (None otherwise).  Mutates ``state``.  Features that compare
    the event to the user's past (new device, time since previous loan, amount vs. history, hour
    unusualness) are taken before the event is folded in; window counts include it.
    """
    if (at or copy is not None) and replayed(state, event, at, copy):
        return None
    h = id_hash(event.event_id)
    if copy is not None:
        _note_copy(state, copy)  # a copy recognised by its id is accounted for too
    if h in state.recent_ids:
        return None
    state.recent_ids[state.recent_pos] = h
    state.recent_pos = (state.recent_pos + 1) % RECENT_IDS
    if at:
        state.folded_through = at
    if isinstance(event, LoanEvent):
        return _update_loan(state, event)
    return _update_repayment(state, event)


def _update_loan(s: UserState, e: LoanEvent) -> FeatureRow:
    """A loan in three steps: compared with the past, folded in, then the windows as of the newest time."""
    f = _LoanFeatures()
    depth = _loan_against_past(s, e, f)
    _fold_loan(s, e, depth)
    _loan_windows(s, e, f)
    return FeatureRow("loan", f.values())


def _loan_against_past(s: UserState, e: LoanEvent, f: _LoanFeatures) -> int:
    """Set the features that compare the loan with the user's past (before it is folded in); returns its rollover depth."""
    ts = e.ts
    sec = _sec(ts)
    prior = s.n_loans
    if not s.first_ts:
        s.first_ts = sec
    established = sec - s.first_ts >= ESTABLISHED_S
    f.unseen_device, f.recent_device = _see_device(s, e.device_id, sec, prior, established)
    f.new_channel = 1.0 if prior and s.channel_seen[CHANNELS.index(e.channel)] == 0 else 0.0
    f.new_product = 1.0 if prior and s.product_seen[PRODUCTS.index(e.product)] == 0 else 0.0
    f.log_hours_since_prev_loan = math.log1p((max(0.0, ts - s.last_loan_ts) / HOUR) if prior else _NO_PREVIOUS_HOURS)
    if sum(s.hour_hist):
        f.hour_unusual = 1.0 - (s.hour_hist[e.local_hour] + 0.5) / (max(s.hour_hist) + 0.5)
    else:
        f.hour_unusual = 0.0
    if prior >= 2:
        f.amount_z_user = (math.log1p(e.amount) - s.ew_log_amount) / math.sqrt(s.ew_var_log_amount + 0.05)
    else:
        f.amount_z_user = 0.0
    overdue_days, overdue_loans = _overdue(s, sec)
    f.overdue_days, f.overdue_loans = overdue_days, float(overdue_loans)
    depth, f.rollover_growth = _rollover(s, e.amount, sec)
    f.rollover_chain = float(depth)
    return depth


def _fold_loan(s: UserState, e: LoanEvent, depth: int) -> None:
    """Fold the loan into the state: counters, rings, habits, balance, limit, open loans."""
    ts = e.ts
    sec = _sec(ts)
    prior = s.n_loans
    s.n_loans += 1
    if ts >= s.last_loan_ts:
        s.rollover_chain = depth
        s.last_loan_amount = min(round(e.amount), U32_MAX)
        s.last_loan_product = PRODUCTS.index(e.product) + 1
    s.last_loan_ts = max(s.last_loan_ts, ts)
    s.last_ts = max(s.last_ts, ts)
    for ring in (s.ring_1h, s.ring_24h, s.ring_30d):
        ring.add(ts, e.amount)
    for ring in (s.ring_1h, s.ring_24h, s.ring_30d):
        ring.advance(s.last_ts)
    s.hour_hist[e.local_hour] += 1
    if s.hour_hist[e.local_hour] >= U8_MAX:
        s.hour_hist = [c // 2 for c in s.hour_hist]
    pi = PRODUCTS.index(e.product)
    s.product_seen[pi] = max(s.product_seen[pi], sec)
    ci = CHANNELS.index(e.channel)
    s.channel_seen[ci] = max(s.channel_seen[ci], sec)
    log_amount = math.log1p(e.amount)
    if prior == 0:
        s.ew_log_amount, s.ew_var_log_amount = log_amount, 0.0
    else:
        diff = log_amount - s.ew_log_amount
        s.ew_log_amount += EW_ALPHA * diff
        s.ew_var_log_amount = (1 - EW_ALPHA) * (s.ew_var_log_amount + EW_ALPHA * diff * diff)
    s.outstanding += e.amount
    if prior and e.credit_limit != s.limit:
        s.limit_before, s.limit_changed_ts = s.limit, ts
    s.limit = e.credit_limit
    s.segment = SEGMENTS.index(e.segment)
    _open_loan(s, e, depth)
    if e.term_days <= SHORT_TERM_DAYS:
        s.short_ring.add(ts)


def _loan_windows(s: UserState, e: LoanEvent, f: _LoanFeatures) -> None:
    """Set the window and balance features, as of the newest event time seen (the loan included)."""
    limit = max(e.credit_limit, 1.0)
    n1, a1 = s.ring_1h.totals()
    n24, a24 = s.ring_24h.totals()
    n7, a7 = s.ring_30d.totals(7)
    n30, a30 = s.ring_30d.totals()
    horizon7 = int(s.last_ts) - 7 * DAY  # seen-times are whole seconds: compare at that precision
    limit_change = 1.0
    if s.limit_before > 0 and s.last_ts - s.limit_changed_ts <= 7 * DAY:
        limit_change = s.limit / s.limit_before
    log_amount = math.log1p(e.amount)
    f.log_amount = log_amount
    f.amount_over_limit = e.amount / limit
    f.loans_1h = float(n1)
    f.loans_24h = float(n24)
    f.loans_7d = float(n7)
    f.loans_30d = float(n30)
    f.amount_1h_over_limit = a1 / limit
    f.amount_24h_over_limit = a24 / limit
    f.amount_7d_over_limit = a7 / limit
    f.amount_30d_over_limit = a30 / limit
    f.distinct_products_7d = float(sum(1 for t in s.product_seen if t and t >= horizon7))
    f.distinct_channels_7d = float(sum(1 for t in s.channel_seen if t and t >= horizon7))
    f.distinct_devices_30d = float(sum(1 for t in s.device_seen if t and t >= int(s.last_ts) - 30 * DAY))
    f.night_hour = 1.0 if e.local_hour < 6 else 0.0
    f.utilisation = s.outstanding / limit
    f.log_limit_change = math.log(max(limit_change, 1e-6))
    f.late_max_90d = float(_late_max(s))
    f.late_ewm = s.late_ewm
    f.late_last = float(s.late_last)
    f.late_streak = float(s.late_streak)
    f.segment_code = float(s.segment)
    f.amount_rel_segment = log_amount  # made segment-relative by apply_segment_stats
    f.loans_30d_rel_segment = float(n30)  # made segment-relative by apply_segment_stats
    f.late_rising = float(_late_rising(s, _sec(e.ts)))
    f.short_loans_30d = float(s.short_ring.total(s.last_ts))
    f.log_term_days = math.log1p(e.term_days)
    f.product_code = float(PRODUCTS.index(e.product))
    f.cash_loan = 1.0 if e.product == "cash_loan" else 0.0


def _see_device(s: UserState, device_id: str | None, sec: int, prior: int, established: bool) -> tuple[float, float]:
    """Remember the device; returns (device never seen for this user, device first seen recently on
    an established account).

    A user's first loan is on a device never seen for them, and says so: a
    loan farm's new accounts each borrow once from a shared phone, and until
    2026-12-05 (``new_device``, 0 on a first loan) the readers saw nothing new
    there.  Counted as unseen, every held-out family's worst PR-AUC rose or
    held, and runs with the forest under the plain baseline fell from 20 to 12
    of 168 (docs/worlds.md, "A first loan's device counted as unseen").  The
    takeover rule reads the other flag, which needs an established account.
    "Recent" outlives the first loan on a device: an account takeover cashes
    out in several loans within hours, and only the first one is unseen.
    """
    if device_id is None:
        return 0.0, 0.0
    dh = id_hash(device_id)
    if dh in s.device_hashes:
        slot = s.device_hashes.index(dh)
        s.device_seen[slot] = max(s.device_seen[slot], sec)
        first = s.device_first[slot]
        # Established before the device appeared (not just now).
        recent = sec - first <= RECENT_DEVICE_S and first - s.first_ts >= ESTABLISHED_S
        return 0.0, 1.0 if recent else 0.0
    slot = min(range(DEVICE_SLOTS), key=s.device_seen.__getitem__)
    s.device_hashes[slot] = dh
    s.device_seen[slot] = sec
    s.device_first[slot] = sec
    return 1.0, (1.0 if established and prior else 0.0)


def _rollover(s: UserState, amount: float, sec: int) -> tuple[int, float]:
    """(rollover depth, growth) of a new loan of ``amount`` at ``sec``; marks what it rolls over.

    The borrow-to-repay signature: a new loan, as big or bigger (up to
    ROLLOVER_MAX_GROWTH times), taken while an earlier loan is still unpaid and
    about to fall due (ROLLOVER_DAYS before its due moment to ROLLOVER_GRACE_DAYS
    after it) "rolls it over".  The depth is 0 for a loan that rolls nothing
    over, else the largest, over the loans it rolls over, of 1 + that loan's
    depth where it is at least ROLLOVER_ESCALATION times that loan, and 1
    otherwise: a debt spiral's k-th refinancing has depth k however other loans
    interleave, and a flat rollover is depth 1 however long the habit has run.
    The growth is the largest amount / rolled-over amount (0 when depth is 0).
    Each rolled-over loan remembers the depth of the loan that rolled it over,
    so its repayment can be recognised as paid with borrowed money.
    """
    rolled = []
    growth = 0.0
    depth = 0
    for i in range(OPEN_LOAN_SLOTS):
        owed = s.loan_amount[i]
        if not s.loan_hashes[i] or not owed:
            continue
        if -ROLLOVER_GRACE_DAYS * DAY <= s.loan_due[i] - sec <= ROLLOVER_DAYS * DAY:
            ratio = amount / owed
            if 1.0 <= ratio <= ROLLOVER_MAX_GROWTH:
                rolled.append(i)
                growth = max(growth, ratio)
                depth = max(depth, s.loan_depth[i] + 1 if ratio >= ROLLOVER_ESCALATION else 1)
    depth = min(depth, 255)
    for i in rolled:
        s.loan_rolled[i] = max(s.loan_rolled[i], depth)
    return depth, growth


def _overdue(s: UserState, sec: int) -> tuple[float, int]:
    """(days the most overdue open loan is past its due moment, open loans more than
    ROLLOVER_GRACE_DAYS past due) at ``sec``."""
    worst = 0
    count = 0
    grace = ROLLOVER_GRACE_DAYS * DAY
    for i in range(OPEN_LOAN_SLOTS):
        if s.loan_hashes[i]:
            past = sec - s.loan_due[i]
            if past > worst:
                worst = past
            if past > grace:
                count += 1
    return worst / DAY, count


def _update_repayment(s: UserState, e: Event) -> FeatureRow:
    ts = e.ts
    prior_ewm = s.late_ewm
    if not s.first_ts:
        s.first_ts = _sec(ts)
    s.n_repayments += 1
    s.last_ts = max(s.last_ts, ts)
    for ring in (s.ring_1h, s.ring_24h, s.ring_30d):
        ring.advance(s.last_ts)
    if e.outstanding is not None:
        s.outstanding = e.outstanding
    else:
        s.outstanding = max(0.0, s.outstanding - e.amount)
    late = min(e.days_late, _U16_MAX)
    s.late_ring.add(ts, late)
    s.late_streak = min(s.late_streak + 1, 255) if late > s.late_last and late > 0 else 0
    s.late_last = late
    sec = _sec(ts)
    if late:
        s.late_rising = min(s.late_rising + 1, 255) if _late_recent(s, sec) and late > s.late_nz_last else 0
        s.late_nz_last, s.late_nz_ts = late, sec
    s.late_ewm = late if s.n_repayments == 1 else 0.7 * s.late_ewm + 0.3 * late
    funded_repeats = _funded_repeats(s, e.loan_id, ts, sec)
    repaid_by_rollover = _pay_loan(s, e.loan_id, e.amount, sec)
    overdue_days, _ = _overdue(s, sec)
    loans_while_late = s.ring_30d.totals(min(late, 29) + 1)[0] if late else 0
    # Before any loan of the user was seen the limit is unknown: no utilisation then.
    limit = max(s.limit, 1.0) if s.n_loans else math.inf
    n30, a30 = s.ring_30d.totals()
    hours_since = (max(0.0, ts - s.last_loan_ts) / HOUR) if s.n_loans else _NO_PREVIOUS_HOURS
    f = _RepaymentFeatures()
    f.days_late = float(late)
    f.late_trend = late - prior_ewm if s.n_repayments > 1 else 0.0
    f.late_streak = float(s.late_streak)
    f.late_max_90d = float(_late_max(s))
    f.late_ewm = s.late_ewm
    f.log_amount = math.log1p(e.amount)
    f.utilisation = s.outstanding / limit
    f.loans_7d = float(s.ring_30d.totals(7)[0])
    f.loans_30d = float(n30)
    f.amount_30d_over_limit = a30 / limit
    f.rollover_chain = float(s.rollover_chain)
    f.log_hours_since_prev_loan = math.log1p(hours_since)
    f.segment_code = float(s.segment)
    f.overdue_days = overdue_days
    f.loans_while_late = float(loans_while_late)
    f.repaid_by_rollover = float(repaid_by_rollover)
    f.late_rising = float(_late_rising(s, sec))
    f.short_loans_30d = float(s.short_ring.total(s.last_ts))
    f.funded_repeats_30d = float(funded_repeats)
    return FeatureRow("repayment", f.values())


def _funded_repeats(s: UserState, loan_id: str, ts: float, sec: int) -> int:
    """This repayment's place in a run of funded repayments (0: it is not funded); read
    before the repayment is folded into its loan, which it may close.

    Funded: the repaid loan is open with a known product, and the user's newest loan,
    of another product (so another loan), is at most FUNDED_HOURS older than the
    repayment and FUNDED_MIN_RATIO to FUNDED_MAX_RATIO times the repaid loan.  A run
    goes on while each funded repayment comes within FUNDED_HORIZON_S of the one
    before; a repayment that is not funded leaves the run as it is.
    """
    i = loan_slot(s, loan_id)
    if i is None or not s.last_loan_product:
        return 0
    owed, product = s.loan_amount[i], s.loan_product[i]
    if not owed or not product or product == s.last_loan_product:
        return 0
    if not 0.0 <= ts - s.last_loan_ts <= FUNDED_HOURS * HOUR:
        return 0
    if not FUNDED_MIN_RATIO * owed <= s.last_loan_amount <= FUNDED_MAX_RATIO * owed:
        return 0
    recent = s.funded_ts and abs(sec - s.funded_ts) <= FUNDED_HORIZON_S
    s.funded_chain = min(s.funded_chain + 1, U8_MAX) if recent else 1
    s.funded_ts = sec
    return s.funded_chain


def _late_recent(s: UserState, sec: int) -> bool:
    """Whether the latest late repayment is within RISING_HORIZON_S of ``sec`` (a run older than that is over)."""
    return bool(s.late_nz_last) and abs(sec - s.late_nz_ts) <= RISING_HORIZON_S


def _late_rising(s: UserState, sec: int) -> int:
    """The rising run of late repayments, while the latest of them is recent (``_late_recent``)."""
    return s.late_rising if _late_recent(s, sec) else 0


def _late_max(s: UserState) -> int:
    """Worst lateness in the 90-day window, as of the newest event time."""
    s.late_ring.advance(s.last_ts)
    return s.late_ring.max()


@lru_cache(maxsize=1 << 14)  # one event's stages look its loan up 3-7 times (fold, outcome watch, merchant)
def loan_hash(loan_id: str) -> int:
    """32-bit hash of a loan id (never 0, which marks a free slot); a user has at most
    OPEN_LOAN_SLOTS open loans, so a collision among them is negligible."""
    return (id_hash(loan_id) & U32_MAX) or 1


INSTALMENT_PRODUCT = PRODUCTS.index("installment") + 1  # an instalment plan, as loan_product stores it


def _open_loan(s: UserState, e: LoanEvent, depth: int) -> None:
    """Remember the loan's next due date; when full, forget the latest-due loan (the outcome
    watch follows a loan not kept, or forgotten, in a watch slot: ``_watch``)."""
    sec = _sec(e.ts)
    end = min(sec + e.term_days * int(DAY), U32_MAX)
    first_due = min(end, sec + int(INSTALMENT_PERIOD)) if e.product == "installment" else end
    key, product = loan_hash(e.loan_id), PRODUCTS.index(e.product) + 1
    free = [i for i in range(OPEN_LOAN_SLOTS) if not s.loan_hashes[i]]
    if free:
        slot = free[0]
    else:
        slot = max(range(OPEN_LOAN_SLOTS), key=s.loan_due.__getitem__)
        if s.loan_due[slot] <= first_due:
            _watch(s, sec, key, first_due, product, (0, 0))
            return
        _watch(s, sec, s.loan_hashes[slot], s.loan_due[slot], s.loan_product[slot],
               (s.loan_ew[slot], s.loan_ew_source[slot]))
    s.loan_hashes[slot] = key
    s.loan_due[slot] = first_due
    s.loan_end[slot] = end
    s.loan_amount[slot] = min(round(e.amount), U32_MAX)
    s.loan_depth[slot] = depth
    s.loan_rolled[slot] = 0
    s.loan_ew[slot] = s.loan_ew_source[slot] = 0
    s.loan_product[slot] = product
    bit = 1 << slot
    if e.merchant_id:
        mid = e.merchant_id.encode()
        if s.merchant[0] != mid:  # another merchant: its loans take the slot, the older ones forget theirs
            s.merchant[0], s.loan_at_merchant = mid, 0
        s.loan_at_merchant |= bit
    else:
        s.loan_at_merchant &= ~bit


def _watch(s: UserState, sec: int, key: int, due: int, product: int, tag: tuple[int, int]) -> None:
    """Follow a loan the open-loan slots do not keep in a watch slot (``WATCH_SLOTS``): a free
    one, else one ``WATCH_FORGET_DAYS`` past its due date, else the latest due if the loan is
    due sooner; else the loan is not followed.  The choice reads due dates only, never tags:
    the pipeline tags a batch's loans after folding the whole batch, and which loans are
    followed must not depend on how the events were batched."""
    if key in s.watch_hashes:
        return
    dues = s.watch_due
    if 0 in s.watch_hashes:
        slot = s.watch_hashes.index(0)
    else:
        slot = min(range(WATCH_SLOTS), key=dues.__getitem__)
        if dues[slot] + WATCH_FORGET_DAYS * int(DAY) > sec:
            slot = max(range(WATCH_SLOTS), key=dues.__getitem__)
            if dues[slot] <= due:
                return
    s.watch_hashes[slot], s.watch_due[slot], s.watch_product[slot] = key, due, product
    s.watch_ew[slot], s.watch_ew_source[slot] = tag


def loan_slots(s: UserState, loan_id: str) -> tuple[int | None, int | None]:
    """The open-loan slot and the watch slot that hold ``loan_id`` (None where none does), its id
    hashed once: a repayment reads both, before it is folded in and while it is."""
    h = loan_hash(loan_id)
    return (s.loan_hashes.index(h) if h in s.loan_hashes else None,
            s.watch_hashes.index(h) if h in s.watch_hashes else None)


def loan_slot(s: UserState, loan_id: str) -> int | None:
    """The open-loan slot that holds ``loan_id`` (None: closed, never opened, or not kept)."""
    h = loan_hash(loan_id)
    return s.loan_hashes.index(h) if h in s.loan_hashes else None


def merchant_of_loan(s: UserState, loan_id: str) -> str | None:
    """The merchant an open loan of the user was drawn at (None: not at a merchant, closed, or unknown).
    Read before a repayment is folded in: the last one closes the loan."""
    i = loan_slot(s, loan_id) if s.loan_at_merchant else None
    if i is None:
        return None
    return s.merchant[0].decode() if s.loan_at_merchant >> i & 1 else None


def _pay_loan(s: UserState, loan_id: str, amount: float, sec: int) -> int:
    """A repayment moves an instalment loan to its next due date, or closes the loan.

    Returns the depth of the loan that rolled the paid one over (0: none or unknown).
    A loan followed in a watch slot leaves it at its next repayment (``_watch``).  A one-off
    loan (not an instalment plan) closed by a repayment of less than its amount moves into a
    watch slot, due as it was: the outcome watch judges a first payment too small for the
    early warning's label by what follows it (``stream.core.outcome_watch``).  The choice
    reads amounts and products, never tags.
    """
    i, w = loan_slots(s, loan_id)
    if w is not None:
        s.watch_hashes[w] = s.watch_due[w] = s.watch_product[w] = s.watch_ew[w] = s.watch_ew_source[w] = 0
    if i is None:
        return 0
    rolled = s.loan_rolled[i]
    next_due = s.loan_due[i] + int(INSTALMENT_PERIOD)
    if next_due < s.loan_end[i]:
        s.loan_due[i] = next_due
        s.loan_rolled[i] = 0
    else:
        if w is None and s.loan_product[i] != INSTALMENT_PRODUCT and round(amount) < s.loan_amount[i]:
            _watch(s, sec, s.loan_hashes[i], s.loan_due[i], s.loan_product[i], (s.loan_ew[i], s.loan_ew_source[i]))
        s.loan_hashes[i], s.loan_due[i], s.loan_end[i], s.loan_amount[i] = 0, 0, 0, 0
        s.loan_depth[i], s.loan_rolled[i], s.loan_ew[i], s.loan_ew_source[i] = 0, 0, 0, 0
        s.loan_product[i] = 0
        s.loan_at_merchant &= ~(1 << i)
    return rolled


def apply_segment_stats(row: FeatureRow, segment: str | None, stats: dict[str, dict[str, float]]) -> FeatureRow:
    """Express segment-relative features against the medians learnt in training.

    ``stats[segment][base_feature]`` is the training median of that feature for
    the segment; the relative feature is ``value - median`` for logs and
    ``value / max(median, 1)`` for counts, so a student borrowing like a small
    business stands out even when the absolute values look ordinary.
    """
    if row.event_type != "loan" or segment is None:
        return row
    values = list(row.values)
    seg = stats.get(segment, {})
    for rel_name, base_name in SEGMENT_RELATIVE.items():
        i = _LOAN_COLUMN[rel_name]
        base = values[_LOAN_COLUMN[base_name]]
        median = seg.get(base_name)
        if median is None:
            values[i] = 0.0 if base_name.startswith("log_") else 1.0
        elif base_name.startswith("log_"):
            values[i] = base - median
        else:
            values[i] = base / max(median, 1.0)
    return FeatureRow(row.event_type, tuple(values))


def segment_medians(rows: Sequence[tuple[str, FeatureRow]]) -> dict[str, dict[str, float]]:
    """Training medians per segment of the features that SEGMENT_RELATIVE refers to."""
    by_segment: dict[str, dict[str, list[float]]] = {}
    for segment, row in rows:
        if row.event_type != "loan":
            continue
        bucket = by_segment.setdefault(segment, {})
        for base_name in SEGMENT_RELATIVE.values():
            bucket.setdefault(base_name, []).append(row.values[_LOAN_COLUMN[base_name]])
    out: dict[str, dict[str, float]] = {}
    for segment, cols in by_segment.items():
        out[segment] = {name: sorted(v)[len(v) // 2] for name, v in cols.items()}
    return out
