"""Why a broker refused this client's TLS or SASL, in the broker's own words: one connection on a plain socket.

A broker that refuses SASL credentials answers the SaslAuthenticate request
with its error and then closes the connection; one that wants a client
certificate it did not get sends a TLS alert after the handshake. kafka-python
sometimes sees only "socket disconnected" and, a minute later, a failed
bootstrap, so a worker started with a wrong password or certificate could only
guess at the cause. ``refusal`` asks once more on a blocking socket, in the
clients' own TLS context (``stream.kafka.config.ssl_context``), and reads each
answer before anything else: the TLS handshake and, with SASL, SaslHandshake
(is the mechanism enabled?) then the mechanism's SaslAuthenticate exchange
(kafka-python's own mechanisms, so PLAIN and SCRAM encode exactly as the client
does); without SASL, ApiVersions. It never logs or returns the credentials.
"""

from __future__ import annotations

import socket
import ssl
from contextlib import closing
from typing import Any

import kafka.errors as errors
from kafka.net.sasl import get_sasl_mechanism
from kafka.protocol.metadata.api_versions import ApiVersionsRequest
from kafka.protocol.parser import KafkaProtocol
from kafka.protocol.sasl import SaslAuthenticateRequest, SaslHandshakeRequest

from stream.kafka.config import host_and_port, kafka_client_config
from stream.settings import SSL_FILES, Settings

_TLS_FILES = ", ".join(SSL_FILES)
_SASL_SETTINGS = "check kafka_sasl_username, kafka_sasl_password and kafka_sasl_mechanism"


def refusal(settings: Settings, timeout_s: float = 5.0) -> str | None:
    """What the first bootstrap server that answers said to ``settings``' TLS or SASL, when it
    refused them, with the settings to check.

    The servers are asked in turn, as a client bootstraps: one that is down (or
    whose answer is unexpected) passes the question to the next, so a cluster
    with its first broker away still names the refusal. None when the first
    server to answer accepted the client, when the protocol is PLAINTEXT, or
    when no server could be asked: then the caller's own error stands.
    """
    try:
        config = kafka_client_config(settings)  # ValueError: a setting refused, said elsewhere
    except ValueError:
        return None
    if config["security_protocol"] == "PLAINTEXT":
        return None
    for server in config["bootstrap_servers"]:
        try:
            host, port = host_and_port(server)
            with closing(socket.create_connection((host, port), timeout=timeout_s)) as raw:
                return _asked(raw, host, config)
        except (OSError, ValueError, errors.KafkaError):
            continue
    return None


def _asked(raw: socket.socket, host: str, config: dict[str, Any]) -> str | None:
    """One server's refusal (None: accepted); OSError and the like when it could not be asked."""
    context = config.get("ssl_context")
    sock = raw
    if context is not None:
        try:
            sock = context.wrap_socket(raw, server_hostname=host)
        except ssl.SSLCertVerificationError as exc:
            return (f"TLS: the broker's certificate is not trusted ({exc.verify_message}); "
                    "check kafka_ssl_cafile (the CA that signed the brokers' certificates)")
        except ssl.SSLError as exc:
            return f"TLS: the handshake failed ({exc.reason}); check {_TLS_FILES}"
    try:
        if config["security_protocol"].startswith("SASL"):
            return _ask(sock, config)
        request = ApiVersionsRequest()
        request.API_VERSION = 0
        _exchange(sock, KafkaProtocol(client_id="riskmon-probe"), request)
        return None
    except ssl.SSLError as exc:  # an alert after the handshake: the broker refused our certificate (or its absence)
        return (f"TLS: the broker refused this client ({exc.reason}); it may want a client certificate signed "
                f"by a CA it trusts: check {_TLS_FILES}")


def _ask(sock: socket.socket, config: dict[str, Any]) -> str | None:
    parser = KafkaProtocol(client_id="riskmon-probe")
    mechanism_name = config["sasl_mechanism"]
    handshake = SaslHandshakeRequest(mechanism=mechanism_name)
    handshake.API_VERSION = 1  # v1: the tokens travel in SaslAuthenticate requests, which carry an error message
    answer = _exchange(sock, parser, handshake)
    if answer.error_code:
        return (f"{errors.for_code(answer.error_code).__name__}: the broker does not offer SASL {mechanism_name} "
                f"(it offers {', '.join(answer.mechanisms) or 'none'}); {_SASL_SETTINGS}")
    mechanism = get_sasl_mechanism(mechanism_name)(host=sock.getpeername()[0], **config)
    while not mechanism.is_done():
        request = SaslAuthenticateRequest(mechanism.auth_bytes())
        request.API_VERSION = 0
        answer = _exchange(sock, parser, request)
        if answer.error_code:
            return f"{errors.for_code(answer.error_code).__name__}: {answer.error_message}; {_SASL_SETTINGS}"
        mechanism.receive(answer.auth_bytes)
    return None if mechanism.is_authenticated() else f"SASL {mechanism_name} did not complete; {_SASL_SETTINGS}"


def _exchange(sock: socket.socket, parser: KafkaProtocol, request: Any) -> Any:
    """Send one request and read until its answer; ValueError when the broker closes first."""
    parser.send_request(request)
    sock.sendall(parser.send_bytes())
    while True:
        data = sock.recv(65536)
        if not data:
            raise ValueError("the broker closed the connection before answering")
        responses = parser.receive_bytes(data)
        if responses:
            return responses[0][1]
