"""The input contract (loan events v1.1) in code: raw bytes -> typed event or a precise error.

This is the project's own copy of the agreed shape (docs/contract.md says the same
in prose).  Parsing is strict about everything the contract names and ignores
unknown extra fields, so producers can add fields without breaking the monitor.

Every rejection carries a short, bounded ``code`` (safe as a Prometheus label)
and a human ``message`` that names the field, the rule and the value seen, so a
producer team can fix their side from the dead-letter record alone.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Union

import orjson

CONTRACT_VERSION = 1

PRODUCTS = ("cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge")
SEGMENTS = ("individual", "small_business", "student")
PURPOSES = ("consumption", "business", "education")
CHANNELS = ("app", "web", "merchant", "partner")
EVENT_TYPES = ("loan", "repayment")

MAX_AMOUNT = 10_000_000
#: Longest message the parser looks at; larger ones are rejected unread.
DEFAULT_MAX_BYTES = 64 * 1024

_ID_RE = re.compile(r"[A-Za-z0-9_.:\-]{1,64}\Z")
_RFC3339_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})\Z"
)

#: Bounded set of rejection codes; used as the ``reason`` metric label.
REASON_CODES = (
    "too_large",
    "bad_encoding",
    "not_json",
    "not_object",
    "missing_field",
    "wrong_type",
    "out_of_range",
    "bad_format",
    "unknown_event_type",
    "null_value",
    "future_ts",
    "stale_ts",
    "undecodable_batch",
)


_FIELD_NAMED = re.compile(r"field '\w+'")


class InvalidEvent(ValueError):
    """A message that breaks the contract; ``code`` is one of REASON_CODES."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def summary(self) -> str:
        """The reason and the field, without the value: ``message`` quotes what was sent (a user id,
        a name in the wrong field), which belongs in the dead letter, not in a log or a terminal."""
        found = _FIELD_NAMED.search(self.message)
        return f"{self.code} ({found.group(0)})" if found else self.code


@dataclass(frozen=True, slots=True)
class LoanEvent:
    """A disbursed loan or a drawn credit."""

    event_id: str
    user_id: str
    ts: float  # event time, seconds since the Unix epoch
    ts_raw: str  # the producer's own timestamp text, echoed in alerts
    local_hour: int  # hour of day in the producer's offset (the borrower's clock)
    amount: float
    loan_id: str
    product: str
    term_days: int
    credit_limit: float
    segment: str
    channel: str
    credit_score: int | None = None
    purpose: str | None = None
    device_id: str | None = None
    merchant_id: str | None = None  # v1.1

    event_type = "loan"


@dataclass(frozen=True, slots=True)
class RepaymentEvent:
    """A payment into an existing loan."""

    event_id: str
    user_id: str
    ts: float
    ts_raw: str
    local_hour: int
    amount: float
    loan_id: str
    days_late: int
    outstanding: float | None = None

    event_type = "repayment"


Event = Union[LoanEvent, RepaymentEvent]


def parse_event(raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Event:
    """Parse one Kafka message value into an event, or raise ``InvalidEvent``.

    The message key is not the contract's business: the worker routes a message
    whose key is not its ``user_id`` to the user's partition (``stream.core.routing``).
    """
    if len(raw) > max_bytes:
        raise InvalidEvent("too_large", f"message is {len(raw)} bytes, larger than the limit of {max_bytes}")
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        code = "bad_encoding" if "utf-8" in str(exc).lower() else "not_json"
        raise InvalidEvent(code, f"message is not valid UTF-8 JSON: {exc}") from None
    return parse_document(doc)


def parse_document(doc: Any) -> Event:
    """Validate an already-decoded JSON document (used by the JSONL readers)."""
    if not isinstance(doc, dict):
        raise InvalidEvent("not_object", f"message must be a JSON object, got {_type_name(doc)}")
    event_type = doc.get("event_type")
    if event_type is None:
        raise InvalidEvent("missing_field", "field 'event_type': required")
    if event_type not in EVENT_TYPES:
        raise InvalidEvent(
            "unknown_event_type",
            f"field 'event_type': must be one of {', '.join(EVENT_TYPES)}, got {_show(event_type)}",
        )
    event_id = _ident(doc, "event_id")
    user_id = _ident(doc, "user_id")
    ts_raw = _required(doc, "ts", str)
    ts, local_hour = _timestamp(ts_raw)
    amount = _amount(doc)
    currency = doc.get("currency", "CNY")
    if currency != "CNY":
        raise InvalidEvent("out_of_range", f"field 'currency': only \"CNY\" is valid in v1, got {_show(currency)}")
    loan_id = _ident(doc, "loan_id")
    if event_type == "loan":
        return LoanEvent(
            event_id=event_id,
            user_id=user_id,
            ts=ts,
            ts_raw=ts_raw,
            local_hour=local_hour,
            amount=amount,
            loan_id=loan_id,
            product=_choice(doc, "product", PRODUCTS),
            term_days=_int_range(doc, "term_days", 1, 3650),
            credit_limit=_number_min(doc, "credit_limit", 0.0),
            segment=_choice(doc, "segment", SEGMENTS),
            channel=_choice(doc, "channel", CHANNELS),
            credit_score=_int_range(doc, "credit_score", 350, 950, optional=True),
            purpose=_choice(doc, "purpose", PURPOSES, optional=True),
            device_id=_ident(doc, "device_id", optional=True),
            merchant_id=_ident(doc, "merchant_id", optional=True),
        )
    outstanding = doc.get("outstanding")
    return RepaymentEvent(
        event_id=event_id,
        user_id=user_id,
        ts=ts,
        ts_raw=ts_raw,
        local_hour=local_hour,
        amount=amount,
        loan_id=loan_id,
        days_late=_int_range(doc, "days_late", 0, None),
        outstanding=None if outstanding is None else _number_min(doc, "outstanding", 0.0),
    )


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def _show(value: Any, limit: int = 40) -> str:
    """A short, safe rendering of a bad value for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _required(doc: dict, name: str, kind: type) -> Any:
    if name not in doc or doc[name] is None:
        raise InvalidEvent("missing_field", f"field '{name}': required")
    value = doc[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidEvent("wrong_type", f"field '{name}': must be a {kind.__name__}, got {_type_name(value)}")
    return value


def _ident(doc: dict, name: str, optional: bool = False) -> Any:
    if optional and doc.get(name) is None:
        return None
    value = _required(doc, name, str)
    if not _ID_RE.match(value):
        raise InvalidEvent(
            "bad_format", f"field '{name}': must be 1-64 chars of A-Z a-z 0-9 _ . : -, got {_show(value)}"
        )
    return value


def _timestamp(text: str) -> tuple[float, int]:
    if not _RFC3339_RE.match(text):
        raise InvalidEvent(
            "bad_format", f"field 'ts': must be RFC 3339 with an offset, e.g. 2026-03-01T22:15:09+08:00, got {_show(text)}"
        )
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidEvent("bad_format", f"field 'ts': not a real date/time ({exc}), got {_show(text)}") from None
    return moment.timestamp(), moment.hour


def _finite_number(doc: dict, name: str) -> float:
    value = doc.get(name)
    if value is None:
        raise InvalidEvent("missing_field", f"field '{name}': required")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidEvent("wrong_type", f"field '{name}': must be a number, got {_type_name(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidEvent("out_of_range", f"field '{name}': must be finite, got {_show(value)}")
    return number


def _amount(doc: dict) -> float:
    amount = _finite_number(doc, "amount")
    if amount <= 0:
        raise InvalidEvent("out_of_range", f"field 'amount': must be > 0, got {_show(doc['amount'])}")
    if amount > MAX_AMOUNT:
        raise InvalidEvent("out_of_range", f"field 'amount': must be <= {MAX_AMOUNT}, got {_show(doc['amount'])}")
    cents = amount * 100
    # Absolute: amount * 100 is off by under 2e-7 cents up to the largest amount, and a tolerance
    # growing with the amount let 3300.129 through; 1e-9 rounds to no cent at all.
    if abs(cents - round(cents)) > 1e-6 or round(cents) < 1:
        raise InvalidEvent("bad_format", f"field 'amount': at most 2 decimals, got {_show(doc['amount'])}")
    return amount


def _number_min(doc: dict, name: str, minimum: float) -> float:
    number = _finite_number(doc, name)
    if number < minimum:
        raise InvalidEvent("out_of_range", f"field '{name}': must be >= {minimum:g}, got {_show(doc[name])}")
    return number


_PAST_64_BITS = 2.0**64


def _int_range(doc: dict, name: str, low: int, high: int | None, optional: bool = False) -> Any:
    if optional and doc.get(name) is None:
        return None
    value = doc.get(name)
    if value is None:
        raise InvalidEvent("missing_field", f"field '{name}': required")
    if isinstance(value, float) and abs(value) >= _PAST_64_BITS:  # the JSON parser reads such integers as floats
        raise InvalidEvent("out_of_range", f"field '{name}': {value:.3g} is past the 64-bit integers the monitor reads")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEvent("wrong_type", f"field '{name}': must be an integer, got {_type_name(value)} {_show(value)}")
    if value < low or (high is not None and value > high):
        bound = f"{low}-{high}" if high is not None else f">= {low}"
        raise InvalidEvent("out_of_range", f"field '{name}': must be {bound}, got {value}")
    return value


def _choice(doc: dict, name: str, allowed: tuple[str, ...], optional: bool = False) -> Any:
    if optional and doc.get(name) is None:
        return None
    value = _required(doc, name, str)
    if value not in allowed:
        raise InvalidEvent("out_of_range", f"field '{name}': must be one of {', '.join(allowed)}, got {_show(value)}")
    return value
