"""``bench/train_prior.py`` writes a typology prior that loads and says what it learned from, and the
held-out harness says whether the prior in force saw the family it measures (``typology_prior_line``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models.model import EVENT_FEATURES
from models.prior import TypologyPrior
from tests.bench.scripts import load

FAMILIES = load("train_prior").FAMILIES  # every family of held-out worlds
LEARNED = load("train_prior").LEARNED  # what the shipped prior learned


@pytest.fixture(scope="module")
def small_prior(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prior from the simulator alone, small: every learned family left out (the later ones are by default)."""
    work = tmp_path_factory.mktemp("prior")
    args = ["--users", "300", "--history-days", "20", "--test-days", "5", "--seeds", "3", "--jobs", "1",
            "--work", str(work / "streams"), "--out", str(work / "prior")]
    for family in LEARNED:
        if family != "simulator":
            args += ["--exclude", family]
    assert load("train_prior").main(args) == 0
    return work / "prior"


def test_writes_a_prior_that_loads_and_says_what_it_learned_from(small_prior: Path) -> None:
    prior = TypologyPrior.load(small_prior)
    assert prior.provenance["sources"] == ["simulator"]
    assert sorted(prior.provenance["excluded"]) == sorted(FAMILIES)
    assert prior.provenance["streams"] == 1 and 0 < prior.provenance["typology_loans"] < prior.provenance["loans"]
    assert prior.features == load("train_prior").PRIOR_FEATURES
    assert "log_amount" not in prior.features
    prior.bind(EVENT_FEATURES["loan"])  # reads the loan model's columns


def test_families_written_after_the_shipped_prior_stay_unseen_unless_included() -> None:
    sources = load("train_prior").learned_sources
    assert sources([], []) == list(LEARNED)  # the shipped prior's command
    assert "stream.worlds_f" not in LEARNED and FAMILIES[-1] not in LEARNED  # the newest family too
    assert sources(["stream.worlds_b"], ["stream.worlds_f"]) == [
        "stream.worlds", "stream.worlds_c", "stream.worlds_d", "stream.worlds_e", "stream.worlds_f", "simulator"]
    with pytest.raises(SystemExit):  # a later family cannot be "excluded": it is not learned
        load("train_prior").main(["--exclude", "stream.worlds_f"])


def test_the_harness_says_whether_the_prior_saw_the_family(small_prior: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISKMON_TYPOLOGY_PRIOR", "default")  # restored after the test
    line = load("worlds_quality").typology_prior_line
    assert "held out: the prior never saw this family" in line(str(small_prior), "stream.worlds_b")
    assert os.environ["RISKMON_TYPOLOGY_PRIOR"] == str(small_prior.resolve())
    assert "**in-sample**" in line("default", "stream.worlds_b")  # the shipped prior learned families A-E
    assert "held out" in line("default", "stream.worlds_f")  # and never saw F (docs/worlds.md, "Family F")
    assert line("none", "stream.worlds") == "Typology prior: none."
    assert os.environ["RISKMON_TYPOLOGY_PRIOR"] == "none"
