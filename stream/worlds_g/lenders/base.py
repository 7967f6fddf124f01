"""The shared shape of a lender (a world): hooks each world overrides.

A world decides who its users are (`make_user`), when and how they borrow
(`loan_rate`, `loan_clock`, `draw_loan`), how loans are repaid (`plan`,
`schedule`, `repay_clock`), what existed before the stream (`prestream`) and
how its producers write events (`presence`, `extras`, `event_id`).  The
defaults describe a plain consumer app lender.
"""
from ..clock import DAY, HOUR
from ..model import Ev, Loan, money, pick

ALL_TYPOLOGIES = (
    "loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
    "limit_jump_drain", "overdue_escalation", "credit_cycling", "merchant_cashout",
    "device_ring",
)


class Lender:
    name = ""
    desc = ""
    code = "g"
    anom_rate = 0.045          # share of users with an episode
    weights = {}               # typology -> weight (only these appear in the world)
    ep_bad = 0.35              # base chance an episode loan goes bad
    normal_bad = 0.02          # mean chance an ordinary loan goes bad
    p_dup = 0.004              # duplicate deliveries
    p_ooo = 0.015              # events delivered seconds to minutes late
    presence = {"currency": 0.5, "credit_score": 0.9, "purpose": 0.7,
                "device_id": 0.95, "merchant_id": 0.9, "outstanding": 0.7}

    # ----------------------------------------------------------- population
    def make_user(self, rng, idx, clock):
        raise NotImplementedError

    def setup(self, users, rng, clock):
        """World-wide facts decided once per run (after users exist)."""

    def life_events(self, user, rng, clock):
        """Benign changes that resemble anomalies: a new phone, a limit raise."""
        if user.devices and rng.random() < 0.08:
            user.traits["switch"] = (int(rng.uniform(0, clock.end)), self.new_device(user, rng))
        if user.limit0 > 0 and rng.random() < 0.1:
            user.set_limit(int(rng.uniform(0, clock.end)),
                           self.raised_limit(user, user.limit0, rng.uniform(1.2, 2.0)))

    def zone_at(self, user, t):
        """The zone an event of `user` at `t` is stamped in."""
        return user.zone

    def show_fields(self, user, rng, override=None):
        p = dict(self.presence)
        p.update(override or {})
        user.show = {k: rng.random() < v for k, v in p.items()}

    # ----------------------------------------------------------- borrowing
    def loan_rate(self, user, day, clock):
        return user.rate * (0.8 if clock.weekday(day) >= 5 else 1.08)

    def loan_clock(self, user, day, rng, clock):
        stray = rng.random() < user.traits.get("stray", 0.03)
        hour = rng.randrange(24) if stray else rng.choice(user.hours)
        return clock.at(day, hour * HOUR + rng.randrange(HOUR), user.zone)

    def draw_loan(self, user, t, rng, clock):
        """Fields and amount of one ordinary loan: dict or None (no loan)."""
        f = self.loan_fields(user, t, rng, clock)
        lim = user.limit_at(t)
        amt = user.amt * rng.uniform(0.4, 1.6)
        if lim > 0:
            amt = min(amt, lim * rng.uniform(0.3, 1.0))
        f["amount"] = amt
        return f

    def loan_fields(self, user, t, rng, clock, product=None, channel=None, term=None):
        product = product or pick(rng, user.products)
        channel = channel or pick(rng, user.channels)
        f = {"product": product, "channel": channel, "term": term or self.term_for(user, product, rng),
             "device": user.device_at(t) if channel in ("app", "web") else None,
             "merchant": self.merchant_for(user, rng, clock) if channel == "merchant" else None,
             "purpose": self.purpose_of(user, product, rng)}
        if channel == "web" and len(user.devices) > 1:
            f["device"] = user.devices[1]
        return f

    def term_for(self, user, product, rng):
        if product == "installment":
            return rng.choice((90, 180, 360))
        if product == "merchant_loan":
            return rng.choice((90, 180, 360))
        return rng.choice((7, 14, 30, 30, 60))

    def short_term(self, user, product, rng):
        """A term at the short end of what this world normally gives for `product`."""
        return min(self.term_for(user, product, rng) for _ in range(3))

    def purpose_of(self, user, product, rng):
        if product == "merchant_loan" or user.segment == "small_business":
            return "business"
        if user.segment == "student" and rng.random() < 0.25:
            return "education"
        return "consumption"

    def merchant_for(self, user, rng, clock):
        pool = user.traits.get("merchants") or ("m-%04d" % rng.randrange(500),)
        return rng.choice(pool)

    def money_style(self, user, kind):
        return user.traits.get("money", "int")

    def new_device(self, user, rng):
        """A device id in this world's naming (used for users and for new devices)."""
        return "d-%012x" % rng.getrandbits(48)

    loan_seq_fmt = "%d"

    def loan_prefix(self, user, product):
        """Loan id text before the user's loan number."""
        return "%s-l%d-" % (self.code, user.idx)

    def loan_id(self, user, product, rng=None):
        """An internal loan key; render.py renumbers each user's loans in time order."""
        return "%s\x00%d" % (self.loan_prefix(user, product), user.next_seq())

    def final_loan_id(self, key, n):
        return key.split("\x00", 1)[0] + self.loan_seq_fmt % n

    def score_at(self, user, t):
        if user.score is None:
            return None
        drift = user.traits.get("score_drift", 0)
        return max(350, min(950, int(user.score + drift * (t / (30 * DAY)))))

    def make_loan(self, user, t, f, label=0, scen="normal", zone=None):
        """Build the loan event and the Loan record from `draw_loan`-style fields."""
        amount = money(f["amount"], self.money_style(user, "loan"))
        lim = f.get("limit")
        lim = user.limit_at(t) if lim is None else lim
        loan = Loan(f.get("loan_id") or self.loan_id(user, f["product"], None),
                    t, amount, f["product"], int(f["term"]))
        fields = {"product": f["product"], "term_days": int(f["term"]), "credit_limit": lim,
                  "credit_score": self.score_at(user, t), "segment": user.segment,
                  "purpose": f.get("purpose"), "channel": f["channel"],
                  "device_id": f.get("device"), "merchant_id": f.get("merchant")}
        ev = Ev(t, "loan", user, loan.loan_id, amount, fields, label, scen)
        ev.zone = zone or self.zone_at(user, t)
        if f.get("x"):
            ev.x = f["x"]
        return ev, loan

    def make_repayment(self, user, t, amount, loan_id, late, label=0, scen="normal"):
        amount = money(amount, self.money_style(user, "repay"))
        ev = Ev(t, "repayment", user, loan_id, amount, {"days_late": max(0, int(late))}, label, scen)
        ev.zone = self.zone_at(user, t)
        return ev

    # ----------------------------------------------------------- repaying
    def plan(self, user, loan, rng, clock):
        """[(due_day, amount)]: bullet for short loans, monthly instalments otherwise."""
        d0 = clock.day_of(loan.t, user.zone)
        fee = 1 + rng.uniform(0, 0.03)
        if loan.term <= 62:
            return [(d0 + loan.term, loan.amount * fee)]
        n = max(1, loan.term // 30)
        each = loan.amount * fee / n
        out = []
        for k in range(n):
            due = d0 + 30 * (k + 1)
            if due > clock.days + 200:
                break
            out.append((due, each))
        return out

    def lateness(self, user, rng, clock, due_day):
        if rng.random() < user.late_p:
            return 1 + int(rng.expovariate(1.0 / max(0.5, user.late_mean)))
        return 0

    def schedule(self, user, loan, rng, clock, bad):
        """[(pay_day, amount, days_late)] for one loan; bad loans stop or pay very late."""
        insts = self.plan(user, loan, rng, clock)
        if not insts:
            return []
        if not bad and len(insts) == 1 and rng.random() < user.early_p:
            d0 = clock.day_of(loan.t, user.zone)
            due, amt = insts[0]
            return [(d0 + int((due - d0) * rng.uniform(0.05, 0.95)), amt, 0)]
        cut = rng.randrange(len(insts)) if bad else len(insts)
        out = []
        for i, (due, amt) in enumerate(insts):
            if i >= cut:
                if rng.random() < 0.35:
                    late = rng.randint(30, 150)
                    out.append((due + late, amt, late))
                break
            late = self.lateness(user, rng, clock, due)
            out.append((due + late, amt, late))
        return out

    def repay_clock(self, user, day, rng, clock):
        hour = rng.choice(user.hours)
        return clock.at(day, hour * HOUR + rng.randrange(HOUR), user.zone)

    def instant_repay(self, user, t, rng, clock):
        """Stream time of a repayment the user makes at `t` (a batch bank may move it)."""
        return t

    def prestream(self, user, rng, clock):
        """Loans opened before the stream whose repayments fall inside it."""
        return []

    def opening_balance(self, user, rng):
        return 0.0

    # ----------------------------------------------------------- episodes
    def eligible(self, typ, user, t0, clock):
        """Whether `user` can plausibly carry typology `typ` starting at `t0`."""
        tenure = t0 - user.join_t
        if typ == "student_overborrowing":
            return user.segment == "student"
        if typ == "account_takeover":
            return tenure > 25 * DAY and user.device is not None and user.show.get("device_id", False)
        if typ == "limit_jump_drain":
            return tenure > 8 * DAY and user.limit0 > 0
        if typ == "device_ring":
            return True
        return tenure > 3 * DAY

    def cap(self, user, t):
        """What 'about the limit' means for this user at `t`."""
        lim = user.limit_at(t)
        return lim if lim > 0 else user.amt * 4

    def raised_limit(self, user, old, factor):
        """The limit after an increase by about `factor`."""
        step = 1000 if old >= 5000 else 100
        return min(10_000_000, max(old + step, round(old * factor / step) * step))

    def drawable(self, user, old, new):
        """What 'the new limit' a drain aims at amounts to."""
        return new

    def stack_products(self, user):
        return ["cash_loan", "credit_line", "installment"]

    def stack_channels(self, user):
        return ["app", "web", "partner"]

    def cash_product(self, user):
        return "cash_loan"

    def revolving_product(self, user):
        return "credit_line"

    def student_products(self, user):
        return ["cash_loan", "credit_line", "installment"]

    def cashout_product(self, user, rng):
        return "credit_line" if rng.random() < 0.75 else "installment"

    def ring_channels(self):
        return ("app", "app", "web")

    def new_limit(self, user, rng):
        """Starting limit of a freshly opened account."""
        return user.limit0 if user.limit0 > 0 else 0

    def attacker_zone(self, user, rng, s):
        """Zone an account-takeover's events are stamped in (None: the user's own)."""
        return None

    def colluders(self, clock, rng):
        st = clock.state
        if "colluders" not in st:
            st["colluders"] = ["m-%04d" % rng.randrange(500) for _ in range(3)]
        return st["colluders"]

    # ----------------------------------------------------------- writing
    def extras(self, ev, rng):
        """Unknown extra fields for one event (dict) or None."""
        if rng.random() < 0.03:
            return {"trace_id": "%016x" % rng.getrandbits(64)}
        return None

    def event_id(self, n, ev, rng):
        return "%s-e%08d" % (self.code, n)

    def stamp_ms(self, ev, rng):
        """Milliseconds to write in this event's ts (None: whole seconds)."""
        return None

    def zulu(self, ev):
        """Whether a UTC stamp of this event is written "Z" (else "+00:00")."""
        return ev.user.traits.get("zulu", False)

    def json_style(self, ev):
        """(item_separator, key_separator) this event's producer uses."""
        return (",", ":")

    def deliver_lag(self, ev, rng):
        """Seconds between event time and delivery."""
        if rng.random() < self.p_ooo:
            return rng.uniform(3, 240)
        return 0.0


def hours(*spans):
    """Local active hours with weights: hours((19, 23, 3), (12, 13, 1)) -> tuple."""
    out = []
    for lo, hi, w in spans:
        for h in range(lo, hi + 1):
            out.extend([h] * w)
    return tuple(out)
