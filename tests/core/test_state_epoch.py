"""The state epoch (stream.core.state_epoch): an account first seen soon after the state began is
not called new, so a worker started without state does not flood entity alerts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, strategies as st

from stream.core.contract import parse_document
from stream.core.entities import DAY, NEW_ACCOUNT_S
from stream.core.features import UserState, first_seen
from stream.core.pipeline import featurize_sighted, fold_sighted
from stream.core.state_epoch import StateEpoch

T0 = datetime(2026, 3, 2, 10, tzinfo=timezone.utc)
FIXTURES = Path(__file__).parent / "fixtures"


def _loan(user: str, day: float, device: str, n: int = 0) -> dict:
    return {"event_id": f"{user}-{day}-{n}", "event_type": "loan", "user_id": user,
            "ts": (T0 + timedelta(days=day)).isoformat(), "amount": 200.0, "loan_id": f"{user}-L{day}-{n}",
            "product": "cash_loan", "term_days": 30, "credit_limit": 1000, "segment": "individual",
            "channel": "app", "device_id": device}


def _sighted(docs: list[dict], epoch: StateEpoch | None) -> dict[str, tuple[bool, bool]]:
    """Each loan's device sighting as (new account, new device), by event id."""
    states: dict[str, UserState] = {}
    out = {}
    for doc in docs:
        _, seen = fold_sighted(states, parse_document(doc), epoch)
        out[doc["event_id"]] = (seen[0].new_account, seen[0].new_device)
    return out


def test_a_cold_state_calls_no_established_account_new_but_still_sees_a_later_farm() -> None:
    # A family's tablet: four established borrowers, first seen by a worker started today.
    family = [_loan(f"u-{k}", 0.1 * k, "d-home") for k in range(4)] + [_loan(f"u-{k}", 9 + k, "d-home") for k in range(4)]
    # Three weeks on, five accounts nobody saw before borrow from one phone within a day.
    farm = [_loan(f"f-{k}", 21 + 0.1 * k, "d-farm") for k in range(5)]
    judged = _sighted(family + farm, StateEpoch())
    assert not any(new or new_device for e, (new, new_device) in judged.items() if e.startswith("u-"))
    assert all(new and new_device for e, (new, new_device) in judged.items() if e.startswith("f-"))
    # Judged by their own states alone (no epoch), the family looked like a loan farm.
    alone = _sighted(family, None)
    assert all(new for new, _ in alone.values())


def test_an_account_with_an_unknown_past_is_judged_again_once_it_is_fourteen_days_old() -> None:
    docs = [_loan("u-1", 0, "d-1"), _loan("u-2", 3, "d-2"), _loan("u-2", 10, "d-3"), _loan("u-2", 18, "d-4")]
    judged = _sighted(docs, StateEpoch())
    assert judged["u-2-3-0"] == (False, False)  # first seen 3 days after the state began
    assert judged["u-2-10-0"] == (False, False)  # a second phone within its first 14 days: not evidence
    assert judged["u-2-18-0"] == (False, True)  # 15 days in the state: its phones are known, this one is new


def test_an_account_first_seen_fourteen_days_after_the_epoch_is_new() -> None:
    epoch = StateEpoch()
    epoch.see(int(T0.timestamp()), T0.timestamp())
    late = int(T0.timestamp() + NEW_ACCOUNT_S)
    assert epoch.unknown_past(late - 1) and not epoch.unknown_past(late)
    judged = _sighted([_loan("u-0", 0, "d-0"), _loan("u-1", 14, "d-1"), _loan("u-2", 13.9, "d-2")], StateEpoch())
    assert judged["u-1-14-0"] == (True, True)
    assert judged["u-2-13.9-0"] == (False, False)


def test_featurize_judges_a_history_from_its_own_first_event() -> None:
    docs = [_loan("u-1", 0, "d-1"), _loan("u-2", 2, "d-1"), _loan("u-3", 20, "d-1")]
    seen = {e.user_id: s[0].new_account for e, _, s in featurize_sighted(parse_document(d) for d in docs)}
    assert seen == {"u-1": False, "u-2": False, "u-3": True}


@given(st.lists(st.tuples(st.integers(0, 10**9), st.floats(0, 2e9, allow_nan=False)), max_size=40))
def test_the_epoch_is_the_earliest_first_seen_as_a_brute_force_min(seen: list[tuple[int, float]]) -> None:
    epoch = StateEpoch()
    for first_ts, ts in seen:
        epoch.see(first_ts, ts)
    nonzero = [f for f, _ in seen if f]
    assert epoch.start == (min(nonzero) if nonzero else 0)
    scanned = StateEpoch()  # no newest: nothing settles, so the scan reads every state
    scanned.scan(f for f, _ in seen)
    assert scanned.start == epoch.start
    assert epoch.newest == max((ts for _, ts in seen), default=0.0)


@given(st.lists(st.integers(0, 10**8), max_size=40), st.integers(0, 10**8), st.integers(NEW_ACCOUNT_S, 60 * DAY))
def test_a_scan_that_stops_once_settled_judges_every_account_as_the_full_min_does(
        seen: list[int], newest: int, span: int) -> None:
    """``scan`` may stop before the earliest state; it must judge every account still young
    enough to be judged (first seen within ``NEW_ACCOUNT_S`` of ``newest``) as the true min would."""
    early = StateEpoch(newest=newest, unknown_past_s=span)
    early.scan(seen)
    full = StateEpoch(min((f for f in seen if f), default=0), newest=newest, unknown_past_s=span)
    assert early.settled() == full.settled()
    if not full.settled():
        assert early.start == full.start
    young = [f for f in seen + [newest - k * DAY // 2 for k in range(29)] if 0 < newest - f < NEW_ACCOUNT_S]
    assert [early.unknown_past(f) for f in young] == [full.unknown_past(f) for f in young]


def test_the_epoch_settles_once_no_account_can_have_an_unknown_past_any_more() -> None:
    epoch = StateEpoch()
    assert not epoch.settled()  # no state yet
    epoch.see(1_000_000, 1_000_000 + 2 * NEW_ACCOUNT_S - 1)
    assert not epoch.settled()
    epoch.see(1_000_000, 1_000_000 + 2 * NEW_ACCOUNT_S)
    assert epoch.settled()
    assert 2 * NEW_ACCOUNT_S == 28 * DAY


def test_first_seen_reads_every_stored_versions_first_ts_without_decoding() -> None:
    checked = 0
    for path in sorted(FIXTURES.glob("states_v*.json")):
        for hex_state in json.loads(path.read_text())["states"].values():
            stored = bytes.fromhex(hex_state)
            assert first_seen(stored) == UserState.from_bytes(stored).first_ts > 0
            checked += 1
    assert checked >= 7 * 20  # versions 2 to 8, each fixture holding its users' states
    assert first_seen(b"\x08\x00") == 0
