"""Assemble the simulation: users -> drafts -> one time-ordered, contract-conformant stream."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Iterable, Iterator

import numpy as np
import orjson

from stream.sim.config import SimConfig
from stream.sim.drafts import Borrower, Draft
from stream.sim.normal import day_factors, normal_history
from stream.sim.population import User, draw_population
from stream.sim.typologies import TYPOLOGIES, assign_scenarios, episode_start_day


@dataclass(slots=True)
class _Entry:
    """A draft placed in the global stream, with the user's balance after it."""

    user: User
    draft: Draft
    outstanding: int
    anomalous: bool


def generate(config: SimConfig) -> tuple[list[dict], list[dict]]:
    """Return (events sorted by event time, labels), one label per event in the same order.

    A label is ``{"event_id", "label": 0|1, "scenario": "normal"|<scenario>,
    "user_anomalous": bool}``; ``user_anomalous`` marks every event of a user
    who runs an episode, including their normal (label 0) events.
    """
    events, labels = [], []
    for event_id, entry in _numbered(config):
        events.append(_event(event_id, entry, config))
        labels.append(_label(event_id, entry))
    return events, labels


def iter_stream(config: SimConfig) -> Iterator[dict]:
    """The events of ``generate(config)``, built one at a time (e.g. to pace a live producer).

    The whole history is still simulated up front (a repayment depends on its
    loan), but events are only turned into dicts as they are consumed.
    """
    for event_id, entry in _numbered(config):
        yield _event(event_id, entry, config)


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[dict]) -> None:
    """Write one compact JSON object per line; same rows give byte-identical files."""
    with open(path, "wb") as out:
        for row in rows:
            out.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))


def _numbered(config: SimConfig) -> Iterator[tuple[str, _Entry]]:
    """Every entry in global time order (ties broken by user, then per-user order) with its event id."""
    master = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(0,)))
    users = draw_population(config, master)
    scenarios = assign_scenarios(users, config, master)
    factors = day_factors(config)
    keyed = []
    for user in users:
        scenario = scenarios.get(user.index)
        for seq, entry in enumerate(_user_entries(user, scenario, factors, config)):
            keyed.append((entry.draft.t, user.index, seq, entry))
    keyed.sort(key=lambda k: k[:3])
    for n, (_, _, _, entry) in enumerate(keyed, start=1):
        yield f"e-{config.user_prefix}-{n:07d}", entry


def _user_entries(user: User, scenario: str | None, factors: np.ndarray, config: SimConfig) -> list[_Entry]:
    """One user's events in the window, in time order, with the running outstanding balance.

    Each user has an independent random stream, so a user's normal history is
    the same whether or not an episode is injected on top of it.
    """
    rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(1, user.index)))
    b = Borrower(user, config, rng)
    drafts = normal_history(b, factors)
    if scenario is not None:
        typology = TYPOLOGIES[scenario]
        episode = typology.build(b, episode_start_day(config, typology, rng))
        if typology.takes_over and episode:
            begin = min(d.t for d in episode)
            superseded = {d.loan_no for d in drafts if d.kind == "loan" and d.t >= begin}
            drafts = [d for d in drafts if d.loan_no not in superseded]
        drafts += episode
    entries, balance = [], 0
    for d in sorted(drafts, key=lambda d: (d.t, d.kind, d.loan_no)):
        if d.t >= config.horizon:
            break
        balance += d.cents if d.kind == "loan" else -d.cents
        if d.t >= 0:  # warm-up events only shape the balance
            entries.append(_Entry(user, d, balance, scenario is not None))
    return entries


def _event(event_id: str, entry: _Entry, config: SimConfig) -> dict:
    """The contract form of one entry (field order as in the contract's examples)."""
    user, d = entry.user, entry.draft
    event: dict = {
        "event_id": event_id,
        "event_type": d.kind,
        "user_id": user.user_id,
        "ts": (config.start + timedelta(seconds=d.t)).isoformat(),
        "amount": d.cents / 100,
    }
    if user.include_currency:
        event["currency"] = "CNY"
    event["loan_id"] = f"l-{user.user_id}-{d.loan_no}"
    if d.kind == "loan":
        event.update(product=d.product, term_days=d.term_days, credit_limit=d.credit_limit,
                     credit_score=user.credit_score, segment=user.segment, purpose=d.purpose,
                     channel=d.channel, device_id=d.device_id)
    else:
        event.update(days_late=d.days_late, outstanding=entry.outstanding / 100)
    return event


def _label(event_id: str, entry: _Entry) -> dict:
    scenario = entry.draft.scenario
    return {"event_id": event_id, "label": int(scenario != "normal"), "scenario": scenario,
            "user_anomalous": entry.anomalous}
