"""Delayed labels (stream.core.outcome_watch through pipeline.process): a loan scored by the
early warning carries its probability in its open-loan slot (or, beyond those, in a watch slot),
and a repayment realises its outcome once, the same whatever the batch sizes."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from hypothesis import example, given, settings
from hypothesis import strategies as st

from models.outcomes import OutcomeRules, label_outcomes
from stream.core.contract import Event, parse_document
from stream.core.features import UserState
from stream.core.outcome_watch import BUCKETS, SOURCES, bucket_of
from stream.core.pipeline import process, sweep_quiet
from tests.core.stub_model import NO_RULES
from tests.core.stub_model import EarlyWarningModel as StubModel

T0 = datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=8)))


def _loan(i: int, user: str, day: float, amount: float, term: int = 30, product: str = "cash_loan") -> Event:
    return parse_document({
        "event_id": f"l{i}-{user}", "event_type": "loan", "user_id": user, "ts": (T0 + timedelta(days=day)).isoformat(),
        "amount": amount, "loan_id": f"L{i}", "product": product, "term_days": term, "credit_limit": 1000,
        "segment": "individual", "channel": "app",
    })


def _repay(i: int, user: str, loan_no: int, day: float, late: int, amount: float = 1000) -> Event:
    return parse_document({
        "event_id": f"r{i}-{user}", "event_type": "repayment", "user_id": user,
        "ts": (T0 + timedelta(days=day)).isoformat(), "amount": amount, "loan_id": f"L{loan_no}", "days_late": late,
    })


def _run(events: list[Event], batch: int) -> tuple[list, dict[str, bytes]]:
    states: dict[str, UserState] = {}
    realised = []
    for start in range(0, len(events), batch):
        for o in process(StubModel(), NO_RULES, states, events[start:start + batch]):
            realised.append((o.event.event_id, o.realised) if o.realised else None)
    return realised, {u: s.to_bytes() for u, s in sorted(states.items())}


def test_a_late_repayment_realises_bad_once_and_a_closing_one_realises_good() -> None:
    events = [
        _loan(1, "a", 0, 900),  # p = 0.9: the early warning fires
        _repay(1, "a", 1, 31, late=20),  # instalment-free loan: closes, and is late -> bad
        _loan(2, "a", 2, 300),  # p = 0.3: no alert
        _repay(2, "a", 2, 32, late=0),  # closes on time -> good
        _loan(3, "b", 0, 500, term=360, product="installment"),  # p = 0.5, a year's plan
        _repay(3, "b", 3, 30, late=16),  # first instalment very late: bad, the loan stays open
        _repay(4, "b", 3, 60, late=40),  # later instalments: already realised
        _repay(5, "b", 3, 90, late=0),
        _repay(6, "c", 9, 10, late=30),  # a loan the monitor never saw: nothing
    ]
    realised = [r for r in _run(events, 100)[0] if r]
    got = [(eid, r.bucket, r.source, r.probability, r.bad) for eid, rs in realised for r in rs]
    assert got == [
        ("r1-a", bucket_of(0.9), "early_warning", 0.9, True),
        ("r2-a", bucket_of(0.3), "no_alert", 0.3, False),
        ("r3-b", bucket_of(0.5), "no_alert", 0.5, True),
    ]
    assert BUCKETS[9] == "0.9-1.0" and SOURCES == ("no_alert", "early_warning", "other_alert")


def _realised(events: list[Event], model: StubModel | None = None) -> list[tuple[str, float, bool]]:
    states: dict[str, UserState] = {}
    return [(o.event.event_id, r.probability, r.bad)
            for o in process(model or StubModel(), NO_RULES, states, events) for r in o.realised]


def test_a_loan_left_unpaid_realises_bad_at_the_borrowers_next_event_past_its_line() -> None:
    """A loan never repaid produces no repayment; the borrower's next event 15 days past its due date
    realises it, once, and the repayment that may still come realises nothing."""
    events = [
        _loan(1, "a", 0, 700, term=14),  # p = 0.7, due on day 14
        _loan(2, "a", 20, 200, term=30),  # day 20: 6 days past due, under the line
        _loan(3, "a", 29, 200, term=30),  # day 29: 15 days past due: realised bad here
        _repay(4, "a", 1, 40, late=26),  # the late repayment comes after all: already realised
        _loan(5, "a", 45, 100),
    ]
    assert _realised(events) == [("l3-a", 0.7, True)]


def test_an_instalment_plan_is_judged_by_its_first_instalment_as_the_training_label_judges_it() -> None:
    """The label is a first-payment default (``models.outcomes``): a plan whose first instalment came
    in time is good, whatever a later instalment does.  Until stop 56 the watch waited for the plan
    to close, and a late later instalment made it bad."""
    events = [
        _loan(1, "a", 0, 500, term=360, product="installment"),  # p = 0.5, first instalment due on day 30
        _repay(2, "a", 1, 30, late=0),  # in time: good, though the plan stays open
        _repay(3, "a", 1, 90, late=40),  # a later instalment very late: not the label's business
        _loan(4, "a", 200, 100),  # far past every due date: nothing left to sweep
    ]
    assert _realised(events) == [("r2-a", 0.5, False)]
    assert label_outcomes(events, OutcomeRules()) == {"l1-a": False}


def test_a_loan_beyond_the_open_loan_slots_is_followed_in_a_watch_slot() -> None:
    """Eight open loans due within 14 days fill the open-loan slots; a ninth due in 30 days is
    followed in a watch slot, and its late repayment realises it.  Until stop 57 it was lost."""
    events = [_loan(i, "a", i / 24, 100, term=14) for i in range(8)] + [_loan(8, "a", 0.5, 900, term=30),
                                                                        _repay(9, "a", 8, 31, late=20)]
    outcomes = process(StubModel(), NO_RULES, {}, events)
    assert not any(o.untracked for o in outcomes)
    ninth = [(o.event.event_id, r.bad) for o in outcomes for r in o.realised if r.probability == 0.9]
    assert ninth == [("r9-a", True)]


def test_a_loan_pushed_out_of_its_open_loan_slot_keeps_its_tag_for_the_sweep() -> None:
    """A loan due in 60 days holds a slot until eight loans due sooner push it out; its tag moves
    with it into a watch slot, and the sweep realises it once it lies 15 days past due unpaid."""
    model = StubModel()
    states = _quiet_states([_loan(0, "a", 0, 800, term=60)] + [_loan(i, "a", 1, 100, term=14) for i in range(1, 9)],
                           model)
    assert states["a"].watch_ew[0] == 81 and states["a"].watch_due[0] == int((T0 + timedelta(days=60)).timestamp())
    swept = sweep_quiet(model, states, (T0 + timedelta(days=75)).timestamp())
    assert sorted((r.probability, r.bad) for r in swept["a"]) == [(0.1, True)] * 8 + [(0.8, True)]


def test_a_scored_loan_that_finds_every_slot_full_is_counted_untracked() -> None:
    """Eight open-loan slots and sixteen watch slots full of loans due within 14 days: a twenty-fifth
    due in 30 days gets neither, so its outcome can never be realised: the outcome says so, and
    nothing is realised for it."""
    events = [_loan(i, "a", i / 48, 100, term=14) for i in range(24)] + [_loan(24, "a", 0.6, 900, term=30),
                                                                         _repay(25, "a", 24, 31, late=20)]
    outcomes = process(StubModel(), NO_RULES, {}, events)
    assert [o.untracked for o in outcomes] == [False] * 24 + [True, False]
    assert [r for o in outcomes for r in o.realised if r.probability == 0.9] == []


def test_the_loan_a_repayment_pays_is_judged_by_that_repayment() -> None:
    """The lender's ``days_late`` decides for the loan being repaid, even past the stream's own line."""
    events = [_loan(1, "a", 0, 600, term=14), _repay(2, "a", 1, 35, late=3)]
    assert _realised(events) == [("r2-a", 0.6, False)]


def test_a_first_payment_too_small_for_the_label_is_judged_by_what_follows_it() -> None:
    """The label calls a loan bad when less than half of what was due by its first due date was repaid
    by maturity (``models.outcomes``); a payment in time is not enough.  Until stop 58 the watch
    realised every first payment in time good: up to 40 % of a held-out lender's bad outcomes were
    such payments, nearly all with no second payment (docs/early_warning.md)."""
    rules = OutcomeRules()
    topped_up = [_loan(1, "a", 0, 600, term=14), _repay(2, "a", 1, 10, late=0, amount=100),
                 _repay(3, "a", 1, 20, late=6, amount=500)]
    assert _realised(topped_up) == [("r3-a", 0.6, False)]
    assert label_outcomes(topped_up, rules, (T0 + timedelta(days=60)).timestamp()) == {"l1-a": False}
    left_short = [_loan(1, "a", 0, 600, term=14), _repay(2, "a", 1, 10, late=0, amount=100),
                  _loan(3, "a", 28, 100)]  # 14 days past due: not yet; a day later the line
    assert _realised(left_short) == []
    assert _realised(left_short + [_loan(4, "a", 29, 100)]) == [("l4-a", 0.6, True)]
    assert label_outcomes(left_short + [_loan(4, "a", 29, 100)], rules) == {"l1-a": True}
    half = [_loan(1, "a", 0, 600, term=14), _repay(2, "a", 1, 10, late=0, amount=300), _loan(3, "a", 60, 100)]
    assert _realised(half) == [("r2-a", 0.6, False)], "half is enough, and the loan is realised once"
    plan = [_loan(1, "a", 0, 900, term=90, product="installment"),  # 300 due by day 30
            _repay(2, "a", 1, 30, late=0, amount=100), _loan(3, "a", 75, 100)]  # then nothing: due again on day 60
    assert _realised(plan) == [("l3-a", 0.9, True)]
    assert _realised(plan[:1] + [_repay(2, "a", 1, 30, late=0, amount=150)]) == [("r2-a", 0.9, False)]


def test_how_small_a_first_payment_may_be_is_the_models_own() -> None:
    """A model trained with another ``min_repaid_share`` judges by it; a revolving draw by lateness only."""
    events = [_loan(1, "a", 0, 600, term=14), _repay(2, "a", 1, 10, late=0, amount=100), _loan(3, "a", 60, 100)]
    lenient = StubModel()
    lenient.early_warning.min_repaid_share = 0.1
    assert _realised(events, lenient) == [("r2-a", 0.6, False)]
    assert _realised(events) == [("l3-a", 0.6, True)]
    revolving = StubModel()
    revolving.early_warning.revolving = ("cash_loan",)
    assert _realised(events, revolving) == [("r2-a", 0.6, False)]


def test_a_revolving_products_unpaid_draw_is_never_swept() -> None:
    """On a product training read as revolving the lender calls payments long after a draw's term on
    time: only a late repayment realises it."""
    events = [_loan(1, "a", 0, 800, term=30, product="credit_line"), _loan(2, "a", 60, 100),
              _repay(3, "a", 1, 70, late=0)]
    revolving = StubModel()
    revolving.early_warning.revolving = ("credit_line",)
    assert _realised(events, revolving) == [("r3-a", 0.8, False)]
    assert _realised(events) == [("l2-a", 0.8, True)]


def _quiet_states(events: list[Event], model: StubModel) -> dict[str, UserState]:
    states: dict[str, UserState] = {}
    process(model, NO_RULES, states, events)
    return states


def test_the_quiet_sweep_realises_a_quiet_borrowers_unpaid_loan_once_past_its_line() -> None:
    """A borrower who never comes back: the sweep at the stream's time realises the tagged loan bad
    once it lies ``late_days`` past its due date, never before, never twice; an untagged state,
    a revolving draw and a model without an early warning give nothing."""
    model = StubModel()
    states = _quiet_states([_loan(1, "a", 0, 700, term=14), _loan(2, "b", 0, 100, term=60)], model)
    day = lambda d: (T0 + timedelta(days=d)).timestamp()  # noqa: E731
    before = {u: s.to_bytes() for u, s in states.items()}
    assert sweep_quiet(model, states, day(28.9)) == {}
    assert {u: s.to_bytes() for u, s in states.items()} == before, "a sweep that realises nothing changes nothing"
    swept = sweep_quiet(model, states, day(29))
    assert [(u, r.probability, r.bad, r.source) for u, rs in swept.items() for r in rs] == [("a", 0.7, True, "no_alert")]
    later = sweep_quiet(model, states, day(90))  # b's loan: due on day 60
    assert [(u, r.probability, r.bad) for u, rs in later.items() for r in rs] == [("b", 0.1, True)]
    assert sweep_quiet(model, states, day(200)) == {}, "realised once"
    assert states["a"].to_bytes() != before["a"]
    revolving = StubModel()
    revolving.early_warning.revolving = ("cash_loan",)
    assert sweep_quiet(revolving, _quiet_states([_loan(1, "a", 0, 700, term=14)], revolving), day(200)) == {}
    blind = StubModel()
    blind.early_warning = None
    assert sweep_quiet(blind, _quiet_states([_loan(1, "a", 0, 700, term=14)], model), day(200)) == {}


def test_a_loan_the_quiet_sweep_realised_is_not_realised_again_by_the_borrowers_return() -> None:
    """The sweep and the borrower's next event realise the same loans, whichever comes first."""
    model = StubModel()
    first = [_loan(1, "a", 0, 700, term=14)]
    later = [_loan(2, "a", 40, 200), _repay(3, "a", 1, 41, late=27)]
    states = _quiet_states(first, model)
    swept = sweep_quiet(model, states, (T0 + timedelta(days=35)).timestamp())
    again = [r for o in process(model, NO_RULES, states, later) for r in o.realised]
    assert [r.bad for rs in swept.values() for r in rs] == [True] and again == []
    assert _realised(first + later) == [("l2-a", 0.7, True)], "without the sweep, the next event realises it"


def _random_stream(seed: int, users: str, n: int, repay_share: float, step_days: float) -> list[Event]:
    rng = random.Random(seed)
    events, clock, loans = [], 0.0, defaultdict(list)
    for i in range(n):
        user = rng.choice(users)
        clock += rng.uniform(0, step_days)
        if loans[user] and rng.random() < repay_share:
            events.append(_repay(i, user, rng.choice(loans[user]), clock, rng.choice([0, 0, 3, 15, 30]),
                                 rng.choice([100, 1000])))  # 100: often too small a first payment
        else:
            term, product = rng.choice([(14, "cash_loan"), (30, "cash_loan"), (180, "installment")])
            events.append(_loan(i, user, clock, round(rng.uniform(50, 1000), 2), term, product))
            loans[user].append(i)
        if rng.random() < 0.1:
            events.append(events[rng.randrange(len(events))])  # a redelivery
    return events


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 12))
@example(15860, 3)  # a loan redelivered after its id left the dedup window: two slots under one id
def test_what_is_realised_and_stored_does_not_depend_on_the_batch_size(seed: int, batch: int) -> None:
    """The worker and ``riskmon score`` batch differently; they must realise the same outcomes
    and store the same states (a loan and its repayment may share a batch or not)."""
    events = _random_stream(seed, "abc", 40, 0.55, 3)
    assert _run(events, batch) == _run(events, 1)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 16))
def test_a_stacking_borrowers_watch_slots_do_not_depend_on_the_batch_size(seed: int, batch: int) -> None:
    """The same for a borrower who stacks loans faster than she repays them: loans pushed out of
    their open-loan slots, followed in watch slots, dropped from full ones, repaid and swept, within
    a batch or across batches."""
    events = _random_stream(seed, "ab", 120, 0.25, 1)
    assert _run(events, batch) == _run(events, 1)
    assert any(o.untracked for o in process(StubModel(), NO_RULES, {}, events)), "both kinds of slot fill up"
