"""How long after a state begins an account first seen may still be an established borrower.

A worker started without state meets the lender's established borrowers one by one,
as each comes back; until then, any of them it meets for the first time looks like a
new account (``stream.core.state_epoch``).  How long that lasts is the lender's own
habit: an app whose borrowers draw every few days has met nearly all of them within a
fortnight, a village lender whose borrowers come to market once a month needs a month.
With a fixed 14 days, the villagers not back yet, meeting the agents' shared phones,
raised 639 entity alerts in the following fortnight of a cold worker (none seeded).

So training measures it on the history: the ``QUANTILE`` of its repeat borrowers'
average time between two loans, kept within [``NEW_ACCOUNT_S``, ``MAX_S``], and saves
it in the model's entity thresholds.  The history's own sightings, which set those
thresholds, are judged with ``NEW_ACCOUNT_S`` (the stream's features judge them
before the span is known): judged with the span, the thresholds came out lower, and
one ring world's innocent family phone alerted (docs/rings.md).
"""

from __future__ import annotations

import numpy as np

from stream.core.entities import NEW_ACCOUNT_S

#: Nine in ten repeat borrowers come back at least this often, on average.
QUANTILE = 0.9
#: A lender whose borrowers come back less often than every two months leaves no account new for
#: that long after a cold start; seeding (``riskmon seed``) is the way there.
MAX_S = 60 * 86400


def unknown_past_span(users: np.ndarray, times: np.ndarray, loans: np.ndarray) -> float:
    """The span for a history's events (``users``: a user index per event, ``times``: event times in
    seconds, ``loans``: which events are loans): ``NEW_ACCOUNT_S`` when no borrower took two loans."""
    u, t = users[loans], times[loans]
    order = np.lexsort((t, u))
    u, t = u[order], t[order]
    again = u[1:] == u[:-1]
    gaps, who = np.diff(t)[again], u[1:][again]
    if not len(gaps):
        return float(NEW_ACCOUNT_S)
    _, borrower = np.unique(who, return_inverse=True)
    mean_gap = np.bincount(borrower, weights=gaps) / np.bincount(borrower)
    return float(np.clip(np.quantile(mean_gap, QUANTILE), NEW_ACCOUNT_S, MAX_S))
