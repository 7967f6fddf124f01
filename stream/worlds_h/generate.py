"""One world, end to end: customers -> episodes -> normal behaviour -> typologies -> messages.

Why: the order matters. Typologies reshape accounts before normal behaviour
is simulated (``prepare``), inject their events afterwards (``inject``), and
only then does each book decline ordinary loans that no longer fit and stamp
limits and balances. Every random stream is derived from one seed built from
(world, seed, users, history_days, test_days), so a run is reproducible.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from random import Random

from . import ids
from .assign import assign_episodes
from .context import Ctx
from .ledger import UserBook
from .limits import schedule_limits
from .normal import ensure_present, simulate_normal
from .producer import label_for, make_event_id, to_message
from .profiles import sample_profile
from .serialize import dumps
from .timebase import Span
from .worlds import WORLDS


@dataclass
class Generated:
    """A finished run: wire lines, label lines (same order), and the counts the CLI reports."""

    world: str
    event_lines: list[str]
    label_lines: list[str]
    users: int
    positives: int
    loans: int
    anomalous_users: int
    episodes: list[tuple[str, list[str]]] = field(default_factory=list)


def _acts_in_test(book: UserBook, span: Span) -> bool:
    """Does this user have a labelled event inside the test window?"""
    return any(r.label and r.emit and span.in_test(r.t) for r in book.recs)


def root_seed(world: str, seed: int, users: int, history_days: int, test_days: int) -> int:
    text = f"worlds_h|{world}|{seed}|{users}|{history_days}|{test_days}".encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def generate(world: str, seed: int = 1, users: int = 3000, history_days: int = 45,
             test_days: int = 14) -> Generated:
    """Generate one world; the same arguments always give byte-identical output."""
    if world not in WORLDS:
        raise KeyError(f"unknown world {world!r}; known: {', '.join(WORLDS)}")
    if users < 1 or history_days < 1 or test_days < 1:
        raise ValueError("users, history_days and test_days must be >= 1")
    spec = WORLDS[world]
    span = Span(history_days, test_days)
    master = Random(root_seed(world, seed, users, history_days, test_days))
    ctx = Ctx.build(spec, span, users, Random(master.getrandbits(64)))

    profiles = [sample_profile(i, ctx, Random(master.getrandbits(64))) for i in range(users)]
    episodes = assign_episodes(profiles, ctx, Random(master.getrandbits(64)))
    for ep in episodes:
        ep.typology.prepare([profiles[i] for i in ep.members], ctx, Random(ep.seed))

    books = [UserBook(p) for p in profiles]
    for b in books:
        rng = Random(b.profile.seed)
        schedule_limits(b, ctx, rng)
        simulate_normal(b, ctx, rng)
    for ep in episodes:
        members = [books[i] for i in ep.members]
        ep.typology.inject(members, ctx, Random(ep.seed ^ 0x5A5A5A5A))
        for attempt in range(1, 3):   # rare: nothing came of it in the test window (no credit left): try again
            if all(_acts_in_test(b, span) for b in members):
                break
            ep.typology.inject(members, ctx, Random(ep.seed ^ attempt))

    recs = []
    for b in books:
        rng = Random(b.profile.seed ^ 0xC0FFEE)
        b.reconcile()
        ensure_present(b, ctx, rng)
        uidx = b.profile.idx
        recs.extend(b.finalize(span, lambda n, u=uidx: ids.loan_id(spec.id_styles["loan"], u, n)))
    recs.sort(key=lambda r: (r.t, r.uidx, r.seq))

    render_rng = Random(master.getrandbits(64))
    event_lines: list[str] = []
    label_lines: list[str] = []
    positives = loans = 0
    for n, rec in enumerate(recs, 1):
        prof = profiles[rec.uidx]
        eid = make_event_id(ctx, n, render_rng)
        event_lines.append(dumps(to_message(rec, prof, eid, ctx, render_rng), spec.amount_style, spec.compact_json))
        label_lines.append(json.dumps(label_for(rec, prof, eid), separators=(",", ":")))
        positives += rec.label
        loans += rec.kind == "loan"
    return Generated(
        world=world,
        event_lines=event_lines,
        label_lines=label_lines,
        users=len({r.uidx for r in recs}),
        positives=positives,
        loans=loans,
        anomalous_users=sum(p.anomalous for p in profiles),
        episodes=[(ep.typology.name, [profiles[i].user_id for i in ep.members]) for ep in episodes],
    )
