"""Per-user rolling features (``stream.core.features``) against a brute-force reference.

The fast implementation keeps bounded state (ring buckets, slot tables, hashed
recent ids) so it can live in a Faust table; ``tests/reference_features.py``
keeps every event and rescans.  The properties below feed both the same random
per-user streams (several users interleaved, loans and repayments, out-of-order
jitter of up to a few hours, jumps of days, exact bucket-boundary steps and
redelivered events) and check that:

* the exactly-defined features agree event by event;
* the state has a fixed byte size, round-trips exactly, and serialising it after
  every event (the stream worker) changes nothing compared with never
  serialising it (the offline commands);
* a redelivered event is ignored and leaves the state untouched.

The serialised layout is pinned (``V10_LAYOUT``, and digests of its version 5
part recorded from the hand-written codec before ``STATE_LAYOUT`` derived it),
so the changelog stays readable across refactors.

Hand-computed unit tests pin the window semantics with concrete numbers.
"""

from __future__ import annotations

import hashlib
import math
import random
import struct
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from stream.core.contract import CHANNELS, PRODUCTS, SEGMENTS, Event, parse_document
from stream.core.features import (
    FEATURE_TEXT,
    LOAN_FEATURES,
    REPAYMENT_FEATURES,
    COMPACT_STATE_BYTES,
    STATE_BYTES,
    STATE_HISTORY,
    STATE_LAYOUT,
    STATE_VERSION,
    WATCH_SLOTS,
    FeatureRow,
    UserState,
    _LoanFeatures,
    _RepaymentFeatures,
    RECENT_IDS,
    REKEY_SOURCES,
    Copy,
    loan_hash,
    position,
    replayed,
    update,
)
from stream.core.rings import Ring
from stream.core.state_layout import Array, RingField, Scalar, StateFormatError, StateLayout
from tests.reference_features import DAY, DEDUP_HORIZON, HOUR, ReferenceUser

#: 2026-03-02T00:00:00Z, the start of a UTC day (so day/hour/10-minute buckets start here).
BASE = datetime(2026, 3, 2, tzinfo=timezone.utc).timestamp()
#: Producer clock offsets in minutes: UTC, China, US East, India.
OFFSETS_MIN = (0, 480, -300, 330)
#: Steps that land exactly on bucket and horizon edges.
EDGE_STEPS = (600, 3600, DAY, 7 * DAY, 30 * DAY, 90 * DAY)
#: Features the fast code does not yet match exactly (see test_late_max_90d_matches_reference).
KNOWN_MISMATCH = frozenset({"late_max_90d"})
COMPARED = frozenset(LOAN_FEATURES + REPAYMENT_FEATURES) - KNOWN_MISMATCH

#: Budgets that keep the file at a few seconds; the reference comparison gets the most.
THOROUGH = settings(max_examples=300, deadline=None)
QUICK = settings(max_examples=150, deadline=None)


# -- building real contract events -------------------------------------------------
def ts_text(ts: float, offset_min: int) -> str:
    """RFC 3339 text of epoch seconds ``ts`` in a producer clock ``offset_min`` from UTC."""
    return datetime.fromtimestamp(ts, timezone(timedelta(minutes=offset_min))).isoformat()


def loan_doc(event_id: str, ts: float, offset_min: int = 480, **fields: Any) -> dict[str, Any]:
    """A valid loan document (contract v1) at ``ts``, stamped on a producer clock
    ``offset_min`` from UTC; ``fields`` override the defaults."""
    doc: dict[str, Any] = {
        "event_id": event_id, "event_type": "loan", "user_id": "u-1", "ts": ts_text(ts, offset_min),
        "amount": 1000.0, "loan_id": f"l-{event_id}", "product": "cash_loan", "term_days": 30,
        "credit_limit": 10000, "segment": "individual", "channel": "app",
    }
    doc.update(fields)
    return doc


def repayment_doc(event_id: str, ts: float, offset_min: int = 480, **fields: Any) -> dict[str, Any]:
    """A valid repayment document (contract v1) at ``ts``, stamped on a producer clock
    ``offset_min`` from UTC; ``fields`` override the defaults."""
    doc: dict[str, Any] = {
        "event_id": event_id, "event_type": "repayment", "user_id": "u-1", "ts": ts_text(ts, offset_min),
        "amount": 500.0, "loan_id": "l-0", "days_late": 0,
    }
    doc.update(fields)
    return doc


def run(events: list[Event]) -> list[dict[str, float] | None]:
    """Features of each event (name -> value) through one fresh per-user state each."""
    states: dict[str, UserState] = defaultdict(UserState)
    return [_as_dict(update(states[e.user_id], e)) for e in events]


def _as_dict(row: FeatureRow | None) -> dict[str, float] | None:
    return None if row is None else dict(zip(row.names, row.values))


# -- random streams ------------------------------------------------------------------
# A stream is drawn as a list of small steps and then built by a plain function, so
# Hypothesis shrinks a failure by deleting steps and zeroing fields (fast, readable).
class Timing(NamedTuple):
    """How far the shared clock moves before an event, and how late the event is stamped."""

    advance: float
    late: float
    offset_min: int


class LoanStep(NamedTuple):
    timing: Timing
    user: int
    cents: int
    product: str
    channel: str
    segment: str
    term_days: int
    credit_limit: int
    device_id: str | None


class RepaymentStep(NamedTuple):
    timing: Timing
    user: int
    cents: int
    loan_pick: int
    days_late: int
    outstanding_cents: int | None


class Redelivery(NamedTuple):
    """Send again an earlier message of the stream (within or beyond the dedup horizon)."""

    pick: int


def _near(points: tuple[float, ...], spread: int) -> st.SearchStrategy[float]:
    """Values within ``spread`` seconds of one of ``points`` (bucket/horizon edges)."""
    return st.builds(lambda p, d: max(0.0, p + d), st.sampled_from(points), st.integers(-spread, spread))


def _weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Draw from one of ``choices`` with the given integer weights (``st.one_of`` is
    even, and inside long lists it drifts far from even), shrinking towards the first."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


TIMING = st.builds(
    Timing,
    # Mostly minutes apart, sometimes hours, an exact edge, rarely days ahead.
    advance=_weighted(
        (12, st.integers(0, 900)), (4, st.integers(0, 6 * 3600)),
        (2, st.sampled_from(EDGE_STEPS)), (1, st.integers(DAY, 40 * DAY)),
    ),
    # Mostly in order; else up to 4 h late (often near the 1h ring edge), rarely a
    # stale event near the 24h/7d/30d/90d edges (a replayed backlog).
    late=_weighted(
        (12, st.just(0)), (3, st.integers(1, 4 * 3600)),
        (2, _near((3600.0, 2 * HOUR), 600)), (1, _near((DAY, 7 * DAY, 30 * DAY, 90 * DAY), 2 * 3600)),
    ),
    offset_min=st.sampled_from(OFFSETS_MIN),
)
USER = st.integers(0, 2)
CENTS = st.one_of(st.integers(1, 2_000_000), st.sampled_from((50, 150, 250, 1050, 1_000_000_000)))
#: Terms around the short-term edge (SHORT_TERM_DAYS = 14) as often as anywhere else.
TERM_DAYS = st.one_of(st.integers(12, 16), st.integers(1, 400))
LOAN_STEP = st.builds(
    LoanStep, TIMING, USER, CENTS, st.sampled_from(PRODUCTS), st.sampled_from(CHANNELS),
    st.sampled_from(SEGMENTS), TERM_DAYS, st.one_of(st.just(0), st.integers(1, 200_000)),
    st.sampled_from((None, "d-a", "d-b", "d-c", "d-d", "d-e")),
)
REPAYMENT_STEP = st.builds(
    RepaymentStep, TIMING, USER, CENTS, st.integers(0, 100),
    st.one_of(st.integers(0, 3), st.integers(0, 120)), st.one_of(st.none(), st.integers(0, 5_000_000)),
)
STEP = _weighted((5, LOAN_STEP), (3, REPAYMENT_STEP), (1, st.builds(Redelivery, st.integers(0, 100))))


def build_stream(start: float, with_outstanding: bool, steps: list[LoanStep | RepaymentStep | Redelivery]) -> list[Event]:
    """Turn steps into parsed contract events for users u-0..u-2 sharing one clock.

    Repayments pay into one of the user's earlier loans; they carry ``outstanding``
    only in streams drawn ``with_outstanding``.
    """
    clock = start
    docs: list[dict[str, Any]] = []
    loan_ids: dict[str, list[str]] = defaultdict(list)
    for i, step in enumerate(steps):
        if isinstance(step, Redelivery):
            if docs:
                docs.append(docs[step.pick % len(docs)])
            continue
        clock += step.timing.advance
        user = f"u-{step.user}"
        common: dict[str, Any] = {
            "event_id": f"e-{i}", "ts": clock - step.timing.late, "offset_min": step.timing.offset_min,
            "user_id": user, "amount": step.cents / 100,
        }
        if isinstance(step, LoanStep):
            doc = loan_doc(
                **common, product=step.product, channel=step.channel, segment=step.segment,
                term_days=step.term_days, credit_limit=step.credit_limit, device_id=step.device_id,
            )
            loan_ids[user].append(doc["loan_id"])
        else:
            known = loan_ids[user] or ["l-none"]
            doc = repayment_doc(**common, loan_id=known[step.loan_pick % len(known)], days_late=step.days_late)
            if with_outstanding and step.outstanding_cents is not None:
                doc["outstanding"] = step.outstanding_cents / 100
        docs.append(doc)
    return [parse_document(d) for d in docs]


#: Interleaved streams of 1-60 messages, as parsed contract events.  Plain
#: ``st.lists`` averages only a handful of elements; the second branch gives the long
#: histories that fill windows and the dedup horizon, the first lets failures shrink short.
EVENT_STREAMS = st.builds(
    build_stream, st.integers(0, int(DAY)).map(lambda s: BASE + s), st.booleans(),
    st.one_of(st.lists(STEP, min_size=1, max_size=60), st.lists(STEP, min_size=20, max_size=60)),
)


def assert_matches_reference(events: list[Event], names: frozenset[str]) -> None:
    """Every event's fast features in ``names`` equal the reference's, and both agree
    on which events are duplicates."""
    refs: dict[str, ReferenceUser] = defaultdict(ReferenceUser)
    for i, (event, got) in enumerate(zip(events, run(events))):
        want = refs[event.user_id].update(event)
        assert (got is None) == (want is None), f"event {i} ({event.event_id}): duplicate handling differs"
        if got is None or want is None:
            continue
        for name, value in want.items():
            if value is None or name not in names:
                continue
            assert math.isclose(got[name], value, rel_tol=1e-9, abs_tol=1e-12), (
                f"event {i} ({event.event_id}, {event.event_type}, ts={event.ts_raw}): "
                f"{name} fast={got[name]!r} reference={value!r}"
            )


# -- properties ----------------------------------------------------------------------
@THOROUGH
@given(EVENT_STREAMS)
def test_fast_features_match_reference(events: list[Event]) -> None:
    """Guards the ring/slot bookkeeping against a full rescan: window counts and
    whole-yuan sums, late and stale events at ring edges, bucket alignment (UTC
    buckets vs local-hour features), distinct products/channels at the 7-day edge,
    new channel, hour unusualness, time since previous loan, utilisation, lateness
    EWM/trend/last/streak, segment code and which events count as duplicates."""
    assert_matches_reference(events, COMPARED)


@QUICK
@given(EVENT_STREAMS)
def test_state_is_fixed_size_and_serialisation_is_transparent(events: list[Event]) -> None:
    """Guards the Faust table contract: the encoding never grows or overflows a
    field, ``from_bytes`` restores every field bit for bit, and a state
    round-tripped through bytes before every event (as the stream worker does)
    yields exactly the features of one kept in memory (as the offline commands do)."""
    live: dict[str, UserState] = defaultdict(UserState)
    stored: dict[str, bytes] = defaultdict(lambda: UserState().to_bytes())
    for event in events:
        state = UserState.from_bytes(stored[event.user_id])
        assert update(state, event) == update(live[event.user_id], event)
        data = state.to_bytes()
        assert len(data) == (STATE_BYTES if any(state.watch_hashes) else COMPACT_STATE_BYTES)
        assert UserState.from_bytes(data).to_bytes() == data
        assert data == live[event.user_id].to_bytes()
        stored[event.user_id] = data


@QUICK
@given(EVENT_STREAMS)
def test_redelivery_within_horizon_is_ignored(events: list[Event]) -> None:
    """Guards idempotence under at-least-once delivery: after each event, redelivering
    any of the user's last 16 accepted events returns None and leaves the state
    byte-identical (nothing counted twice, the dedup ring not rotated)."""
    states: dict[str, UserState] = defaultdict(UserState)
    accepted: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        state = states[event.user_id]
        if update(state, event) is not None:
            accepted[event.user_id].append(event)
        before = state.to_bytes()
        for seen in accepted[event.user_id][-DEDUP_HORIZON:]:
            assert update(state, seen) is None
            assert state.to_bytes() == before


LATE_MAX_FORGETS_SMALLER = [
    parse_document(repayment_doc("r1", BASE, days_late=2)),
    parse_document(repayment_doc("r2", BASE + 50 * DAY, days_late=1)),
    parse_document(loan_doc("l1", BASE + 91 * DAY)),
]
LATE_MAX_OUT_OF_ORDER_TIE = [
    parse_document(repayment_doc("r1", BASE + HOUR, days_late=1)),
    parse_document(repayment_doc("r2", BASE, days_late=1)),
    parse_document(loan_doc("l1", BASE + 90 * DAY + 1800)),
]


@QUICK
@example(LATE_MAX_FORGETS_SMALLER)
@example(LATE_MAX_OUT_OF_ORDER_TIE)
@given(EVENT_STREAMS)
def test_late_max_90d_matches_reference(events: list[Event]) -> None:
    """Guards the documented meaning "worst lateness within the 90-day window"
    (10-day buckets): a smaller lateness still inside the window is not forgotten
    when the worst one ages out, and an out-of-order tie does not move the window."""
    assert_matches_reference(events, frozenset({"late_max_90d"}))


def test_distinct_7d_edge_with_fractional_seconds() -> None:
    """Guards the rule "newest time per product/channel >= newest - 7 days" at the
    documented whole-second precision, with the fractional seconds the contract
    allows.  (The random streams use whole seconds, so this edge is only checked here.)"""
    events = [
        parse_document(loan_doc("e-0", BASE + 0.5, product="cash_loan", channel="web")),
        parse_document(loan_doc("e-1", BASE + 0.5 + 7 * DAY, product="installment", channel="app")),
    ]
    assert_matches_reference(events, frozenset({"distinct_products_7d", "distinct_channels_7d"}))


# -- hand-computed examples ------------------------------------------------------------
def test_three_loans_within_twenty_minutes_then_one_a_day_later() -> None:
    """Bucket windows with concrete numbers: 3 loans in 20 minutes are all in the
    1h window; a 4th 25 hours later has the 24h window to itself but the 7d one
    holds all four."""
    docs = [loan_doc(f"e-{i}", BASE + 600 * i, amount=1000.0) for i in range(3)]
    docs.append(loan_doc("e-3", BASE + 25 * HOUR + 1200, amount=1000.0))
    rows = run([parse_document(d) for d in docs])
    assert [r["loans_1h"] for r in rows] == [1.0, 2.0, 3.0, 1.0]
    assert rows[2]["amount_1h_over_limit"] == pytest.approx(3000 / 10000)
    assert rows[3]["loans_24h"] == 1.0
    assert rows[3]["loans_7d"] == 4.0
    assert rows[3]["amount_7d_over_limit"] == pytest.approx(4000 / 10000)


def test_a_device_is_unseen_on_its_first_loan_and_a_channel_only_after_history() -> None:
    """A device is unseen on the user's first loan on it, the first loan included (a loan farm's
    accounts borrow once each); a channel is "new" only against a history; repeats are neither."""
    rows = run([
        parse_document(loan_doc("e-0", BASE, device_id="d-1", channel="app")),
        parse_document(loan_doc("e-1", BASE + HOUR, device_id="d-1", channel="app")),
        parse_document(loan_doc("e-2", BASE + 2 * HOUR, device_id="d-2", channel="web")),
    ])
    assert [(r["unseen_device"], r["new_channel"]) for r in rows] == [(1.0, 0.0), (0.0, 0.0), (1.0, 1.0)]


def test_loan_two_hours_late_still_counts_in_24h_not_in_1h() -> None:
    """A late event lands in its own bucket: 2 hours late is inside the 24h window
    but outside the 1h one (12 ten-minute buckets back)."""
    rows = run([
        parse_document(loan_doc("e-0", BASE + 10 * HOUR)),
        parse_document(loan_doc("e-1", BASE + 8 * HOUR)),
    ])
    assert (rows[1]["loans_1h"], rows[1]["loans_24h"], rows[1]["loans_30d"]) == (1.0, 2.0, 2.0)
    assert rows[1]["log_hours_since_prev_loan"] == 0.0


def test_thirty_day_window_edges() -> None:
    """Day buckets: 29 UTC days back is inside "30d", 30 days back is out, and a late
    loan older than the window as of the newest time is never counted."""
    rows = run([
        parse_document(loan_doc("e-0", BASE)),
        parse_document(loan_doc("e-1", BASE + 29 * DAY + 3600)),
        parse_document(loan_doc("e-2", BASE + 30 * DAY)),
        parse_document(loan_doc("e-3", BASE - DAY)),
    ])
    assert [r["loans_30d"] for r in rows] == [1.0, 2.0, 2.0, 2.0]
    assert rows[2]["loans_7d"] == 2.0


def test_a_bucket_counts_up_to_255_loans_and_keeps_adding_their_amounts() -> None:
    """One byte per bucket and window (state v7): 300 loans a second apart in one ten-minute
    bucket count 255 there, as in the hour's and the day's buckets, while the amounts keep
    growing; the reference agrees, and the state round-trips through its bytes unchanged."""
    events = [parse_document(loan_doc(f"e-{i}", BASE + i, amount=10.0, credit_limit=100000)) for i in range(300)]
    state, reference = UserState(), ReferenceUser()
    rows = []
    for event in events:
        row = update(state, event)
        assert row is not None
        rows.append(dict(zip(row.names, row.values)))
        reference_row = reference.update(event)
        assert reference_row is not None
        assert {n: rows[-1][n] for n in ("loans_1h", "loans_24h", "loans_7d", "loans_30d")} == \
            {n: reference_row[n] for n in ("loans_1h", "loans_24h", "loans_7d", "loans_30d")}
    assert [rows[i]["loans_1h"] for i in (253, 254, 255, 299)] == [254.0, 255.0, 255.0, 255.0]
    assert rows[299]["loans_24h"] == rows[299]["loans_30d"] == 255.0
    assert rows[299]["amount_1h_over_limit"] == pytest.approx(300 * 10 / 100000)
    assert UserState.from_bytes(state.to_bytes()).to_bytes() == state.to_bytes()


def _circular(pairs: list[tuple[float, str, float, str, float]]) -> list[dict[str, float] | None]:
    """Loans l-0 (credit_line, 1000) and l-1 (cash_loan, 1000) on day 0, then per (day, product,
    amount, repaid loan, hours later): a new loan that day and a repayment of an older loan after it."""
    docs = [loan_doc("e-a", BASE, product="credit_line", loan_id="l-a", term_days=60),
            loan_doc("e-b", BASE + HOUR, product="cash_loan", loan_id="l-b", term_days=60)]
    for i, (day, product, amount, repaid, hours) in enumerate(pairs):
        docs.append(loan_doc(f"e-l{i}", BASE + day * DAY, product=product, amount=amount, loan_id=f"l-{i}", term_days=60))
        docs.append(repayment_doc(f"e-r{i}", BASE + day * DAY + hours * HOUR, loan_id=repaid, amount=1000.0))
    events = [parse_document(d) for d in docs]
    rows = _run_as_reference(events, ("funded_repeats_30d",))
    return [r for r, e in zip(rows, events) if e.event_type == "repayment"]


def _run_as_reference(events: list[Event], names: tuple[str, ...]) -> list[dict[str, float] | None]:
    """Every event's features, with the brute-force reference agreeing on ``names`` wherever it computes them."""
    rows = run(events)
    reference: dict[str, ReferenceUser] = defaultdict(ReferenceUser)
    for event, row in zip(events, rows):
        want = reference[event.user_id].update(event)
        assert row is not None and want is not None
        for name in names:
            if name in want and name in row:
                assert row[name] == want[name], (event.event_id, name)
    return rows


def _weekly_rollovers(growths: list[float]) -> list[dict[str, float] | None]:
    """A 7-day loan each week, the first of 1,000, each next one taken the day before the last one
    falls due and ``growths[i]`` times its size, the last one repaid an hour later: the rows."""
    docs, amounts = [], [1000]
    for growth in growths:
        amounts.append(round(amounts[-1] * growth))
    for week, amount in enumerate(amounts):
        docs.append(loan_doc(f"e-l{week}", BASE + (6 * week) * DAY, amount=amount, loan_id=f"l-{week}", term_days=7))
        if week:
            docs.append(repayment_doc(f"e-r{week}", BASE + (6 * week) * DAY + HOUR, loan_id=f"l-{week - 1}",
                                      amount=amounts[week - 1]))
    return _run_as_reference([parse_document(d) for d in docs], ("rollover_chain", "repaid_by_rollover"))


def _depths(rows: list[dict[str, float] | None]) -> list[float]:
    return [r["rollover_chain"] for r in rows if r is not None and "rollover_growth" in r]


def test_a_flat_weekly_rollover_stays_at_depth_one_however_long_it_runs() -> None:
    """A borrower who rolls the same loan over every week (a payday habit) has rollover depth 1
    in week 2 and in week 6 alike: a depth that grew with tenure would cross any threshold
    calibrated on a shorter history (docs/worlds.md, "flat rollovers")."""
    assert _depths(_weekly_rollovers([1.0] * 5)) == [0.0, 1.0, 1.0, 1.0, 1.0, 1.0]


def test_a_flat_rollover_starts_the_spiral_again() -> None:
    """A spiral is escalation in a row: after two 1.3x steps, a flat rollover is depth 1 again, so a
    borrower whose amounts drift up now and then never builds depth out of tenure."""
    assert _depths(_weekly_rollovers([1.3, 1.3, 1.0, 1.3, 1.05, 1.3])) == [0.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0]


def test_an_escalating_rollover_deepens_with_every_step() -> None:
    """Each new loan 1.3x the one it repays: the debt spiral's depth grows by one a week, and
    the repayment of a rolled-over loan says how deep the loan that paid it was."""
    rows = _weekly_rollovers([1.3] * 5)
    repayments = [r for r in rows if r is not None and "repaid_by_rollover" in r]
    assert _depths(rows) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert [r["repaid_by_rollover"] for r in repayments] == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_repayments_funded_by_a_loan_of_another_product_count_in_a_row() -> None:
    """Two lines paying each other off: each repayment comes hours after a loan of the other
    product of about its size.  The run grows while each is within 30 days of the one before."""
    rows = _circular([(5, "cash_loan", 1000.0, "l-a", 2), (12, "credit_line", 1100.0, "l-0", 20),
                      (20, "cash_loan", 1050.0, "l-1", 47)])
    assert [r["funded_repeats_30d"] for r in rows] == [1.0, 2.0, 3.0]
    assert all(r["repaid_by_rollover"] == 0.0 for r in rows)  # no due date near: not a rollover


def test_what_does_not_make_a_repayment_funded() -> None:
    """Same product, a loan too small or too big, more than 48 h between them, or a loan taken after the
    repayment: 0, and the run stands; a funded repayment more than 30 days after the last starts again."""
    rows = _circular([
        (3, "credit_line", 1000.0, "l-a", 1),  # the same product as the loan repaid
        (6, "cash_loan", 850.0, "l-0", 1),  # 0.85x: too small
        (9, "credit_line", 1600.0, "l-1", 1),  # 1.88x: too big
        (12, "cash_loan", 1600.0, "l-2", 49),  # 49 h later
        (14, "credit_line", 1600.0, "l-3", 2),  # funded: 1
        (15, "cash_loan", 1600.0, "l-4", -1),  # the newest loan before the repayment is l-4 itself's product
        (50, "credit_line", 1600.0, "l-5", 3),  # funded, 36 days after the last: a new run
    ])
    assert [r["funded_repeats_30d"] for r in rows] == [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0]


def test_amounts_are_whole_yuan_with_python_rounding() -> None:
    """Window sums use round() per loan (half to even): 2.50 -> 2 and 3.50 -> 4; a
    zero credit limit divides by 1."""
    rows = run([
        parse_document(loan_doc("e-0", BASE, amount=2.5, credit_limit=0)),
        parse_document(loan_doc("e-1", BASE + 60, amount=3.5, credit_limit=0)),
    ])
    assert rows[1]["amount_1h_over_limit"] == 6.0
    assert rows[1]["amount_over_limit"] == 3.5


def test_duplicate_ignored_until_beyond_horizon() -> None:
    """A repeated event_id is a redelivery while it is among the last 16 accepted
    events; once 16 others have followed it is treated as a new event."""
    first = parse_document(loan_doc("e-dup", BASE))
    others = [parse_document(loan_doc(f"e-{i}", BASE + 60 * (i + 1))) for i in range(DEDUP_HORIZON)]
    rows = run([first, first, *others[:-1], first, others[-1], first])
    assert rows[1] is None
    assert rows[DEDUP_HORIZON + 1] is None
    assert rows[-1] is not None and rows[-1]["loans_1h"] == 2.0 + DEDUP_HORIZON  # counted again


@QUICK
@given(EVENT_STREAMS, st.data())
def test_a_replay_from_any_point_is_recognised_by_position_however_long(events: list[Event], data: st.DataObject) -> None:
    """Guards exactly-once after a crash (docs/reliability.md, finding 20): events at input
    positions, a crash after any prefix, and the log read again from any earlier offset.  Every
    replayed event is recognised (None) and the states end byte for byte as one pass leaves
    them, however many of a user's events the replay spans."""
    once: dict[str, UserState] = defaultdict(UserState)
    for offset, event in enumerate(events):
        update(once[event.user_id], event, position(0, offset))
    # Often the longest replays: a crash at the end, the log read again from its start.
    crash = data.draw(st.one_of(st.just(len(events)), st.integers(0, len(events))), label="events folded before the crash")
    restart = data.draw(st.one_of(st.just(0), st.integers(0, crash)), label="offset the log is read again from")
    replayed: dict[str, UserState] = defaultdict(UserState)
    for offset, event in enumerate(events[:crash]):
        update(replayed[event.user_id], event, position(0, offset))
    for offset in range(restart, len(events)):
        row = update(replayed[events[offset].user_id], events[offset], position(0, offset))
        assert offset >= crash or row is None, f"offset {offset}, before the crash at {crash}, folded again"
    assert {u: s.to_bytes() for u, s in replayed.items()} == {u: s.to_bytes() for u, s in once.items()}


def test_a_replay_longer_than_the_id_ring_counts_twice_without_positions() -> None:
    """Why the state keeps a position: a replay of more than ``RECENT_IDS`` of one user's events,
    in order, pushes each id out of the ring before its own copy comes, so by ids alone every
    replayed event is counted again (finding 20: 16 loans and 6 repayments became 30 and 12)."""
    loans = [parse_document(loan_doc(f"e-{i}", BASE + 60 * i)) for i in range(RECENT_IDS + 4)]
    by_id, by_position = UserState(), UserState()
    for offset, event in enumerate(loans):
        update(by_id, event)
        update(by_position, event, position(3, 100 + offset))
    for offset, event in enumerate(loans):
        assert update(by_id, event) is not None  # ids alone: counted again
        assert update(by_position, event, position(3, 100 + offset)) is None
    assert (by_id.n_loans, by_position.n_loans) == (2 * len(loans), len(loans))


def test_a_position_is_compared_only_on_its_own_partition_and_before_the_newest_time() -> None:
    """A position from another partition says nothing (the user's partition changed with a
    rescale): the event is new unless its id is recent.  Nor does an older offset with a newer
    time (the input topic was recreated, offsets start again): folded, not taken for a replay."""
    state = UserState()
    first, second = (parse_document(loan_doc(f"e-{i}", BASE + 60 * i)) for i in (1, 2))
    assert update(state, first, position(2, 500)) is not None
    assert state.folded_through == position(2, 500)
    assert update(state, second, position(5, 10)) is not None  # another partition, lower offset: new
    assert state.folded_through == position(5, 10)
    assert update(state, first, position(2, 500)) is None  # by its id
    recreated = parse_document(loan_doc("e-new", BASE + 3600))
    assert replayed(state, second, position(5, 3)) and not replayed(state, recreated, position(5, 3))
    assert update(state, recreated, position(5, 3)) is not None and state.n_loans == 3


def _forwarded(events: list[Event], partitions: list[int], first_in_batch: set[int]) -> list[Copy]:
    """The copies a forwarder sends for ``events`` read without keys from ``partitions`` (event i
    from ``partitions[i]``, each partition's offsets in order), its batches starting at the
    indexes in ``first_in_batch``: what ``stream.core.routing.copy_headers`` says of each."""
    next_offset: dict[int, int] = defaultdict(int)
    copies, last = [], {}
    for i, (event, partition) in enumerate(zip(events, partitions)):
        if i in first_in_batch:
            last.clear()
        offset = next_offset[partition]
        next_offset[partition] += 1
        before = last.get((event.user_id, partition))
        copies.append(Copy(position(partition, offset), 0 if before is None else position(partition, before)))
        last[(event.user_id, partition)] = offset
    return copies


def _without_positions(state: UserState) -> bytes:
    """A state's bytes but the input positions, which differ with the offsets copies land at."""
    state.folded_through, state.rekeyed_through = 0, [0] * REKEY_SOURCES
    return state.to_bytes()


@QUICK
@given(EVENT_STREAMS, st.data())
def test_re_keyed_copies_sent_again_are_recognised_by_their_originals_however_many(
        events: list[Event], data: st.DataObject) -> None:
    """Guards exactly-once with producers that send no key: every event reaches its user's
    partition as a copy.  The forwarder crashes after any number of copies were folded and reads
    the originals again from any earlier batch; the new copies (new offsets) of events already
    folded are all recognised, and the states end as one pass leaves them, however many of a
    user's events the replay spans."""
    n = len(events)
    partitions = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n), label="source partition of each")
    starts = {0} | set(data.draw(st.lists(st.integers(0, n), max_size=8), label="batch starts"))
    copies = _forwarded(events, partitions, starts)
    crash = data.draw(st.one_of(st.just(n), st.integers(0, n)), label="copies folded before the crash")
    restart = data.draw(st.sampled_from(sorted(s for s in starts if s <= crash)), label="batch read again from")
    again = {restart} | set(data.draw(st.lists(st.integers(restart, n), max_size=8), label="batch starts after"))
    resent = _forwarded(events, partitions, again)[restart:]
    offsets = iter(range(10**6))  # the user's partition: copies appended as they come
    once: dict[str, UserState] = defaultdict(UserState)
    for event, copy in zip(events, copies):
        update(once[event.user_id], event, position(7, next(offsets)), copy)
    offsets = iter(range(10**6))
    twice: dict[str, UserState] = defaultdict(UserState)
    for event, copy in zip(events[:crash], copies):
        update(twice[event.user_id], event, position(7, next(offsets)), copy)
    for i, (event, copy) in enumerate(zip(events[restart:], resent), start=restart):
        row = update(twice[event.user_id], event, position(7, next(offsets)), copy)
        assert i >= crash or row is None, f"event {i}, folded before the crash at {crash}, folded again"
    assert {u: _without_positions(s) for u, s in twice.items()} == {u: _without_positions(s) for u, s in once.items()}


def test_a_copy_is_counted_through_its_partition_only_after_the_copy_before_it() -> None:
    """The broker refused a batch's first copy and took the second: the second arrives first,
    is folded, and its partition's position does not move past the missing one, which is
    folded when it comes, not taken for a replay.  Only then does the chain reach both."""
    state = UserState()
    first, second = (parse_document(loan_doc(f"e-{i}", BASE + 60 * i)) for i in (1, 2))
    copy_1, copy_2 = Copy(position(4, 10)), Copy(position(4, 12), after=position(4, 10))
    assert update(state, second, position(0, 0), copy_2) is not None
    assert state.rekeyed_through == [0] * REKEY_SOURCES  # not through 12: 10 is missing
    assert not replayed(state, first, position(0, 1), copy_1)
    assert update(state, first, position(0, 1), copy_1) is not None
    assert state.rekeyed_through[0] == position(4, 10) and state.n_loans == 2
    assert replayed(state, first, position(0, 9), copy_1)  # sent again: recognised by its original
    assert not replayed(state, second, position(0, 9), copy_2)  # beyond the chain: its id recognises it
    assert update(state, second, position(0, 9), copy_2) is None and state.rekeyed_through[0] == position(4, 12)


def test_the_partitions_seen_longest_ago_are_forgotten_beyond_the_slots() -> None:
    """A user's copies from more partitions than ``REKEY_SOURCES``: the most recent first, the
    oldest forgotten (its copies recognised by id alone); a partition seen again moves to the front."""
    state = UserState()
    for p in range(REKEY_SOURCES + 2):
        update(state, parse_document(loan_doc(f"e-{p}", BASE + 60 * p)), position(0, p), Copy(position(p, 100 + p)))
    assert state.rekeyed_through == [position(p, 100 + p) for p in reversed(range(2, REKEY_SOURCES + 2))]
    update(state, parse_document(loan_doc("e-x", BASE + 3600)), position(0, 50), Copy(position(5, 200)))
    assert state.rekeyed_through[:2] == [position(5, 200), position(REKEY_SOURCES + 1, REKEY_SOURCES + 101)]
    assert len(state.rekeyed_through) == REKEY_SOURCES


def test_state_of_another_layout_is_refused_not_misread() -> None:
    """A worker upgraded to a new state layout must not misread the old bytes it
    restores from the changelog (the worker resets such states and counts them)."""
    good = UserState().to_bytes()
    with pytest.raises(StateFormatError):
        UserState.from_bytes(good[:-1])
    with pytest.raises(StateFormatError):
        UserState.from_bytes(bytes([good[0] + 1]) + good[1:])


# -- the serialised layout, pinned ---------------------------------------------------
#: Version 4 of the state's bytes, written out by hand (path, struct code, count) in
#: byte order after the leading version byte.  Independent of the code that derives the
#: codec, so a change to the field spec that moves a byte fails here; a deliberate
#: layout change bumps STATE_VERSION and replaces this table and the digests below.
V5_LAYOUT: tuple[tuple[str, str, int], ...] = (
    ("last_ts", "d", 1), ("first_ts", "I", 1), ("n_loans", "I", 1), ("n_repayments", "I", 1),
    ("last_loan_ts", "d", 1),
    ("ring_1h.head", "q", 1), ("ring_1h.counts", "H", 6), ("ring_1h.amounts", "I", 6),
    ("ring_24h.head", "q", 1), ("ring_24h.counts", "H", 24), ("ring_24h.amounts", "I", 24),
    ("ring_30d.head", "q", 1), ("ring_30d.counts", "H", 30), ("ring_30d.amounts", "I", 30),
    ("hour_hist", "H", 24), ("product_seen", "I", 5), ("channel_seen", "I", 4),
    ("device_hashes", "Q", 4), ("device_seen", "I", 4), ("device_first", "I", 4),
    ("ew_log_amount", "d", 1), ("ew_var_log_amount", "d", 1), ("outstanding", "d", 1), ("limit", "d", 1),
    ("limit_before", "d", 1), ("limit_changed_ts", "d", 1), ("late_ewm", "d", 1),
    ("late_ring.head", "q", 1), ("late_ring.values", "H", 9),
    ("late_last", "H", 1), ("late_streak", "B", 1), ("late_nz_last", "H", 1), ("late_nz_ts", "I", 1),
    ("late_rising", "B", 1), ("rollover_chain", "B", 1),
    ("loan_hashes", "I", 8), ("loan_due", "I", 8), ("loan_end", "I", 8), ("loan_amount", "I", 8),
    ("loan_depth", "B", 8), ("loan_rolled", "B", 8),
    ("recent_ids", "Q", 16), ("recent_pos", "H", 1), ("segment", "b", 1), ("alert_key", "Q", 1),
    ("alert_ts", "d", 1), ("alert_rank", "b", 1),
    ("short_ring.head", "q", 1), ("short_ring.values", "B", 30),
    ("loan_ew", "B", 8), ("loan_ew_source", "B", 8),
)
#: Version 6: the merchant of the latest merchant loan (a 64-byte id), and which open loans were drawn there.
V6_LAYOUT = (*V5_LAYOUT, ("merchant", "65p", 1), ("loan_at_merchant", "B", 1))
#: Version 7: the three rings' counts and the hour profile in one byte each, everything else where v6 had it;
#: then the open loans' products, the newest loan's amount and product, and the run of funded repayments.
V7_LAYOUT = (
    *((path, "B" if path.endswith(".counts") or path == "hour_hist" else code, count) for path, code, count in V6_LAYOUT),
    ("loan_product", "B", 8), ("last_loan_amount", "I", 1), ("last_loan_product", "B", 1), ("funded_ts", "I", 1),
    ("funded_chain", "B", 1),
)
V8_LAYOUT = (
    *V7_LAYOUT, ("watch_hashes", "I", 16), ("watch_due", "I", 16), ("watch_product", "B", 16), ("watch_ew", "B", 16),
    ("watch_ew_source", "B", 16),
)
#: Version 9: the input position of the last event folded in, after the dedup ring's position.
V9_LAYOUT = tuple(item for field in V8_LAYOUT
                  for item in ((field, ("folded_through", "Q", 1)) if field[0] == "recent_pos" else (field,)))
#: Where v9's one new value sits among the filled values (``_filled_state``).
_FOLDED_AT = sum(count for path, _, count in V9_LAYOUT[:[p for p, _, _ in V9_LAYOUT].index("folded_through")])
#: Version 10: per source partition, how far the re-keyed copies from it are folded, after the watch slots.
V10_LAYOUT = (*V9_LAYOUT, ("rekeyed_through", "Q", 8))
#: sha256 of ``_filled_state().to_bytes()`` and of what
#: ``test_features_and_states_of_a_pinned_stream`` hashes, recorded from the
#: hand-written codec and positional feature tuples of 2026-12-01, before
#: ``STATE_LAYOUT`` and the by-name builders replaced them.  The stream's pin was
#: recorded again on 2026-12-03 for one intended change: a rollover smaller than
#: ``ROLLOVER_ESCALATION`` does not deepen its chain (``rollover_chain``,
#: ``repaid_by_rollover`` and the open loans' depths; checked against the reference).
FILLED_STATE_SHA256 = "3c5903846c6a07d241d1c740cfd67957802782258edb8ec2de6521f951d033cd"
PINNED_STREAM_SHA256 = "84fa1ee765953635a23176bd42e92262125064c6842bec4be41e1e8d7a56c7f5"
#: Features added after the pin (checked against tests/reference_features.py, not
#: here), and ``unseen_device``, which replaced ``new_device`` (1 on a first loan too: checked by
#: its own test): left out of the pinned rows, so every older feature is still pinned.
ADDED_SINCE_PIN = frozenset({"new_product", "log_term_days", "product_code", "funded_repeats_30d", "unseen_device",
                             "cash_loan"})


def _random_value(rng: random.Random, code: str) -> float | int | bytes:
    """A value that fills the whole range of a struct code (so a narrowed field fails)."""
    if code.endswith("p"):
        return rng.randbytes(int(code[:-1]) - 1)
    if code == "d":
        return rng.uniform(-1e9, 1e9)
    if code == "b":
        return rng.randrange(-128, 128)
    if code == "q":
        return rng.randrange(-(2**40), 2**40)
    bits = {"B": 8, "H": 16, "I": 32, "Q": 64}[code]
    return rng.randrange(2**bits)


def _filled_state(layout: tuple[tuple[str, str, int], ...] = V10_LAYOUT) -> tuple[UserState, list[float | int]]:
    """A state with every field of ``layout`` set to a distinct seeded value over its
    whole range, and the values in byte order."""
    rng = random.Random(20261201)
    state = UserState()
    flat: list[float | int] = []
    for path, code, count in layout:
        values = [_random_value(rng, code) for _ in range(count)]
        owner_name, _, attr = path.rpartition(".")
        owner = getattr(state, owner_name) if owner_name else state
        setattr(owner, attr, values if count > 1 or code.endswith("p") else values[0])
        flat += values
    return state, flat


def _read(state: UserState, path: str) -> Any:
    owner_name, _, attr = path.rpartition(".")
    return getattr(getattr(state, owner_name) if owner_name else state, attr)


def _format(layout: tuple[tuple[str, str, int], ...]) -> str:
    return "<B" + "".join(code * count if code.endswith("p") else f"{count}{code}" for _, code, count in layout)


def test_loans_beyond_the_open_loan_slots_are_followed_in_watch_slots_soonest_due_first() -> None:
    """Which loans the watch slots follow (``stream.core.outcome_watch`` reads them; no feature does):
    those the open-loan slots do not keep, the soonest due when full; a repayment frees its slot, and
    an entry ``WATCH_FORGET_DAYS`` (90) past its due date makes room for any loan."""
    state = UserState()

    def loan(n: int, day: float, term: int) -> None:
        update(state, parse_document(loan_doc(f"e{n}", BASE + day * DAY + n, term_days=term)))

    def followed(*ns: int) -> list[bool]:
        return [loan_hash(f"l-e{n}") in state.watch_hashes for n in ns]

    last = 8 + WATCH_SLOTS  # loans 8 .. last - 1 fill the watch slots
    for n in range(8):
        loan(n, 0, 14)  # the open-loan slots, never repaid
    for n in range(8, last):
        loan(n, 0, 30 + n)  # due on days 38 and later: the watch slots
    assert followed(*range(8, last)) == [True] * WATCH_SLOTS and not any(followed(*range(8)))
    loan(last, 0, 20)  # due sooner than the latest-due entry: takes its slot
    assert followed(last - 1, last) == [False, True]
    loan(last + 1, 0, 90)  # due later than every entry: not followed
    assert followed(last + 1) == [False] and loan_hash(f"l-e{last + 1}") not in state.loan_hashes
    update(state, parse_document(repayment_doc("r8", BASE + DAY, loan_id="l-e8")))  # its first repayment
    assert followed(8) == [False] and state.watch_hashes.count(0) == 1
    loan(last + 2, 1, 90)  # takes the freed slot
    assert followed(last + 2) == [True]
    loan(last + 3, 100, 365)  # the soonest entry (day 20) is 80 days past due: still kept
    loan(last + 4, 200, 365)  # now 180 days past: forgotten for the new loan
    assert followed(last + 3, last + 4, last) == [False, True, False]


def test_a_state_following_no_loan_is_stored_without_its_watch_slots() -> None:
    """Nearly every user's watch slots are empty, and with producers that key by user no state
    follows re-keyed copies: stored, such a state is the 1,008 bytes of the encoding before the watch
    slots (issue 4's bar is 1,024 bytes a user, key included), and it reads back with empty watch
    slots; a state that follows a loan there, or a copy's source, is stored whole.  Version 7's and
    8's states, 1,000 bytes under their version byte, still migrate (to no position)."""
    state, _ = _filled_state()
    state.folded_through = 0  # as a migrated state has it
    full = state.to_bytes()
    assert len(full) == STATE_BYTES == 1248 and full[0] == STATE_VERSION
    for name in ("watch_hashes", "watch_due", "watch_product", "watch_ew", "watch_ew_source"):
        setattr(state, name, [0] * WATCH_SLOTS)
    sources = state.rekeyed_through
    state.rekeyed_through = [0] * REKEY_SOURCES
    compact = state.to_bytes()
    assert len(compact) == COMPACT_STATE_BYTES == 1008 and compact[0] == STATE_VERSION
    assert compact == full[:COMPACT_STATE_BYTES] and full[COMPACT_STATE_BYTES:] != bytes(240)
    back = UserState.from_bytes(compact)
    assert back.watch_hashes == [0] * WATCH_SLOTS and back.to_bytes() == compact
    for version in (7, 8):
        older = STATE_HISTORY.downgrade(state, version)
        assert len(older) == 1000 and UserState.from_bytes(older).to_bytes() == compact
    state.watch_ew[2] = 1  # any watch byte set: stored whole
    assert len(state.to_bytes()) == STATE_BYTES
    state.watch_ew[2], state.rekeyed_through = 0, sources  # a copy's source followed: whole too
    assert len(state.to_bytes()) == STATE_BYTES


def test_state_bytes_are_the_pinned_v10_layout() -> None:
    """Guards the changelog: a worker must read the states its predecessor wrote, so the
    bytes of every field stay where version 10 put them (version 9's, then the re-keyed copies'
    sources), written as versions 9, 8, 7, 6 and 5 they are those layouts' bytes (version 9's:
    version 8's with the last folded position after the dedup ring's; version 8's: version 7's,
    then the watch slots; version 7's: version 6's with the
    rings' counts and the hour profile a byte each, then v7's new fields), and a state filled
    over version 6's ranges, written as version 5, is the bytes pinned before the layout was
    generated."""
    state, flat = _filled_state()
    data = state.to_bytes()
    assert data == struct.pack(_format(V10_LAYOUT), 10, *flat)
    assert len(data) == STATE_BYTES == 1248
    v9 = flat[:len(flat) - 8]  # without v10's eight sources
    assert STATE_HISTORY.downgrade(state, 9) == struct.pack(_format(V9_LAYOUT), 9, *v9)
    v8 = v9[:_FOLDED_AT] + v9[_FOLDED_AT + 1:]  # without v9's position
    assert STATE_HISTORY.downgrade(state, 8) == struct.pack(_format(V8_LAYOUT), 8, *v8)
    v7 = v8[:len(v8) - 80]  # without v8's watch slots (5 x 16 values)
    assert STATE_HISTORY.downgrade(state, 7) == struct.pack(_format(V7_LAYOUT), 7, *v7)
    v6 = v7[:len(v7) - 12]  # without v7's new fields (8 + 4 values)
    assert STATE_HISTORY.downgrade(state, 6) == struct.pack(_format(V6_LAYOUT), 6, *v6)
    assert STATE_HISTORY.downgrade(state, 5) == struct.pack(_format(V5_LAYOUT), 5, *v6[:len(v6) - 2])
    wide, _ = _filled_state(V6_LAYOUT)
    assert hashlib.sha256(STATE_HISTORY.downgrade(wide, 5)).hexdigest() == FILLED_STATE_SHA256


def test_every_field_round_trips() -> None:
    """``from_bytes`` restores each field (lists as lists, so rings can clear in place)."""
    state, _ = _filled_state()
    back = UserState.from_bytes(state.to_bytes())
    for path, code, count in V10_LAYOUT:
        assert _read(back, path) == _read(state, path), path
        assert isinstance(_read(back, path), list) == (count > 1 or code.endswith("p")), path
    assert back.to_bytes() == state.to_bytes()
    fresh = UserState()
    assert UserState.from_bytes(fresh.to_bytes()).to_bytes() == fresh.to_bytes()


def _pinned_stream() -> list[Event]:
    """A fixed stream exercising every state field: several users, devices, products,
    channels, segments, short and instalment loans, rollovers, late repayments, a
    redelivery and an out-of-order event."""
    rng = random.Random(11)
    docs: list[dict[str, Any]] = []
    loans: dict[str, list[str]] = defaultdict(list)
    clock = BASE
    for i in range(400):
        clock += rng.choice((60, 600, 3000, 4 * HOUR, DAY, 3 * DAY))
        user = f"u-{rng.randrange(3)}"
        ts = clock - rng.choice((0, 0, 0, 1800, 2 * DAY))
        if rng.random() < 0.6 or not loans[user]:
            doc = loan_doc(
                f"e-{i}", ts, user_id=user, amount=rng.choice((300.0, 1000.0, 2500.5, 9000.0)),
                product=rng.choice(PRODUCTS), channel=rng.choice(CHANNELS), segment=rng.choice(SEGMENTS),
                term_days=rng.choice((7, 14, 30, 90)), credit_limit=rng.choice((5000, 10000, 40000)),
                device_id=rng.choice((None, "d-a", "d-b", "d-c", "d-d", "d-e")),
            )
            loans[user].append(doc["loan_id"])
        else:
            doc = repayment_doc(
                f"e-{i}", ts, user_id=user, amount=500.0, loan_id=rng.choice(loans[user]),
                days_late=rng.choice((0, 0, 1, 3, 9, 40)),
            )
        docs.append(doc)
        if i % 37 == 5:
            docs.append(docs[rng.randrange(len(docs))])
    return [parse_document(d) for d in docs]


def test_features_and_states_of_a_pinned_stream() -> None:
    """Guards "no behaviour change" for refactors of the per-event path: the features
    of every event and the final states' bytes are those recorded before the change."""
    states: dict[str, UserState] = defaultdict(UserState)
    digest = hashlib.sha256()
    for event in _pinned_stream():
        row = update(states[event.user_id], event)
        pinned = None if row is None else tuple(v for n, v in zip(row.names, row.values) if n not in ADDED_SINCE_PIN)
        digest.update(repr(None if row is None else (row.event_type, pinned)).encode())
    for user in sorted(states):  # as version 4 stored them: v5 only adds tags that update() never sets
        digest.update(STATE_HISTORY.downgrade(states[user], 4))
    assert digest.hexdigest() == PINNED_STREAM_SHA256


def test_user_state_is_its_layout() -> None:
    """The class, the codec and STATE_BYTES all follow the one field list."""
    assert UserState.__slots__ == STATE_LAYOUT.names
    assert [f.name for f in STATE_LAYOUT.fields] == list(dict.fromkeys(p.split(".")[0] for p, _, _ in V10_LAYOUT))
    assert STATE_LAYOUT.version == STATE_VERSION == 10 and STATE_LAYOUT.size == STATE_BYTES


def test_a_layout_is_a_value_another_version_is_refused() -> None:
    """What a state migration builds on: a second layout (one more field, next version)
    compiles beside the current one, and each refuses the other's bytes."""
    v5 = StateLayout(STATE_VERSION + 1, (*STATE_LAYOUT.fields, Scalar("merchant_seen", "I")))
    codec = v5.compile()

    class StateV5:
        __slots__ = v5.names

    state = StateV5()
    codec.init(state)
    data = codec.encode(state)
    assert len(data) == STATE_BYTES + 4 and data[0] == STATE_VERSION + 1
    with pytest.raises(StateFormatError):
        UserState.from_bytes(data)
    with pytest.raises(StateFormatError):
        codec.decode(StateV5, UserState().to_bytes())
    assert codec.encode(codec.decode(StateV5, data)) == data


def test_layout_refuses_what_it_cannot_store() -> None:
    with pytest.raises(ValueError, match="named twice"):
        StateLayout(1, (Scalar("a", "I"), Array("a", "H", 2)))
    with pytest.raises(ValueError, match="struct codes"):
        StateLayout(1, (Scalar("a", "f"),))
    with pytest.raises(ValueError, match="attributes"):  # a ring attribute the codec would not restore
        StateLayout(1, (RingField("r", Ring, 6, 600, (("counts", "H"),)),))


def test_feature_values_are_built_by_name() -> None:
    """A feature value is set under its name: a misspelt or a forgotten name fails
    loudly instead of shifting every later column the model reads."""
    f = _LoanFeatures()
    for i, name in enumerate(LOAN_FEATURES):
        setattr(f, name, float(i))
    assert f.values() == tuple(float(i) for i in range(len(LOAN_FEATURES)))
    with pytest.raises(AttributeError, match="new_devise"):
        f.new_devise = 1.0  # type: ignore[attr-defined]
    del f.unseen_device
    with pytest.raises(AttributeError, match="unseen_device"):
        f.values()
    assert _RepaymentFeatures.__slots__ == REPAYMENT_FEATURES


def test_every_feature_has_words_and_every_word_a_feature() -> None:
    assert set(FEATURE_TEXT) == set(LOAN_FEATURES) | set(REPAYMENT_FEATURES)
