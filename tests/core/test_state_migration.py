"""Stored states of every readable version migrate to the current layout (``STATE_HISTORY``).

The fixtures in ``tests/core/fixtures`` were written once by
``tests/core/make_state_fixtures.py``: one fixed event stream, and each user's
state after it as the code of the last commit of each state version serialised
it (v2 e42295b, v3 26ed953, v4 d786b47, the shipped release; v5 dcff580, v6
e1f7576, v7 3556ef3, v8 6724b82, v9 154e20f and v10 ab0cd8c, the current version, each written when it was
introduced).  Reading them back with today's code is what a worker does with its predecessor's changelog:

* v4 to v9 bytes migrate to exactly the states today's code builds from the
  stream but the fields added since (v5 adds only the early-warning tags of open loans,
  which ``update`` never sets; v6 the merchant of the open loans drawn at one, and the
  stream names none; v7 narrows the rings' counts to a byte, and no bucket of the stream
  holds 256; v8's watch slots start empty; v9's position and v10's re-keyed copies' sources are
  0, as offline);
* v3 and v2 bytes migrate to those states too, except the fields the steps
  document as not rebuildable, which are at their defaults (and v2's
  ``rollover_chain``, copied although v3 counts it differently).

A synthetic next two versions (fields added, removed, re-typed) check the mechanism
itself: copy by name, defaults for added fields, chains of steps, and a property
test that migrating any state keeps every shared field.
"""

from __future__ import annotations

import hashlib
import json
import random
import struct
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.contract import parse_document
from stream.core.features import (
    COMPACT_STATE_BYTES,
    STATE_BYTES,
    STATE_HISTORY,
    STATE_LAYOUT,
    STATE_VERSION,
    UserState,
    loan_hash,
    state_encoder,
    id_hash,
    update,
)
from stream.core.rings import CountRing
from stream.core.state_versions import (
    LAYOUT_V2,
    LAYOUT_V3,
    LAYOUT_V4,
    LAYOUT_V5,
    LAYOUT_V6,
    LAYOUT_V7,
    LAYOUT_V8,
    LAYOUT_V9,
)
from stream.core.state_layout import Array, RingField, Scalar, StateFormatError, StateHistory, StateLayout, Step, Texts

FIXTURES = Path(__file__).resolve().parent / "fixtures"
QUICK = settings(max_examples=60, deadline=None)


# -- helpers -------------------------------------------------------------------------
def _value(state: Any, name: str) -> Any:
    """A field's stored value, comparable with ==: a ring as all its attributes, its base's first."""
    value = getattr(state, name)
    if hasattr(value, "head"):
        attrs = [a for k in reversed(type(value).__mro__) for a in getattr(k, "__slots__", ())]
        return tuple(list(getattr(value, a)) if isinstance(getattr(value, a), list) else getattr(value, a) for a in attrs)
    return list(value) if isinstance(value, list) else value


def _fixture(version: int) -> dict[str, Any]:
    return json.loads((FIXTURES / f"states_v{version}.json").read_text())


def _built_now() -> dict[str, UserState]:
    """Each user's state after the fixtures' event stream, built by today's code."""
    states: dict[str, UserState] = defaultdict(UserState)
    for line in (FIXTURES / "state_events.jsonl").read_text().splitlines():
        event = parse_document(json.loads(line))
        update(states[event.user_id], event)
    return dict(states)


@pytest.fixture(scope="module")
def built() -> dict[str, UserState]:
    return _built_now()


# -- the fixtures: states written by earlier versions, read back today ----------------
@pytest.mark.parametrize("version", [2, 3, 4, 5, 6, 7, 8, 9, 10])
def test_fixtures_were_written_from_the_committed_stream(version: int) -> None:
    doc = _fixture(version)
    assert doc["state_version"] == version
    assert doc["events_sha256"] == hashlib.sha256((FIXTURES / doc["events"]).read_bytes()).hexdigest()
    assert all(bytes.fromhex(h)[0] == version for h in doc["states"].values())


def test_the_stream_exercises_what_the_steps_cannot_rebuild(built: dict[str, UserState]) -> None:
    """Otherwise comparing the fixtures' states would prove little: the fields v2/v3
    did not have are set for some users of the stream."""
    states = built.values()
    assert len(built) == 30
    assert any(any(s.loan_depth) for s in states) and any(any(s.loan_rolled) for s in states)
    assert any(s.late_rising for s in states) and any(s.late_nz_last for s in states)
    assert any(s.rollover_chain for s in states) and any(any(s.short_ring.values) for s in states)
    assert any(s.limit_before for s in states) and any(s.late_streak for s in states)


@pytest.mark.parametrize("version", [4, 5, 6, 7, 8, 9])
def test_states_of_the_shipped_release_read_back_as_built_today(built: dict[str, UserState], version: int) -> None:
    """v4 (the shipped release, d786b47) -> v5 -> ... -> v10, v5 (dcff580), v6 (e1f7576), v7
    (3556ef3), v8 (6724b82) and v9 (154e20f): every field as today's code builds it but those added since, which
    start empty.  v5 adds only the early-warning tags of open loans, which ``update`` never sets (the
    pipeline tags scored loans); v6 the merchant of open loans, and the fixture stream (v1 events)
    names no merchant; v7 stores the rings' counts and the hour profile in a byte, which the stream
    never fills past 254; v8 the watch slots; v9 the input position and v10 the re-keyed copies'
    sources, which offline replays (as this stream's) have none of."""
    assert [(step.source, step.target, step.added, step.dropped, tuple(step.rebuild))
            for step in STATE_HISTORY.steps[-6:]] == [
        (LAYOUT_V4, LAYOUT_V5, ("loan_ew", "loan_ew_source"), (), ()),
        (LAYOUT_V5, LAYOUT_V6, ("merchant", "loan_at_merchant"), (), ()),
        (LAYOUT_V6, LAYOUT_V7, NEW_IN_V7, (), ("ring_1h", "ring_24h", "ring_30d", "hour_hist")),
        (LAYOUT_V7, LAYOUT_V8, NEW_IN_V8, (), ()),
        (LAYOUT_V8, LAYOUT_V9, NEW_IN_V9, (), ()),
        (LAYOUT_V9, STATE_LAYOUT, NEW_IN_V10, (), ()),
    ]
    added = {9: NEW_IN_V10, 8: NEW_IN_V9 + NEW_IN_V10, 7: NEW_IN_V8 + NEW_IN_V9 + NEW_IN_V10}.get(version, NEW_SINCE_V6)
    stored = _fixture(version)["states"]
    assert sorted(stored) == sorted(built)
    fresh = _defaults()
    for user, hex_state in stored.items():
        data = bytes.fromhex(hex_state)
        assert len(data) in (STATE_HISTORY.layout(version).size, STATE_HISTORY.layout(version).compact_size)
        migrated = UserState.from_bytes(data)
        assert type(migrated) is UserState and migrated.to_bytes()[0] == STATE_VERSION
        for name in STATE_LAYOUT.names:
            expected = fresh if name in added else built[user]
            assert _value(migrated, name) == _value(expected, name), (user, name)


def test_states_of_the_current_version_read_back_byte_for_byte(built: dict[str, UserState]) -> None:
    """v10: every byte as today's code writes it, read back unchanged (whole for the users whose
    watch slots follow a loan, without them for the others)."""
    stored = _fixture(10)["states"]
    assert sorted(stored) == sorted(built)
    sizes = {len(bytes.fromhex(h)) for h in stored.values()}
    assert sizes == {COMPACT_STATE_BYTES, STATE_BYTES}
    for user, hex_state in stored.items():
        data = bytes.fromhex(hex_state)
        assert UserState.from_bytes(data).to_bytes() == data == built[user].to_bytes(), user


def _defaults() -> UserState:
    return UserState()


#: What v7 added: they start empty on a migrated state (nothing older kept them).
NEW_IN_V7 = ("loan_product", "last_loan_amount", "last_loan_product", "funded_ts", "funded_chain")
#: What v8 added: the watch slots (stream.core.outcome_watch).
NEW_IN_V8 = ("watch_hashes", "watch_due", "watch_product", "watch_ew", "watch_ew_source")
#: What v9 added: the input position of the last event folded in.
NEW_IN_V9 = ("folded_through",)
#: What v10 added: per source partition, how far its re-keyed copies are folded.
NEW_IN_V10 = ("rekeyed_through",)
#: Every field added since v6.
NEW_SINCE_V6 = NEW_IN_V7 + NEW_IN_V8 + NEW_IN_V9 + NEW_IN_V10


def test_v3_states_migrate_to_the_states_built_today(built: dict[str, UserState]) -> None:
    """v3 (26ed953) -> v4 -> ... -> v10: every field as today's code builds it, except short_ring and the fields new since v6 (empty)."""
    step = STATE_HISTORY.steps[1]
    assert (step.source, step.target, step.added, step.dropped) == (LAYOUT_V3, LAYOUT_V4, ("short_ring",), ())
    fresh = _defaults()
    for user, hex_state in _fixture(3)["states"].items():
        data = bytes.fromhex(hex_state)
        assert len(data) == LAYOUT_V3.size == 946
        migrated = UserState.from_bytes(data)
        assert type(migrated) is UserState and migrated.to_bytes()[0] == STATE_VERSION
        for name in STATE_LAYOUT.names:
            expected = fresh if name == "short_ring" or name in NEW_SINCE_V6 else built[user]
            assert _value(migrated, name) == _value(expected, name), (user, name)


#: What the v2 -> v3 step cannot rebuild (they start at 0), and rollover_chain, copied
#: although v3 defines it differently; then v3 -> v4's short_ring.
NOT_REBUILT_FROM_V2 = {"late_nz_last", "late_nz_ts", "late_rising", "loan_depth", "loan_rolled", "short_ring"}


def test_v2_states_migrate_to_the_states_built_today(built: dict[str, UserState]) -> None:
    """v2 (e42295b) -> v3 -> v4: loan ids rebuilt exactly, the rest as documented."""
    step = STATE_HISTORY.steps[0]
    assert set(step.added) | {"short_ring"} == NOT_REBUILT_FROM_V2
    assert step.dropped == ("prev_due", "prev_amount") and set(step.rebuild) == {"loan_hashes"}
    fresh = _defaults()
    v2_class = LAYOUT_V2.state_class()
    chain_differs = 0
    for user, hex_state in _fixture(2)["states"].items():
        data = bytes.fromhex(hex_state)
        assert len(data) == LAYOUT_V2.size == 963
        migrated = UserState.from_bytes(data)
        for name in STATE_LAYOUT.names:
            if name in NOT_REBUILT_FROM_V2 or name in NEW_SINCE_V6:
                assert _value(migrated, name) == _value(fresh, name), (user, name)
            elif name == "rollover_chain":
                assert migrated.rollover_chain == v2_class.from_bytes(data).rollover_chain
                chain_differs += migrated.rollover_chain != built[user].rollover_chain
            else:
                assert _value(migrated, name) == _value(built[user], name), (user, name)
    assert chain_differs <= 5  # the v2 count and the v3 depth agree for most users of the stream


def test_a_repayment_after_the_upgrade_finds_its_loan_by_its_rebuilt_id() -> None:
    v2 = LAYOUT_V2.state_class()()
    v2.loan_hashes[3] = id_hash("loan-42")
    v2.loan_due[3] = v2.loan_end[3] = 1_780_000_000
    v2.loan_amount[3] = 900
    state = UserState.from_bytes(v2.to_bytes())
    assert state.loan_hashes == [0, 0, 0, loan_hash("loan-42"), 0, 0, 0, 0]


@pytest.mark.parametrize("version", [2, 3])
def test_an_older_layout_reads_the_bytes_of_its_version_exactly(version: int) -> None:
    """The reconstructed layouts have the size and field order of the code that wrote them
    (every field compared above; here: decode -> encode is the identity)."""
    cls = STATE_HISTORY.layout(version).state_class()
    for hex_state in _fixture(version)["states"].values():
        data = bytes.fromhex(hex_state)
        assert cls.from_bytes(data).to_bytes() == data


#: The unversioned layouts written before version 2 (from git: c6ca085, c75d50d,
#: 8f53cb4..6c04d65, 12d7bf4): no version byte, so they are not read.
_RING = "q{0}H{0}I"
UNVERSIONED_FORMATS = tuple(
    "<" + head + _RING.format(6) + _RING.format(24) + _RING.format(30) + tail
    for head, tail in (
        ("dIId", "24H5d4d4Q4d6dHd3d8Q8d8d16QHb"),
        ("dIId", "24H5d4d4Q4d6dHd3d8Q8d8d16QHbQdb"),
        ("dIIId", "24H5I4I4Q4I4I8dIIHHBB8Q8I8I8I16QHbQdb"),
        ("dIIId", "24H5I4I4Q4I4I7dIIq9HHBB8Q8I8I8I16QHbQdb"),
    )
)


def test_bytes_of_no_readable_version_are_refused_not_misread() -> None:
    good = UserState().to_bytes()
    refused = [b"", good[:-1], good + b"\0", bytes([STATE_VERSION + 1]) + good[1:], bytes([1]) + good[1:],
               bytes([0]) * STATE_BYTES, bytes([3]) + good[1:], bytes([2]) * LAYOUT_V3.size]
    rng = random.Random(1)
    for fmt in UNVERSIONED_FORMATS:
        size = struct.calcsize(fmt)
        refused += [bytes([first]) + rng.randbytes(size - 1) for first in range(256) if (first, size) != (3, 946)]
    for data in refused:
        with pytest.raises(StateFormatError):
            UserState.from_bytes(data)


def test_the_one_unversioned_layout_of_a_readable_size_is_the_documented_one() -> None:
    """8f53cb4..6c04d65 (28 minutes of 2026-11-28) stored 946 bytes without a version byte,
    the size of v3: such bytes whose first byte (the low byte of last_ts) is 3 read as v3,
    as a v3 worker read them too (docs/operations.md says so).  No other collides."""
    sizes = {struct.calcsize(fmt) for fmt in UNVERSIONED_FORMATS}
    readable = {STATE_HISTORY.layout(v).size for v in STATE_HISTORY.versions}
    assert sizes & readable == {946} == {LAYOUT_V3.size}


def test_the_current_version_decodes_without_the_migration() -> None:
    """The per-event path: the generated straight-line decode, which hands only other
    bytes to STATE_HISTORY.upgrade (no loop, no lookup)."""
    source = STATE_LAYOUT.compile(older=STATE_HISTORY.upgrade).source
    decode = source[source.index("def from_bytes"):]
    assert "return _older(cls, data)" in decode and "for " not in decode
    assert STATE_HISTORY.versions == (2, 3, 4, 5, 6, 7, 8, 9, STATE_VERSION)


# -- the mechanism, on synthetic next versions ----------------------------------------
#: NEXT (the version after the current one): drops hour_hist, adds merchants_30d (default 3: not zero, so "at its default" shows).
NEXT = StateLayout(STATE_VERSION + 1, (*(f for f in STATE_LAYOUT.fields if f.name != "hour_hist"), Scalar("merchants_30d", "H", 3)))
#: AFTER (the one after that): recent_pos narrowed to a byte (a re-typed field needs a rebuild), n_events added and
#: rebuilt from two NEXT fields.
AFTER = StateLayout(STATE_VERSION + 2, (
    *(Scalar("recent_pos", "B") if f.name == "recent_pos" else f for f in NEXT.fields),
    Scalar("n_events", "I"),
))
STEP_NEXT = Step(STATE_LAYOUT, NEXT)
STEP_AFTER = Step(NEXT, AFTER, rebuild={"recent_pos": lambda old: old.recent_pos % 256,
                               "n_events": lambda old: old.n_loans + old.n_repayments})
HISTORY_NEXT = StateHistory(NEXT, (*STATE_HISTORY.steps, STEP_NEXT))
HISTORY_AFTER = StateHistory(AFTER, (*STATE_HISTORY.steps, STEP_NEXT, STEP_AFTER))
StateNext = NEXT.state_class()
StateAfter = AFTER.state_class()


def test_a_step_copies_by_name_adds_defaults_and_drops(built: dict[str, UserState]) -> None:
    assert STEP_NEXT.added == ("merchants_30d",) and STEP_NEXT.dropped == ("hour_hist",)
    assert set(STEP_NEXT.copied) == set(STATE_LAYOUT.names) - {"hour_hist"}
    for user, state in built.items():
        v5 = HISTORY_NEXT.upgrade(StateNext, state.to_bytes())
        assert type(v5) is StateNext and v5.merchants_30d == 3 and not hasattr(v5, "hour_hist")
        for name in STEP_NEXT.copied:
            assert _value(v5, name) == _value(state, name), (user, name)
        assert StateNext.from_bytes(v5.to_bytes()).to_bytes() == v5.to_bytes()


def test_a_chain_of_steps_goes_two_versions_and_more(built: dict[str, UserState]) -> None:
    """current -> AFTER (two steps), and the fixtures' v2 states -> AFTER (six steps)."""
    for user, state in built.items():
        v6 = HISTORY_AFTER.upgrade(StateAfter, state.to_bytes())
        assert v6.n_events == state.n_loans + state.n_repayments and v6.merchants_30d == 3
        assert v6.recent_pos == state.recent_pos and v6.to_bytes()[0] == STATE_VERSION + 2
        for name in set(STATE_LAYOUT.names) & set(AFTER.names) - {"recent_pos"}:
            assert _value(v6, name) == _value(state, name), (user, name)
    for user, hex_state in _fixture(2)["states"].items():
        v6 = HISTORY_AFTER.upgrade(StateAfter, bytes.fromhex(hex_state))
        assert v6.loan_hashes == built[user].loan_hashes and v6.n_loans == built[user].n_loans
    assert HISTORY_AFTER.versions == (*STATE_HISTORY.versions, STATE_VERSION + 1, STATE_VERSION + 2)


def test_a_history_decodes_through_the_codec_it_is_given_to() -> None:
    """What features.py does for UserState, on AFTER: its own bytes straight, older ones migrated."""
    codec = AFTER.compile(older=HISTORY_AFTER.upgrade)
    cls = type("UserStateAfter", (), {"__slots__": AFTER.names, "__init__": codec.init, "to_bytes": codec.encode,
                                   "from_bytes": classmethod(codec.decode)})
    state = UserState()
    state.n_loans, state.n_repayments = 5, 2
    v6 = cls.from_bytes(state.to_bytes())
    assert type(v6) is cls and v6.n_events == 7
    assert cls.from_bytes(v6.to_bytes()).to_bytes() == v6.to_bytes()
    with pytest.raises(StateFormatError, match="v2 .963 bytes., v3 .946 bytes., v4 .984 bytes., v5 .1000 bytes., v6 .1066 bytes., v7 .1000 bytes., v8 .1000 or 1176 bytes., v9 .1008 or 1184 bytes., v10 .1008 or 1248 bytes."):
        cls.from_bytes(bytes([STATE_VERSION + 3]) + v6.to_bytes()[1:])


def test_steps_and_histories_refuse_what_would_misread() -> None:
    with pytest.raises(ValueError, match="recent_pos"):  # re-typed without a rebuild
        Step(NEXT, AFTER, rebuild={"n_events": lambda old: 0})
    with pytest.raises(ValueError, match=f"not {STATE_VERSION} -> {STATE_VERSION + 2}"):
        Step(STATE_LAYOUT, AFTER, rebuild={"recent_pos": lambda old: 0})
    with pytest.raises(ValueError, match="does not have: nope"):
        Step(STATE_LAYOUT, NEXT, rebuild={"nope": lambda old: 0})
    with pytest.raises(ValueError, match="not the current one"):
        StateHistory(AFTER, (*STATE_HISTORY.steps, STEP_NEXT))
    with pytest.raises(ValueError, match="disagree"):
        StateHistory(AFTER, (STATE_HISTORY.steps[0], STEP_NEXT, STEP_AFTER))
    # A ring of another size or an array of another length is stored differently too.
    shorter = StateLayout(STATE_VERSION + 1, tuple(Array("recent_ids", "Q", 8) if f.name == "recent_ids" else f for f in STATE_LAYOUT.fields))
    with pytest.raises(ValueError, match="recent_ids"):
        Step(STATE_LAYOUT, shorter)
    ring = next(f for f in STATE_LAYOUT.fields if f.name == "ring_1h")
    wider = StateLayout(STATE_VERSION + 1, tuple(RingField("ring_1h", ring.kind, 12, 300, ring.buckets) if f is ring else f
                                 for f in STATE_LAYOUT.fields))
    with pytest.raises(ValueError, match="ring_1h"):
        Step(STATE_LAYOUT, wider)
    # A scalar's default is not part of what is stored.
    Step(STATE_LAYOUT, StateLayout(STATE_VERSION + 1, tuple(Scalar("segment", "b", 0) if f.name == "segment" else f
                                            for f in STATE_LAYOUT.fields)))


# -- property: migrating keeps every shared field -------------------------------------
_RANGES = {"b": (-128, 127), "B": (0, 255), "H": (0, 2**16 - 1), "I": (0, 2**32 - 1), "q": (-(2**63), 2**63 - 1),
           "Q": (0, 2**64 - 1)}


def _number(code: str) -> st.SearchStrategy:
    if code == "d":
        return st.floats(allow_nan=False)
    return st.integers(*_RANGES[code])


def _states_of(layout: StateLayout) -> st.SearchStrategy:
    """States of ``layout`` (its state class) with every field drawn over its whole stored range."""
    cls = layout.state_class()

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        state = cls()
        for f in layout.fields:
            if isinstance(f, Scalar):
                setattr(state, f.name, draw(_number(f.code)))
            elif isinstance(f, Array):
                setattr(state, f.name, draw(st.lists(_number(f.code), min_size=f.count, max_size=f.count)))
            elif isinstance(f, Texts):
                setattr(state, f.name, draw(st.lists(st.binary(max_size=f.size), min_size=f.count, max_size=f.count)))
            else:
                ring = getattr(state, f.name)
                ring.head = draw(_number("q"))
                for attr, code in f.buckets:
                    setattr(ring, attr, draw(st.lists(_number(code), min_size=f.slots, max_size=f.slots)))
        return state

    return build()


def _shared_fields_kept(step: Step, old: Any, new: Any, expect: Callable[[Any, str], Any] = _value) -> None:
    for name in step.copied:
        assert _value(new, name) == expect(old, name), name


#: The v6 -> v7 step: the rings' counts and the hour profile narrowed to a byte.
RINGS_NARROWED = next(step for step in STATE_HISTORY.steps if step.target is LAYOUT_V7)


def _as_v7(old: Any, name: str) -> Any:
    """A field of an older state as v7 reads it (the v6 -> v7 step): the rings' counts clamped to a
    byte, the hour profile halved until it fits one."""
    value = _value(old, name)
    if name == "hour_hist":
        while max(value) > 255:
            value = [c // 2 for c in value]
        return value
    if name not in RINGS_NARROWED.rebuild:
        return value
    slots, width, head, counts, amounts = value
    return slots, width, head, [min(c, 255) for c in counts], amounts


@QUICK
@given(_states_of(STATE_LAYOUT))
def test_migrating_a_current_state_keeps_every_shared_field(state: Any) -> None:
    """migrate(encode(state)) for current -> NEXT and current -> AFTER."""
    data = UserState.from_bytes(state.to_bytes()).to_bytes()
    v5 = HISTORY_NEXT.upgrade(StateNext, data)
    _shared_fields_kept(STEP_NEXT, state, v5)
    assert v5.merchants_30d == 3
    v6 = HISTORY_AFTER.upgrade(StateAfter, data)
    for name in set(STEP_NEXT.copied) & set(STEP_AFTER.copied):
        assert _value(v6, name) == _value(state, name), name
    assert v6.n_events == state.n_loans + state.n_repayments and v6.recent_pos == state.recent_pos % 256


@QUICK
@given(_states_of(LAYOUT_V3))
def test_migrating_a_v3_state_keeps_every_shared_field(state: Any) -> None:
    migrated = UserState.from_bytes(state.to_bytes())
    _shared_fields_kept(STATE_HISTORY.steps[1], state, migrated, _as_v7)
    assert _value(migrated, "short_ring") == _value(UserState(), "short_ring")


@QUICK
@given(_states_of(LAYOUT_V2))
def test_migrating_a_v2_state_keeps_every_shared_field(state: Any) -> None:
    migrated = UserState.from_bytes(state.to_bytes())
    _shared_fields_kept(STATE_HISTORY.steps[0], state, migrated, _as_v7)
    assert migrated.loan_hashes == [((h & 0xFFFFFFFF) or 1) if h else 0 for h in state.loan_hashes]
    assert migrated.to_bytes()[0] == STATE_VERSION


# -- rolling upgrades: writing the older version while older workers share the group ----
def test_the_versions_a_worker_can_write() -> None:
    """10, 9, 8, 7, 6, 5, 4 and 3 (the steps from 3 to 6 and 7 to 10 only add fields, 6 -> 7 narrows the
    rings' counts, which go back as they are); not 2, whose step rebuilt loan ids with no way back."""
    assert STATE_HISTORY.writable_versions == (STATE_VERSION, 9, 8, 7, 6, 5, 4, 3)
    assert state_encoder(0) is UserState.to_bytes and state_encoder(STATE_VERSION) is UserState.to_bytes
    for version in (2, 11, 1):
        with pytest.raises(ValueError, match=f"state_write_version {version} cannot be written.*writes versions 10, 9, 8, 7, 6, 5, 4, 3"):
            state_encoder(version)


def test_ring_counts_narrowed_to_a_byte_clamp_and_go_back_as_they_are(built: dict[str, UserState]) -> None:
    """v6 -> v7 stores each ring bucket's count and the hour profile in a byte.  A v6 count above 255
    (v6 allowed it; the v7 fold saturates there) reads as 255, a v6 hour profile past 254 is halved as
    the fold halves it, every other v6 field reads as stored; a v7 state written for v6 workers (a
    rolling upgrade's first bounce) is what the v6 layout reads back with the same counts."""
    state = next(s for s in built.values() if s.ring_30d.head >= 0 and any(s.ring_24h.counts))
    data = STATE_HISTORY.downgrade(state, 6)
    assert len(data) == LAYOUT_V6.size and data[0] == 6
    old = LAYOUT_V6.state_class().from_bytes(data)
    for name in LAYOUT_V6.names:
        assert _value(old, name) == _value(state, name), name
    newest = old.ring_30d.head % old.ring_30d.slots
    old.ring_30d.counts[newest], old.ring_24h.counts[0], old.ring_1h.counts[1] = 1000, 256, 255
    old.hour_hist = [600, 300, 254, 7, *([0] * 20)]  # halved twice: 150 fits a byte
    migrated = UserState.from_bytes(old.to_bytes())
    assert (migrated.ring_30d.counts[newest], migrated.ring_24h.counts[0], migrated.ring_1h.counts[1]) == (255, 255, 255)
    assert migrated.ring_30d.amounts == state.ring_30d.amounts
    assert migrated.hour_hist == [150, 75, 63, 1, *([0] * 20)]
    for name in set(LAYOUT_V6.names) - set(("ring_1h", "ring_24h", "ring_30d", "hour_hist")):
        assert _value(migrated, name) == _value(state, name), name
    for name in NEW_SINCE_V6:
        assert _value(migrated, name) == _value(UserState(), name), name


def test_a_step_goes_back_only_where_every_rebuilt_field_has_a_way_back() -> None:
    rings = RINGS_NARROWED
    assert rings.reversible and set(rings.restore) == set(rings.rebuild)
    half = Step(LAYOUT_V6, LAYOUT_V7, rebuild=rings.rebuild, restore={"ring_1h": rings.restore["ring_1h"]})
    assert not half.reversible
    steps = STATE_HISTORY.steps
    assert StateHistory(STATE_LAYOUT, (*steps[:-4], half, *steps[-3:])).writable_versions == (STATE_VERSION, 9, 8, 7)
    with pytest.raises(ValueError, match="restores fields it does not rebuild: recent_pos"):
        Step(STATE_LAYOUT, NEXT, restore={"recent_pos": lambda new: new.recent_pos})


def test_states_written_for_v3_workers_are_what_the_v3_release_wrote(built: dict[str, UserState]) -> None:
    """Today's states of the fixture stream, written as version 3, are byte for byte what
    the shipped v3 release (26ed953) wrote for the same stream: a v3 worker reads them
    as it read its own."""
    written = {user: state_encoder(3)(state).hex() for user, state in built.items()}
    assert written == _fixture(3)["states"]


@QUICK
@given(_states_of(STATE_LAYOUT))
def test_writing_v3_and_reading_it_back_keeps_all_but_the_added_fields(state: Any) -> None:
    current = UserState.from_bytes(state.to_bytes())
    back = UserState.from_bytes(STATE_HISTORY.downgrade(current, 3))
    for name in STATE_LAYOUT.names:
        added = {name for step in STATE_HISTORY.steps[1:] for name in step.added}
        expected = _value(UserState(), name) if name in added else _value(current, name)
        assert _value(back, name) == expected, name


def test_a_zero_tail_is_left_off_while_zero_and_read_back_in_either_size() -> None:
    """``zero_tail``: the last fields are stored only while one of them is not zero, and both sizes
    read back, straight or through a history (what a later version does with today's compact
    states); a tail field that is not an integer defaulting to 0 is refused."""
    layout = StateLayout(1, (Scalar("n", "H"), Array("tail", "I", 2), Scalar("m", "B")), zero_tail=2)
    cls = layout.state_class()
    assert layout.sizes == (3, 12) and layout.compact_size == 3
    state = cls()
    state.n = 7
    assert state.to_bytes() == bytes([1, 7, 0]) and cls.from_bytes(state.to_bytes()).tail == [0, 0]
    state.m = 1
    whole = state.to_bytes()
    assert len(whole) == 12 and cls.from_bytes(whole).to_bytes() == whole
    with pytest.raises(StateFormatError, match="reads 3 or 12 bytes"):
        cls.from_bytes(bytes([1, 7, 0, 0]))
    later = StateLayout(2, (*layout.fields, Scalar("k", "B")))
    history = StateHistory(later, (Step(layout, later),))
    assert history.upgrade(later.state_class(), bytes([1, 7, 0])).n == 7
    with pytest.raises(ValueError, match="integers defaulting to 0: m"):
        StateLayout(1, (Scalar("n", "H"), Scalar("m", "B", 3)), zero_tail=1)
    with pytest.raises(ValueError, match="integers defaulting to 0: ring, x, ids"):  # -0.0 is not zero bytes
        StateLayout(1, (RingField("ring", CountRing, 2, 60, (("values", "B"),)), Scalar("x", "d"), Texts("ids", 8, 1)),
                    zero_tail=3)


_TAILED = StateLayout(1, (Scalar("n", "d"), Array("tail", "I", 2), Scalar("m", "b")), zero_tail=2)
_Tailed = _TAILED.state_class()


@QUICK
@given(st.floats(allow_nan=False), st.lists(st.sampled_from([0, 1, 2**32 - 1]), min_size=2, max_size=2),
       st.sampled_from([0, -1, 1]))
def test_a_zero_tail_round_trips_and_is_left_off_exactly_when_it_is_zero(n: float, tail: list[int], m: int) -> None:
    state = _Tailed()
    state.n, state.tail, state.m = n, tail, m
    data = state.to_bytes()
    whole = struct.pack("<BdIIb", 1, n, *tail, m)
    assert data == (whole[:_TAILED.compact_size] if not any(tail) and not m else whole)
    back = _Tailed.from_bytes(data)
    assert (back.n, back.tail, back.m) == (n, tail, m) and back.to_bytes() == data


def test_texts_keep_their_bytes_and_a_length_byte_bounds_them() -> None:
    """A ``Texts`` field stores each string behind its length byte: any bytes up to its size
    round-trip exactly (trailing zero bytes too); wider than a length byte is refused."""
    layout = StateLayout(1, (Scalar("n", "H"), Texts("ids", 64, 2), Scalar("m", "B")))
    cls = layout.state_class()
    state = cls()
    assert state.ids == [b"", b""] and layout.size == 1 + 2 + 2 * 65 + 1
    state.ids = [b"m-\x00", bytes(range(64))]
    state.n, state.m = 7, 9
    back = cls.from_bytes(state.to_bytes())
    assert (back.n, back.ids, back.m) == (7, [b"m-\x00", bytes(range(64))], 9)
    with pytest.raises(ValueError, match="do not fit a length byte"):
        StateLayout(1, (Texts("ids", 256, 1),))
