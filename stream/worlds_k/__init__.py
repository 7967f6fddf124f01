"""Family K: seven independent synthetic lender worlds for judging a loan-risk detector.

Every world is a lender whose *normal* customers behave in unusual but
legitimate ways that a naive anomaly detector may mistake for fraud; on top of
that about 2-5 % of users carry labelled typology episodes. Output follows the
loan-events contract v1.1 (one JSON object per line, sorted by `ts`, all times
+08:00, stream window [2026-01-05T00:00+08:00, + history + test days)).

Worlds (see ``python -m stream.worlds_k --list``):

* ``solar_installers`` - rooftop-solar instalments signed in village batches
  on shared installer tablets; per-project limits; 02:00 grid-settlement debits
  on the 25th. Test-window change: battery add-on subsidy wave.
* ``ticket_drops`` - fan credit line with minute-long bursts at ticket drops,
  several phones per fan, refunds hours later. Busy day: mega-tour drop.
* ``mine_rotation`` - mining-town payroll lender; crews borrow in 7-day rest
  blocks and repay on pay mornings, often late. Test-window change: the North
  pit is suspended.
* ``wedding_banquets`` - couples stack large per-product instalments, split
  bills on one phone, repay from gift money. Busy day: doubly auspicious date.
* ``freight_truckers`` - night fuel credit on per-truck lines, trip loans
  repaid at waybill settlement. Test-window change: settlement T+7 -> T+30.
* ``livestream_studios`` - unscored hosts borrow stock money on shared studio
  phones, viewers buy in stream bursts, no `outstanding`. Busy day: festival.
* ``gym_prepaid`` - memberships as merchant-guaranteed instalments above the
  reported limit, front-desk tablets, January rush. Test-window change: the
  biggest chain closes.

Typologies: loan_stacking, borrow_to_repay, account_takeover,
student_overborrowing, limit_jump_drain, overdue_escalation, and the family's
own nominee_borrowing (a controller borrows in recruited customers' names in
one sitting from their own phone, then repays them together or absconds) and
strategic_default_pact (a group maxes out its limits before an agreed date and
then stops paying all at once). Each episode draws its own intensity.

Only the standard library is used (``random.Random`` seeded through hashlib);
output is a pure function of (world, seed, users, history-days, test-days).

Entry points: ``generate.generate(world, seed, users, history_days, test_days)``
and the CLI ``python -m stream.worlds_k``.
"""

from .generate import generate, write_jsonl  # noqa: F401
from .registry import WORLDS  # noqa: F401
