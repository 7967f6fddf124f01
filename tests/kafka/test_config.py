"""stream.kafka.config's bootstrap parsing: one ``host:port`` entry as a socket address, shared by
the SASL probe and the local broker's port check."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stream.kafka.config import host_and_port
from stream.local.broker import _tcp_open

HOSTS = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,3}", fullmatch=True),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
)


@given(host=HOSTS, port=st.integers(1, 65535), pad=st.sampled_from(["", " ", "  "]))
def test_an_entry_reads_back_as_its_host_and_port(host: str, port: int, pad: str) -> None:
    written = f"[{host}]" if ":" in host else host  # IPv6 in brackets, as Kafka's configs write it
    assert host_and_port(f"{pad}{written}:{port}{pad}") == (host, port)


def test_an_entry_without_a_host_or_a_numeric_port() -> None:
    assert host_and_port(":9092") == ("", 9092)
    for bad in ("broker", "broker:", "broker:kafka"):
        with pytest.raises(ValueError):
            host_and_port(bad)


def test_the_port_check_reaches_an_ipv6_entry_in_brackets() -> None:
    try:
        server = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with server:
        port = server.getsockname()[1]
        assert _tcp_open(f"127.0.0.1:1,[::1]:{port}")  # the first entry is closed, the second answers
