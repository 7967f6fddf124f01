"""The model surge (``StormWatch.surge``) and the discount it puts on the model's scores
(``stream.core.scoring.discounted_rank``, ``discounted``)."""

from __future__ import annotations

import statistics
from dataclasses import replace
from types import SimpleNamespace
from datetime import datetime, timedelta, timezone

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.contract import parse_document
from stream.core.pipeline import process
from stream.core.rule_storm import HOUR_S, MODEL, SURGE_LINE, StormPolicy, StormWatch, reader
from stream.core.scoring import (MIN_SHARE, Decision, FarOut, by_readers, discounted, discounted_rank, far_out,
                                 ranks_far_out)
from stream.core.rules import RULE_IDS, RuleConfig, RuleHit
from tests.core.stub_model import Lines, StubModel

POLICY = StormPolicy(factor=10.0, min_users=10, window_h=24, surge_allow=2.0, usual_volume=False)


def watch_with(far: int, loans: int, policy: StormPolicy = POLICY, ts: float = 0.0, repayments: int = 0) -> StormWatch:
    """A watch that has seen ``loans`` scored loans in the hour of ``ts``, the first ``far`` of them far out,
    each of another borrower, and ``repayments`` repayments (which the surge does not count)."""
    w = StormWatch(policy)
    for i in range(loans):
        w.observe(ts, [], f"u{i}", i < far)
    for i in range(repayments):
        w.observe(ts, [], f"r{i}")
    return w


def test_no_discount_up_to_min_users_or_the_allowed_share() -> None:
    assert watch_with(10, 100).surge(0.0) == 1.0  # ten borrowers: min_users
    assert watch_with(20, 1000).surge(0.0) == 1.0  # 2 x SURGE_LINE (1 %) of 1,000 loans = 20
    assert watch_with(21, 1000).surge(0.0) == 21 / 20
    assert SURGE_LINE == 0.01


def test_the_discount_is_borrowers_far_out_over_what_may_be() -> None:
    assert watch_with(100, 1000).surge(0.0) == 5.0  # 100 against 20
    assert watch_with(100, 200).surge(0.0) == 10.0  # 2 % of 200 = 4: min_users 10 rules
    assert watch_with(100, 200, repayments=5000).surge(0.0) == 10.0  # repayments are not loans


def test_a_few_borrowers_far_out_again_and_again_are_no_surge() -> None:
    w = StormWatch(POLICY)
    for i in range(500):
        w.observe(i * 60.0, [MODEL], f"u{i % 8}", True)  # eight borrowers with 500 loans far out
    assert w.surge(500 * 60.0) == 1.0


def test_what_the_model_fires_on_is_not_what_the_surge_counts() -> None:
    w = StormWatch(POLICY)
    for i in range(200):
        w.observe(0.0, [MODEL], f"u{i}", False)  # alerts, but not in the history's top 1 %
    assert w.surge(0.0) == 1.0


def test_off_when_switched_off() -> None:
    for policy in (StormPolicy(surge=False), StormPolicy(factor=0.0)):
        assert watch_with(100, 200, policy).surge(0.0) == 1.0


def test_the_surge_ends_when_its_borrowers_leave_the_window() -> None:
    w = watch_with(100, 200)
    assert w.surge(23 * HOUR_S) == 10.0
    assert w.surge(24 * HOUR_S) == 1.0


def brute_force(seen: list[tuple[float, bool | None, str]], ts: float, policy: StormPolicy) -> float:
    """The definition: the borrowers with a loan far out in the window's hours up to ``ts``'s, over the larger
    of ``min_users`` and ``surge_allow`` x ``SURGE_LINE`` x the window's loans (or the usual day's, if fewer)."""
    hour, w = int(ts // HOUR_S), policy.window_h

    def loans(end: int) -> list[tuple[bool, str]]:
        return [(bool(far), user) for t, far, user in seen if far is not None and end - w < int(t // HOUR_S) <= end]

    window = loans(hour)
    borrowers = len({user for far, user in window if far})
    if borrowers <= policy.min_users:
        return 1.0
    n: float = len(window)
    before = [b for b in (len(loans(hour - k * w)) for k in range(1, 8)) if b]
    if policy.usual_volume and len(before) >= 3:
        n = min(n, float(statistics.median(before)))
    return max(1.0, borrowers / max(float(policy.min_users), policy.surge_allow * SURGE_LINE * n))


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, 2 * HOUR_S), st.sampled_from([None, False, True]), st.integers(0, 40),
                             st.booleans()), min_size=1, max_size=300),
    min_users=st.integers(1, 6),
    window_h=st.integers(1, 30),
    usual_volume=st.booleans(),
    allow=st.sampled_from([1.0, 2.0, 50.0]),
)
def test_the_surge_agrees_with_a_brute_force_count(steps, min_users, window_h, usual_volume, allow) -> None:
    """Including the cache: the window's earlier hours are unioned once an hour and the hour's new
    borrowers counted as they come, which must count exactly as the definition."""
    policy = StormPolicy(min_users=min_users, window_h=window_h, usual_volume=usual_volume, surge_allow=allow)
    w, seen, seen_by_reader, ts = StormWatch(policy), [], [], 0.0
    for gap, far, user, reader_far in steps:  # in event-time order, as one partition delivers them
        ts += gap
        assert w.surge(ts) == brute_force(seen, ts, policy)
        assert w.surge(ts, reader(1)) == brute_force(seen_by_reader, ts, policy)  # a reader: its own count
        w.observe(ts, [], f"u{user}", far, (1,) if reader_far else ())
        seen.append((ts, far, f"u{user}"))
        seen_by_reader.append((ts, None if far is None else reader_far, f"u{user}"))


@given(rank=st.floats(0.0, 1.0), other=st.floats(0.0, 1.0), surge=st.floats(1.0, 1e4))
def test_a_discounted_rank_keeps_the_order_and_never_rises(rank, other, surge) -> None:
    assert discounted_rank(rank, 1.0) == 1.0 - max(1.0 - rank, MIN_SHARE)
    assert discounted_rank(rank, surge) <= discounted_rank(rank, 1.0)
    if rank <= other:
        assert discounted_rank(rank, surge) <= discounted_rank(other, surge)


def test_a_one_in_a_thousand_loan_on_a_tenfold_day_reads_as_one_in_a_hundred() -> None:
    assert abs(discounted_rank(0.999, 10.0) - 0.99) < 1e-12
    assert discounted_rank(0.5, 10.0) == 0.0


class Ranked(StubModel):
    """Scores are their own ranks (a history spread evenly over [0, 1]); the alert line at 0.99."""

    def __init__(self) -> None:
        super().__init__()
        self.by_type = {"loan": Lines(threshold=0.99, high=0.999), "repayment": Lines()}

    def score_ranks(self, event_type: str):
        class Identity:
            def __call__(self, scores: np.ndarray) -> np.ndarray:
                return np.asarray(scores)

            def score_at(self, ranks: np.ndarray) -> np.ndarray:
                return np.asarray(ranks)

        return Identity() if event_type == "loan" else None

    def score_from_reader_ranks(self, event_type: str, ranks: np.ndarray) -> np.ndarray:
        return np.atleast_2d(ranks).max(axis=1)  # a blend as monotone as Fisher's: the farthest reader


def decision(model_score: float, rules: int = 0) -> Decision:
    hits = tuple(RuleHit("loan_stacking", "x") for _ in range(rules))
    return Decision(score=model_score + 0.02 * rules, model_score=model_score, threshold=0.99,
                    model_fired=model_score >= 0.99, rule_hits=hits,
                    severity="high" if model_score >= 0.999 else "low" if model_score >= 0.99 else None,
                    vector=np.zeros(1))


def test_a_surge_discounts_the_score_that_ranks_and_leaves_the_alert_decision() -> None:
    model = Ranked()
    calm = discounted(model, "loan", decision(0.9995), 1.0)
    assert calm == decision(0.9995) and calm.surge == 1.0
    surged = discounted(model, "loan", decision(0.9995), 5.0)
    assert abs(surged.score - 0.9975) < 1e-12 and surged.surge == 5.0
    assert (surged.model_score, surged.model_fired, surged.severity) == (0.9995, True, "high")  # the decision
    ruled = discounted(model, "loan", decision(0.995, rules=1), 5.0)
    assert abs(ruled.score - (0.975 + 0.02)) < 1e-12  # the rule's bonus on the discounted score
    assert discounted(model, "repayment", decision(0.995), 5.0) == decision(0.995)  # no ranks: as it was


def test_a_storming_rule_adds_no_bonus_to_the_score_and_a_calm_one_does() -> None:
    model = Ranked()
    two = Decision(score=0.5 + 0.04, model_score=0.5, threshold=0.99, model_fired=False,
                   rule_hits=(RuleHit("loan_stacking", "x"), RuleHit("account_takeover", "y")),
                   severity="critical", vector=np.zeros(1))
    assert discounted(model, "loan", two, 1.0, frozenset()) == two
    one_calm = discounted(model, "loan", two, 1.0, frozenset({"loan_stacking", "model"}))
    assert abs(one_calm.score - 0.52) < 1e-12 and one_calm.surge == 1.0
    assert (one_calm.rule_hits, one_calm.severity, one_calm.model_fired) == (two.rule_hits, "critical", False)
    none_calm = discounted(model, "loan", two, 5.0, frozenset({"loan_stacking", "account_takeover"}))
    assert abs(none_calm.score - 0.0) < 1e-12 and none_calm.surge == 5.0  # rank 0.5 x 5: no tail left
    repayment = discounted(model, "repayment", two, 5.0, frozenset({"account_takeover"}))
    assert abs(repayment.score - 0.52) < 1e-12 and repayment.surge == 1.0  # no ranks: only the bonus goes


def test_each_reader_is_discounted_by_its_own_surge_before_the_blend_is_by_the_models() -> None:
    model = Ranked()
    read = replace(decision(0.9995), readers=np.array([0.9995, 0.5]))  # the first reader put it far out
    assert by_readers(model, "loan", read, (1.0, 1.0)) == 0.9995
    fooled = by_readers(model, "loan", read, (5.0, 1.0))  # the first reader surges 5x
    assert abs(fooled - 0.9975) < 1e-12
    assert abs(discounted(model, "loan", read, 1.0, frozenset(), fooled).score - 0.9975) < 1e-12
    both = discounted(model, "loan", read, 2.0, frozenset(), fooled)  # then the blend's rank 0.9975 at 2x
    assert abs(both.score - 0.995) < 1e-12 and both.surge == 2.0
    assert (both.model_score, both.model_fired, both.severity) == (0.9995, True, "high")  # the decision as it was
    assert by_readers(model, "loan", read, (1.0, 50.0)) == 0.9995  # the reader that saw nothing surges: no matter
    assert by_readers(model, "loan", decision(0.9995), (5.0, 5.0)) == 0.9995  # a model without readers
    assert ranks_far_out(model, "loan", 0.99, 0.01) and not ranks_far_out(model, "loan", 0.9899, 0.01)
    assert not ranks_far_out(StubModel(), "loan", 1.0, 0.01)  # without ranks: never


def test_far_out_is_the_historys_top_share_of_loans() -> None:
    kinds = [SimpleNamespace(event_type=t) for t in ("loan", "loan", "repayment")]
    scored = [decision(0.99), decision(0.9899), decision(0.999)]
    assert far_out(Ranked(), kinds, scored, 0.01) == [FarOut(True), FarOut(False), None]  # a repayment: not counted
    assert far_out(StubModel(), kinds, scored, 0.01) == [FarOut(False), FarOut(False), None]  # without ranks: never
    read = [replace(d, readers=np.array(r)) for d, r in zip(scored, ([0.5, 0.995, 0.99], [0.9999, 0.1, 0.2], [1, 1, 1]))]
    assert far_out(Ranked(), kinds, read, 0.01) == [FarOut(True, (1, 2)), FarOut(False, (0,)), None]


class AllFarOut(Ranked):
    """Every loan scores 0.995: in the history's top 1 %, over the alert line."""

    def score(self, event_type: str, X: np.ndarray) -> np.ndarray:
        return np.full(len(X), 0.995)


def forty_borrowers_loans() -> list:
    """One loan each of forty borrowers, a minute apart."""
    t0 = datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=8)))
    return [parse_document({
        "event_id": f"e{u}", "event_type": "loan", "user_id": f"u{u}", "ts": (t0 + timedelta(minutes=u)).isoformat(),
        "amount": 100, "loan_id": f"L{u}", "product": "cash_loan", "term_days": 30, "credit_limit": 1000,
        "segment": "individual", "channel": "app"}) for u in range(40)]


def test_process_discounts_the_loans_of_a_surge_and_counts_what_the_model_saw() -> None:
    loans = forty_borrowers_loans()
    watch = StormWatch(StormPolicy(min_users=10, usual_volume=False))
    out = process(AllFarOut(), RuleConfig.from_dict({"disabled": list(RULE_IDS)}, "no rules"), {}, loans, storms=watch)
    first, last = out[0].decision, out[-1].decision
    assert first is not None and last is not None
    assert first.surge == 1.0 and first.score == 0.995
    assert last.surge == 3.9  # 39 borrowers far out before it, against min_users 10
    assert abs(last.score - (1.0 - 0.005 * 3.9)) < 1e-12
    assert last.model_score == 0.995 and last.model_fired and out[-1].alert is not None  # alerts: the storms' part
    assert watch.surge(loans[-1].ts + 1) == 4.0  # every loan counted at what the model saw


class OneReaderFooled(Ranked):
    """Every loan scores 0.995, as its first reader ranks it; its second reader ranks it 0.5."""

    def score_readers(self, event_type: str, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return np.full(len(X), 0.995), np.tile([0.995, 0.5], (len(X), 1))


def test_process_discounts_each_reader_and_counts_the_models_far_out_loans_as_the_readers_left_them() -> None:
    loans = forty_borrowers_loans()
    watch = StormWatch(StormPolicy(min_users=10, usual_volume=False))
    out = process(OneReaderFooled(), RuleConfig.from_dict({"disabled": list(RULE_IDS)}, "no rules"), {}, loans,
                  storms=watch)
    ts = loans[-1].ts + 1
    assert watch.surge(ts, reader(0)) == 4.0 and watch.surge(ts, reader(1)) == 1.0  # what each reader saw
    # The i-th loan's first reader is discounted i / 10 times past ten borrowers: its rank 1 - 0.005 i / 10
    # stays in the top 1 % up to the 20th, so 21 borrowers count towards the model's own surge.
    assert watch.surge(ts) == 2.1
    last = out[-1].decision
    assert last is not None and last.model_score == 0.995 and last.model_fired  # the decision as the model saw it
    assert abs(last.score - (1.0 - 0.005 * 3.9 * 2.1)) < 1e-12 and last.surge == 2.1
