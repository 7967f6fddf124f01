"""Fraud rings and innocent sharing: extra users who share devices and merchants (opt-in, ``--rings``).

The base world is left exactly as it is.  This layer appends *extra* users to
the population, each with random streams of its own (the world's name gets a
``|rings`` suffix in every stream key, and the layer's plan draws from
``f"{name}|{seed}|rings"``), so turning it on changes no base user's events.

Two ring typologies (label 1 on the ring's loans, every member
``user_anomalous``):

- ``device_farm_ring``: 6-40 brand-new accounts opened and borrowing from 1-3
  shared phones within 6 hours to 6 days; modest first loans, a bust-out of
  second and third loans before anything falls due, almost nobody repays.
- ``merchant_collusion_ring``: 6-40 borrowers, new and established, drawing
  most of their headroom at one colluding merchant within 1-10 days, often
  through one or two till devices; most then stop paying or pay token amounts
  weeks late.

Five kinds of innocent sharing (label 0, scenario "normal"): family phones,
busy merchants, a campus shop at term start, a newly onboarded merchant that
gains customers quickly, and a cyber-café / agent device.

Each planted or innocent shared entity (a device or a merchant) is reported
as one ground-truth row (see ``Entity`` and ``entity_rows``).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from typing import Any

from .clock import DAY, HOUR, MINUTE, Window
from .loans import MIN_AMOUNT, Loan, Payment, RepayHabit, cents
from .normal import UserBook
from .population import PRODUCT_LIMIT_FACTOR, make_user, merchant_id, new_device
from .spec import WorldSpec, weights

RING_TYPOLOGIES = ("device_farm_ring", "merchant_collusion_ring")
INNOCENT_KINDS = ("family_phone", "busy_merchant", "campus_shop", "new_merchant", "agent_device")

#: Keys of the extra users' random streams start here (far above any base user index).
_KEY_BASE = 10_000_000
_PICK = object()  # "let the book pick the device"


@dataclass
class Entity:
    """One planted (ring) or innocent shared device or merchant."""

    entity_type: str  # "device" | "merchant"
    entity_id: str
    ring: bool
    kind: str
    group: str
    #: Books of the users planted around it; for rings, only these count as its users.
    books: list[UserBook] = field(default_factory=list)


def _log_uniform_int(rng: random.Random, lo: int, hi: int) -> int:
    return int(min(hi, max(lo, round(math.exp(rng.uniform(math.log(lo), math.log(hi + 0.49)))))))


def _phases(rng: random.Random, n: int, test_share: float = 0.5) -> list[str]:
    """``n`` phases with at least one "test" (and one "history" when n >= 2)."""
    if n <= 0:
        return []
    out = ["test"] + (["history"] if n >= 2 else [])
    out += ["test" if rng.random() < test_share else "history" for _ in range(n - len(out))]
    rng.shuffle(out)
    return out


class RingLayer:
    """Plans and simulates the extra users of one world run."""

    def __init__(self, spec: WorldSpec, seed: int, users: int, window: Window, merchants: list[str]):
        self.spec = spec
        self.seed = seed
        self.users = users
        self.window = window
        self.merchants = merchants
        self.rng = random.Random(f"{spec.name}|{seed}|rings")
        self.book_spec = replace(spec, name=f"{spec.name}|rings")
        self._profile_specs: dict[tuple[float, float, float], WorldSpec] = {}
        self.books: list[UserBook] = []
        self.entities: list[Entity] = []
        self._used_merchants: set[str] = set()
        pool = len(merchants)
        self._popular = max(1, pool // 10)
        self._pool = pool

    # ------------------------------------------------------------ extra users
    def _user(self, segment_shares: tuple[float, float, float], join_t: int) -> tuple[UserBook, random.Random]:
        """A new extra user (profile drawn from the world's knobs) and their own ring random stream."""
        key = _KEY_BASE + len(self.books)
        total = sum(segment_shares)
        shares = tuple(s / total for s in segment_shares)
        pspec = self._profile_specs.get(shares)  # type: ignore[arg-type]
        if pspec is None:
            pspec = replace(self.book_spec, segment_shares=shares)
            self._profile_specs[shares] = pspec  # type: ignore[index]
        profile = make_user(pspec, self.seed, key, self.window, self.merchants)
        profile.join_t = join_t
        book = UserBook(profile, self.book_spec, self.window, self.seed, self.merchants)
        self.books.append(book)
        return book, random.Random(f"{self.book_spec.name}|{self.seed}|{key}|ring")

    def _established(self, segment_shares: tuple[float, float, float]) -> tuple[UserBook, random.Random]:
        return self._user(segment_shares, self.window.warmup_start)

    @staticmethod
    def _offer(book: UserBook, product: str) -> None:
        """Make sure the lender offers ``product`` to this user."""
        profile = book.profile
        if product not in profile.offered:
            profile.offered = (*profile.offered, product)
        if product not in profile.product_limits:
            profile.product_limits[product] = max(
                500.0, round(profile.base_limit * PRODUCT_LIMIT_FACTOR[product] / 100) * 100
            )

    def _ordinary(
        self,
        book: UserBook,
        rng: random.Random,
        t: int,
        product: str | None = None,
        *,
        channel: str | None = None,
        device: Any = _PICK,
        merchant: str | None = None,
        amount: float | None = None,
        term: int | None = None,
    ) -> Loan:
        """A normal-looking (label 0) loan at ``t`` sized from the user's habits."""
        if product is None:
            hab = book.profile.habitual
            product = rng.choices(list(hab), weights=list(hab.values()))[0]
        self._offer(book, product)
        if amount is None:
            amount = book.typical_amount(product, t) * rng.lognormvariate(0, 0.5)
        available = book.available(t, product)
        if amount > available:
            amount = available * rng.uniform(0.4, 0.9)
        amount = max(amount, MIN_AMOUNT[product] * rng.uniform(1.0, 1.5))
        channel = channel or book.pick_channel(rng, product)
        return book.add_loan(
            rng, t, amount, product, term or book.pick_term(rng, product), channel,
            device_id=book.pick_device(rng, t, channel) if device is _PICK else device,
            merchant_id=merchant,
            purpose=book.pick_purpose(rng, product),
        )

    def _ensure_history(self, book: UserBook, rng: random.Random, before: int) -> None:
        """Run normal life up to ``before``; if nothing of it shows in the stream, add an ordinary loan."""
        book.advance(before)
        for loan in book.loans:
            if 0 <= loan.t < before or any(0 <= p.t < before for p in loan.payments):
                return
        lo = max(0, before - 40 * DAY)
        hi = before - 12 * HOUR
        if hi <= lo:
            return
        t = self._at_hours(rng, lo, hi, 8.0, 22.0)
        self._ordinary(book, rng, t)

    # ------------------------------------------------------------ time
    def _start(self, rng: random.Random, phase: str, span: int, early: bool = False) -> int:
        """A ring / entity start in the phase, leaving room for ``span`` where possible.

        ``early`` leans a history start towards the window's beginning (so what
        follows weeks later, such as late token payments, still shows).
        """
        w = self.window
        if phase == "test":
            lo, hi = w.test_start, w.end - span - 12 * HOUR
        else:
            lo, hi = (2 if early else 7) * DAY, w.test_start - span - DAY
            if hi < lo:
                lo = DAY
        hi = max(lo, hi)
        if early and phase == "history":
            return int(min(rng.uniform(lo, hi), rng.uniform(lo, hi)))
        fest = [w.history_days * DAY + d * DAY for d in self.spec.festival_days]
        fest = [f for f in fest if lo - 12 * HOUR <= f <= hi]
        if fest and rng.random() < 0.3:  # hide in the festival's crowd
            return max(lo, rng.choice(fest) + int(rng.uniform(8, 20) * HOUR))
        return int(rng.uniform(lo, hi))

    def _clip_span(self, start: int, span: int) -> int:
        return max(2 * HOUR, min(span, self.window.end - start - 2 * HOUR))

    def _last(self) -> int:
        return self.window.end - 5 * MINUTE

    def _at_hours(self, rng: random.Random, lo: int, hi: int, h0: float, h1: float) -> int:
        """A moment in ``[lo, hi]`` at a local hour between ``h0`` and ``h1`` when possible."""
        hi = max(lo, min(hi, self._last()))
        for _ in range(8):
            day = rng.randint(lo // DAY, hi // DAY)
            t = day * DAY + int(rng.uniform(h0, h1) * HOUR)
            if lo <= t <= hi:
                return t
        return int(rng.uniform(lo, hi))

    # ------------------------------------------------------------ merchants
    def _fresh_merchant(self, rng: random.Random) -> str:
        """A merchant new to the platform (beyond both the pool and the base world's new shops)."""
        while True:
            m = merchant_id(self.spec, 11 * self._pool + rng.randrange(10 * self._pool))
            if m not in self._used_merchants:
                self._used_merchants.add(m)
                return m

    def _small_merchant(self, rng: random.Random) -> str:
        """An existing, little-used merchant of the pool (outside the popular tenth)."""
        for _ in range(50):
            m = self.merchants[rng.randrange(self._popular, self._pool)]
            if m not in self._used_merchants:
                self._used_merchants.add(m)
                return m
        return self._fresh_merchant(rng)

    # ------------------------------------------------------------ plan
    def build(self) -> None:
        rng, users = self.rng, self.users
        scale = users / 3000.0
        min_test = 2 if users >= 1000 else 1
        plan: list[tuple[str, str]] = []
        for kind in RING_TYPOLOGIES:
            n_test = max(min_test, round(rng.randint(4, 6) * scale))
            n_hist = max(1, round(rng.randint(2, 4) * scale))
            plan += [(kind, "test")] * n_test + [(kind, "history")] * n_hist
        counts = {
            "family_phone": max(2, round(rng.randint(6, 12) * scale)),
            "busy_merchant": min(self._popular, max(2, round(rng.randint(3, 5) * min(1.0, scale ** 0.5)))),
            "campus_shop": max(1, round(rng.randint(2, 3) * scale)),
            "new_merchant": max(2, round(rng.randint(3, 5) * scale)),
            "agent_device": max(2, round(rng.randint(3, 6) * scale)),
        }
        for kind, n in counts.items():
            test_share = {"family_phone": 0.3, "busy_merchant": 0.0}.get(kind, 0.5)
            plan += [(kind, phase) for phase in _phases(rng, n, test_share)]
        runners = {
            "device_farm_ring": self._device_farm,
            "merchant_collusion_ring": self._merchant_collusion,
            "family_phone": self._family_phone,
            "busy_merchant": self._busy_merchant,
            "campus_shop": self._campus_shop,
            "new_merchant": self._new_merchant,
            "agent_device": self._agent_device,
        }
        seen: dict[str, int] = {}
        for kind, phase in plan:
            n = seen.get(kind, 0)
            seen[kind] = n + 1
            # each entity draws from its own stream, so adding one kind does not move another
            erng = random.Random(f"{self.book_spec.name}|{self.seed}|{kind}|{n}")
            runners[kind](erng, phase, f"{kind}-{n}")

    # ------------------------------------------------------------ rings
    def _device_farm(self, rng: random.Random, phase: str, group: str) -> None:
        """New accounts opened and borrowing on 1-3 shared phones; bust-out before anything is due."""
        spec = self.spec
        size = _log_uniform_int(rng, 6, 40)
        span = int(rng.uniform(6 * HOUR, 6 * DAY))
        start = self._start(rng, phase, span)
        span = self._clip_span(start, span)
        phones = [new_device(rng, spec.tag) for _ in range(rng.choices((1, 2, 3), weights=(0.45, 0.35, 0.2))[0])]
        p_own = 0.0 if rng.random() < 0.5 else rng.uniform(0.05, 0.35)
        student = rng.uniform(0.0, 0.3)
        day_shift = rng.random() < 0.6
        mix = weights(spec.product_mix[0])
        prod_w = {
            "cash_loan": rng.uniform(0.4, 0.8) * (0.5 + mix.get("cash_loan", 0.0)),
            "credit_line": rng.uniform(0.2, 0.6) * (0.5 + mix.get("credit_line", 0.0)),
            "installment": rng.uniform(0.0, 0.15) * (0.5 + mix.get("installment", 0.0)),
        }
        bias = weights(spec.channel_bias)
        web_share = min(0.7, rng.uniform(0.05, 0.35) * bias.get("web", 1.0) / bias.get("app", 1.0))
        p_bust = rng.uniform(0.2, 0.7)
        p_look_good = rng.uniform(0.0, 0.25)
        limit_factor = (rng.uniform(0.3, 0.7), rng.uniform(0.7, 1.0))
        missing = spec.device_missing_share * 0.5
        if day_shift:
            start = self._at_hours(rng, start, start + DAY, 8.0, 23.5)
            span = self._clip_span(start, span)

        times = [start] + sorted(
            self._at_hours(rng, start, start + span, 8.0, 23.5) if day_shift else start + int(rng.uniform(0, span))
            for _ in range(size - 1)
        )
        entities = [Entity("device", p, True, "device_farm_ring", group) for p in phones]
        members: list[tuple[UserBook, random.Random, Loan, str | None, str]] = []
        for i, t in enumerate(times):
            book, urng = self._user((1.0 - student, 0.0, student), t)
            profile = book.profile
            f = urng.uniform(*limit_factor)  # a new account's starting limit
            step = 100.0 if profile.segment == "student" else 500.0
            profile.base_limit = max(step * 2, round(profile.base_limit * f / step) * step)
            profile.product_limits = {
                p: max(500.0, round(v * f / 100) * 100) for p, v in profile.product_limits.items()
            }
            phone = phones[i % len(phones)] if urng.random() < 0.7 else urng.choice(phones)
            own = new_device(urng, spec.tag) if urng.random() < p_own else None
            product = urng.choices(list(prod_w), weights=list(prod_w.values()))[0]
            self._offer(book, product)
            channel = "web" if urng.random() < web_share else "app"
            look_good = urng.random() < p_look_good
            amount = max(MIN_AMOUNT[product], book.limit(t, product) * urng.uniform(0.1, 0.5))
            if look_good:
                habit = self._punctual(book)
                term = book.pick_term(urng, product, short=True)
                plan: dict[str, Any] = {"habit": habit, "default_after": None if term <= 31 else 1}
            else:
                term = book.pick_term(urng, product)
                plan = {"default_after": 0}
            first = book.add_loan(
                urng, t, amount, product, term, channel, device_id=phone,
                purpose=book.pick_purpose(urng, product), label=1, scenario="device_farm_ring",
                allow_early=False, **plan,
            )
            members.append((book, urng, first, own, phone))
            for e in entities:
                e.books.append(book)

        deadline = min(m[2].due_times()[0] for m in members) - 3 * DAY
        deadline = min(deadline, self._last())
        for book, urng, first, own, phone in members:
            if urng.random() >= p_bust:
                continue
            t = first.t
            for _ in range(urng.choices((1, 2), weights=(0.65, 0.35))[0]):
                lo = t + int(urng.uniform(20 * MINUTE, 6 * HOUR))
                if lo >= deadline:
                    break
                t = int(urng.uniform(lo, min(deadline, lo + 3 * DAY)))
                options = [p for p in ("cash_loan", "credit_line", "installment") if p in book.profile.offered]
                product = first.product if urng.random() < 0.6 or len(options) < 2 else urng.choice(options)
                available = book.available(t, product)
                if available < MIN_AMOUNT[product] * 1.5:
                    continue
                amount = available * urng.uniform(0.6, 1.0)
                if amount < first.amount:
                    amount = available * urng.uniform(0.9, 1.0)
                if own is not None and urng.random() < 0.5:
                    device: str | None = own
                else:
                    device = phone if urng.random() < 0.8 else urng.choice([e.entity_id for e in entities])
                if urng.random() < missing:
                    device = None
                channel = "web" if urng.random() < web_share else "app"
                book.add_loan(
                    urng, t, amount, product, book.pick_term(urng, product), channel, device_id=device,
                    purpose=book.pick_purpose(urng, product), label=1, scenario="device_farm_ring",
                    default_after=0, allow_early=False,
                )
        self.entities.extend(entities)

    @staticmethod
    def _punctual(book: UserBook) -> RepayHabit:
        base = book.habit
        values = {name: getattr(base, name) for name in base.__dataclass_fields__}
        values.update(p_late=0.0, p_early=0.0, p_partial=0.0, p_default=0.0, lateness_fn=None)
        return RepayHabit(**values)

    def _merchant_collusion(self, rng: random.Random, phase: str, group: str) -> None:
        """Borrowers drawing most of their headroom at one colluding merchant, then mostly not paying."""
        spec, window = self.spec, self.window
        size = _log_uniform_int(rng, 6, 40)
        span = int(rng.uniform(1, 10) * DAY)
        start = self._start(rng, phase, span, early=True)
        start = self._at_hours(rng, start, start + DAY, 9.0, 22.0)
        span = self._clip_span(start, span)
        merchant = self._fresh_merchant(rng) if rng.random() < 0.65 else self._small_merchant(rng)
        tills = [new_device(rng, spec.tag) for _ in range(rng.randint(1, 2))] if rng.random() < 0.75 else []
        p_till = rng.uniform(0.3, 0.9) if tills else 0.0
        new_share = min(0.8, rng.uniform(0.3, 0.8) + spec.new_user_share * rng.uniform(0.0, 1.0))
        mix = weights(spec.product_mix[0])
        inst, cl = mix.get("installment", 0.1), mix.get("credit_line", 0.1)
        p_inst = min(0.85, max(0.15, inst / (inst + cl) * rng.uniform(0.6, 1.4)))
        p_round = rng.uniform(0.2, 0.8)
        p_stop = rng.uniform(0.5, 0.9)
        p_token = rng.uniform(0.2, 0.7)
        p_night = rng.uniform(0.0, 0.2)
        seg = spec.segment_shares
        shares = (seg[0], seg[1], seg[2] * 0.3)

        times = [start] + sorted(self._at_hours(rng, start, start + span, 9.0, 22.0) for _ in range(size - 1))
        n_new = round(size * new_share)
        roles = [True] * n_new + [False] * (size - n_new)
        rng.shuffle(roles)
        merchant_entity = Entity("merchant", merchant, True, "merchant_collusion_ring", group)
        till_entities = [Entity("device", d, True, "merchant_collusion_ring", group) for d in tills]
        for t, is_new in zip(times, roles):
            if rng.random() < p_night:  # a till open in the small hours
                t = max(start, min(start + span, (t // DAY) * DAY + int(rng.uniform(0.5, 4.0) * HOUR)))
            if is_new:
                book, urng = self._user(shares, t)
            else:
                book, urng = self._established(shares)
                self._ensure_history(book, urng, t)
            product = "installment" if urng.random() < p_inst else "credit_line"
            self._offer(book, product)
            stop = urng.random() < p_stop
            token = stop and urng.random() < p_token
            available = book.available(t, product)
            total = max(available, 0.3 * book.limit(t, product)) * urng.uniform(0.6, 1.0)
            n = urng.choices((1, 2), weights=(0.7, 0.3))[0]
            draw_times = [t] + sorted(int(urng.uniform(t + 10 * MINUTE, max(t + HOUR, min(t + 2 * DAY, start + span))))
                                      for _ in range(n - 1))
            parts = [urng.uniform(0.6, 1.4) for _ in range(n)]
            loans = []
            for dt, part in zip(draw_times, parts):
                dt = min(dt, self._last())
                amount = total * part / sum(parts)
                amount = self._shaped(urng, amount, urng.random() < p_round)
                if urng.random() < p_till:
                    device: str | None = urng.choice(tills)
                else:
                    device = book.phone(dt) if urng.random() < 0.9 else None
                if product == "installment":
                    options = [term for term, _ in spec.term_options(product)]
                    term = urng.choice([x for x in options if x >= 180] or [max(options)])
                else:
                    term = book.pick_term(urng, product)
                loans.append(book.add_loan(
                    urng, dt, amount, product, term, "merchant", device_id=device, merchant_id=merchant,
                    purpose="consumption" if urng.random() < spec.purpose_share else None,
                    label=1, scenario="merchant_collusion_ring",
                    **({"default_after": 0} if stop else {}),  # type: ignore[arg-type]
                ))
            if token:
                for loan in loans:
                    self._token_payments(urng, loan)
            if stop:
                if not is_new:
                    cut = t + int(urng.uniform(0, 10) * DAY)
                    for loan in book.loans:
                        if loan.t < t and urng.random() < 0.7:
                            loan.drop_payments_after(cut)
            elif not is_new:
                book.advance(window.end)
            merchant_entity.books.append(book)
            for e in till_entities:
                e.books.append(book)
        self.entities.append(merchant_entity)
        self.entities.extend(till_entities)

    @staticmethod
    def _shaped(rng: random.Random, amount: float, round_style: bool) -> float:
        """A round amount (hundreds / five hundreds) or one just under a thousand."""
        if round_style:
            step = 500.0 if amount >= 2000 else 100.0
            return max(step, math.floor(amount / step) * step)
        thousands = math.floor(amount / 1000) * 1000
        if thousands < 1000:
            return max(99.0, math.floor(amount / 100) * 100 - 1)
        return thousands - rng.choice((1, 1, 10, 100))

    @staticmethod
    def _token_payments(rng: random.Random, loan: Loan) -> None:
        """One or two small payments 15-60 days late on the first due date."""
        due = loan.due_times()[0]
        late = 15 + min(45, int(rng.expovariate(1 / 10)))
        t = loan.t
        for _ in range(rng.choices((1, 2), weights=(0.6, 0.4))[0]):
            if late > 60:
                break
            t = max(t + HOUR, due + late * DAY + int(rng.uniform(8, 22) * HOUR))
            amount = cents(loan.amount * rng.uniform(0.02, 0.12))
            loan.payments.append(Payment(t, amount, amount, late, due, 1, "merchant_collusion_ring"))
            late += rng.randint(5, 15)

    # ------------------------------------------------------------ innocent sharing
    def _family_phone(self, rng: random.Random, phase: str, group: str) -> None:
        """2-5 established users of one household on one phone (for months, or since a recent new phone)."""
        spec, window = self.spec, self.window
        device = new_device(rng, spec.tag)
        shared_web = rng.random() < 0.4
        since = window.warmup_start if phase == "history" else self._start(rng, "test", 4 * DAY)
        entity = Entity("device", device, False, "family_phone", group)
        for _ in range(rng.randint(2, 5)):
            book, urng = self._established(spec.segment_shares)
            if phase == "history":
                book.profile.devices[0] = device
                if shared_web:
                    book.profile.web_device = device
            else:  # the household's new phone replaces each member's own from about ``since``
                moved = since + int(urng.uniform(0, 2 * DAY))
                book.advance(moved)
                book.device_changes.append((moved, device))
                book._phone_changes = []  # noqa: SLF001 (nobody swaps the new phone away within the run)
            book.advance(window.end)
            self._ensure_use(book, urng, device, max(since, 0), channel=None)
            entity.books.append(book)
        self.entities.append(entity)

    def _ensure_use(self, book: UserBook, rng: random.Random, device: str, lo: int, channel: str | None) -> None:
        """If the user never borrowed on ``device`` in the stream, add one ordinary loan on it."""
        if any(loan.device_id == device and 0 <= loan.t < self.window.end for loan in book.loans):
            return
        product = next((p for p in book.profile.habitual if p in ("cash_loan", "credit_line", "installment")), None)
        product = product or "credit_line"
        t = self._at_hours(rng, lo, self._last(), 9.0, 22.0)
        ch = channel or ("app" if rng.random() < 0.7 else "web")
        self._ordinary(book, rng, t, product, channel=ch, device=device)

    def _busy_merchant(self, rng: random.Random, phase: str, group: str) -> None:
        """More regulars at one of the world's popular merchants, shopping there the ordinary way."""
        spec, window = self.spec, self.window
        for _ in range(50):
            merchant = self.merchants[rng.randrange(self._popular)]
            if merchant not in self._used_merchants:
                break
        self._used_merchants.add(merchant)
        entity = Entity("merchant", merchant, False, "busy_merchant", group)
        for _ in range(rng.randint(15, 40)):
            book, urng = self._established(spec.segment_shares)
            profile = book.profile
            profile.merchants = [merchant] * urng.randint(2, 4) + profile.merchants
            profile.channel_pref["merchant"] = profile.channel_pref.get("merchant", 1.0) * urng.uniform(2.0, 4.0)
            if not {"credit_line", "installment"} & set(profile.habitual):
                product = "credit_line" if "credit_line" in profile.offered else "installment"
                self._offer(book, product)
                profile.habitual[product] = 1.0
            book.advance(window.end)
            if not any(loan.merchant_id == merchant and 0 <= loan.t for loan in book.loans):
                t = self._at_hours(urng, 0, self._last(), 9.0, 22.0)
                product = "credit_line" if "credit_line" in profile.habitual else "installment"
                self._ordinary(book, urng, t, product, channel="merchant", merchant=merchant)
            entity.books.append(book)
        self.entities.append(entity)

    def _campus_shop(self, rng: random.Random, phase: str, group: str) -> None:
        """20-60 students buying small things on credit at one shop around term start."""
        spec, window = self.spec, self.window
        spread = int(rng.uniform(3, 10) * DAY)
        start = self._start(rng, phase, spread)
        start = self._at_hours(rng, start, start + DAY, 9.0, 21.0)
        spread = self._clip_span(start, spread)
        merchant = self._fresh_merchant(rng) if rng.random() < 0.5 else self._small_merchant(rng)
        till = new_device(rng, spec.tag) if rng.random() < 0.5 else None
        p_till = rng.uniform(0.1, 0.5) if till else 0.0
        p_new = rng.uniform(0.0, 0.3)
        p_inst = rng.uniform(0.2, 0.7)
        entity = Entity("merchant", merchant, False, "campus_shop", group)
        till_entity = Entity("device", till, False, "campus_shop", group) if till else None
        times = [start] + sorted(self._at_hours(rng, start, start + spread, 9.0, 22.0)
                                 for _ in range(rng.randint(20, 60) - 1))
        for t in times:
            if rng.random() < p_new:
                book, urng = self._user((0.0, 0.0, 1.0), t)
            else:
                book, urng = self._established((0.0, 0.0, 1.0))
                self._ensure_history(book, urng, t)
            for k in range(urng.choices((1, 2), weights=(0.8, 0.2))[0]):
                tk = t if k == 0 else min(self._last(), t + int(urng.uniform(1, 5) * DAY))
                book.advance(tk)
                if urng.random() < p_inst:
                    product, amount = "installment", urng.uniform(300, 3000)
                    options = [x for x, _ in spec.term_options(product) if x <= 360] or [90]
                    term = urng.choice(options)
                else:
                    product, amount = "credit_line", urng.uniform(30, 800)
                    term = book.pick_term(urng, product, short=True)
                self._offer(book, product)
                available = book.available(tk, product)
                if available > MIN_AMOUNT[product] * 2:
                    amount = min(amount, available * urng.uniform(0.3, 0.8))
                device = till if till and urng.random() < p_till else (book.phone(tk) if urng.random() < 0.85 else None)
                self._ordinary(book, urng, tk, product, channel="merchant", device=device, merchant=merchant,
                               amount=amount, term=term)
            book.advance(window.end)
            for shared in (entity, till_entity):
                if shared:
                    shared.books.append(book)
        self.entities += [e for e in (entity, till_entity) if e]

    def _new_merchant(self, rng: random.Random, phase: str, group: str) -> None:
        """A newly onboarded, legitimate merchant: 10-30 established customers in its first week."""
        spec, window = self.spec, self.window
        start = self._start(rng, phase, 7 * DAY)
        start = self._at_hours(rng, start, start + DAY, 9.0, 21.0)
        week = self._clip_span(start, 7 * DAY)
        merchant = self._fresh_merchant(rng)
        till = new_device(rng, spec.tag) if rng.random() < 0.3 else None
        p_till = rng.uniform(0.2, 0.6) if till else 0.0
        p_return = rng.uniform(0.1, 0.4)
        entity = Entity("merchant", merchant, False, "new_merchant", group)
        till_entity = Entity("device", till, False, "new_merchant", group) if till else None
        times = [start] + sorted(self._at_hours(rng, start, start + week, 9.0, 22.0)
                                 for _ in range(rng.randint(10, 30) - 1))
        for t in times:
            book, urng = self._established(spec.segment_shares)
            self._ensure_history(book, urng, t)
            visits = [t]
            if urng.random() < 0.3:
                visits.append(min(self._last(), t + int(urng.uniform(1, 6) * DAY)))
            if urng.random() < p_return:
                visits.append(min(self._last(), t + int(urng.uniform(8, 30) * DAY)))
            for tv in visits:
                book.advance(tv)
                usable = [p for p in ("credit_line", "installment") if p in book.profile.habitual]
                product = urng.choice(usable or ["credit_line"])
                device = till if till and urng.random() < p_till else (book.phone(tv) if urng.random() < 0.8 else None)
                self._ordinary(book, urng, tv, product, channel="merchant", device=device, merchant=merchant)
            book.advance(window.end)
            for shared in (entity, till_entity):
                if shared:
                    shared.books.append(book)
        self.entities += [e for e in (entity, till_entity) if e]

    def _agent_device(self, rng: random.Random, phase: str, group: str) -> None:
        """A cyber-café / agent's device on which 5-15 established users take small loans over weeks."""
        spec, window = self.spec, self.window
        span = int(rng.uniform(14, 42) * DAY)
        start = self._start(rng, phase, min(span, 7 * DAY))
        start = self._at_hours(rng, start, start + DAY, 9.0, 20.0)
        span = self._clip_span(start, span)
        device = new_device(rng, spec.tag)
        p_web = rng.uniform(0.2, 0.8)
        entity = Entity("device", device, False, "agent_device", group)
        n = rng.randint(5, 15)
        for k in range(n):
            book, urng = self._established(spec.segment_shares)
            visits = sorted(self._at_hours(urng, start, start + span, 9.0, 20.0) for _ in range(urng.randint(1, 4)))
            if k == 0:
                visits[0] = start
            self._ensure_history(book, urng, visits[0])
            for tv in visits:
                book.advance(tv)
                options = [p for p in ("cash_loan", "credit_line") if p in book.profile.offered] or ["credit_line"]
                product = urng.choice(options)
                self._offer(book, product)
                small = max(MIN_AMOUNT[product], book.typical_amount(product, tv) * urng.uniform(0.3, 0.8))
                small = min(small, max(MIN_AMOUNT[product], 0.3 * book.limit(tv, product)))
                channel = "web" if urng.random() < p_web else "app"
                self._ordinary(book, urng, tv, product, channel=channel, device=device, amount=small,
                               term=book.pick_term(urng, product, short=True))
            book.advance(window.end)
            entity.books.append(book)
        self.entities.append(entity)


def build_ring_layer(spec: WorldSpec, seed: int, users: int, window: Window, merchants: list[str]) -> RingLayer:
    """Plan and simulate every ring and innocent shared entity of a world run."""
    layer = RingLayer(spec, seed, users, window, merchants)
    layer.build()
    # members of one ring must not get neighbouring user ids: shuffle the extra users' ids
    order = list(range(len(layer.books)))
    layer.rng.shuffle(order)
    for book, k in zip(layer.books, order):
        book.profile.idx = users + k
        book.profile.user_id = f"w{spec.tag}-{users + k:06d}"
    layer.books.sort(key=lambda b: b.profile.idx)
    return layer


def entity_rows(layer: RingLayer, events: list[dict[str, Any]], window: Window) -> list[dict[str, Any]]:
    """One ground-truth row per entity, its users and start read from the final events.

    ``users`` are the users planted around the entity (ring members, or the
    innocent sharers) whose loans carry it, in order of first use; ``start`` is
    the first such loan; ``phase`` is "test" when that falls in the test window.
    ``other_users`` counts the base world's users whose loans carry it too (a
    busy merchant's ordinary customers, a small merchant's earlier traffic).
    An entity fewer than two planted users ended up using is not reported (it
    is not shared; e.g. a till only one ring member used).
    """
    index: dict[tuple[str, str], Entity] = {(e.entity_type, e.entity_id): e for e in layer.entities}
    members = {key: {b.profile.user_id for b in e.books} for key, e in index.items()}
    first: dict[tuple[str, str], str] = {}
    users: dict[tuple[str, str], list[str]] = {key: [] for key in index}
    others: dict[tuple[str, str], set[str]] = {key: set() for key in index}
    for ev in events:
        if ev["event_type"] != "loan":
            continue
        for key in (("device", ev.get("device_id")), ("merchant", ev.get("merchant_id"))):
            if key[1] is None or key not in index:
                continue
            uid = ev["user_id"]
            if uid not in members[key]:
                others[key].add(uid)
                continue
            first.setdefault(key, ev["ts"])
            if uid not in users[key]:
                users[key].append(uid)
    test_start = window.format(window.test_start)
    rows = []
    for key, e in index.items():
        if len(users[key]) < 2:
            continue
        start = first[key]
        rows.append({
            "entity_type": e.entity_type,
            "entity_id": e.entity_id,
            "ring": e.ring,
            "kind": e.kind,
            "users": users[key],
            "start": start,
            "phase": "test" if start >= test_start else "history",  # all +08:00: text orders like time
            "group": e.group,
            "other_users": len(others[key]),
        })
    rows.sort(key=lambda r: (r["start"], r["entity_type"], r["entity_id"]))
    return rows
