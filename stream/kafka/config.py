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

from typing import Any

from stream.settings import Settings

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


def kafka_client_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for kafka-python clients (admin, producer, consumer).

    kafka-python builds a default SSL context itself (system CAs) when the
    protocol is SSL/SASL_SSL, so only the shared security keys are needed.
    """
    return {"bootstrap_servers": settings.broker.split(","), **_security(settings)}


def aiokafka_client_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for aiokafka producers/consumers.

    Same names as kafka-python except that aiokafka refuses SSL without an
    explicit ``ssl_context``; we give it one trusting the system CAs.
    """
    config = kafka_client_config(settings)
    if config["security_protocol"] in _SSL_PROTOCOLS:
        from aiokafka.helpers import create_ssl_context

        config["ssl_context"] = create_ssl_context()
    return config
