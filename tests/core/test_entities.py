"""Entity views (stream.core.entities) against a brute-force reference: exact distinct counts
below the sketch size, order independence, fixed size, the stream's duplicate filter."""

from __future__ import annotations

import random
import struct

from hypothesis import given, settings, strategies as st

from stream.core.entities import (
    DAY, HEAVY_SHARE, LATE_DAYS, LONG_BUCKET_S, LONG_BUCKETS, SKETCH_K, STATE_BYTES, STATE_BYTES_V1, STATE_VERSION,
    WINDOW_DAYS, EntityState, Sighting, distinct, heavy_draw, pack, sightings, unpack, view, write_version,
)
from stream.core.features import UserState, merchant_of_loan, update
from stream.core.contract import parse_document
from stream.core.pipeline import fold_sighted

T0 = 1_780_000_000 // DAY * DAY


def _sighting(user: int, day: float, new: bool = False, heavy: bool = False, source: tuple[int, int] | None = None) -> Sighting:
    """``heavy`` on a device new to the user: an unfamiliar heavy draw (the sketch's third kind)."""
    return Sighting("device", "d-1", f"e-{user}-{day}", f"u-{user}", T0 + day * DAY, new, heavy, True, source)


sighting_lists = st.lists(
    st.tuples(st.integers(0, 40), st.floats(0, 12, allow_nan=False), st.booleans(), st.booleans()),
    min_size=1, max_size=80,
)


def _brute(items: list[tuple[int, float, bool, bool]]) -> tuple[int, int, int]:
    """Distinct users / new / heavy over the WINDOW_DAYS days ending at the newest day
    (suspicious borrowers are the new at a device, the heavy at a merchant)."""
    days = [int(T0 + day * DAY) // DAY for _, day, _, _ in items]  # the state's own day arithmetic
    head = max(days)
    inside = [(u, n, h) for (u, _, n, h), d in zip(items, days) if d > head - WINDOW_DAYS]
    return (len({u for u, _, _ in inside}), len({u for u, n, _ in inside if n}),
            len({u for u, _, h in inside if h}))


@given(sighting_lists)
def test_counts_match_brute_force_below_the_sketch_size(items: list[tuple[int, float, bool, bool]]) -> None:
    state = EntityState()
    for u, day, new, heavy in items:
        state.add(_sighting(u, day, new, heavy))
    users, new, heavy = _brute(items)
    v = view(state, "device")
    merchant = view(state, "merchant")
    for got, want in ((v.users, users), (v.new, new), (v.heavy, heavy), (v.suspicious, new), (merchant.suspicious, heavy)):
        if want < SKETCH_K:
            assert got == want
        else:  # beyond the sketch: the KMV estimate, within a generous band
            assert want / 3 <= got <= want * 3


@given(sighting_lists, st.randoms(use_true_random=False))
def test_the_view_does_not_depend_on_arrival_order(items: list[tuple[int, float, bool, bool]], rnd: random.Random) -> None:
    """The stream sees partitions interleaved; once a window's sightings are in, it agrees with a replay."""
    ordered = sorted(items, key=lambda x: x[1])
    shuffled = list(items)
    rnd.shuffle(shuffled)
    a, b = EntityState(), EntityState()
    for u, day, new, heavy in ordered:
        a.add(_sighting(u, day, new, heavy))
    for u, day, new, heavy in shuffled:
        b.add(_sighting(u, day, new, heavy))
    assert view(a) == view(b)


def test_kmv_estimate_is_close_for_many_users() -> None:
    state = EntityState()
    for u in range(2000):
        state.add(_sighting(u, 0.5))
    assert 1000 <= view(state).users <= 4000  # 1/sqrt(k-2) = 27 % standard error
    assert distinct([1, 2, 3]) == 3.0


@given(sighting_lists)
@settings(max_examples=50)
def test_state_is_fixed_size_and_round_trips(items: list[tuple[int, float, bool, bool]]) -> None:
    state = EntityState()
    for i, (u, day, new, heavy) in enumerate(items):
        state.add(_sighting(u, day, new, heavy, source=(i % 3, i)))
        state.mark((i % 3, i))
    data = state.to_bytes()
    assert len(data) == STATE_BYTES_V1  # a device's lateness view stays empty: stored without it
    again = EntityState.from_bytes(data)
    assert again == state and again.to_bytes() == data


def test_a_redelivered_sighting_is_recognised_by_its_source_offset() -> None:
    state = EntityState()
    first = _sighting(1, 0.1, source=(2, 10))
    assert not state.seen(first.source)
    state.add(first)
    state.mark(first.source)
    assert state.seen((2, 10)) and state.seen((2, 9))
    assert not state.seen((2, 11)) and not state.seen((3, 0))
    assert not state.seen(None)  # offline: no offsets, the user stage already dropped duplicates


def test_days_older_than_the_buckets_fall_out() -> None:
    state = EntityState()
    state.add(_sighting(1, 0.5, new=True))
    state.add(_sighting(2, 9.5, new=True))
    assert view(state).users == 1 and view(state).new == 1
    state.add(_sighting(3, 0.7, new=True))  # too old for the buckets: only the member list
    assert view(state).users == 1
    assert state.members[0] == "u-3"


def _loan(**extra: object) -> dict:
    doc = {"event_id": "e-1", "event_type": "loan", "user_id": "u-1", "ts": "2026-03-01T10:00:00+08:00",
           "amount": 700.0, "loan_id": "l-1", "product": "credit_line", "term_days": 30, "credit_limit": 1000,
           "segment": "individual", "channel": "merchant"}
    doc.update(extra)
    return doc


def test_a_loan_names_its_device_and_merchant() -> None:
    event = parse_document(_loan(device_id="d-9", merchant_id="m-3"))
    old = UserState()
    old.first_ts, old.outstanding = int(event.ts - 20 * DAY), 700.0
    seen = sightings(event, old)
    assert [(s.entity_type, s.entity_id) for s in seen] == [("merchant", "m-3")]  # at a till: the merchant's view
    seen = sightings(parse_document(_loan(device_id="d-9", merchant_id="m-3", channel="app")), old)
    assert [(s.entity_type, s.entity_id) for s in seen] == [("device", "d-9"), ("merchant", "m-3")]
    assert all(s.heavy and not s.new_account for s in seen)  # 700 of 1000 >= HEAVY_SHARE; 20 days old
    assert 700 >= HEAVY_SHARE * 1000
    assert sightings(parse_document(_loan()), old) == ()  # neither named: none
    fresh = UserState()
    fresh.first_ts, fresh.outstanding = int(event.ts), 700.0
    assert all(s.new_account for s in sightings(event, fresh))


def test_heavy_is_measured_against_the_headroom_too() -> None:
    assert heavy_draw(600, 1000, 600)  # 60 % of the limit
    assert heavy_draw(300, 1000, 800)  # 300 of the 500 left before it
    assert not heavy_draw(100, 1000, 900)  # 100 of 200 left: too little headroom to judge by its share
    assert not heavy_draw(300, 1000, 300) and not heavy_draw(5, 0, 5)


def test_only_unfamiliar_heavy_draws_count_as_heavy() -> None:
    """A regular's big purchase on their own phone is not a cash-out signal; the same draw as a new
    account or from a device new to them is."""
    base = dict(entity_type="merchant", entity_id="m-1", event_id="e", user_id="u", ts=float(T0))
    assert not Sighting(**base, new_account=False, heavy=True, new_device=False).unfamiliar_heavy
    assert Sighting(**base, new_account=True, heavy=True, new_device=False).unfamiliar_heavy
    assert Sighting(**base, new_account=False, heavy=True, new_device=True).unfamiliar_heavy
    assert not Sighting(**base, new_account=True, heavy=False, new_device=True).unfamiliar_heavy



# -- a merchant's borrowers' later lateness ------------------------------------------
def _late(user: int, day: float, days_late: int = 20, merchant: str = "m-1") -> Sighting:
    return Sighting("merchant", merchant, f"r-{user}-{day}", f"u-{user}", T0 + day * DAY, False, False,
                    late_days=days_late)


def _drew(user: int, day: float, merchant: str = "m-1") -> Sighting:
    return Sighting("merchant", merchant, f"e-{user}-{day}", f"u-{user}", T0 + day * DAY, False, False)


def test_a_lateness_sighting_counts_in_the_lateness_view_alone() -> None:
    """A late repayment is no loan: it names a late borrower over the fortnights, never a borrower
    of the 7-day window (which would dilute the share gates) nor a loan."""
    state = EntityState()
    for u in range(4):
        state.add(_drew(u, u))
    state.add(_late(0, 40))
    state.add(_late(1, 45))
    v = view(state, "merchant")
    assert (v.drew, v.late, v.late_share) == (4, 2, 0.5)
    assert v.users == 4 and v.loans == 4  # the late repayments added neither borrowers nor loans
    assert state.head_day == T0 // DAY + 3  # nor moved the 7-day window on


@given(st.lists(st.tuples(st.integers(0, 30), st.floats(0, 150, allow_nan=False), st.booleans()), min_size=1, max_size=60),
       st.randoms(use_true_random=False))
@settings(max_examples=60)
def test_the_lateness_view_matches_brute_force_in_any_order(items: list[tuple[int, float, bool]], rnd: random.Random) -> None:
    """Distinct drew / late users over the LONG_BUCKETS fortnights ending at the newest one."""
    sighted = [(_late(u, day) if late else _drew(u, day)) for u, day, late in items]
    buckets = [int(s.ts) // LONG_BUCKET_S for s in sighted]
    head = max(buckets)
    inside = [s for s, b in zip(sighted, buckets) if b > head - LONG_BUCKETS]
    expected = (len({s.user_id for s in inside if not s.late_days}), len({s.user_id for s in inside if s.late_days}))
    for order in (sighted, rnd.sample(sighted, len(sighted))):
        state = EntityState()
        for s in order:
            state.add(s)
        v = view(state, "merchant")
        assert (v.drew, v.late) == expected
        assert EntityState.from_bytes(state.to_bytes()) == state


def test_v1_states_are_read_and_written_for_older_workers() -> None:
    """Version 1 (before the lateness view) as its code wrote it: header, day buckets, sources,
    members.  Read back with an empty lateness view; written as v1 again for a rolling upgrade."""
    state = EntityState()
    for u in range(3):
        state.add(_drew(u, u * 0.5))
        state.mark((u, 10 + u))
    flat = [h for sketch in state.sketches for h in sketch]
    v1 = b"".join((
        struct.pack("<BIIiIB", 1, state.first_ts, state.last_ts, state.head_day, 0, 0),
        struct.pack(f"<{len(flat)}I{len(state.loans)}H", *flat, *state.loans),
        struct.pack(f"<{len(state.sources)}q", *state.sources),
        b"".join(struct.pack("<65p", m.encode()) for m in state.members + [""] * (24 - len(state.members))),
    ))
    assert len(v1) == STATE_BYTES_V1 == 3642
    read = EntityState.from_bytes(v1)
    assert (read.sketches, read.loans, read.sources, read.members) == (state.sketches, state.loans, state.sources,
                                                                       state.members)
    assert read.head_long == -1 and view(read, "merchant").drew == 0
    assert read.to_bytes(1) == v1 and read.to_bytes() == v1  # an empty lateness view is stored as v1 says it
    read.add(_late(7, 30))
    assert len(read.to_bytes()) == STATE_BYTES and read.to_bytes()[0] == STATE_VERSION
    assert EntityState.from_bytes(read.to_bytes()) == read and len(read.to_bytes(1)) == STATE_BYTES_V1
    assert write_version(0) == write_version(6) == write_version(7) == STATE_VERSION == 2
    assert write_version(5) == write_version(3) == 1


def test_version_2_is_laid_out_as_its_parts_say() -> None:
    """The codec packs a state in one struct call; the bytes must stay what the part-by-part
    layout says (header with ``head_long``, day buckets, the lateness view, sources, members),
    which is what every worker since v2 reads."""
    state = EntityState()
    for u in range(5):
        state.add(_drew(u, u * 0.7))
        state.mark((u, 20 + u))
    state.add(_late(2, 30))
    state.alert_ts, state.alert_rank = 1_780_000_123, 3
    flat = [h for sketch in state.sketches for h in sketch]
    long_flat = [h for sketch in state.long_sketches for h in sketch]
    v2 = b"".join((
        struct.pack("<BIIiIBi", 2, state.first_ts, state.last_ts, state.head_day, state.alert_ts, state.alert_rank,
                    state.head_long),
        struct.pack(f"<{len(flat)}I{len(state.loans)}H", *flat, *state.loans),
        struct.pack(f"<{len(long_flat)}I", *long_flat),
        struct.pack(f"<{len(state.sources)}q", *state.sources),
        b"".join(struct.pack("<65p", m.encode()) for m in state.members + [""] * (24 - len(state.members))),
    ))
    assert state.head_long >= 0 and any(long_flat) and len(state.members) == 5
    assert state.to_bytes() == v2 and len(v2) == STATE_BYTES
    read = EntityState.from_bytes(v2)
    assert read == state
    assert all(type(part) is list for part in (read.loans, read.sources, *read.sketches, *read.long_sketches))


def test_a_repayment_late_into_a_loan_drawn_at_a_merchant_sights_the_merchant() -> None:
    """The user state remembers where each open loan was drawn; a repayment LATE_DAYS or more late
    into it names that merchant (read before the repayment closes the loan), a timely one nothing."""
    states: dict[str, UserState] = {}
    loan = parse_document(_loan(merchant_id="m-3", device_id="d-9"))
    fold_sighted(states, loan)
    assert merchant_of_loan(states["u-1"], "l-1") == "m-3"
    assert fold_sighted(states, parse_document(_repayment_doc("r-0", LATE_DAYS - 1)))[1] == ()  # closes l-1: not late enough
    fold_sighted(states, parse_document(_loan(merchant_id="m-3", loan_id="l-2", event_id="e-2")))
    _, seen = fold_sighted(states, parse_document({**_repayment_doc("r-1", LATE_DAYS + 5), "loan_id": "l-2"}))
    assert [(s.entity_type, s.entity_id, s.late_days, s.user_id) for s in seen] == [("merchant", "m-3", 20, "u-1")]
    assert merchant_of_loan(states["u-1"], "l-2") is None  # repaid: closed
    assert fold_sighted(states, parse_document({**_repayment_doc("r-1", LATE_DAYS + 5), "loan_id": "l-2"})) == (None, ())


def _repayment_doc(event_id: str, days_late: int) -> dict:
    return {"event_id": event_id, "event_type": "repayment", "user_id": "u-1", "ts": "2026-04-20T10:00:00+08:00",
            "amount": 700.0, "loan_id": "l-1", "days_late": days_late}


def test_a_loan_at_another_merchant_takes_the_one_merchant_slot() -> None:
    """The state keeps one merchant: a loan drawn elsewhere takes it, and the open loans drawn at the
    one before are no longer attributed; loans not drawn at a merchant never were."""
    state = UserState()
    for i, merchant in enumerate(("m-a", "m-a")):
        update(state, parse_document(_loan(merchant_id=merchant, loan_id=f"l-{i}", event_id=f"e-{i}", amount=10.0)))
    update(state, parse_document(_loan(loan_id="l-app", event_id="e-app", channel="app", amount=10.0)))
    assert [merchant_of_loan(state, f"l-{i}") for i in range(2)] == ["m-a", "m-a"]
    update(state, parse_document(_loan(merchant_id="m-b", loan_id="l-2", event_id="e-2", amount=10.0)))
    assert [merchant_of_loan(state, f"l-{i}") for i in range(3)] == [None, None, "m-b"]
    assert merchant_of_loan(state, "l-app") is None and state.merchant == [b"m-b"]
    assert merchant_of_loan(state, "l-unknown") is None


any_sighting = st.builds(
    Sighting, st.sampled_from(["device", "merchant"]), st.text(min_size=1, max_size=64), st.text(max_size=20),
    st.text(max_size=20), st.floats(0, 4e9, allow_nan=False), st.booleans(), st.booleans(), st.booleans(),
    st.none() | st.tuples(st.integers(0, 1023), st.integers(0, 2**62)), st.integers(0, 9999),
)


@given(st.lists(any_sighting, max_size=30))
def test_a_pack_reads_back_as_its_sightings_in_order(items: list[Sighting]) -> None:
    assert unpack(pack(items)) == items
    assert [unpack(s.to_bytes()) for s in items] == [[s] for s in items]  # one per record, as older workers send
