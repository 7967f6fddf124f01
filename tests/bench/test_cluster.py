"""``stream.bench.cluster``: the ports a multi-process worker is given."""

from __future__ import annotations

import socket
from contextlib import ExitStack

from stream.bench.cluster import _ephemeral_low, consecutive_free_ports


def test_consecutive_ports_are_free_and_outside_the_ephemeral_range() -> None:
    for count in (1, 2, 3):
        first = consecutive_free_ports(count)
        # Below the range outgoing connections draw from, so no client socket takes one meanwhile.
        assert 1024 <= first and first + count - 1 < _ephemeral_low()
        with ExitStack() as stack:
            for port in range(first, first + count):
                stack.enter_context(socket.socket()).bind(("127.0.0.1", port))
