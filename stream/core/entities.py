"""Entity views: what a shared device or merchant looks like across all its borrowers.

A loan farm (thirty new accounts borrowing once from the same few phones) or
a colluding merchant (many borrowers drawing their limits at one till) looks
ordinary one user at a time.  The anomaly is the shared entity, so the
monitor keeps a second kind of state, keyed by ``device_id`` or
``merchant_id`` instead of ``user_id``:

* the user stage turns each loan into **sightings** (one per entity it names:
  its device, its merchant), carrying what only the user's state knows: whether
  the account is new, and whether the loan drew most of the user's limit;
* the entity stage folds sightings into an ``EntityState``: for each of the
  last ``DAYS`` days (event time, UTC), a bottom-k sketch of the hashes of the
  users seen, of the new accounts and of the heavy drawers among them;
* a merchant also learns its borrowers' **later lateness**: a repayment at least
  ``LATE_DAYS`` late into a loan drawn there (the user state remembers each open
  loan's merchant: repayments carry none) is a *lateness sighting*, folded into
  fortnightly sketches of the borrowers who drew there and of those who went late,
  over ``LONG_BUCKETS`` fortnights;
* a sighting **alerts** when the entity's *suspicious borrowers* over the last
  ``WINDOW_DAYS`` (``SUSPICIOUS_KIND``: at a device, distinct new accounts; at
  a merchant, distinct users that drew at least ``HEAVY_SHARE`` of their limit or
  headroom there as a new account or from a device new to them) reach the
  entity type's threshold and
  make up at least its ``MIN_SUSPICIOUS_SHARE`` of its borrowers.  Thresholds come
  from training (``EntityThresholds``), like the user alert budget.

A merchant alerts on its borrowers' lateness the same way (``LATE_SHARE`` of
those who drew there in the long window, and the trained count).

Sizes are fixed: an entity state is ``STATE_BYTES_V1`` bytes whatever its traffic,
``STATE_BYTES`` once a merchant's lateness view holds something.
Distinct counts are exact up to ``SKETCH_K`` users per day and kind; beyond
that they are k-minimum-values estimates (relative standard error about
1/sqrt(k-2), 27 % for k = 16).  Bottom-k sketches are order independent, so
the stream (which sees partitions interleaved) and an offline replay (in file
order) agree on the counts of a window once its sightings have all arrived.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Sequence

import orjson

from stream.core.contract import LoanEvent
from stream.core.features import merchant_of_loan

DAY = 86400
DAYS = 8  # day buckets kept; the window is the newest WINDOW_DAYS of them
WINDOW_DAYS = 7
SKETCH_K = 16  # hashes kept per day and kind (bottom-k)
MEMBERS = 24  # most recent distinct borrowers remembered by id, for the alert body
NEW_ACCOUNT_S = 14 * DAY  # an account first seen this recently is "new"
HEAVY_SHARE = 0.6  # a loan of at least this share of the user's limit (or headroom) is a heavy draw
MIN_HEADROOM_SHARE = 0.25  # headroom below this share of the limit is not judged by its share
#: Of the entity's borrowers in the window, the share that must be suspicious: keeps busy,
#: ordinary shops and shared phones quiet.  Lower at merchants: a colluding shop also serves
#: some real customers, and its own ring draws are unfamiliar heavy draws, rare elsewhere.
MIN_SUSPICIOUS_SHARE = {"device": 0.5, "merchant": 0.3}
ENTITY_TYPES = ("device", "merchant")
KINDS = ("users", "new", "heavy")  # all borrowers; new accounts; unfamiliar heavy draws (Sighting.unfamiliar_heavy)
#: A repayment at least this late into a loan drawn at a merchant counts against the merchant:
#: the early warning's "serious delinquency" (outcome_late_days' default), not a slip of a few days.
LATE_DAYS = 15
LONG_BUCKET_S = 14 * DAY  # the lateness view's buckets: a fortnight each
LONG_BUCKETS = 7  # 14 weeks: a draw, its first due date a month on, and 15+ days late fit in
LONG_KINDS = ("drew", "late")  # borrowers who drew here; of them, went LATE_DAYS late on a loan drawn here
#: Of a merchant's borrowers over the long window, the share that must have gone late: a busy shop
#: at a lender where lateness is a habit has late borrowers too, a cash-out till mostly has.
LATE_SHARE = 0.3
STATE_VERSION = 2  # v2 (2026-12-02): the lateness view; v1 bytes are read and migrated
SOURCE_SLOTS = 64  # input partitions whose last forwarded offset an entity remembers (duplicate filter)

#: The user state version this entity layout shipped with: a worker told to write an older user
#: state (the first bounce of a rolling upgrade, ``Settings.state_write_version``) writes entity
#: state v1 too, which the older workers read.
SHIPPED_WITH_USER_VERSION = 6


def write_version(user_state_write_version: int) -> int:
    """The entity state version to write alongside ``state_write_version`` (0: the current one)."""
    return 1 if 0 < user_state_write_version < SHIPPED_WITH_USER_VERSION else STATE_VERSION


_U32 = 0xFFFFFFFF
_HEADER_V1 = struct.Struct("<BIIiIB")  # version, first_ts, last_ts, head_day, alert_ts, alert_rank
_HEADER = struct.Struct("<BIIiIBi")  # v2: ... and head_long
_BUCKETS = struct.Struct(f"<{DAYS * len(KINDS) * SKETCH_K}I{DAYS}H")
_LONG = struct.Struct(f"<{LONG_BUCKETS * len(LONG_KINDS) * SKETCH_K}I")
_SOURCES = struct.Struct(f"<{SOURCE_SLOTS}q")
_MEMBER = struct.Struct("<65p")
_TAIL = _SOURCES.size + MEMBERS * _MEMBER.size
STATE_BYTES_V1 = _HEADER_V1.size + _BUCKETS.size + _TAIL
STATE_BYTES = _HEADER.size + _BUCKETS.size + _LONG.size + _TAIL


def _whole(*parts: struct.Struct) -> struct.Struct:
    """A version's whole layout as one struct: the parts, then the MEMBERS member slots ("<": no padding,
    so the bytes are the parts' concatenated).  A state is packed and unpacked in one call; a dozen
    calls, joins and copies took about 5 % of a worker's samples (docs/tuning.md, 2026-12-04)."""
    return struct.Struct("<" + "".join(p.format.lstrip("<") for p in (*parts, *[_MEMBER] * MEMBERS)))


_WHOLE_V1 = _whole(_HEADER_V1, _BUCKETS, _SOURCES)
_WHOLE = _whole(_HEADER, _BUCKETS, _LONG, _SOURCES)
_SKETCH_SLOTS = DAYS * len(KINDS) * SKETCH_K
_LONG_SLOTS = LONG_BUCKETS * len(LONG_KINDS) * SKETCH_K


def user_hash(user_id: str) -> int:
    """32-bit hash of a user id, never 0 (0 marks a free sketch slot)."""
    return (int.from_bytes(hashlib.blake2b(user_id.encode(), digest_size=4).digest(), "little") or 1)


@dataclass(frozen=True, slots=True)
class Sighting:
    """One loan seen at one shared entity, with what the user's state said of the borrower."""

    entity_type: str  # "device" | "merchant"
    entity_id: str
    event_id: str
    user_id: str
    ts: float
    new_account: bool
    heavy: bool  # drew most of their limit or headroom
    new_device: bool = False  # on a device new to the user (or first seen within hours on an established account)
    source: tuple[int, int] | None = None  # (input partition, offset) in the stream; None offline
    late_days: int = 0  # a lateness sighting (a repayment this late into a loan drawn at the merchant); 0: a loan

    @property
    def unfamiliar_heavy(self) -> bool:
        """A heavy draw out of the borrower's habits: as a new account, or from a device new to them
        (a colluding till, a farm's phone), not a regular's big purchase on their own phone."""
        return self.heavy and (self.new_account or self.new_device)

    def to_bytes(self) -> bytes:
        """One sighting as one through-topic record (the format before ``pack``; ``unpack`` reads it)."""
        return orjson.dumps(self._fields())

    def _fields(self) -> dict[str, Any]:
        return {
            "t": self.entity_type, "id": self.entity_id, "e": self.event_id, "u": self.user_id, "ts": self.ts,
            "n": self.new_account, "h": self.heavy, "d": self.new_device,
            "src": list(self.source) if self.source else None, "l": self.late_days,
        }

    @classmethod
    def _from_fields(cls, d: dict[str, Any]) -> "Sighting":
        src = d.get("src")
        return cls(d["t"], d["id"], d["e"], d["u"], float(d["ts"]), bool(d["n"]), bool(d["h"]), bool(d.get("d")),
                   (int(src[0]), int(src[1])) if src else None, int(d.get("l") or 0))


def pack(sightings: Sequence[Sighting]) -> bytes:
    """Several sightings as one through-topic record, in their order.

    The user stage sends one record per entity partition and batch instead of
    one per sighting, so the entity stage pays Faust's per-record cost once per
    pack (in one pair of bench runs the entity views' share of the worker's
    events/s went from 0.65x to 0.71x; docs/tuning.md).  Every sighting in a
    pack must belong to the partition the pack is sent to (``stream.worker.batch``).
    """
    return orjson.dumps({"pack": [s._fields() for s in sightings]})


def unpack(data: bytes) -> list[Sighting]:
    """The sightings of one through-topic record: a pack, or a single sighting as older workers send it."""
    d = orjson.loads(data)
    if isinstance(d, dict) and "pack" in d:
        return [Sighting._from_fields(f) for f in d["pack"]]
    return [Sighting._from_fields(d)]


def heavy_draw(amount: float, limit: float, outstanding_after: float) -> bool:
    """Whether a loan drew most of what the user could borrow: ``HEAVY_SHARE`` of the limit, or of the
    headroom left before it (when that is a real share of the limit: at a lender whose limit is per
    product, total balances over the limit say little)."""
    if limit <= 0:
        return False
    headroom = limit - (outstanding_after - amount)
    return amount >= HEAVY_SHARE * limit or (headroom >= MIN_HEADROOM_SHARE * limit and amount >= HEAVY_SHARE * headroom)


def late_at_merchant(state: Any, event: Any) -> str | None:
    """The merchant a repayment at least ``LATE_DAYS`` late pays into a loan drawn at, else None.
    ``state``: the user's ``UserState`` before the repayment is folded in (the last one closes the loan)."""
    if state is None or isinstance(event, LoanEvent) or event.days_late < LATE_DAYS:
        return None
    return merchant_of_loan(state, event.loan_id)


def sightings(event: Any, state: Any, new_device: bool = False, drawn_at: str | None = None,
              unknown_past: bool = False) -> tuple[Sighting, ...]:
    """The sightings of an event: a loan's one per entity it names (its device only when it was not
    drawn at a merchant); a repayment's a lateness sighting of ``drawn_at`` when it is at least
    ``LATE_DAYS`` late, else none.

    ``state``: the user's ``UserState`` with the event folded in: when it first
    saw the user (new account or not) and their balance (heavy draw or not);
    ``new_device``: the loan's features said its device is new to the user;
    ``drawn_at``: for a repayment, ``late_at_merchant`` read before it was folded in;
    ``unknown_past``: the account was first seen so soon after the state began that it may be an
    established one (``stream.core.state_epoch``): for its first ``NEW_ACCOUNT_S`` in the state it is
    neither new nor on a new device.
    """
    if not isinstance(event, LoanEvent):
        if drawn_at:
            return (Sighting("merchant", drawn_at, event.event_id, event.user_id, event.ts, False, False, False,
                             late_days=event.days_late),)
        return ()
    new = event.ts - state.first_ts < NEW_ACCOUNT_S
    if new and unknown_past:
        new = new_device = False
    heavy = heavy_draw(event.amount, event.credit_limit, state.outstanding)
    out = []
    # A loan drawn at a merchant names the shop's till (or the borrower's phone at the till): the
    # merchant's view covers it, and a till shared by a whole campus is no loan farm.
    device_id = event.device_id if event.channel != "merchant" else None
    for entity_type, entity_id in (("device", device_id), ("merchant", event.merchant_id)):
        if entity_id:
            out.append(Sighting(entity_type, entity_id, event.event_id, event.user_id, event.ts, new, heavy, new_device))
    return tuple(out)


@dataclass
class EntityState:
    """Everything the monitor remembers about one device or merchant (``STATE_BYTES`` bytes stored)."""

    first_ts: int = 0
    last_ts: int = 0
    head_day: int = -1  # newest day bucket seen (days since the epoch), -1 when empty
    alert_ts: int = 0  # event time of the newest alert sent, 0 = none (never moved back: entity_alerts.observe)
    alert_rank: int = 0  # its severity's rank
    sketches: list[list[int]] = field(default_factory=lambda: [[0] * SKETCH_K for _ in range(DAYS * len(KINDS))])
    loans: list[int] = field(default_factory=lambda: [0] * DAYS)
    sources: list[int] = field(default_factory=lambda: [-1] * SOURCE_SLOTS)  # next offset expected per partition
    members: list[str] = field(default_factory=list)  # most recent first
    head_long: int = -1  # newest fortnight bucket of the lateness view, -1 when empty
    long_sketches: list[list[int]] = field(
        default_factory=lambda: [[0] * SKETCH_K for _ in range(LONG_BUCKETS * len(LONG_KINDS))])

    def to_bytes(self, version: int = STATE_VERSION) -> bytes:
        """The stored bytes: version 2 (``STATE_BYTES``) once the lateness view holds anything, else
        version 1 (``STATE_BYTES_V1``), which says the same without the empty view, so a device (which
        never has one) or a quiet merchant stores 900 bytes less; ``version`` 1 drops the view, for
        workers that read only v1 while they share the group (a rolling upgrade: ``write_version``)."""
        members = [m.encode() for m in self.members]
        members += [b""] * (MEMBERS - len(members))
        flat = chain.from_iterable(self.sketches)
        if version == 1 or self.head_long < 0:
            return _WHOLE_V1.pack(1, self.first_ts, self.last_ts, self.head_day, self.alert_ts, self.alert_rank,
                                  *flat, *self.loans, *self.sources, *members)
        return _WHOLE.pack(STATE_VERSION, self.first_ts, self.last_ts, self.head_day, self.alert_ts,
                           self.alert_rank, self.head_long, *flat, *self.loans, *chain.from_iterable(self.long_sketches),
                           *self.sources, *members)

    @classmethod
    def from_bytes(cls, data: bytes) -> "EntityState":
        """Decode v2 bytes, or v1 bytes (migrated: the lateness view starts empty)."""
        if len(data) == STATE_BYTES and data[0] == STATE_VERSION:
            v = list(_WHOLE.unpack(data))
            _, first, last, head, alert_ts, rank, head_long = v[:7]
            at, long_slots = 7, _LONG_SLOTS
        elif len(data) == STATE_BYTES_V1 and data[0] == 1:
            v = list(_WHOLE_V1.unpack(data))
            _, first, last, head, alert_ts, rank = v[:6]
            at, long_slots, head_long = 6, 0, -1
        else:
            raise ValueError(f"not an entity state of version 1 or {STATE_VERSION} ({len(data)} bytes)")
        sketches = _chunks(v, at, _SKETCH_SLOTS)
        loans = v[at + _SKETCH_SLOTS:at + _SKETCH_SLOTS + DAYS]
        long_at = at + _SKETCH_SLOTS + DAYS
        at = long_at + long_slots
        sources = v[at:at + SOURCE_SLOTS]
        members = [raw.decode() for raw in v[at + SOURCE_SLOTS:] if raw]
        if head_long < 0:  # v1, or a v2 state with an empty view: the view starts empty
            return cls(first, last, head, alert_ts, rank, sketches, loans, sources, members)
        return cls(first, last, head, alert_ts, rank, sketches, loans, sources, members, head_long,
                   _chunks(v, long_at, _LONG_SLOTS))

    # -- folding -------------------------------------------------------------------

    def sketch(self, day: int, kind: int) -> list[int]:
        return self.sketches[(day % DAYS) * len(KINDS) + kind]

    def _advance(self, day: int) -> None:
        for d in _entering(self.head_day, day, DAYS):
            for kind in range(len(KINDS)):
                self.sketch(d, kind)[:] = [0] * SKETCH_K
            self.loans[d % DAYS] = 0
        self.head_day = max(self.head_day, day)

    def long_sketch(self, bucket: int, kind: int) -> list[int]:
        return self.long_sketches[(bucket % LONG_BUCKETS) * len(LONG_KINDS) + kind]

    def _add_long(self, sec: int, kind: int, h: int) -> None:
        """Into the lateness view's fortnight of ``sec`` (advancing it; a fortnight older than the kept ones is dropped)."""
        bucket = sec // LONG_BUCKET_S
        for b in _entering(self.head_long, bucket, LONG_BUCKETS):
            for k in range(len(LONG_KINDS)):
                self.long_sketch(b, k)[:] = [0] * SKETCH_K
        self.head_long = max(self.head_long, bucket)
        if bucket > self.head_long - LONG_BUCKETS:
            _insert(self.long_sketch(bucket, kind), h)

    def add(self, s: Sighting) -> None:
        """Fold one sighting in (a day older than the kept buckets only updates the member list).
        A lateness sighting goes to the lateness view alone: it is no loan."""
        sec = min(max(int(s.ts), 0), _U32)
        self.first_ts = sec if not self.first_ts else min(self.first_ts, sec)
        self.last_ts = max(self.last_ts, sec)
        h = user_hash(s.user_id)
        if s.late_days:
            self._add_long(sec, LONG_KINDS.index("late"), h)
            return
        if s.entity_type == "merchant":
            self._add_long(sec, LONG_KINDS.index("drew"), h)
        day = sec // DAY
        self._advance(day)
        if day > self.head_day - DAYS:
            for kind, flag in enumerate((True, s.new_account, s.unfamiliar_heavy)):
                if flag:
                    _insert(self.sketch(day, kind), h)
            self.loans[day % DAYS] = min(self.loans[day % DAYS] + 1, 0xFFFF)
        if s.user_id in self.members:
            self.members.remove(s.user_id)
        self.members.insert(0, s.user_id)
        del self.members[MEMBERS:]

    def seen(self, source: tuple[int, int] | None) -> bool:
        """Whether the stream already folded the sighting forwarded from ``source`` (a redelivery).

        Sightings from one input partition reach an entity in offset order (one
        producer, one key), so remembering the next expected offset per
        partition is an exact, fixed-size duplicate filter.
        """
        if source is None:
            return False
        partition, offset = source
        slot = partition % SOURCE_SLOTS
        return offset < self.sources[slot]

    def mark(self, source: tuple[int, int] | None) -> None:
        if source is not None:
            slot = source[0] % SOURCE_SLOTS
            self.sources[slot] = max(self.sources[slot], source[1] + 1)

    # -- reading -------------------------------------------------------------------

    def window(self, kind: int, days: int = WINDOW_DAYS) -> list[int]:
        """Bottom-k of the union of one kind's sketches over the newest ``days`` days."""
        return _bottom_k(self.sketch(d, kind) for d in _kept(self.head_day, days))

    def long_window(self, kind: int) -> list[int]:
        """Bottom-k of the union of one lateness-view kind over its kept fortnights."""
        return _bottom_k(self.long_sketch(b, kind) for b in _kept(self.head_long, LONG_BUCKETS))

    def loans_in_window(self, days: int = WINDOW_DAYS) -> int:
        return sum(self.loans[d % DAYS] for d in _kept(self.head_day, days))


def _entering(head: int, bucket: int, kept: int) -> range:
    """The buckets a ring of ``kept`` buckets whose newest is ``head`` (-1: empty) must clear to make
    ``bucket`` its newest: none when it is not newer, at most the ``kept`` it holds."""
    if bucket <= head:
        return range(0)
    return range(head + 1 if head >= 0 and bucket - head < kept else bucket - kept + 1, bucket + 1)


def _kept(head: int, n: int) -> range:
    """The newest ``n`` buckets up to ``head`` (none while the ring is empty, ``head`` -1)."""
    return range(head - n + 1, head + 1) if head >= 0 else range(0)


def _chunks(values: list[int], start: int, count: int) -> list[list[int]]:
    """``count`` sketch slots of ``values`` from ``start``, cut into sketches of SKETCH_K (list slices: one copy each)."""
    return [values[i:i + SKETCH_K] for i in range(start, start + count, SKETCH_K)]


def _bottom_k(sketches: Any) -> list[int]:
    """The SKETCH_K smallest distinct hashes of the union of some sketches (free slots left out)."""
    union: set[int] = set()
    for sketch in sketches:
        union.update(h for h in sketch if h)
    return sorted(union)[:SKETCH_K]


def _insert(sketch: list[int], h: int) -> None:
    """Keep the SKETCH_K smallest distinct hashes (0 = free slot)."""
    if h in sketch:
        return
    if 0 in sketch:
        sketch[sketch.index(0)] = h
        return
    largest = max(sketch)
    if h < largest:
        sketch[sketch.index(largest)] = h


def distinct(bottom: list[int]) -> float:
    """Distinct count from a bottom-k list: exact below SKETCH_K, else the KMV estimate."""
    if len(bottom) < SKETCH_K:
        return float(len(bottom))
    return (SKETCH_K - 1) * (_U32 + 1) / bottom[SKETCH_K - 1]


@dataclass(frozen=True, slots=True)
class View:
    """What an entity looks like over the window, as of its newest sighting."""

    users: float  # distinct borrowers
    users_1d: float  # distinct borrowers on the newest day
    new: float  # of them new accounts
    heavy: float  # of them drew >= HEAVY_SHARE of their limit or headroom here, unfamiliarly (Sighting.unfamiliar_heavy)
    suspicious: float  # the entity type's SUSPICIOUS_KIND: ``new`` at a device, ``heavy`` at a merchant
    loans: int
    drew: float = 0.0  # distinct borrowers over the lateness view's fortnights (merchants)
    late: float = 0.0  # of them went LATE_DAYS late on a loan drawn here

    @property
    def share(self) -> float:
        return self.suspicious / self.users if self.users else 0.0

    @property
    def late_base(self) -> float:
        """The borrowers lateness is judged against: those who drew here, or the late ones when more
        (a late borrower whose draw fell out of the window counts in both)."""
        return max(self.drew, self.late)

    @property
    def late_share(self) -> float:
        return self.late / self.late_base if self.late else 0.0


#: Which borrowers make an entity suspicious: at a device, new accounts (a loan farm opens them;
#: a family phone or an agent's device serves established ones); at a merchant, unfamiliar heavy
#: draws (a busy, new or campus shop sees new customers every day; a cash-out till sees limits
#: drawn by borrowers for whom it makes no sense).
SUSPICIOUS_KIND = {"device": KINDS.index("new"), "merchant": KINDS.index("heavy")}


def view(state: EntityState, entity_type: str = "device") -> View:
    counts = [distinct(state.window(kind)) for kind in range(len(KINDS))]
    return View(
        users=counts[0],
        users_1d=distinct(state.window(0, days=1)),
        new=counts[1],
        heavy=counts[2],
        suspicious=counts[SUSPICIOUS_KIND[entity_type]],
        loans=state.loans_in_window(),
        drew=distinct(state.long_window(0)),
        late=distinct(state.long_window(1)),
    )
