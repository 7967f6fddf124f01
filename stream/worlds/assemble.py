"""Assemble a world: population -> episode plan -> per-user books -> one sorted, labelled event stream.

Balances are recomputed from the final books (after episodes rewrote any
schedules), so every ``outstanding`` is the user's exact principal owed,
including loans opened before the window whose loan events are not emitted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .clock import DAY, HOUR, Window, make_window, time_on_day
from .loans import Loan, Payment
from .normal import UserBook
from .plan import Episode, plan_episodes
from .population import build_population, merchant_pool, user_rng
from .rings import build_ring_layer, entity_rows
from .spec import WorldSpec
from .typologies import TYPOLOGY_REGISTRY, EpisodeContext

Event = dict[str, Any]
Label = dict[str, Any]


def _simulate_user(book: UserBook, episode: Episode | None, seed: int) -> None:
    """Normal life up to the episode, the episode, then normal life to the end."""
    if episode is None:
        book.advance(book.window.end)
        return
    rng = user_rng(book.spec, seed, book.profile.idx, f"episode:{episode.typology}")
    t0 = min(time_on_day(rng, episode.t0 // DAY, book.profile.cum_hours), book.window.end - HOUR)
    book.advance(t0)
    ctx = EpisodeContext(
        book=book,
        rng=rng,
        t0=t0,
        window=book.window,
        scenario=episode.typology,
        ring=episode.ring,
    )
    TYPOLOGY_REGISTRY[episode.typology].run(ctx)
    book.advance(book.window.end)


def _payment_label(book: UserBook, loan: Loan, payment: Payment) -> tuple[int, str]:
    if payment.label:
        return payment.label, payment.scenario
    if book.late_label and payment.days_late > 0 and payment.due >= book.late_label[0]:
        return 1, book.late_label[1]
    return 0, "normal"


def _user_events(book: UserBook, seed: int) -> list[tuple[int, int, Event, int, str]]:
    """The user's in-window events as (t, seq, body, label, scenario), balances filled in."""
    spec, window, profile = book.spec, book.window, book.profile
    rng = user_rng(spec, seed, profile.idx, "report")
    # loan ids follow opening order, as a lender's sequence would (episodes may
    # insert a loan before ones the normal process opened earlier)
    for k, loan in enumerate(sorted(book.loans, key=lambda loan: loan.t)):
        loan.loan_id = f"w{spec.tag}-L{profile.idx:06d}-{k:03d}"
    timeline: list[tuple[int, int, Loan, Payment | None]] = []
    for loan in book.loans:
        timeline.append((loan.t, 0, loan, None))
        timeline.extend((p.t, 1, loan, p) for p in loan.payments)
    timeline.sort(key=lambda item: (item[0], item[1]))

    balance = 0.0
    out: list[tuple[int, int, Event, int, str]] = []
    for t, _, loan, payment in timeline:
        if payment is None:
            balance += loan.amount
        else:
            balance -= payment.principal
        if not 0 <= t < window.end:
            continue
        body: Event = {
            "event_type": "loan" if payment is None else "repayment",
            "user_id": profile.user_id,
            "ts": window.format(t),
            "amount": loan.amount if payment is None else payment.amount,
        }
        if rng.random() < spec.currency_share:
            body["currency"] = "CNY"
        body["loan_id"] = loan.loan_id
        if payment is None:
            body.update(
                product=loan.product,
                term_days=loan.term_days,
                credit_limit=loan.credit_limit,
            )
            if loan.credit_score is not None:
                body["credit_score"] = loan.credit_score
            body["segment"] = profile.segment
            if loan.purpose is not None:
                body["purpose"] = loan.purpose
            body["channel"] = loan.channel
            if loan.device_id is not None:
                body["device_id"] = loan.device_id
            if loan.merchant_id is not None and loan.channel == "merchant":
                body["merchant_id"] = loan.merchant_id
            label, scenario = loan.label, loan.scenario
        else:
            body["days_late"] = payment.days_late
            if rng.random() < spec.outstanding_share:
                body["outstanding"] = max(0.0, round(balance, 2))
            label, scenario = _payment_label(book, loan, payment)
        out.append((t, len(out), body, label, scenario))
    return out


def generate_world(
    spec: WorldSpec,
    seed: int = 1,
    users: int = 3000,
    history_days: int = 45,
    test_days: int = 14,
    start: datetime | None = None,
    rings: bool = False,
) -> tuple[list[Event], list[Label]]:
    """Events (contract-valid dicts sorted by ``ts``) and one label per event, in the same order.

    ``start`` defaults to 2026-01-05 00:00 +08:00; it should be a local midnight
    so the daily rhythms line up with the clock (other offsets are converted).

    A label is ``{"event_id", "label": 0|1, "scenario": "normal"|<typology>,
    "user_anomalous": bool}``: ``label`` 1 marks the events that *are* the
    anomalous behaviour (their ``scenario`` names the typology); every event of
    a user whose episode shows in the window has ``user_anomalous`` True,
    including their ordinary (label 0, scenario "normal") events.

    ``rings=True`` adds the ring layer (``stream.worlds.rings``): extra users
    in fraud rings and innocent sharing, appended to the unchanged base world.
    ``generate_world_entities`` returns the same plus the ground-truth rows.
    """
    events, labels, _ = generate_world_entities(spec, seed, users, history_days, test_days, start, rings=rings)
    return events, labels


def generate_world_entities(
    spec: WorldSpec,
    seed: int = 1,
    users: int = 3000,
    history_days: int = 45,
    test_days: int = 14,
    start: datetime | None = None,
    rings: bool = True,
) -> tuple[list[Event], list[Label], list[dict[str, Any]]]:
    """``generate_world`` plus one ground-truth row per planted or innocent shared entity.

    With ``rings=False`` the entity list is empty and the events and labels
    are exactly ``generate_world``'s.  With the ring layer on, base events keep
    their ids (``w<tag>-e...``, numbered over the base events in time order);
    the extra users' events are numbered ``w<tag>-x...`` in the same order.
    """
    if users < 1:
        raise ValueError("users must be >= 1")
    window: Window = make_window(start, history_days, test_days)
    population = build_population(spec, seed, users, window)
    merchants = merchant_pool(spec, users)
    episodes = {e.user_idx: e for e in plan_episodes(spec, seed, population, window)}

    rows: list[tuple[int, int, int, Event, int, str]] = []
    anomalous: set[int] = set()
    for profile in population:
        book = UserBook(profile, spec, window, seed, merchants)
        _simulate_user(book, episodes.get(profile.idx), seed)
        for t, seq, body, label, scenario in _user_events(book, seed):
            rows.append((t, profile.idx, seq, body, label, scenario))
            if label:
                anomalous.add(profile.idx)
    layer = None
    if rings:
        layer = build_ring_layer(spec, seed, users, window, merchants)
        for book in layer.books:  # already simulated, ids final
            for t, seq, body, label, scenario in _user_events(book, seed):
                rows.append((t, book.profile.idx, seq, body, label, scenario))
                if label:
                    anomalous.add(book.profile.idx)
    rows.sort(key=lambda r: (r[0], r[1], r[2]))

    events: list[Event] = []
    labels: list[Label] = []
    n_base = n_extra = 0
    for _, idx, _, body, label, scenario in rows:
        if idx < users:
            n_base += 1
            event_id = f"w{spec.tag}-e{n_base:07d}"
        else:
            n_extra += 1
            event_id = f"w{spec.tag}-x{n_extra:07d}"
        events.append({"event_id": event_id, **body})
        labels.append(
            {"event_id": event_id, "label": label, "scenario": scenario, "user_anomalous": idx in anomalous}
        )
    entities = entity_rows(layer, events, window) if layer is not None else []
    return events, labels, entities


def episode_plan(spec: WorldSpec, seed: int = 1, users: int = 3000, history_days: int = 45,
                 test_days: int = 14, start: datetime | None = None) -> list[Episode]:
    """The episodes a run would place (for inspection and tests)."""
    window = make_window(start, history_days, test_days)
    return plan_episodes(spec, seed, build_population(spec, seed, users, window), window)
