"""``stream.offline.replay``: a replay may stop and go on, which is what ``riskmon seed`` relies on."""

from __future__ import annotations

from dataclasses import replace

import pytest

from models.train import train
from stream.core.contract import parse_document
from stream.core.packed_states import PackedStates
from stream.offline.replay import CHUNK, Replay
from stream.settings import Settings
from stream.sim import SimConfig, generate
from tests.support import with_device_farm


@pytest.fixture(scope="module")
def stream_and_model():
    history, _ = generate(SimConfig(users=300, days=20, seed=5, user_prefix="rh"))
    events, labels = generate(SimConfig(users=900, days=14, seed=6, anomaly_rate=0.1, user_prefix="rt",
                                        anomaly_start_day=2))
    events, _ = with_device_farm(events, labels)
    return [parse_document(e) for e in events], train((parse_document(e) for e in history), n_estimators=30, seed=3)


def _replay(model) -> Replay:
    return Replay.of(Settings(), model)


def test_a_replay_stopped_at_the_history_and_continued_is_the_whole_replay(stream_and_model) -> None:
    events, model = stream_and_model
    assert len(events) > CHUNK  # several forest calls, and a cut inside a chunk
    cut = len(events) * 3 // 5
    whole, split = _replay(model), _replay(model)
    whole_alerts = [o.alert["alert_id"] for o, _ in whole.run(events) if o.alert]
    seeded = [o.alert["alert_id"] for o, _ in split.run(events[:cut]) if o.alert]
    assert split.last_ts == max(e.ts for e in events[:cut])
    live = [o.alert["alert_id"] for o, _ in split.run(events[cut:]) if o.alert]
    assert seeded + live == whole_alerts and whole_alerts
    assert {u: s.to_bytes() for u, s in split.states.items()} == {u: s.to_bytes() for u, s in whole.states.items()}
    assert {k: s.to_bytes() for k, s in split.entities.items()} == {k: s.to_bytes() for k, s in whole.entities.items()}
    assert any(kind == "device" for kind, _ in whole.entities)


def test_a_repeated_event_is_replayed_once(stream_and_model) -> None:
    events, model = stream_and_model
    replay = _replay(model)
    seen = [o.event.event_id for o, _ in replay.run(events[:50] + events[10:20])]
    assert seen == [e.event_id for e in events[:50]]


def _decided(outcome, entity_alerts: list[dict]) -> tuple:
    """An event's alerts without the wall-clock time they were emitted at."""
    def timeless(alert: dict | None) -> dict | None:
        return None if alert is None else {k: v for k, v in alert.items() if k != "emitted_at"}
    return outcome.event.event_id, timeless(outcome.alert), [timeless(a) for a in entity_alerts]


@pytest.mark.parametrize("hot", [1, 16])
def test_a_packed_replay_decides_and_ends_as_a_plain_one(stream_and_model, hot: int) -> None:
    events, model = stream_and_model
    plain, packed = _replay(model), Replay.of(Settings(), model, hot=hot)
    assert isinstance(packed.states, PackedStates)
    plain_out = [_decided(o, entity_alerts) for o, entity_alerts in plain.run(events)]
    packed_out = [_decided(o, entity_alerts) for o, entity_alerts in packed.run(events)]
    assert packed_out == plain_out and any(alert for _, alert, _ in plain_out)
    assert len(packed.states) == len(plain.states) > hot and len(packed.states._decoded) == hot
    assert {u: s.to_bytes() for u, s in packed.states.items()} == {u: s.to_bytes() for u, s in plain.states.items()}
    assert {k: s.to_bytes() for k, s in packed.entities.items()} == {k: s.to_bytes() for k, s in plain.entities.items()}


def test_the_quiet_sweep_over_a_packed_replay_keeps_what_it_cleared() -> None:
    """``riskmon seed`` clears the history's own backlog of loans long unpaid by quiet borrowers
    (``Replay.sweep_quiet``): a packed state's cleared tag must stay cleared, or the first worker
    would realise the loan again."""
    from datetime import datetime, timedelta, timezone

    from stream.core.features import UserState
    from stream.core.rule_storm import StormWatch
    from tests.core.stub_model import NO_RULES, EarlyWarningModel
    from tests.support import loan_doc

    model = EarlyWarningModel()
    t0 = datetime(2026, 3, 2, tzinfo=timezone.utc)
    docs = [loan_doc("q", 0, t0, 700, 7)] + [loan_doc("busy", n, t0 + timedelta(days=n + 0.5), 10, 90)
                                             for n in range(30)]
    for hot in (None, 1):
        replay = Replay(model, NO_RULES, StormWatch(Settings().storm_policy()), 0.0)
        if hot:
            replay.states = PackedStates(UserState.from_bytes, UserState.to_bytes, hot)
        list(replay.run(parse_document(d) for d in docs))
        swept = replay.sweep_quiet()
        assert [(u, r.probability, r.bad) for u, rs in swept.items() for r in rs] == [("q", 0.7, True)]
        assert replay.sweep_quiet() == {}, f"hot={hot}: the cleared tag was lost"


def test_the_replay_judges_new_accounts_with_the_models_unknown_past_span(stream_and_model) -> None:
    """The span a model keeps (how long its lender's borrowers take to come back) decides which
    accounts a state that began with the replay may call new; the replay reads it from the model."""
    events, model = stream_and_model
    start = min(e.ts for e in events)
    first_seen: dict[str, float] = {}
    for e in events:
        first_seen.setdefault(e.user_id, e.ts)

    def new_accounts(span_days: float) -> set[str]:
        meta = {**model.meta, "entities": {**model.entity_thresholds.to_meta(), "unknown_past_s": span_days * 86400.0}}
        replay = _replay(replace(model, meta=meta))
        return {s.user_id for o, _ in replay.run(events) for s in o.sightings if s.new_account}

    five_days, fortnight = new_accounts(5), new_accounts(14)
    assert fortnight < five_days and fortnight  # the farm, on day 15
    assert all(first_seen[u] - start >= 14 * 86400 for u in fortnight)
    assert any(first_seen[u] - start < 14 * 86400 for u in five_days)
