"""Revolving products read from independent authors' lenders (``models.outcomes``): the
thresholds were set on families A-N's 316 product-lender pairs (docs/early_warning.md,
"Revolving products are bad by lateness only"); this guards a few of them in ``make test``,
generated small by the families' own command lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from models.outcomes import OutcomeLabeller, OutcomeRules, label_outcomes
from stream.core.contract import InvalidEvent, parse_event

ROOT = Path(__file__).resolve().parents[2]
CASES = [  # generator, lender, the products its history shows revolving
    ("stream.worlds_n", "rate_hike_prepayment", ("credit_line",)),  # credit lines paid by statement
    ("stream.worlds_h", "minpay_late", ("cash_loan", "credit_line")),  # minimum payments on both
    ("stream.worlds", "late_payers", ()),  # late habits, but a loan repaid after its term is late
    ("stream.worlds_f", "crossborder_seller", ()),  # merchant loans repaid late now and then
]


def _history(generator: str, world: str, tmp_path: Path) -> list:
    out = tmp_path / "events.jsonl"
    subprocess.run([sys.executable, "-m", generator, "--world", world, "--seed", "1", "--users", "500",
                    "--history-days", "60", "--test-days", "3", "--out", str(out), "--labels",
                    str(tmp_path / "labels.jsonl")], cwd=ROOT, check=True, capture_output=True)
    events = []
    for line in out.read_bytes().splitlines():
        try:
            events.append(parse_event(line))
        except InvalidEvent:
            continue  # some authors write invalid events on purpose (the dead-letter path)
    return events


@pytest.mark.parametrize("generator, world, revolving", CASES, ids=[c[1] for c in CASES])
def test_the_history_shows_which_products_revolve(generator: str, world: str, revolving: tuple,
                                                  tmp_path: Path) -> None:
    events = _history(generator, world, tmp_path)
    labeller = OutcomeLabeller(OutcomeRules())
    for e in events:
        labeller.add(e)
    assert labeller.revolving() == revolving
    if revolving:  # the share rule read those products' revolving habit as trouble; lateness does not
        product = {e.event_id: e.product for e in events if e.event_type == "loan"}

        def bad_share(labels: dict[str, bool]) -> float:
            theirs = [bad for event_id, bad in labels.items() if product[event_id] in revolving]
            return sum(theirs) / len(theirs)

        assert bad_share(labeller.labels()) <= 0.01
        assert bad_share(label_outcomes(events, OutcomeRules(revolving=()))) >= 0.05
