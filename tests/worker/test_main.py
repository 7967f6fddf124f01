"""stream.worker.main: a broker the worker cannot read from at start-up is named with what to check."""

from __future__ import annotations

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
