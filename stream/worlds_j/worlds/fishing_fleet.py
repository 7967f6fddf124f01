"""fishing_fleet: a coastal lender for fishing-boat owners and their crews.

Unusual normal behaviour:
* History is the summer fishing moratorium: most accounts are nearly dormant.
* COLLECTIVE CHANGE IN THE TEST WINDOW: the season opens; within a day or two
  almost every boat owner draws several large merchant loans (fuel, ice, nets,
  provisions) at the same few port chandlers, between 01:00 and 05:00, close
  to the limit - a dormant account suddenly draining credit at night.
* Crew members take cash advances on the captain's phone (shared devices).
* After landing the catch, owners repay everything at once, early, including
  last season's loans the stream never showed (repayments into unseen loans).
"""
from __future__ import annotations

from datetime import date

from ..core import DAY, HOUR, User, poisson, rng_for
from .base import World

BOAT = 5  # users per boat: one owner + four crew


class FishingFleet(World):
    name = "fishing_fleet"
    code = "01"
    description = ("boat owners and crews: dormant moratorium, then the season opens in the test "
                   "window with night-time near-limit draws at shared port chandlers")
    anchor = date(2026, 8, 27)
    products = [("merchant_loan", 0.6), ("cash_loan", 0.4)]

    def setup(self, tl, rng, n_users, seed):
        super().setup(tl, rng, n_users, seed)
        self.merchants = self.merchant_ids("port", 6)
        opening = tl.test_day(0.3)
        # each boat sails on the opening night or one of the next two
        return {"opening": opening, "boat_day": {}}

    def make_user(self, idx, rng, ctx):
        boat = idx // BOAT
        owner = idx % BOAT == 0
        if owner:
            u = User(idx, self.uid(idx), "small_business", rng.uniform(50e3, 300e3),
                     int(rng.uniform(560, 790)), device=self.device_id(idx))
            u.traits["amt"] = u.limit * rng.uniform(0.15, 0.3)
        else:
            u = User(idx, self.uid(idx), "individual", rng.uniform(3e3, 15e3),
                     int(rng.uniform(480, 700)), device=self.device_id(idx))
            u.traits["amt"] = u.limit * rng.uniform(0.1, 0.3)
        u.traits["boat"] = boat
        u.traits["owner"] = owner
        u.traits["captain_device"] = self.device_id(boat * BOAT)
        u.p_purpose = 0.7
        return u

    def _boat_day(self, ctx, boat):
        # deterministic per boat, independent of user order
        r = rng_for(self.seed, self.name, f"boat:{boat}")
        return ctx["opening"] + r.choice([0, 0, 0, 1, 1, 2]), r.uniform(4, 9), r

    def normal(self, u, L, ctx):
        rng = L.rng
        tl = self.tl
        owner = u.traits["owner"]
        # last season's loans still outstanding, repaid after the first landing
        phantoms = []
        if rng.random() < (0.6 if owner else 0.3):
            for _ in range(rng.randint(1, 2)):
                phantoms.append(L.phantom(u.limit * rng.uniform(0.1, 0.35),
                                          "merchant_loan" if owner else "cash_loan",
                                          rng.uniform(60, 150), rng.choice([90, 120, 180])))
        # moratorium: sparse household / repair borrowing
        rate = 0.05 if owner else 0.08
        for d in range(tl.days):
            if d >= ctx["opening"]:
                break
            for _ in range(poisson(rng, rate)):
                t = L.at(d, rng.uniform(8, 21))
                if owner and rng.random() < 0.5:
                    ln = L.loan(t, u.traits["amt"] * rng.uniform(0.3, 0.8), "merchant_loan",
                                rng.choice([30, 60]), "merchant", merchant=self.merchant_for(rng),
                                purpose="business")
                else:
                    ln = L.loan(t, rng.uniform(400, 3000), "cash_loan", rng.choice([14, 30, 30]),
                                "app", purpose="consumption")
                L.pay_bullet(ln, rng.uniform(-4, 3), hour=rng.uniform(9, 20))
            if rng.random() < 0.06:  # family shopping on the credit line
                ln = L.loan(L.at(d, rng.uniform(9, 22)), rng.uniform(50, 600), "credit_line", 30,
                            "app", purpose="consumption")
                L.pay_bullet(ln, -rng.uniform(0, 5), hour=rng.uniform(9, 21))
        # season opening
        day, trip, boat_rng = self._boat_day(ctx, u.traits["boat"])
        if day >= tl.days:
            return
        t0 = L.at(day, boat_rng.uniform(1.0, 4.0))
        landing = t0 + int(trip * DAY)
        drawn = []
        if owner:
            k = rng.randint(2, 4)
            total = u.limit * rng.uniform(0.5, 0.9)
            shops = list(self.merchants)
            rng.shuffle(shops)
            for i in range(k):
                t = t0 + int(rng.uniform(0, 2.0) * HOUR)
                drawn.append(L.loan(t, total / k * rng.uniform(0.7, 1.3), "merchant_loan",
                                    rng.choice([60, 90]), "merchant", merchant=shops[i],
                                    purpose="business"))
        elif rng.random() < 0.55:
            dev = u.traits["captain_device"] if rng.random() < 0.45 else u.device
            t = t0 + int(rng.uniform(-3, 1.5) * HOUR)
            drawn.append(L.loan(t, rng.uniform(800, 3500), "cash_loan", 30, "app", device=dev,
                                purpose="consumption"))
        # landing: repay in one go, early; also last season's balances
        t_pay = L.local_hour_on(landing, rng.uniform(6, 10))
        if t_pay < landing:
            t_pay += DAY
        for i, ln in enumerate(drawn + phantoms):
            share = 1.0 if rng.random() < 0.7 else rng.uniform(0.4, 0.8)
            L.repay(t_pay + 20 * i, ln, ln.remaining * share)
        # second trip: smaller draws the next night
        if owner and rng.random() < 0.8:
            t2 = L.local_hour_on(t_pay + DAY, rng.uniform(1, 4.5))
            for _ in range(rng.randint(1, 2)):
                ln = L.loan(t2 + int(rng.uniform(0, 1.5) * HOUR), u.limit * rng.uniform(0.1, 0.3),
                            "merchant_loan", 60, "merchant", merchant=self.merchant_for(rng),
                            purpose="business")
                L.pay_bullet(ln, -ln.term + trip + 0.5, hour=rng.uniform(6, 10))
