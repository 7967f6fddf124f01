"""Outcome labels (models.outcomes): what became of a loan, read only from what the history
held by the loan's maturity, so a label never uses information from after it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from models.outcomes import DAY, REVOLVING_MIN_LOANS, OutcomeLabeller, OutcomeRules, label_outcomes
from stream.core.contract import Event, parse_document
from stream.settings import Settings

T0 = datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=8)))
RULES = OutcomeRules()
#: The rules with the revolving products fixed, as a model states them once trained: the labels of a
#: loan then read nothing of the history after its maturity (which products revolve describes the
#: lender and is read from the whole history, as the rules' thresholds are).
FIXED = OutcomeRules(revolving=("credit_line",))


def loan(i: int, day: float, amount: float = 1000.0, term: int = 30, user: str = "u1",
         product: str = "cash_loan") -> Event:
    return parse_document({
        "event_id": f"l{i}", "event_type": "loan", "user_id": user, "ts": (T0 + timedelta(days=day)).isoformat(),
        "amount": amount, "loan_id": f"L{i}", "product": product, "term_days": term, "credit_limit": 5000,
        "segment": "individual", "channel": "app",
    })


def repay(i: int, loan_no: int, day: float, amount: float, late: int = 0, user: str = "u1") -> Event:
    return parse_document({
        "event_id": f"r{i}", "event_type": "repayment", "user_id": user, "ts": (T0 + timedelta(days=day)).isoformat(),
        "amount": amount, "loan_id": f"L{loan_no}", "days_late": late,
    })


def test_repaid_on_time_is_good_late_or_unpaid_is_bad_and_young_loans_have_no_label() -> None:
    events = [
        loan(1, 0), repay(1, 1, 30, 1000),  # on time
        loan(2, 0), repay(2, 2, 46, 1000, late=16),  # 16 days late
        loan(3, 0), repay(3, 3, 30, 400),  # less than half repaid
        loan(4, 0, term=360, product="installment"), repay(4, 4, 30, 60),  # a year's plan: 30/360 (83) due first
        loan(8, 0, term=60), repay(8, 8, 60, 1000),  # a 60-day cash loan repaid at its end: good, matured at 75
        loan(5, 40),  # matures at day 85: no label yet
        loan(6, 0, user="u2"), repay(5, 6, 30, 1000, user="u1"),  # another user's repayment of "L6"
        repay(6, 99, 10, 5),  # a repayment of no known loan
        loan(7, 0), repay(7, 7, 50, 1000),  # repaid after maturity (day 45): too late to count
    ]
    events.append(repay(99, 1, 80, 1))  # the history runs to day 80
    assert label_outcomes(events, RULES) == {
        "l1": False, "l2": True, "l3": True, "l4": False, "l6": True, "l7": True, "l8": False}


def test_a_redelivered_repayment_counts_once() -> None:
    events = [loan(1, 0), repay(1, 1, 30, 300), repay(1, 1, 30, 300), repay(2, 1, 60, 1)]
    assert label_outcomes(events, RULES) == {"l1": True}


def test_the_share_that_must_be_repaid_comes_from_the_settings() -> None:
    """A lender whose loans are paid in parts it does not report as scheduled can lower
    ``outcome_min_repaid_share``: a 30-day draw 20 % repaid by maturity is then not bad."""
    events = [loan(1, 0, product="credit_line"), repay(1, 1, 30, 200), repay(2, 1, 80, 1)]
    revolving = OutcomeRules.from_settings(Settings().replace(outcome_min_repaid_share=0.1))
    assert revolving is not None and revolving.min_repaid_share == 0.1
    assert label_outcomes(events, OutcomeRules.from_settings(Settings())) == {"l1": True}
    assert label_outcomes(events, revolving) == {"l1": False}


def _statement_paid_lines(n: int, late_after_term: int = 0) -> list[Event]:
    """``n`` 30-day credit-line draws, each 20 % paid at its statement (day 30) and the rest a month
    later with ``late_after_term`` days late: on time (0) where the lender schedules the line."""
    events: list[Event] = []
    for i in range(n):
        user = f"u{i}"
        events += [loan(i, 0, user=user, product="credit_line"), repay(2 * i, i, 30, 200, user=user),
                   repay(2 * i + 1, i, 60, 800, late=late_after_term, user=user)]
    return events + [repay(10_000, 10_000, 90, 1)]  # the history runs to day 90


def test_a_product_the_lender_calls_on_time_after_its_term_revolves_and_is_bad_by_lateness_only() -> None:
    """Credit lines paid by statement: 20 % by the first due date is their normal, and the lender's
    ``days_late`` says so by calling the rest on time after the term. Read from the history, they are
    bad by lateness only; a cash loan in the same history keeps the share rule."""
    lines = _statement_paid_lines(REVOLVING_MIN_LOANS)
    cash = [loan(900, 0, user="c"), repay(900, 900, 30, 300, user="c")]  # less than half repaid: bad
    late_line = [loan(901, 0, user="d", product="credit_line"), repay(901, 901, 45, 1000, late=15, user="d")]
    labeller = OutcomeLabeller(RULES)
    for e in lines + cash + late_line:
        labeller.add(e)
    labels = labeller.labels()
    assert labeller.revolving() == ("credit_line",)
    assert labeller.revolving_reasons() == {
        "credit_line": f"{REVOLVING_MIN_LOANS} of its {REVOLVING_MIN_LOANS + 1} loans repaid after their term "
                       "were repaid on time there"}  # the late line too
    assert not any(labels[f"l{i}"] for i in range(REVOLVING_MIN_LOANS))
    assert labels["l900"] and labels["l901"]  # the share rule for cash; lateness for a line
    # Named by the lender instead: no product (the lines are bad for their 20 %), or cash loans.
    assert all(label_outcomes(lines, OutcomeRules(revolving=())).values())
    named = label_outcomes(cash + lines[-1:], OutcomeRules(revolving=("cash_loan",)))
    assert named == {"l900": False}


def test_late_repayments_after_the_term_or_too_few_loans_do_not_make_a_product_revolve() -> None:
    """A bullet loan repaid after its term is late there; and one loan short of the minimum reads
    as noise: in both the share rule holds."""
    late = _statement_paid_lines(REVOLVING_MIN_LOANS * 2, late_after_term=30)
    few = _statement_paid_lines(REVOLVING_MIN_LOANS - 1)
    for events in (late, few):
        labeller = OutcomeLabeller(RULES)
        for e in events:
            labeller.add(e)
        assert labeller.revolving() == () and all(labeller.labels().values())


def test_only_repayments_the_history_held_reveal_a_schedule() -> None:
    """Cut before the month-later repayments, the history shows no line repaid after its term."""
    lines = _statement_paid_lines(REVOLVING_MIN_LOANS)
    end = T0.timestamp() + 55 * DAY
    labeller = OutcomeLabeller(RULES, history_end=end)
    for e in lines:
        labeller.add(e)
    assert labeller.revolving() == () and all(labeller.labels().values())


_histories = st.lists(
    st.tuples(st.sampled_from(["loan", "repayment"]), st.integers(0, 5), st.floats(0, 120), st.integers(1, 400),
              st.integers(0, 40), st.sampled_from([7, 30, 90, 360]),
              st.sampled_from(["cash_loan", "installment", "credit_line"])),
    min_size=1, max_size=40,
)


def _build(spec: list[tuple]) -> list[Event]:
    events = []
    for i, (kind, loan_no, day, amount, late, term, product) in enumerate(spec):
        if kind == "loan":
            events.append(loan(loan_no, day, amount, term, product=product))
        else:
            events.append(repay(i, loan_no, day, amount, late))
    # one loan per id: keep the first, as the stream keys loans by id
    seen, out = set(), []
    for e in events:
        if e.event_type == "loan" and e.event_id in seen:
            continue
        seen.add(e.event_id)
        out.append(e)
    return sorted(out, key=lambda e: e.ts)


@settings(max_examples=150, deadline=None)
@given(_histories, st.floats(0, 140))
def test_a_label_depends_only_on_what_the_history_held_by_the_loans_maturity(spec: list[tuple], cut: float) -> None:
    """Cutting the history at any moment keeps every label that had matured by then, unchanged:
    nothing after a loan's maturity (and so nothing after the cut) can change it."""
    events = _build(spec)
    full = label_outcomes(events, FIXED, history_end=T0.timestamp() + 1000 * DAY)  # every loan matured
    end = T0.timestamp() + cut * DAY
    early = label_outcomes([e for e in events if e.ts <= end], FIXED, history_end=end)
    assert early == {k: v for k, v in full.items() if k in early}
    matured = {e.event_id for e in events if e.event_type == "loan" and FIXED.matures(e) <= end}
    assert set(early) == matured


def _reference_labels(events: list[Event], rules: OutcomeRules, history_end: float | None) -> dict[str, bool]:
    """The labels read the plain way: the whole history first, then every repayment against its loan."""
    unique, seen = [], set()
    for e in events:
        if e.event_id not in seen:
            seen.add(e.event_id)
            unique.append(e)
    end = max(e.ts for e in unique) if history_end is None else history_end
    loans: dict[tuple[str, str], Event] = {}
    for e in unique:
        if e.event_type == "loan":
            loans.setdefault((e.user_id, e.loan_id), e)
    paid: dict[tuple[str, str], float] = {}
    worst: dict[tuple[str, str], int] = {}
    for e in unique:
        loan_ = loans.get((e.user_id, e.loan_id))
        if e.event_type == "loan" or loan_ is None or not loan_.ts <= e.ts <= min(rules.matures(loan_), end):
            continue
        key = (e.user_id, e.loan_id)
        paid[key] = paid.get(key, 0.0) + e.amount
        worst[key] = max(worst.get(key, 0), e.days_late)
    revolving = rules.revolving or ()  # None: read from the history, which here is too short to show any
    return {
        loan_.event_id: (loan_.product not in revolving
                         and paid.get(key, 0.0) < rules.min_repaid_share * rules.due_by_first_date(loan_))
        or worst.get(key, 0) >= rules.late_days
        for key, loan_ in loans.items() if rules.matures(loan_) <= end
    }


@settings(max_examples=200, deadline=None)
@given(_histories, st.lists(st.integers(0, 39), max_size=5), st.one_of(st.none(), st.floats(0, 140)))
def test_labels_read_in_one_pass_are_those_of_reading_the_whole_history_first(
        spec: list[tuple], redelivered: list[int], cut: float | None) -> None:
    """Training labels the loans as it reads the history once (``OutcomeLabeller``), so a repayment
    that comes before its loan (a stream out of order) waits for it; redelivered events count once."""
    events = []
    for i, (kind, loan_no, day, amount, late, term, product) in enumerate(spec):  # in spec order, not by time
        events.append(loan(loan_no, day, amount, term, product=product) if kind == "loan"
                      else repay(i, loan_no, day, amount, late))
    events += [events[i] for i in redelivered if i < len(events)]
    end = None if cut is None else T0.timestamp() + cut * DAY
    for rules in (RULES, FIXED):
        assert label_outcomes(events, rules, history_end=end) == _reference_labels(events, rules, end)
