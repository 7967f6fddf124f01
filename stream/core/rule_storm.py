"""Storms: a rule (or the model) that fires across the book far above its training rate is held back.

A lender changes its book: a semester's tuition loans come with raised limits,
a campaign raises everyone's limit, a season doubles borrowing.  A typology rule
reads one user's history, so it cannot tell a limit raised for thousands of
students from a limit raised for one taken-over account; on the first day of
such a change it fires on every borrower the change touches (on held-out
worlds: 12-14 % of the well-behaved users of a campus lender in a fortnight,
all through ``limit_jump_drain``).  Across the book the difference is plain:
the rule fires many times its rate on the training history.

So the monitor watches each rule's hit rate over the last ``window_h`` hours of
event time, over all scored events (the unit of the training table's expected
rate, ``models.calibrate.Calibration.expected_hit_rate``).  While a rule fires
``factor`` times its expected rate or more, on at least ``min_hits`` events and
``floor`` of the events, it **storms**: an alert whose only sources are storming
rules is **held** (counted per rule, not sent; ``riskmon_alerts_held_total``
and the ``RiskmonRuleStorm`` alert tell the risk team, who decide whether the
change is a campaign or an attack).  The event keeps its risk score, but a
storming rule adds no bonus to it (``stream.core.scoring.discounted``: a
season's ordinary loans would outrank the model's near-misses), and an alert
the forest, the early warning or a calm rule also raises is sent as usual,
so a fraud wave the model sees still alerts.
The hits of held events count towards the rate, so a storm lasts as long as
the rule runs hot.

Why 10x: a real wave of a typology also lifts its rule.  On the project's
simulator, with 10 % of the users misbehaving in the test window (3.3x the
training history's 3 %), ``borrow_to_repay`` runs at 5-9x its training rate:
at 5x the hold kept 141 of its alerts (137 on misbehaving users; user recall
0.986 -> 0.905); at 10x, 7 (0.984).  The campus semester that motivated the
hold runs its rule at 25-35x and is held alike at 5x and 10x (docs/worlds.md,
"Rule storms").  What stays out of reach: a wave over 10x its rule's training
rate that neither the forest nor the early warning sees.

**The anomaly model storms the same way** (``model_storm``, on by default):
its yardstick is its own alert rate on the warm training history
(``model_expected_alert_rate``), its source name ``"model"``.  A rule is
blind to a change across the book, and so is a forest that learned
"normal" on a history the change is not in: a term start at a tuition lender
(whole cohorts of new accounts signing large instalments on their school's
tablet) made the model alone alert on 30 % of the well-behaved users in a
fortnight (held-out family I, ``skill_school``).  Held at 10x, as rules are:
2.7-7.4 % there, family I's mean 6.0 -> 3.3 %; on family J, measured only
after this was built, its three seasonal lenders' worst 33-87 -> 4-8 %;
families A-H, whose test windows carry more typology episodes than their
histories, lose user recall 0.3595 -> 0.3578 (docs/worlds.md, "The model
storms too").

**Counted against a usual day** (``usual_volume``, on by default).  A rate
alone lets a busy day through: on a platform's festival (family K's live-stream
studios: 4.3x a normal day's events) the model ran at 3-4x its training rate,
under its line, and sent 106-153 alerts against 10-13 on a median day, almost
all on well-behaved viewers.  The risk team's day has a size, so the line is
counted in alerts against the events of a usual day: a window's rate is its
hits over its events, or over the median of the previous seven days' events
(``USUAL_DAYS``, days with events; three needed) when that is smaller.  A busy
day may then send no more than a usual day's share before a source storms; a
quiet day is judged on its own events, as before.  Replayed on the saved runs
of the held-out families and measured on all eleven, well-behaved users
flagged fall where volume surges (family J's typhoon restock 10.6 -> 4.9 %,
K's festival 5.2 -> 3.3 %) and nowhere rise; user recall loses 0.0025 on
average (docs/worlds.md, "Storms counted against a usual day").

**Many borrowers, not a few** (``min_users``, 10).  A typology is a few
borrowers tripping its rule again and again (a taken-over account's cash-outs,
one student's loans); a change across the book trips it once each on many.  So
a source storms only once it has hit ``min_users`` borrowers in the window, and
``min_hits`` is 10 (it was 20, when hits alone were counted): at a lender of
3,000 users a rule running 25x its training rate on the new phones of a
launch or a move reached 20 hits on the busiest days only.  Chosen on saved
runs of families A-K (the borrowers' count ranks above a lower hit count at
the same volume), then measured on family L, written after: well-behaved
users flagged 3.8 -> 3.1 % on average, user recall 0.317 -> 0.309
(docs/worlds.md, "Storms are many borrowers").  Each hour keeps the first
``min_users`` borrowers a source hit: enough to decide, in bounded memory.

**The model's evidence is discounted in a surge** (``surge``, on by
default).  Holding alerts leaves the ranking as it was: on a phone launch, a
city move or a term start the model scores the day's ordinary borrowers as
far out as its typologies (family L's phone lender: 180 of the model's top 200
test loans from the launch day, PR-AUC 0.13 against the plain baseline's
0.25).  A loan is far out when its model score ranks in the training
history's top ``SURGE_LINE`` (1 %) of loans, so on the history that share of
loans is, whatever the lender.  While more borrowers had a loan far out in
the window than may (``surge_allow`` times that share of the window's loans,
a usual day's at most, and ``min_users`` whatever the share), the risk
score that ranks each loan reads its tail share on the history multiplied
by the excess: one in a thousand on a 10x day reads as one in a hundred
(``stream.core.scoring.discounted``).  The alert decision is left to the
storms: discounting it too cost the changed lenders' user recall more than
it spared their well-behaved users.  The watch counts what the model saw, so
a surge does not hide itself.  Counted in borrowers, as storms are: a lender
whose ordinary borrowing falls away (a regulator's limit cut) leaves its few
fraudsters as a larger share of a quiet day, not as more borrowers.  Counted
on the history's top 1 %, not on the model's alert line: the line holds
0.1-0.5 % of the events, and a change's first day rarely put ``min_users``
borrowers over it at a lender of 3,000 users.  Each hour keeps at most
``SURGE_CAP`` borrowers; the window's earlier hours are unioned once an
hour, so an event of a lagging partition is counted from the next hour on.
Chosen on families A-L; on family M, written meanwhile, mean PR-AUC 0.421
-> 0.464, and over 273 runs of A-M 0.521 -> 0.534, alerts unchanged
(docs/worlds.md, "The model's evidence discounted in a surge").

**Each reader has its own surge** (``reader(i)``).  A change fools the
model's readers unequally: at family L's phone lender the launch day put
the typology prior's, the forest's and the tails' ranks far out on ordinary
borrowers while the core forest's stayed calm, and a discount of the blend
as one kept their mistake.  So each reader's far-out borrowers are counted
as the model's are (what that reader saw), each reader's rank is discounted
by its own excess and the ranks are blended again
(``stream.core.scoring.by_readers``); the model's own surge then counts a
loan as far out by that blend, and discounts it (``discounted``).  Counted
on the blend before the readers' discount instead, one change was
discounted twice (family J's spring homecoming lost half its PR-AUC).  Over
273 runs of A-M mean PR-AUC 0.5344 -> 0.5389 with the storming rule's bonus
dropped too (``discounted``); J's worst 0.041 -> 0.081, L's 0.096 -> 0.111,
M's 0.218 -> 0.275, but family I's term start 0.274 -> 0.257 (docs/worlds.md,
"The ranking in a change").

So, in general, an alert is held when **every** source that raised it
storms: the early warning never storms (its yardstick is realised outcomes,
``stream.core.outcome_watch``), so an alert it raised is always sent.

The watch is per process (the worker's partitions, or one offline replay):
a rate needs no global view, because users are spread over partitions by a
hash of their id.  It is kept in hourly buckets of event time (a fortnight of
them at most), so it costs nothing per user.  It fails open: it starts empty
after a restart (the first ``min_hits`` hits of a storm go out, as on a
storm's first day), and which alert of a storm is the first held depends on
how the worker interleaves its partitions, so the stream and an offline replay
may hold different alerts at a storm's edges (never different scores or
states: a held alert is remembered for suppression like a sent one).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from statistics import median
from typing import Iterable, Mapping

HOUR_S = 3600
#: Days before a window whose median volume makes a usual day (``StormPolicy.usual_volume``); at least
#: ``USUAL_DAYS_NEEDED`` of them with events, or the window is judged on its own events.
USUAL_DAYS = 7
USUAL_DAYS_NEEDED = 3
_EVENTS = ""  # the bucket key that counts scored events (rule ids are never empty)
_LOANS = "\x00loans"  # the bucket key that counts scored loans (no rule id starts with a NUL)
#: The anomaly model's source name, as in an alert's ``fired_by`` (``stream.core.alerts``).
MODEL = "model"
#: A loan is far out, for the surge, when its model score ranks in this top share of the training
#: history's loans: by construction this share of the history's loans, whatever the lender.
SURGE_LINE = 0.01
#: Borrowers the surge keeps per hour: past this many, an hour's count stops growing (bounded memory,
#: and a discount already many times over its line at any lender this project has measured).
SURGE_CAP = 20_000


@dataclass(frozen=True, slots=True)
class StormPolicy:
    """When a rule storms.  ``factor`` 0 switches the watch off (every rule alert is sent)."""

    factor: float = 10.0  # times the rule's hit rate on the training history (why 10: the module doc)
    min_hits: int = 10  # hits in the window: fewer is noise at any rate
    min_users: int = 10  # borrowers hit in the window: fewer is a few tripping it again and again (the module doc)
    floor: float = 0.001  # share of the window's events: a rule rarer than this never storms
    window_h: int = 24  # hours of event time the rate is read over (a day: a day's rhythm does not trip it)
    model: bool = True  # the anomaly model storms too (``MODEL``), against its alert rate on the training history
    usual_volume: bool = True  # a window's rate is over at most a usual day's events (the module doc)
    surge: bool = True  # the model's evidence is discounted while many borrowers' loans score far out (``surge``)
    surge_allow: float = 2.0  # ... more than this many times the history's share, or ``min_users``, whichever is more

    @property
    def enabled(self) -> bool:
        return self.factor > 0

    def line(self, expected_rate: float) -> float:
        """The share of a window's events a rule with this training hit rate storms at."""
        return max(self.factor * expected_rate, self.floor)


@dataclass
class StormWatch:
    """Each source's hits and the scored events per hour of event time, over the last ``window_h`` hours."""

    policy: StormPolicy = field(default_factory=StormPolicy)
    buckets: dict[int, Counter[str]] = field(default_factory=dict)  # hour -> events ("") and hits per source
    #: hour -> source -> the first ``min_users`` borrowers it hit that hour: enough to tell whether a
    #: window's buckets hold ``min_users`` of them, so a storm costs no more than a quiet hour.
    borrowers: dict[int, dict[str, set[str]]] = field(default_factory=dict)
    newest: int | None = None  # the newest hour seen
    #: Hours kept behind the newest: a window's rate is a ratio, so an event of a partition that lags
    #: (a worker catching up reads one partition's days before another's) is judged on its own
    #: hours as counted so far, not on an empty window.
    retain_h: int = 14 * 24
    #: hour -> who scored a loan far out that hour (``MODEL``: the model, ``reader(i)``: its i-th reader) ->
    #: those borrowers (at most ``SURGE_CAP`` each), for ``surge``.
    far_out_borrowers: dict[int, dict[str, set[str]]] = field(default_factory=dict)
    #: per key, ``surge``'s window as of its newest hour: that hour, the borrowers of its earlier hours
    #: (unioned once an hour), and how many of that hour's borrowers are not among them (kept by ``observe``).
    _windows: dict[str, tuple[int, frozenset[str], int]] = field(default_factory=dict)
    #: ``surge``'s cap on a window's loans as of its newest hour: (that hour, a usual day's loans; inf: no cap).
    _usual_loans: tuple[int, float] | None = None

    def storming(self, ts: float, expected: Mapping[str, float]) -> frozenset[str]:
        """The rules storming in the window that ends at ``ts`` (this event not counted yet).

        ``expected``: each rule's hit rate on the training history; a rule not
        in it has no training rate and never storms.
        """
        if not self.policy.enabled or not expected:
            return frozenset()
        hour = int(ts // HOUR_S)
        total: Counter[str] = Counter()
        for h in range(hour - self.policy.window_h + 1, hour + 1):
            bucket = self.buckets.get(h)
            if bucket:
                total.update(bucket)
        events = total[_EVENTS]
        if not events:
            return frozenset()
        p = self.policy
        enough = [(rule, rate) for rule, rate in expected.items()
                  if total[rule] >= p.min_hits and self._hit_users(rule, hour)]
        if not enough:  # the usual case, checked per alert: no seven days of buckets to read
            return frozenset()
        events = self._at_most_usual(events, hour, _EVENTS)
        return frozenset(rule for rule, rate in enough if total[rule] / events >= p.line(rate))

    def surge(self, ts: float, key: str = MODEL) -> float:
        """How many times more borrowers had a loan scored far out in the window ending at ``ts`` than may.

        Far out: the model's score (``key`` ``MODEL``; ``reader(i)``: its i-th
        reader's rank) in the training history's top ``SURGE_LINE`` of loans.
        As many borrowers as ``surge_allow`` times that share of the window's
        loans (a usual day's at most, as ``storming`` counts events) may, and
        ``min_users`` whatever the share; 1.0 (no discount) at or under that,
        or with the surge off.
        """
        p = self.policy
        if not (p.enabled and p.surge):
            return 1.0
        hour = int(ts // HOUR_S)
        window = self._windows.get(key)
        if window is None or window[0] != hour:
            earlier: set[str] = set()
            for h in range(hour - p.window_h + 1, hour):
                earlier |= self.far_out_borrowers.get(h, {}).get(key, set())
            window = self._windows[key] = (hour, frozenset(earlier),
                                           len(self.far_out_borrowers.get(hour, {}).get(key, set()) - earlier))
        borrowers = len(window[1]) + window[2]
        if borrowers <= p.min_users:
            return 1.0
        if self._usual_loans is None or self._usual_loans[0] != hour:  # once an hour: the model and each reader
            # ask for every loan, and in-order events never change the days before the window
            self._usual_loans = (hour, self._at_most_usual(math.inf, hour, _LOANS))
        loans = min(float(self._window_count(hour, _LOANS)), self._usual_loans[1])
        allowed = max(float(p.min_users), p.surge_allow * SURGE_LINE * loans)
        return max(1.0, borrowers / allowed)

    def _hit_users(self, source: str, hour: int) -> bool:
        """Whether ``source`` hit at least ``min_users`` borrowers in the window ending at ``hour``."""
        seen: set[str] = set()
        for h in range(hour - self.policy.window_h + 1, hour + 1):
            seen |= self.borrowers.get(h, {}).get(source, set())
            if len(seen) >= self.policy.min_users:
                return True
        return False

    def _window_count(self, end: int, key: str) -> int:
        """The events (or loans: ``key``) of the ``window_h`` hours ending at hour ``end``."""
        return sum(self.buckets[h][key] for h in range(end - self.policy.window_h + 1, end + 1) if h in self.buckets)

    def _at_most_usual(self, count: float, hour: int, key: str) -> float:
        """``count`` of the window ending at ``hour``, or a usual day's if that is smaller (``usual_volume``)."""
        usual = self.usual_day(hour, key) if self.policy.usual_volume else None
        return count if usual is None else min(count, usual)

    def usual_day(self, hour: int, key: str = _EVENTS) -> float | None:
        """The median events (or loans: ``key``) of the ``USUAL_DAYS`` windows before the one ending at
        ``hour`` (those with any; None with fewer than ``USUAL_DAYS_NEEDED``).  ``retain_h`` keeps their buckets."""
        w = self.policy.window_h
        days = []
        for k in range(1, USUAL_DAYS + 1):
            end = hour - k * w
            n = self._window_count(end, key)
            if n:
                days.append(n)
        return float(median(days)) if len(days) >= USUAL_DAYS_NEEDED else None

    def observe(self, ts: float, rules: Iterable[str], user: str, far_out: bool | None = None,
                far_readers: Iterable[int] = ()) -> None:
        """Count one scored event of ``user`` at ``ts`` and the sources that fired on it (rule ids, ``MODEL``);
        ``far_out``: None for an event that is not a loan, else whether the loan scored far out (``surge``);
        ``far_readers``: the model's readers that ranked it far out."""
        if not self.policy.enabled:
            return
        hour = int(ts // HOUR_S)
        if self.newest is None or hour > self.newest:
            self.newest = hour
            oldest = hour - self.retain_h
            for h in [h for h in self.buckets if h <= oldest]:
                del self.buckets[h]
                self.borrowers.pop(h, None)
                self.far_out_borrowers.pop(h, None)
        elif hour <= self.newest - self.retain_h:
            return  # older than every bucket kept
        rules = list(rules)
        bucket = self.buckets.setdefault(hour, Counter())
        bucket[_EVENTS] += 1
        if far_out is not None:
            bucket[_LOANS] += 1
        bucket.update(rules)
        if rules:
            hit = self.borrowers.setdefault(hour, {})
            for rule in rules:
                users = hit.setdefault(rule, set())
                if len(users) < self.policy.min_users:
                    users.add(user)
        if far_out is not None and self.policy.surge:
            keys = [reader(i) for i in far_readers] + ([MODEL] if far_out else [])
            for key in keys:
                fired_on = self.far_out_borrowers.setdefault(hour, {}).setdefault(key, set())
                if len(fired_on) < SURGE_CAP and user not in fired_on:
                    fired_on.add(user)
                    window = self._windows.get(key)
                    if window is not None and window[0] == hour and user not in window[1]:
                        self._windows[key] = (hour, window[1], window[2] + 1)

    def reader_surges(self, ts: float, readers: int) -> tuple[float, ...]:
        """``surge`` of each of the model's ``readers`` readers in the window ending at ``ts``."""
        return tuple(self.surge(ts, reader(i)) for i in range(readers))


def reader(i: int) -> str:
    """The surge's key for the model's ``i``-th reader (``models.tails.Blend.reader_ranks``' order)."""
    return f"{MODEL}/reader{i}"


def yardsticks(policy: StormPolicy, rule_rates: Mapping[str, float], model_rate: float | None) -> dict[str, float]:
    """Each source that can storm and its hit rate on the training history: the rules', and the
    model's under ``policy.model`` (a model trained before its rate was recorded has none)."""
    if policy.model and model_rate is not None:
        return {**rule_rates, MODEL: model_rate}
    return dict(rule_rates)


def held(storming: frozenset[str], sources: Iterable[str]) -> bool:
    """Whether an alert is held: every source that raised it (``fired_by``) storms.  The early
    warning never storms, so an alert it raised is sent."""
    raised = list(sources)
    return bool(raised) and all(s in storming for s in raised)
