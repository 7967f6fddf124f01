"""Why a SASL client cannot connect, in the broker's own words: one handshake on a plain socket.

A broker that refuses SASL credentials answers the SaslAuthenticate request
with its error and then closes the connection.  kafka-python sometimes sees the
close first and reports only "socket disconnected" and, a minute later, a failed
bootstrap, so a worker started with a wrong password could only guess at the
cause.  ``sasl_refusal`` asks once more on a blocking socket that reads each
answer before anything else: SaslHandshake (is the mechanism enabled?), then
the mechanism's SaslAuthenticate exchange (kafka-python's own mechanisms, so
PLAIN and SCRAM encode exactly as the client does).  It never logs or returns
the credentials.
"""

from __future__ import annotations

import socket
import ssl
from contextlib import closing
from typing import Any

import kafka.errors as errors
from kafka.net.sasl import get_sasl_mechanism
from kafka.protocol.parser import KafkaProtocol
from kafka.protocol.sasl import SaslAuthenticateRequest, SaslHandshakeRequest

from stream.kafka.config import host_and_port, kafka_client_config
from stream.settings import Settings


def sasl_refusal(settings: Settings, timeout_s: float = 5.0) -> str | None:
    """What the first bootstrap server that answers said to ``settings``' SASL credentials
    when it refused them.

    The servers are asked in turn, as a client bootstraps: one that is down (or
    whose TLS fails, or whose answer is unexpected) passes the question to the
    next, so a cluster with its first broker away still names the refusal.
    None when the first server to answer accepted the credentials, when the
    protocol is not SASL, or when no server could be asked: then the caller's
    own error stands.
    """
    try:
        config = kafka_client_config(settings)  # ValueError: SASL without a mechanism, said elsewhere
    except ValueError:
        return None
    if not config["security_protocol"].startswith("SASL"):
        return None
    for server in config["bootstrap_servers"]:
        try:
            host, port = host_and_port(server)
            with closing(_connect(host, port, config["security_protocol"], timeout_s)) as sock:
                return _ask(sock, config)
        except (OSError, ValueError, errors.KafkaError):
            continue
    return None


def _connect(host: str, port: int, protocol: str, timeout_s: float) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout_s)
    if protocol == "SASL_SSL":  # as the clients do: the system's CAs (stream.kafka.config)
        return ssl.create_default_context().wrap_socket(sock, server_hostname=host)
    return sock


def _ask(sock: socket.socket, config: dict[str, Any]) -> str | None:
    parser = KafkaProtocol(client_id="riskmon-sasl-probe")
    mechanism_name = config["sasl_mechanism"]
    handshake = SaslHandshakeRequest(mechanism=mechanism_name)
    handshake.API_VERSION = 1  # v1: the tokens travel in SaslAuthenticate requests, which carry an error message
    answer = _exchange(sock, parser, handshake)
    if answer.error_code:
        return (f"{errors.for_code(answer.error_code).__name__}: the broker does not offer SASL {mechanism_name} "
                f"(it offers {', '.join(answer.mechanisms) or 'none'})")
    mechanism = get_sasl_mechanism(mechanism_name)(host=sock.getpeername()[0], **config)
    while not mechanism.is_done():
        request = SaslAuthenticateRequest(mechanism.auth_bytes())
        request.API_VERSION = 0
        answer = _exchange(sock, parser, request)
        if answer.error_code:
            return f"{errors.for_code(answer.error_code).__name__}: {answer.error_message}"
        mechanism.receive(answer.auth_bytes)
    return None if mechanism.is_authenticated() else f"SASL {mechanism_name} did not complete"


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
