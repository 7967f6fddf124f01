"""In-memory loans, payments and users before they become contract events."""
from __future__ import annotations

from bisect import bisect_right

DAY = 86400
NORMAL = "normal"


class Pay:
    __slots__ = ("t", "amount", "loan", "tag")

    def __init__(self, t: int, amount: float, loan: "Loan", tag: str):
        self.t = t
        self.amount = amount
        self.loan = loan
        self.tag = tag


class Loan:
    __slots__ = ("key", "user", "t", "amount", "product", "term", "limit", "lkey",
                 "score", "purpose", "channel", "device", "merchant", "tag", "pays")

    def __init__(self, key, user, t, amount, product, term, limit, lkey, score,
                 purpose, channel, device, merchant, tag):
        self.key = key
        self.user = user
        self.t = t
        self.amount = amount
        self.product = product
        self.term = term
        self.limit = limit
        self.lkey = lkey
        self.score = score
        self.purpose = purpose
        self.channel = channel
        self.device = device
        self.merchant = merchant
        self.tag = tag
        self.pays: list[Pay] = []

    @property
    def due(self) -> int:
        return self.t + self.term * DAY

    def scheduled(self) -> float:
        return sum(p.amount for p in self.pays)

    def paid_before(self, t: int) -> float:
        return sum(p.amount for p in self.pays if p.t < t)


class User:
    """A borrower: identity, devices, limits over time and a book of loans."""

    def __init__(self, idx: int, uid: str, segment: str):
        self.idx = idx
        self.uid = uid
        self.segment = segment
        self.devices: list[str] = []
        self.score: int | None = None
        self.limits: dict[str, list[tuple[int, float]]] = {}
        self.attrs: dict = {}
        self.loans: list[Loan] = []
        self.flags: dict = {}

    # limits -------------------------------------------------------------
    def set_limit(self, key: str, t: int, value: float) -> None:
        seq = self.limits.setdefault(key, [])
        seq.append((t, float(value)))
        seq.sort(key=lambda x: x[0])
        for ln in self.loans:  # keep loans already booked consistent
            if ln.lkey == key and ln.t >= t:
                ln.limit = self.limit_at(key, ln.t)

    def limit_at(self, key: str, t: int) -> float:
        seq = self.limits.get(key)
        if not seq:
            return 0.0
        i = bisect_right([x[0] for x in seq], t) - 1
        return seq[max(i, 0)][1]

    # balances -----------------------------------------------------------
    def balance_at(self, t: int, lkey: str | None = None) -> float:
        s = 0.0
        for ln in self.loans:
            if ln.t < t and (lkey is None or ln.lkey == lkey):
                s += ln.amount - ln.paid_before(t)
        return max(s, 0.0)

    def loans_before(self, t: int) -> list[Loan]:
        return [ln for ln in self.loans if ln.t < t]

    # payments -----------------------------------------------------------
    def pay(self, loan: Loan, t: int, amount: float, tag: str | None = None) -> Pay | None:
        t = max(int(t), loan.t + 120)
        left = round(loan.amount - loan.scheduled(), 2)
        amount = round(min(amount, left), 2)
        if amount < 0.01:
            return None
        p = Pay(t, amount, loan, tag or loan.tag)
        loan.pays.append(p)
        return p

    def pay_rest(self, loan: Loan, t: int, tag: str | None = None) -> Pay | None:
        return self.pay(loan, t, loan.amount, tag)

    def drop_pays(self, since: int, loans=None) -> list[Pay]:
        dropped = []
        for ln in (loans if loans is not None else self.loans):
            keep = []
            for p in ln.pays:
                (dropped if p.t >= since else keep).append(p)
            ln.pays = keep
        return dropped
