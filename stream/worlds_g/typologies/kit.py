"""The toolkit an episode is written with: make loans and repayments for the
episode's user(s), settle loans the ordinary way, and scale by intensity."""
from ..clock import HOUR
from ..model import KEEP, Loan
from ..normal import settle


class Kit:
    """One episode: typology `scen`, start `t0`, intensity `s` in (0, 1] (subtle -> blatant)."""

    def __init__(self, world, clock, rng, users, t0, s, scen):
        self.world, self.clock, self.rng = world, clock, rng
        self.group = list(users)
        self.user = self.group[0]
        self.t0, self.s, self.scen = int(t0), s, scen
        self.events = []
        self.last = {}              # user idx -> time of that user's last episode loan

    def habit(self, t, user=None):
        """`t` moved to one of the user's usual local hours of the same day, unless it
        already is one (blatant episodes keep odd hours more often)."""
        u = user or self.user
        z = u.zone
        hour = ((t - self.clock.at(self.clock.day_of(t, z), 0, z)) // HOUR) % 24
        if hour in u.hours or self.rng.random() < 0.3 * self.s:
            return t
        return self.at_hour(t, self.rng.choice(u.hours), z)

    def lerp(self, subtle, blatant):
        return subtle + (blatant - subtle) * self.s

    def bad(self, mult):
        """Chance an episode loan goes bad in this world, scaled by `mult`."""
        return min(0.97, self.world.ep_bad * mult)

    def loan(self, t, amount, product=None, channel=None, term="short", device=KEEP,
             merchant=None, purpose=None, limit=None, label=1, zone=None, user=None, x=None,
             snap=None):
        """Emit a loan at `t` (None if outside the window or before the account exists).
        `term` "short" takes the short end of the world's terms for the product, None a
        typical one.
        A loan that starts a new burst (`snap`) is moved to the user's usual hours."""
        u = user or self.user
        t = int(t)
        last = self.last.get(u.idx)
        if snap is None:
            snap = last is None or t - last > 6 * HOUR
        if snap:
            moved = self.habit(t, u)
            if last is None or moved > last + 60:
                t = moved
        if t < max(0, u.join_t) or t >= self.clock.end:
            return None
        w = self.world
        if merchant:
            channel = "merchant"
        f = w.loan_fields(u, t, self.rng, self.clock, product, channel,
                          None if term == "short" else term)
        if term == "short":
            f["term"] = w.short_term(u, f["product"], self.rng)
        if device is not KEEP:
            f["device"] = device
        if merchant:
            f["merchant"] = merchant
        if purpose:
            f["purpose"] = purpose
        if limit is not None:
            f["limit"] = limit
        if x:
            f["x"] = dict(f.get("x") or {}, **x)
        f["amount"] = amount
        ev, loan = w.make_loan(u, t, f, label, self.scen, zone)
        self.events.append(ev)
        self.last[u.idx] = t
        return loan

    def ghost(self, t, amount, product, term, user=None):
        """A loan opened before the stream: never shown, only repaid into."""
        u = user or self.user
        return Loan(self.world.loan_id(u, product, self.rng), int(t), amount, product, term)

    def repay(self, t, amount, loan, late, label=1, user=None):
        u = user or self.user
        t = int(t)
        if t < max(0, u.join_t) or t >= self.clock.end or t < loan.t:
            return False
        self.events.append(self.world.make_repayment(u, t, amount, loan.loan_id, late, label, self.scen))
        return True

    def settle(self, loan, bad_p, label=0, user=None):
        """Repay `loan` the way this world does, going bad with chance `bad_p`."""
        self.events.extend(settle(self.world, user or self.user, loan, self.rng, self.clock,
                                  bad_p=bad_p, label=label, scen=self.scen))

    def at_hour(self, t, hour, zone=None):
        """`t` moved to local hour `hour` (random minute) of the same local day."""
        z = zone or self.user.zone
        day = self.clock.day_of(t, z)
        return self.clock.at(day, hour * HOUR + self.rng.randrange(HOUR), z)

    def day(self, t, zone=None):
        return self.clock.day_of(t, zone or self.user.zone)
