"""stream.worker.main: a broker the worker cannot read from at start-up is named with what to check,
one that refuses its SASL credentials stops it at once with the broker's answer, and a data directory
is created with its parents or refused in words."""

from __future__ import annotations

import re

import pytest

from stream.settings import Settings
from stream.worker import main


def _unreachable(settings: Settings) -> None:
    raise ConnectionError("Unable to bootstrap")


@pytest.mark.parametrize("protocol, credentials_named", [("SASL_PLAINTEXT", True), ("PLAINTEXT", False)])
def test_an_unreadable_broker_is_named_with_what_to_check(monkeypatch, protocol, credentials_named) -> None:
    monkeypatch.setattr(main, "read_rescale_marker", _unreachable)
    settings = Settings(broker="127.0.0.1:1", kafka_security_protocol=protocol)
    with pytest.raises(RuntimeError) as caught:
        main.find_state(settings, timeout_s=-1)  # already past the deadline: no retry
    message = str(caught.value)
    assert "127.0.0.1:1" in message and "Unable to bootstrap" in message
    assert ("kafka_sasl_* credentials" in message) is credentials_named


def test_a_broker_that_refuses_the_credentials_stops_the_worker_at_once_in_its_words(monkeypatch) -> None:
    """kafka-python may report a refused SASL login as a lost connection only; the worker asks the
    broker (``stream.kafka.refusal``) and fails at once with its answer instead of retrying."""
    monkeypatch.setattr(main, "read_rescale_marker", _unreachable)
    monkeypatch.setattr(main, "refusal", lambda s: "SaslAuthenticationFailedError: Authentication failed; check "
                        "kafka_sasl_username, kafka_sasl_password and kafka_sasl_mechanism")
    settings = Settings(broker="127.0.0.1:1", kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="PLAIN")
    with pytest.raises(RuntimeError) as caught:
        main.find_state(settings, timeout_s=60)  # would retry for a minute on a broker that is merely down
    message = str(caught.value)
    assert "refused this worker: SaslAuthenticationFailedError" in message
    assert "kafka_sasl_password" in message


def test_the_probe_asks_nothing_of_a_plaintext_broker_or_one_not_listening() -> None:
    from stream.kafka.refusal import refusal

    assert refusal(Settings(broker="127.0.0.1:1")) is None
    assert refusal(Settings(broker="127.0.0.1:1", kafka_security_protocol="SASL_PLAINTEXT",
                            kafka_sasl_mechanism="PLAIN"), timeout_s=1) is None
    assert refusal(Settings(broker="127.0.0.1:1", kafka_security_protocol="SASL_PLAINTEXT")) is None
    assert refusal(Settings(broker="127.0.0.1:1", kafka_security_protocol="SSL"), timeout_s=1) is None


def test_the_task_dump_says_where_each_task_waits_and_shows_no_value() -> None:
    """SIGUSR1's dump (``main.task_stacks``): what a stalled worker's tasks await, without the local
    variables mode's own dump prints (events with their user ids, settings with their secrets)."""
    import asyncio
    import io

    from mode.utils.logging import cry

    async def awaiting_a_delivery(user_id: str, delivered: asyncio.Event) -> None:
        await delivered.wait()

    async def dumps() -> tuple[str, str]:
        delivered = asyncio.Event()
        task = asyncio.create_task(awaiting_a_delivery("u-secret-42", delivered), name="batch")
        await asyncio.sleep(0)
        ours, modes = main.task_stacks(), io.StringIO()
        cry(file=modes)
        delivered.set()
        await task
        return ours, modes.getvalue()

    ours, modes = asyncio.run(dumps())
    assert re.search(r"TASK batch \(.*awaiting_a_delivery\)", ours) and "await delivered.wait()" in ours
    assert "u-secret-42" not in ours
    assert "u-secret-42" in modes  # why the worker does not use mode's dump


def test_the_data_directory_is_created_with_its_parents(tmp_path) -> None:
    main.make_data_dir(tmp_path / "var" / "worker" / "process-0")
    assert (tmp_path / "var" / "worker" / "process-0").is_dir()
    assert (tmp_path / "var" / "worker" / "process-0").stat().st_mode & 0o777 == 0o700  # borrowers' states
    main.make_data_dir(tmp_path / "var" / "worker" / "process-0")  # already there: nothing to do


def test_a_data_directory_that_cannot_be_created_is_refused_in_words(tmp_path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    with pytest.raises(RuntimeError) as caught:
        main.make_data_dir(tmp_path / "a-file" / "worker")
    assert f"{tmp_path / 'a-file' / 'worker'}" in str(caught.value) and "RISKMON_DATA_DIR" in str(caught.value)
