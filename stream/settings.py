"""One typed settings object for every command and the worker.

Values come from (highest wins): command-line flags, ``RISKMON_*`` environment
variables, then the defaults below, which work on a laptop with the embedded
local broker.  Every other module receives a ``Settings`` instead of reading the
environment itself, so a test can build one explicitly and nothing is hidden.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from stream.core.event_time import TimePolicy
    from stream.core.rules import RuleConfig

#: Root of the checkout (or of the installed tree); local state lives under it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENV_PREFIX = "RISKMON_"

#: Settings that hold secrets: never printed, logged or shown by ``riskmon config``.
SECRET_FIELDS = frozenset({"kafka_sasl_password", "kafka_ssl_key_password", "model_hmac_key"})
#: TLS files for the clients (``stream.kafka.config.ssl_context``); only read with SSL or SASL_SSL.
SSL_FILES = ("kafka_ssl_cafile", "kafka_ssl_certfile", "kafka_ssl_keyfile")
#: The shortest ``model_hmac_key`` accepted: HMAC-SHA256's output size (RFC 2104 advises keys no
#: shorter), and longer than any placeholder such as the Kubernetes Secret's ``change-me``, so a
#: manifest applied without its real Secret stops at start instead of signing with a published key.
MIN_HMAC_KEY_CHARS = 32


UPPER_CASE = ("kafka_security_protocol", "kafka_sasl_mechanism", "log_level")
#: Settings with a closed set of values.
CHOICES: dict[str, tuple[str, ...]] = {
    "kafka_security_protocol": ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
    "kafka_sasl_mechanism": ("", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
    "table_store": ("memory://", "rocksdb://"),
    "key_partitioner": ("murmur2", "crc32"),  # Java/aiokafka/kafka-python producers, librdkafka producers
    "log_level": ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
    "rules_users_counted": ("once", "every"),  # models.calibrate.USER_COUNTS
}
_PORT = (1, 65535)
#: The most input partitions the monitor runs on: an entity view's duplicate filter keeps one
#: offset per input partition (``stream.core.entities.SOURCE_SLOTS``, which a test keeps equal),
#: and past it partitions would share one and first sightings be taken for replays
#: (docs/reliability.md, finding 24).
MAX_PARTITIONS = 64
#: Settings with a range (inclusive); a tolerance or window of 0 turns its check off.
RANGES: dict[str, tuple[float, float]] = {
    "partitions": (1, MAX_PARTITIONS), "replication": (1, 100),
    "kafka_port": _PORT, "kafka_controller_port": _PORT, "metrics_port": _PORT,
    "max_message_bytes": (1, 100 * 1024 * 1024),
    "future_tolerance_s": (0, math.inf), "stale_tolerance_s": (0, math.inf),
    "batch_max": (1, 100_000), "batch_linger_s": (0, 60), "producer_linger_s": (0, 1),
    "state_cache_users": (0, 100_000_000), "quiet_sweep_users": (0, 1_000_000), "fetch_max_wait_ms": (0, 60_000),
    "suppress_window_s": (0, math.inf), "rule_storm_factor": (0, 1000), "rule_storm_min_hits": (1, 1_000_000),
    "rule_storm_min_users": (1, 1_000_000), "model_surge_allow": (1, 1000),
    "stall_timeout_s": (1, math.inf), "stall_exit_s": (0, math.inf), "session_timeout_s": (1, 3600),
    "partition_check_s": (1, 3600), "state_write_version": (0, 255),
    "model_poll_s": (0.1, math.inf), "drift_window": (10, 10_000_000),
    "alert_rate": (1e-6, 0.5), "seed": (0, 2**32 - 1),
    "early_warning_share": (0, 1), "early_warning_max_share": (0, 1),
    "outcome_late_days": (1, 3650), "outcome_grace_days": (0, 3650), "outcome_min_repaid_share": (0, 1),
}


@dataclass(frozen=True)
class Settings:
    """Configuration of the monitor; see the README's configuration table."""

    # Kafka connection and topics
    broker: str = "127.0.0.1:19092"
    input_topic: str = "loan-events"
    alerts_topic: str = "risk-alerts"
    dlq_topic: str = "loan-events-dlq"
    partitions: int = 4
    replication: int = 1
    app_id: str = "loan-risk-monitor"
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = ""
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = field(default="", repr=False)
    #: TLS (SSL, SASL_SSL): the CAs to trust, PEM (empty: the system's); a client certificate and its
    #: key, PEM, for brokers that ask for one (mutual TLS); the key's password, if it has one.
    kafka_ssl_cafile: str = ""
    kafka_ssl_certfile: str = ""
    kafka_ssl_keyfile: str = ""
    kafka_ssl_key_password: str = field(default="", repr=False)

    # Embedded local broker (riskmon kafka start|stop|status)
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    kafka_data_dir: Path = PROJECT_ROOT / "var" / "kafka"
    kafka_libs_dir: Path = PROJECT_ROOT / ".cache" / "kafka-libs"

    # Worker
    data_dir: Path = PROJECT_ROOT / "var" / "worker"
    table_store: str = "memory://"
    metrics_port: int = 9308
    max_message_bytes: int = 64 * 1024
    future_tolerance_s: float = 3600.0
    stale_tolerance_s: float = 90 * 86400.0
    key_partitioner: str = "murmur2"
    batch_max: int = 500
    batch_linger_s: float = 0.025
    producer_linger_s: float = 0.0  # how long the worker's producer holds records back to batch them
    state_cache_users: int = 20_000
    quiet_sweep_users: int = 50  # stored users each batch sweeps for loans unpaid while their borrower went quiet (0: off)
    fetch_max_wait_ms: int = 50
    rules_file: str = ""
    rules_calibrate: bool = True  # riskmon train tightens / switches off rules over their share of the budget
    rules_users_counted: str = "once"  # ... counting the users a rule hits exactly once, or every one (models.calibrate)
    suppress_window_s: float = 6 * 3600.0
    rule_storm_factor: float = 10.0  # a rule firing this many times its training rate over a day is held (0: never)
    rule_storm_min_hits: int = 10  # ... once it has fired this often in that day
    rule_storm_min_users: int = 10  # ... on this many borrowers (fewer: a few tripping it again and again)
    model_storm: bool = True  # the anomaly model storms too: alerts it alone raised at that factor are held
    rule_storm_usual_volume: bool = True  # a day's rate is counted over at most a usual day's events (a busy day storms sooner)
    model_surge: bool = True  # loans' risk score is discounted while many borrowers score in the history's top 1 %
    model_surge_allow: float = 2.0  # ... more than this many times the history's share (and rule_storm_min_users)
    stall_timeout_s: float = 60.0
    stall_exit_s: float = 0.0  # stuck this long: the worker exits (status 75) for its supervisor to restart it; 0: never
    partition_check_s: float = 30.0
    entity_views: bool = True  # shared devices and merchants: sighting topics, entity tables and entity alerts
    pack_sightings: bool = True  # one sighting record per entity partition and batch; false while older workers share the group
    state_write_version: int = 0  # 0: the current state version; an older one during a rolling upgrade (docs/operations.md)
    session_timeout_s: float = 10.0
    model_poll_s: float = 5.0
    drift_window: int = 5000
    log_level: str = "WARNING"

    # Model
    model_dir: Path = PROJECT_ROOT / "var" / "model"
    model_hmac_key: str = field(default="", repr=False)
    alert_rate: float = 0.01
    seed: int = 7
    model_tails: bool = True  # riskmon train blends the loan forest with the directional reader (models.tails)
    model_core_forest: bool = True  # ... and with the small forest on the core borrowing features (models.core_forest)
    #: ... and with the typology prior (models.prior): "default" (the shipped one), a directory, or "none"
    typology_prior: str = "default"
    early_warning: bool = True  # riskmon train fits the overdue early warning when the history has enough outcomes
    early_warning_share: float = 0.1  # its share of the loan alert budget when it predicts outcomes no better than the forest
    early_warning_max_share: float = 0.6  # ... and when it predicts them 1.5x better or more (models.combine)
    outcome_late_days: int = 15  # a repayment this many days late makes its loan's outcome bad
    outcome_grace_days: int = 15  # days after a loan's first due date before its outcome counts
    #: ... by then, under this share of its first due amount repaid is bad (not on a revolving product, below)
    outcome_min_repaid_share: float = 0.5
    #: products whose loans are bad by lateness only (credit lines repaid by statement): "auto" reads
    #: them from the history (models.outcomes), "none", or a comma-separated list of products
    outcome_revolving_products: str = "auto"

    def __post_init__(self) -> None:
        """Refuse a value the monitor cannot run with, at start-up, naming the setting and what it takes."""
        for name in UPPER_CASE:  # spelled either way in manifests
            object.__setattr__(self, name, getattr(self, name).upper())
        problems = [f"{name} must be one of {', '.join(repr(a) for a in allowed)}, got {getattr(self, name)!r}"
                    for name, allowed in CHOICES.items() if getattr(self, name) not in allowed]
        for name, (low, high) in RANGES.items():
            value = getattr(self, name)
            if not low <= value <= high:
                problems.append(f"{name} must be between {low:g} and {high:g}, got {value!r}")
        if "SSL" not in self.kafka_security_protocol:
            problems += [f"{name} is set but kafka_security_protocol is {self.kafka_security_protocol}: the file would "
                         "be ignored; use SSL or SASL_SSL" for name in SSL_FILES if getattr(self, name)]
        if self.kafka_ssl_keyfile and not self.kafka_ssl_certfile:
            problems.append("kafka_ssl_keyfile needs kafka_ssl_certfile (the client certificate it belongs to)")
        if 0 < len(self.model_hmac_key) < MIN_HMAC_KEY_CHARS:  # the length only: never the key
            problems.append(f"model_hmac_key must be empty (models unsigned) or at least {MIN_HMAC_KEY_CHARS} "
                            f"characters, got {len(self.model_hmac_key)}; make one with `openssl rand -hex 32`")
        if self.early_warning_share > self.early_warning_max_share:
            problems.append(f"early_warning_share ({self.early_warning_share:g}) must not be above "
                            f"early_warning_max_share ({self.early_warning_max_share:g})")
        try:
            self.revolving_products()
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            raise ValueError("; ".join(problems))

    def revolving_products(self) -> tuple[str, ...] | None:
        """``outcome_revolving_products`` as ``models.outcomes.OutcomeRules.revolving``: None for
        "auto" (read from the history), () for "none", else the products named."""
        from stream.core.contract import PRODUCTS

        value = self.outcome_revolving_products.strip().lower()
        if value == "auto":
            return None
        names = () if value == "none" else tuple(sorted({n.strip() for n in value.split(",") if n.strip()}))
        unknown = [n for n in names if n not in PRODUCTS]
        if unknown or (value != "none" and not names):
            raise ValueError(f"outcome_revolving_products must be 'auto', 'none' or a comma-separated list of "
                             f"{', '.join(PRODUCTS)}, got {self.outcome_revolving_products!r}")
        return names

    def sighting_topics(self) -> dict[str, str]:
        """Entity type -> its repartition through-topic (loans' sightings keyed by ``device_id`` or
        ``merchant_id``); none when ``entity_views`` is off."""
        from stream.core.entities import ENTITY_TYPES

        return {t: f"{self.app_id}-{t}-sightings" for t in ENTITY_TYPES} if self.entity_views else {}

    def public_items(self) -> dict[str, Any]:
        """All settings with secrets masked, for ``riskmon config`` and logs."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS:
                value = "***" if value else ""
            out[f.name] = str(value) if isinstance(value, Path) else value
        return out

    def rule_config(self) -> "RuleConfig":
        """The typology-rule thresholds in force (``rules_file`` over the defaults).

        Training, ``riskmon score`` and the worker all read them here, because
        rule hits on the history take their share of the alert budget first: a
        model trained with other rules than those that fire would miss its budget.
        """
        from stream.core.rules import RuleConfig

        return RuleConfig.from_file(self.rules_file or None)

    def storm_policy(self) -> "StormPolicy":
        """When a rule's (or the model's) alerts are held as a storm (``stream.core.rule_storm``), shared by the worker and ``riskmon score``."""
        from stream.core.rule_storm import StormPolicy

        return StormPolicy(factor=self.rule_storm_factor, min_hits=self.rule_storm_min_hits,
                           min_users=self.rule_storm_min_users, model=self.model_storm,
                           usual_volume=self.rule_storm_usual_volume, surge=self.model_surge,
                           surge_allow=self.model_surge_allow)

    def time_policy(self) -> "TimePolicy":
        """The event-time tolerances (``stream.core.event_time``), shared by the worker and the offline commands."""
        from stream.core.event_time import TimePolicy

        return TimePolicy(self.future_tolerance_s, self.stale_tolerance_s)

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment that gives a child process exactly these settings (``base``: os.environ)."""
        env = dict(os.environ if base is None else base)
        for f in fields(self):
            env[ENV_PREFIX + f.name.upper()] = str(getattr(self, f.name))
        return env

    def replace(self, **changes: Any) -> "Settings":
        """A copy with ``changes`` applied (values coerced to the field types)."""
        types = {f.name: f.type for f in fields(self)}
        return dataclasses.replace(self, **{k: _coerce(k, types[k], v) for k, v in changes.items()})


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _coerce(field: str, type_name: Any, raw: Any) -> Any:
    """Turn a string from the environment or a flag into the field's type; ValueError naming
    the setting for a string that is none (a typo must not switch a stage off)."""
    if not isinstance(raw, str):
        return raw
    name = type_name if isinstance(type_name, str) else getattr(type_name, "__name__", str(type_name))
    try:
        if name == "int":
            return int(raw)
        if name == "float":
            return float(raw)
    except ValueError:
        raise ValueError(f"{field} must be {'an integer' if name == 'int' else 'a number'}, got {raw!r}") from None
    if name == "Path":
        return Path(raw).expanduser()
    if name == "bool":
        word = raw.strip().lower()
        if word not in _TRUE | _FALSE:
            raise ValueError(f"{field} must be true or false (1/0, yes/no, on/off), got {raw!r}")
        return word in _TRUE
    return raw


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from ``RISKMON_<FIELD>`` variables, then ``overrides``.

    Unknown ``RISKMON_*`` variables are an error rather than silently ignored:
    a typo in a deployment manifest should fail loudly at start-up.
    """
    env = os.environ if env is None else env
    names = {f.name for f in fields(Settings)}
    from_env: dict[str, Any] = {}
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX):].lower()
        if name not in names:
            raise ValueError(
                f"unknown setting {key}; known settings are "
                + ", ".join(sorted(ENV_PREFIX + n.upper() for n in names))
            )
        from_env[name] = value
    from_env.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings().replace(**from_env)
    except ValueError as exc:
        raise ValueError(f"invalid setting value: {exc}") from exc
