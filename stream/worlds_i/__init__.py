"""Family-I synthetic loan-event worlds.

An independent generator of loan and repayment streams for seven fictional
Chinese lenders whose *normal* behaviour differs from a textbook consumer
lender, with nine credit-abuse typologies injected into a few percent of the
users.  It is written only from the shared event contract
(/work/shared/contracts/loan-events.md), never from the detector, so that the
detector can be judged on data it was not shaped around.

Run ``python -m stream.worlds_i --list`` for the worlds.
"""
