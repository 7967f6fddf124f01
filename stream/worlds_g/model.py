"""Plain records shared by every module: a user profile, a loan, an event.

An `Ev` is an event before it is written: stream time, kind, the fields the
contract knows, its label and scenario.  Rendering to the wire shape happens in
`render.py`; here live only the records and a few sampling helpers.
"""
import math

NORMAL = "normal"
KEEP = object()   # "use the user's own device" marker for builders


class User:
    """One borrower: who they are, how they usually borrow and repay."""

    def __init__(self, idx, uid, kind, segment):
        self.idx = idx
        self.uid = uid
        self.kind = kind            # persona name inside its world
        self.segment = segment
        self.zone = "cn"
        self.join_t = -10 ** 9      # account opened long before the stream
        self.stop_t = None          # an episode takes over normal borrowing here
        self.fresh = False          # brand-new account: no loans from before the stream
        self.limit0 = 0
        self.limit_changes = []     # [(t, new_limit)], sorted
        self.score = None
        self.devices = []
        self.hours = (20,)          # local hours the user is active in (repeats weight)
        self.rate = 0.05            # loans per day
        self.amt = 1000.0           # typical loan amount
        self.late_p = 0.05          # chance one repayment is late
        self.late_mean = 3.0        # mean days late when late
        self.early_p = 0.2          # chance a bullet loan is paid off early
        self.bad_p = 0.02           # chance a loan goes bad
        self.products = [("cash_loan", 1)]   # [(product, weight)]
        self.channels = [("app", 1)]         # [(channel, weight)]
        self.show = {}              # optional field -> whether this user's producer sends it
        self.traits = {}            # world-specific facts (pay day, partner, mill, ...)
        self.seq = 0

    def limit_at(self, t):
        lim = self.limit0
        for when, value in self.limit_changes:
            if when <= t:
                lim = value
            else:
                break
        return lim

    def set_limit(self, t, value):
        self.limit_changes.append((t, value))
        self.limit_changes.sort(key=lambda p: p[0])

    def next_seq(self):
        self.seq += 1
        return self.seq

    @property
    def device(self):
        return self.devices[0] if self.devices else None

    def device_at(self, t):
        """The phone in use at `t` (a user may switch phones once)."""
        switch = self.traits.get("switch")
        if switch and t >= switch[0]:
            return switch[1]
        return self.device


class Loan:
    """A loan the repayments point at (seen in the stream or opened before it)."""
    __slots__ = ("loan_id", "t", "amount", "product", "term")

    def __init__(self, loan_id, t, amount, product, term):
        self.loan_id, self.t, self.amount, self.product, self.term = loan_id, t, amount, product, term


class Ev:
    """One event before rendering."""
    __slots__ = ("t", "ms", "kind", "user", "loan_id", "amount", "f", "label", "scen", "zone", "x")

    def __init__(self, t, kind, user, loan_id, amount, f, label=0, scen=NORMAL):
        self.t = int(t)
        self.ms = None
        self.kind = kind
        self.user = user
        self.loan_id = loan_id
        self.amount = amount
        self.f = f                 # contract fields of the kind (product, days_late, ...)
        self.label = label
        self.scen = scen if label else NORMAL
        self.zone = user.zone
        self.x = None              # extra (unknown to the contract) fields chosen at creation


def poisson(rng, lam):
    """A Poisson draw for small `lam`."""
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def pick(rng, weighted):
    """Choose from [(item, weight), ...]."""
    total = sum(w for _, w in weighted)
    x = rng.random() * total
    for item, w in weighted:
        x -= w
        if x < 0:
            return item
    return weighted[-1][0]


def lognorm(rng, median, spread, lo, hi):
    """A clipped log-normal draw."""
    return min(hi, max(lo, median * math.exp(rng.gauss(0, spread))))


def money(x, style, rng=None):
    """Round an amount the way a producer writes it: int, tenth, cents, hundreds."""
    x = min(10_000_000.0, max(0.01, x))
    if style == "int":
        return max(1, int(round(x)))
    if style == "hundreds":
        return max(100, int(round(x / 100.0)) * 100)
    if style == "tenth":
        v = round(x, 1)
        return int(v) if v == int(v) else v
    v = round(x, 2)
    return max(0.01, v)
