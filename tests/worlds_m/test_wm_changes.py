"""The collective changes and busy days of the test window really happen (3000 users, seed 1)."""
import statistics as st
from collections import Counter, defaultdict

from wm_common import day_of, gen

N, H, T = 3000, 45, 14


def loans(ev):
    return [e for e in ev if e["event_type"] == "loan"]


def reps(ev):
    return [e for e in ev if e["event_type"] == "repayment"]


def test_pawn_gold_spike_day():
    ev, _, info = gen("pawn_gold_renewal", 1, N)
    g = info["markers"]["G"]
    assert H <= g < H + T
    per = Counter(day_of(e) for e in loans(ev))
    others = [per[d] for d in range(H, H + T) if d != g]
    assert per[g] >= 5 * st.median(others)
    hist_amt = st.mean(e["amount"] for e in loans(ev) if day_of(e) < H)
    assert st.mean(e["amount"] for e in loans(ev) if day_of(e) == g) >= 1.5 * hist_amt
    # renewals: a repayment and a new loan by the same user on the same day are the norm
    paid = {(e["user_id"], day_of(e)) for e in reps(ev)}
    same = sum((e["user_id"], day_of(e)) in paid for e in loans(ev))
    assert same >= 0.4 * len(loans(ev))


def test_remittance_lateness_wave_then_clears():
    ev, _, info = gen("remittance_bridge", 1, N)
    s, e_ = info["markers"]["S"], info["markers"]["E"]
    assert H <= s < e_ <= H + T

    def late_share(d0, d1):
        rs = [e for e in reps(ev) if d0 <= day_of(e) < d1]
        return sum(e["days_late"] >= 3 for e in rs) / len(rs)
    assert late_share(s, e_ + 3) >= 5 * late_share(0, H)
    assert max(e["days_late"] for e in reps(ev) if day_of(e) >= s) >= 15
    assert late_share(e_ + 3, H + T) < 0.05
    bursts = Counter(day_of(e) for e in reps(ev) if day_of(e) < H)
    assert max(bursts.values()) >= 10 * st.median(bursts.values())  # repayments land in bursts


def test_payroll_outage_late_then_caught_up():
    ev, _, info = gen("payroll_outage", 1, N)
    o, c = info["markers"]["O"], info["markers"]["C"]
    assert H <= o < c < H + T
    late = Counter(day_of(e) for e in reps(ev) if e["days_late"] >= 3)
    assert late[c] >= 500
    assert late[c] >= 20 * max(late[d] for d in range(H))
    late_users = {e["user_id"] for e in reps(ev) if day_of(e) == c and e["days_late"] >= 3}
    bridged = {e["user_id"] for e in loans(ev) if o <= day_of(e) < c} & late_users
    assert len(bridged) >= 50


def test_promo_week_newcomers_and_splits():
    ev, _, info = gen("zero_rate_promo_week", 1, N)
    p0, p1 = info["markers"]["P0"], info["markers"]["P1"]
    assert H <= p0 < p1 <= H + T
    first = {}
    for e in ev:
        first.setdefault(e["user_id"], day_of(e))
    newc = Counter(first.values())
    assert sum(newc[d] for d in range(p0, p1)) >= 3 * sum(newc[d] for d in range(p0 - 7, p0))
    seen, new_dev, tot = set(), 0, 0
    for e in loans(ev):
        if p0 <= day_of(e) < p1 and e["channel"] == "merchant":
            tot += 1
            new_dev += e.get("device_id") not in seen
        seen.add(e.get("device_id"))
    assert tot and new_dev >= 3

    def splits(d0, d1):
        g = defaultdict(list)
        for e in loans(ev):
            if d0 <= day_of(e) < d1 and e["product"] == "installment" and e["channel"] == "merchant":
                g[(e["user_id"], e.get("merchant_id"), day_of(e))].append(e)
        return sum(1 for v in g.values() if len(v) >= 2)
    assert splits(p0, p1) >= 3 * splits(p0 - 7, p0)


def test_score_rescale_and_limit_reset_and_gap():
    ev, _, info = gen("score_rescale", 1, N)
    r, g0, g1 = info["markers"]["R"], info["markers"]["G0"], info["markers"]["G1"]
    assert H <= r < H + T and 0 < g0 < g1 <= H
    before = [e["credit_score"] for e in loans(ev) if day_of(e) < r and "credit_score" in e]
    after = [e["credit_score"] for e in loans(ev) if day_of(e) >= r and "credit_score" in e]
    assert st.mean(after) - st.mean(before) >= 40
    assert st.pstdev(after) >= 1.15 * st.pstdev(before)
    lim = defaultdict(dict)
    for e in loans(ev):
        lim[e["user_id"]][day_of(e) >= r] = e["credit_limit"]
    both = [v for v in lim.values() if len(v) == 2]
    assert sum(v[True] >= 1.5 * v[False] for v in both) >= 0.1 * len(both)
    assert sum(v[True] <= 0.7 * v[False] for v in both) >= 0.1 * len(both)
    gap = [e for e in loans(ev) if g0 + 3 <= day_of(e) < g1]
    rest = [e for e in loans(ev) if not g0 <= day_of(e) < g1 + 5]
    assert sum("credit_score" not in e for e in gap) >= 0.3 * len(gap)
    assert sum("credit_score" not in e for e in rest) <= 0.05 * len(rest)


def test_village_agent_phones_and_reassignment():
    ev, _, info = gen("village_agent_phones", 1, N)
    r = info["markers"]["R"]
    assert H <= r < H + T
    users, first = defaultdict(set), {}
    for e in loans(ev):
        if "device_id" in e:
            users[e["device_id"]].add(e["user_id"])
            first.setdefault(e["device_id"], day_of(e))
    shared = [d for d, us in users.items() if len(us) >= 20]
    assert len(shared) >= 10
    assert sum(1 for d in shared if first[d] >= r) >= 2 or \
        sum(1 for d, us in users.items() if first[d] >= r and len(us) >= 8) >= 2


def test_app_outage_fallback_then_new_versions():
    ev, _, info = gen("app_outage_fallback", 1, N)
    o = info["markers"]["O"]
    assert H <= o and o + 2 < H + T
    seen, new, tot = set(), Counter(), Counter()
    for e in loans(ev):
        d = day_of(e)
        if e["channel"] == "app":
            tot[d] += 1
            new[d] += e["device_id"] not in seen
        if o <= d < o + 2:
            assert e["channel"] != "app"
        seen.add(e.get("device_id"))
    out = [e for e in loans(ev) if o <= day_of(e) < o + 2]
    assert len(out) >= 200 and sum(e["channel"] in ("web", "partner") for e in out) >= 0.95 * len(out)
    assert new[o + 2] / tot[o + 2] >= 0.3
    assert all(new[d] / tot[d] <= 0.2 for d in range(H - 5, o))
