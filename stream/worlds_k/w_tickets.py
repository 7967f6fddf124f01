"""World: a fan-economy credit line used to grab concert tickets at timed drops.

Unusual but legitimate: at a ticket drop (12:00 or 20:00 sharp) hundreds of
fans draw on the credit line within the same minutes at the same ticket
platform, often two or three draws within seconds from two or three phones
(grabbing with several devices); failed grabs are refunded a few hours later as
full early repayments; friends share a "grab helper" phone; students carry no
credit score. Busy day inside the test window: the mega-tour drop, bigger
prices and far more fans than any drop in the history.
"""
from __future__ import annotations

from .clock import DAY, HOUR, profile
from .model import User
from .seeding import hex_id
from .world_base import Option, WorldBase

TIERS = (380, 580, 880, 1280, 1680)
MEGA_TIERS = (680, 1080, 1580, 2280, 2880)
NIGHT = profile({(20, 24): 1.0, (0, 2): 0.7, (12, 14): 0.4, (17, 20): 0.5}, 0.04)
PAYTIME = profile({(9, 12): 0.6, (20, 24): 1.0}, 0.05)


class TicketDrops(WorldBase):
    name = "ticket_drops"
    description = ("fan credit line: minute-long draw bursts at ticket drops from several phones, "
                   "refunds hours later; mega-tour drop (busy day) inside the test window")
    anomaly_rate = 0.04
    currency_mode = "omit"
    outstanding_mode = "always"
    hours = profile({(12, 14): 0.5, (17, 20): 0.6, (20, 24): 1.0, (0, 2): 0.6, (9, 12): 0.3}, 0.03)
    typology_weights = {
        "loan_stacking": 1.2, "borrow_to_repay": 1.0, "account_takeover": 1.2,
        "student_overborrowing": 2.0, "limit_jump_drain": 0.8, "overdue_escalation": 1.0,
        "nominee_borrowing": 0.7, "strategic_default_pact": 0.8,
    }

    def setup(self, rng):
        c = self.clock
        self.platforms = ["mc-tix" + hex_id(rng, 6) for _ in range(4)]
        self.shops = ["mc-merch" + hex_id(rng, 6) for _ in range(25)]
        self.fandoms = 8
        self.fandom_w = [1.0 / (k + 1) ** 0.8 for k in range(self.fandoms)]
        self.mega_day = c.test_day(4)
        drops = []
        for f in range(self.fandoms):
            d = rng.randint(1, 6)
            while d < c.days:
                if d != self.mega_day:
                    drops.append((c.at(d, rng.choice((12, 20))), f, rng.choice(self.platforms), False))
                d += rng.randint(6, 14)
        drops.append((c.at(self.mega_day, 20), -1, self.platforms[0], True))
        self.drops = sorted(drops)
        # grab-helper circles: a helper's phone shared by several student fans
        self.helpers = {}

    def marks(self):
        return {"busy_day": self.mega_day}

    def make_user(self, idx, uid, rng):
        seg = "student" if rng.random() < 0.55 else "individual"
        u = User(idx, uid, seg)
        u.devices = [self.new_device(rng) for _ in range(rng.choices((1, 2, 3), (4, 4, 2))[0])]
        if seg == "student":
            u.score = None
            lim = rng.choice((1500, 2000, 2500, 3000, 4000))
            if rng.random() < 0.08:
                circle = rng.randint(0, max(1, self.n_users // 60))
                if circle not in self.helpers:
                    self.helpers[circle] = "dv-" + hex_id(rng, 12)
                u.devices.append(self.helpers[circle])
        else:
            u.score = int(min(880, max(450, rng.gauss(640, 60))))
            lim = rng.choice((3000, 5000, 8000, 10000, 15000, 20000))
        u.set_limit("total", self.clock.start, lim)
        k = rng.choices((1, 2), (3, 1))[0]
        u.attrs["fandoms"] = set(rng.choices(range(self.fandoms), weights=self.fandom_w, k=k))
        u.attrs["late"] = 0.3 if seg == "student" else 0.12
        u.attrs["drop_p"] = rng.uniform(0.25, 0.6)
        return u

    def purpose(self, user, product, rng):
        return "consumption"

    def show_score(self, user, product, channel):
        return user.segment != "student"

    def show_device(self, user, channel):
        return channel != "web"

    def options(self, user):
        return [Option("credit_line", "merchant", (30,), 300, 1800, tuple(self.platforms + self.shops[:5])),
                Option("installment", "merchant", (90, 180), 600, 3000, tuple(self.platforms)),
                Option("cash_loan", "app", (14, 30, 60, 90), 500, 3000, w=0.5),
                Option("credit_line", "web", (30,), 100, 800, w=0.25)]

    def quick(self, user):
        return Option("cash_loan", "app", (14, 30), 500, 3000)

    # behaviour -----------------------------------------------------------
    def _settle(self, user, ln, rng):
        if ln.product == "installment":
            self.monthly(user, ln, rng, ln.t + 30 * DAY + int(rng.uniform(-1, 1) * HOUR), 30.0, 10.0)
        else:
            off = self.usual_offset(rng, 0.15, user.attrs["late"], 9)
            self.bullet(user, ln, rng, off, PAYTIME)

    def simulate(self, user, rng):
        c = self.clock
        lim = user.limit_at("total", c.start)
        for (dt, f, plat, mega) in self.drops:
            if mega:
                p = 0.85 if user.attrs["fandoms"] & {0, 1, 2} else 0.5
            elif f in user.attrs["fandoms"]:
                p = user.attrs["drop_p"]
            else:
                continue
            if rng.random() > p:
                continue
            tiers = MEGA_TIERS if mega else TIERS
            price = rng.choice(tiers) * rng.choices((1, 2), (3, 2))[0]
            n_dev = len(user.devices)
            attempts = 1 + sum(rng.random() < 0.5 for _ in range(n_dev - 1))
            devs = rng.sample(user.devices, min(attempts, n_dev))
            t = dt + int(rng.lognormvariate(3.2, 0.9))
            avail = lim - user.balance_at(t)
            won = rng.random() < (0.25 if mega else 0.4)
            loans = []
            for dev in devs:
                if price > avail:
                    break
                prod = "installment" if price >= 1500 and rng.random() < 0.3 else "credit_line"
                term = rng.choice((90, 180)) if prod == "installment" else 30
                loans.append(self.draw(user, t, price, prod, term, "merchant", rng, device=dev, merchant=plat))
                avail -= price
                t += rng.randint(2, 40)
            if not loans:
                continue
            keep = rng.randrange(len(loans)) if won else -1
            for i, ln in enumerate(loans):
                if i == keep:
                    if ln.amount >= 1000 and rng.random() < 0.3:  # friend pays their half back
                        user.pay(ln, ln.t + int(rng.uniform(1, 3) * DAY), ln.amount / 2)
                    self._settle(user, ln, rng)
                else:  # refund of a failed or duplicate grab
                    user.pay_rest(ln, ln.t + int(rng.uniform(0.5, 8) * HOUR))
        # merch and travel
        for _ in range(rng.choices(range(7), (2, 3, 3, 2, 1, 1, 1))[0]):
            t = c.at(rng.uniform(0, c.days - 1), NIGHT.hour(rng))
            amt = round(rng.uniform(49, 599), 2)
            if amt > lim - user.balance_at(t):
                continue
            ch = "web" if rng.random() < 0.1 else "merchant"
            ln = self.draw(user, t, amt, "credit_line", 30, ch, rng, merchant=rng.choice(self.shops))
            self._settle(user, ln, rng)
        if rng.random() < (0.25 if user.segment == "individual" else 0.12):  # travel to the show
            t = c.at(rng.uniform(0, c.days - 1), self.hours.hour(rng))
            amt = min(rng.uniform(1000, 5000) if user.segment == "individual" else rng.uniform(300, 1500), lim * 0.5)
            ln = self.draw(user, t, amt, "cash_loan", rng.choice((14, 30, 60, 90)), "app", rng)
            self._settle(user, ln, rng)
