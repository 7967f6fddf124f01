"""Client configuration for any Kafka cluster: security applied in exactly one place.

Kept apart from :mod:`stream.local.broker` (which runs the *local* broker process)
because these helpers are equally needed against a remote, secured cluster:
the worker, the CLI and the tests all build their clients from here.

Client versions: kafka-python 3.0.x and aiokafka 0.14 both negotiate protocol
versions with ApiVersionsRequest and know Kafka 4.0 (which dropped the
pre-2.1 protocol versions, KIP-896), so neither needs ``api_version``.
aiokafka >= 0.13 even warns that ``api_version`` is a deprecated no-op, so it
is deliberately left out of both configs.
"""

from __future__ import annotations

import os
import ssl
from typing import Any

from stream.settings import SSL_FILES, Settings

_SASL_PROTOCOLS = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})
_SSL_PROTOCOLS = frozenset({"SSL", "SASL_SSL"})


def _security(settings: Settings) -> dict[str, Any]:
    """Security keys shared by kafka-python and aiokafka (same names in both)."""
    protocol = settings.kafka_security_protocol.upper()
    out: dict[str, Any] = {"security_protocol": protocol}
    if protocol in _SASL_PROTOCOLS:
        if not settings.kafka_sasl_mechanism:
            raise ValueError(
                f"kafka_security_protocol={protocol} needs RISKMON_KAFKA_SASL_MECHANISM "
                "(e.g. PLAIN or SCRAM-SHA-512) plus username and password"
            )
        out["sasl_mechanism"] = settings.kafka_sasl_mechanism.upper()
        out["sasl_plain_username"] = settings.kafka_sasl_username
        out["sasl_plain_password"] = settings.kafka_sasl_password
    return out


def host_and_port(server: str) -> tuple[str, int]:
    """One bootstrap server's ``host:port`` as a socket address: the host without IPv6 brackets
    (empty when the entry has none), the port as a number (ValueError when it is not one)."""
    host, _, port = server.strip().rpartition(":")
    return host.strip("[]"), int(port)


def uses_tls(settings: Settings) -> bool:
    """The clients speak TLS to the brokers (SSL or SASL_SSL)."""
    return settings.kafka_security_protocol.upper() in _SSL_PROTOCOLS


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """The one TLS context every client of ours uses (kafka-python, aiokafka, Faust, the refusal probe).

    Built here so that the worker, the CLI and the probe trust the same CAs and show the same
    certificate: ``kafka_ssl_cafile`` (else the system's CAs), with the broker's host name checked
    as Kafka's own clients do, and ``kafka_ssl_certfile``/``kafka_ssl_keyfile`` for brokers that
    ask for a client certificate. A missing or unreadable file is a ValueError naming the setting,
    raised at start-up rather than as a failed handshake a minute later.
    """
    for name in SSL_FILES:
        path = getattr(settings, name)
        if path and not os.access(path, os.R_OK):
            raise ValueError(f"{name}={path}: no such readable file (a PEM file this process can read)")
    try:
        context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)
        if settings.kafka_ssl_certfile:
            context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile or None,
                                    settings.kafka_ssl_key_password or None)
    except (ssl.SSLError, OSError) as exc:  # never the password: the library's reason only
        raise ValueError(f"kafka TLS files refused ({exc.__class__.__name__}: {getattr(exc, 'reason', None) or exc}); "
                         f"check {', '.join(SSL_FILES)} and kafka_ssl_key_password") from None
    return context


def kafka_client_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for kafka-python clients (admin, producer, consumer), and aiokafka's
    (:func:`aiokafka_client_config`): with TLS, our :func:`ssl_context`, so both libraries trust
    and present the same certificates."""
    config: dict[str, Any] = {"bootstrap_servers": settings.broker.split(","), **_security(settings)}
    if uses_tls(settings):
        config["ssl_context"] = ssl_context(settings)
    return config


def aiokafka_client_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for aiokafka producers/consumers: the same names as kafka-python's
    (aiokafka refuses SSL without an explicit ``ssl_context``, which :func:`kafka_client_config`
    always gives)."""
    return kafka_client_config(settings)
