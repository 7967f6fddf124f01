"""stream.kafka.config: bootstrap parsing (one ``host:port`` entry as a socket address, shared by the
probe and the local broker's port check) and the clients' one TLS context."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stream.kafka.config import host_and_port, kafka_client_config, ssl_context
from stream.local.broker import _tcp_open
from stream.local.tls import LocalTls, ensure_local_tls
from stream.settings import Settings

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


# --------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def local_tls(tmp_path_factory: pytest.TempPathFactory) -> LocalTls:
    return ensure_local_tls(tmp_path_factory.mktemp("tls") / "tls")


def test_the_tls_context_trusts_the_named_ca_and_checks_the_host(local_tls: LocalTls) -> None:
    settings = Settings(kafka_security_protocol="SSL", **local_tls.client_settings())
    context = kafka_client_config(settings)["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [dict(x[0] for x in c["subject"])["commonName"] for c in context.get_ca_certs()] == ["riskmon local broker CA"]
    assert "ssl_context" not in kafka_client_config(Settings())  # plaintext: no TLS at all
    assert ensure_local_tls(local_tls.directory).ca.read_bytes() == local_tls.ca.read_bytes()  # made once, kept


def test_tls_files_that_cannot_serve_are_refused_by_name(local_tls: LocalTls, tmp_path: Path) -> None:
    base = Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="PLAIN", **local_tls.client_settings())
    with pytest.raises(ValueError, match="kafka_ssl_cafile=.*missing.pem: no such readable file"):
        ssl_context(base.replace(kafka_ssl_cafile=str(tmp_path / "missing.pem")))
    secret = "Key-Password-" + "7" * 12
    with pytest.raises(ValueError, match="kafka TLS files refused") as caught:  # the broker's key is not the client's
        ssl_context(base.replace(kafka_ssl_keyfile=str(local_tls.broker), kafka_ssl_key_password=secret))
    assert secret not in str(caught.value)
    with pytest.raises(ValueError, match="kafka_ssl_cafile is set but kafka_security_protocol is PLAINTEXT"):
        Settings(kafka_ssl_cafile=str(local_tls.ca))
    with pytest.raises(ValueError, match="kafka_ssl_keyfile needs kafka_ssl_certfile"):
        Settings(kafka_security_protocol="SSL", kafka_ssl_keyfile=str(local_tls.client_key))
    assert Settings(kafka_ssl_key_password=secret).public_items()["kafka_ssl_key_password"] == "***"
