"""Certificates for the embedded broker's TLS listener: a private CA, the broker's and a client's.

The embedded broker speaks TLS when the settings say ``SSL`` or ``SASL_SSL``, so that the
clients' TLS path (``stream.kafka.config.ssl_context``: a private CA, a client certificate)
runs against a real broker in the tests and demos, not only against a cloud cluster nobody
here can reach. The files are made once with the ``openssl`` command (installed with the other
system tools by ``deploy/install-system-deps.sh``) and kept in the broker's data directory, so
clients configured with them keep working across restarts. They are for a laptop broker only:
a real cluster's certificates come from its operators.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: Validity of the files made here, in days: a local broker's whole life.
_DAYS = "3650"


class TlsError(RuntimeError):
    """The certificates could not be made (no ``openssl``, or it refused)."""


@dataclass(frozen=True)
class LocalTls:
    """Where one local broker's TLS files are: PEM, keys unencrypted, all mode 0600."""

    directory: Path

    @property
    def ca(self) -> Path:
        """The private CA's certificate: what clients trust (``kafka_ssl_cafile``)."""
        return self.directory / "ca.pem"

    @property
    def broker(self) -> Path:
        """The broker's key and certificate chain (Kafka's PEM key store), for 127.0.0.1 and localhost."""
        return self.directory / "broker.pem"

    @property
    def client_cert(self) -> Path:
        """A client certificate the broker accepts (``kafka_ssl_certfile``)."""
        return self.directory / "client.pem"

    @property
    def client_key(self) -> Path:
        """Its key (``kafka_ssl_keyfile``)."""
        return self.directory / "client.key"

    def client_settings(self) -> dict[str, str]:
        """The settings that make a client trust this broker and show the client certificate."""
        return {"kafka_ssl_cafile": str(self.ca), "kafka_ssl_certfile": str(self.client_cert),
                "kafka_ssl_keyfile": str(self.client_key)}


def ensure_local_tls(directory: Path) -> LocalTls:
    """The CA, broker and client files in ``directory``, made the first time only."""
    tls = LocalTls(directory)
    if all(p.exists() for p in (tls.ca, tls.broker, tls.client_cert, tls.client_key)):
        return tls
    if shutil.which("openssl") is None:
        raise TlsError("the embedded broker's TLS listener needs the `openssl` command "
                       "(make setup installs it: deploy/install-system-deps.sh)")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = directory / "work"
    work.mkdir(mode=0o700, exist_ok=True)
    ca_key = work / "ca.key"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", tls.ca, "-days", _DAYS,
             "-subj", "/CN=riskmon local broker CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _signed(work, "broker", ca_key, tls.ca, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    _signed(work, "client", ca_key, tls.ca, "extendedKeyUsage=clientAuth\n")
    tls.broker.write_bytes((work / "broker.key").read_bytes() + (work / "broker.crt").read_bytes())
    tls.client_cert.write_bytes((work / "client.crt").read_bytes())
    tls.client_key.write_bytes((work / "client.key").read_bytes())
    for path in directory.iterdir():
        if path.is_file():
            path.chmod(0o600)
    shutil.rmtree(work)  # the CA's key included: nothing more is ever signed with it
    return tls


def _signed(work: Path, name: str, ca_key: Path, ca: Path, extensions: str) -> None:
    """``work/<name>.key`` and ``work/<name>.crt``, signed by the CA with ``extensions``."""
    (work / f"{name}.ext").write_text(extensions)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", work / f"{name}.key", "-out", work / f"{name}.csr",
             "-subj", f"/CN=riskmon local {name}")
    _openssl("x509", "-req", "-in", work / f"{name}.csr", "-CA", ca, "-CAkey", ca_key,
             "-CAserial", work / "ca.srl", "-CAcreateserial",
             "-out", work / f"{name}.crt", "-days", _DAYS, "-extfile", work / f"{name}.ext")


def _openssl(*args: object) -> None:
    done = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, check=False)
    if done.returncode:
        raise TlsError(f"openssl {args[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
