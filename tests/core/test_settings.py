"""Settings: environment and flags coerced to types; values the monitor cannot run with refused at start-up."""

from __future__ import annotations

import pytest

from stream.settings import CHOICES, RANGES, Settings, load_settings


def test_defaults_are_valid_and_environment_values_are_coerced() -> None:
    settings = load_settings({"RISKMON_PARTITIONS": "8", "RISKMON_BATCH_LINGER_S": "0.1", "RISKMON_LOG_LEVEL": "info"})
    assert (settings.partitions, settings.batch_linger_s, settings.log_level) == (8, 0.1, "INFO")
    assert Settings().replace(kafka_security_protocol="sasl_ssl").kafka_security_protocol == "SASL_SSL"


def test_an_unknown_variable_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="RISKMON_PARTITONS"):
        load_settings({"RISKMON_PARTITONS": "8"})


@pytest.mark.parametrize("name", sorted(CHOICES))
def test_a_value_outside_a_choice_is_refused_with_the_choices(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name} must be one of"):
        Settings().replace(**{name: "nonsense"})


@pytest.mark.parametrize("name", sorted(RANGES))
def test_a_value_outside_a_range_is_refused_with_the_range(name: str) -> None:
    low, high = RANGES[name]
    kind = type(getattr(Settings(), name))
    for bad in (low - 1, high * 2 + 1):
        if bad in (float("inf"), float("-inf")):
            continue
        with pytest.raises(ValueError, match=f"{name} must be between"):
            Settings().replace(**{name: kind(bad)})


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ValueError) as info:
        load_settings({"RISKMON_PARTITIONS": "0", "RISKMON_TABLE_STORE": "redis://"})
    assert "partitions" in str(info.value) and "table_store" in str(info.value)


def test_a_bad_number_names_the_setting() -> None:
    with pytest.raises(ValueError, match="partitions must be an integer, got 'four'"):
        load_settings({"RISKMON_PARTITIONS": "four"})
    with pytest.raises(ValueError, match="future_tolerance_s must be a number, got '1h'"):
        Settings().replace(future_tolerance_s="1h")


@pytest.mark.parametrize("raw", ["treu", "", "y", "enabled"])
def test_a_switch_that_is_not_true_or_false_is_refused_not_read_as_off(raw: str) -> None:
    """An outside audit's case: ``RISKMON_ENTITY_VIEWS=`` or ``RISKMON_MODEL_TAILS=treu`` switched a stage off."""
    with pytest.raises(ValueError, match=f"entity_views must be true or false.*got {raw!r}"):
        load_settings({"RISKMON_ENTITY_VIEWS": raw})
    assert load_settings({"RISKMON_ENTITY_VIEWS": " Off"}).entity_views is False
    assert load_settings({"RISKMON_ENTITY_VIEWS": "1"}).entity_views is True


def test_the_early_warnings_share_is_not_above_its_maximum() -> None:
    """An outside audit's case: a share of 0.9 under a maximum of 0.1 trained the early warning at 90 %."""
    with pytest.raises(ValueError, match=r"early_warning_share \(0.9\) must not be above early_warning_max_share \(0.1\)"):
        Settings().replace(early_warning_share=0.9, early_warning_max_share=0.1)


def test_no_more_partitions_than_an_entity_view_tells_apart() -> None:
    """Finding 24: past ``SOURCE_SLOTS`` input partitions, the entity views' duplicate filter would
    take first sightings from one partition for replays of another's."""
    from stream.core.entities import SOURCE_SLOTS

    assert RANGES["partitions"][1] == SOURCE_SLOTS
    with pytest.raises(ValueError, match="partitions must be between 1 and 64"):
        Settings().replace(partitions=SOURCE_SLOTS + 1)


def test_the_revolving_products_are_read_from_the_history_unless_named() -> None:
    """``auto`` leaves it to the history (None); ``none`` or a list names them; anything else is refused."""
    assert Settings().revolving_products() is None
    assert Settings().replace(outcome_revolving_products="none").revolving_products() == ()
    named = load_settings({"RISKMON_OUTCOME_REVOLVING_PRODUCTS": " Credit_line,cash_loan ,credit_line"})
    assert named.revolving_products() == ("cash_loan", "credit_line")
    for bad in ("card", "", ",", "auto,credit_line"):
        with pytest.raises(ValueError, match="outcome_revolving_products must be 'auto', 'none' or"):
            Settings().replace(outcome_revolving_products=bad)


def test_secrets_come_from_the_environment_only() -> None:
    """An outside review's case: ``--model-hmac-key`` on a command line is visible to every user in ``ps``."""
    from stream.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["--model-hmac-key", "k", "config"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--kafka-sasl-password", "p", "config"])
    assert build_parser().parse_args(["--kafka-sasl-username", "u", "config"]).setting_kafka_sasl_username == "u"


@pytest.mark.parametrize("argv, said", [
    # argparse took the value for the command and printed it: "invalid choice: 's3cr3t-value'"
    (["--kafka-sasl-password", "s3cr3t-value", "config"], "--kafka-sasl-password is a secret: set RISKMON_KAFKA_SASL_PASSWORD"),
    (["--model-hmac-key=s3cr3t-value", "config"], "--model-hmac-key is a secret: set RISKMON_MODEL_HMAC_KEY"),
    (["config", "--kafka-ssl-key-password", "s3cr3t-value"], "--kafka-ssl-key-password is a secret"),
    # a setting after the command: argparse said "unrecognized arguments" only
    (["train", "--rules-calibrate", "false", "--input", "h.jsonl"], "--rules-calibrate is a setting: give it before the command"),
    (["config", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
])
def test_the_command_line_names_a_secret_flag_and_a_misplaced_setting(argv, said, capsys) -> None:
    """Outside reviews' cases."""
    from stream.cli import main

    with pytest.raises(SystemExit) as caught:
        main(argv)
    err = capsys.readouterr().err
    assert caught.value.code == 2 and said in err and "s3cr3t-value" not in err


def test_a_short_hmac_key_is_refused_without_showing_it() -> None:
    """A placeholder key (the Kubernetes Secret's ``change-me``) would sign models with a published
    secret: refused, by its length only, so the message never carries the key."""
    with pytest.raises(ValueError, match="model_hmac_key must be empty .* at least 32 characters, got 9") as err:
        load_settings(env={"RISKMON_MODEL_HMAC_KEY": "change-me"})
    assert "change-me" not in str(err.value)
    assert load_settings(env={"RISKMON_MODEL_HMAC_KEY": "k" * 32}).model_hmac_key == "k" * 32
    assert load_settings(env={"RISKMON_MODEL_HMAC_KEY": ""}).model_hmac_key == ""


def test_every_setting_is_in_the_readmes_configuration_table() -> None:
    """An outside review found ``session_timeout_s`` and ``seed`` missing from it. A row may name several
    settings with a shared prefix (`kafka_sasl_mechanism` / `_username` / `_password`)."""
    import dataclasses
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = text[text.index("## Configuration"):text.index("## Command line")]
    missing = []
    for f in dataclasses.fields(Settings):
        parts = f.name.split("_")
        if f"`{f.name}`" not in table and not any(f"`_{'_'.join(parts[i:])}`" in table for i in range(1, len(parts))):
            missing.append(f.name)
    assert not missing, f"settings missing from the README's Configuration table: {missing}"
