"""worlds_j - an independent family of seven synthetic lenders ("worlds").

This generator was written ONLY from the event contract
(``/work/shared/contracts/loan-events.md``, v1.1) and a written brief, without
reading the monitor's detector, models, benchmarks or any other generator, so
it can be used to judge the detector on data it was never tuned on.

Each world has unusual but legitimate *normal* behaviour (see each module's
docstring in ``stream.worlds_j.worlds``); anomalous users (about 2-5 %) carry
typology episodes from ``stream.worlds_j.typologies``. The last ``test_days``
days of the stream are the labelled test window.

Worlds (collective change inside the test window marked *):

* fishing_fleet*        dormant moratorium; season opens: night near-limit draws at port chandlers
* spring_homecoming*    payday repayments; Spring Festival rush, shared family phones, holiday pause
* overseas_students*    foreign UTC offsets, parents batch-repay from China; fly-back + semester start
* renovation_mall       bursts of big instalments at shared mall merchants, per-product limits
* night_market*         many tiny overnight loans at night, shared phones, sparse fields; typhoon
* construction_subcontractors*  near-limit wage draws, chronic late partial repayments; settlement wave
* medical_installments* sudden big night bills from relatives' phones; children's flu wave

Typologies: loan_stacking, borrow_to_repay, account_takeover, student_overborrowing,
limit_jump_drain, overdue_escalation, plus our own shared_device_ring and rapid_cycling.

Usage::

    python -m stream.worlds_j --list
    python -m stream.worlds_j --world NAME --seed 1 --out ev.jsonl --labels lab.jsonl
"""
