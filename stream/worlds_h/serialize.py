"""Turning a wire message (dict) into one JSON line the way a given producer writes numbers.

Why: producers disagree on money formatting: some send ``1200``, some
``1200.0``, some ``1200.00`` (as the contract's example does). All are valid
JSON numbers with at most two decimals; the stdlib encoder can only do the
first two, so money fields are formatted here.
"""
from __future__ import annotations

import json

MONEY_FIELDS = frozenset({"amount", "credit_limit", "outstanding"})


def format_money(value: float, style: str) -> str:
    v = round(float(value), 2)
    if style == "fixed2":
        return f"{v:.2f}"
    if style == "float":
        return repr(v)
    if style == "shortest":
        return str(int(v)) if v == int(v) else repr(v)
    raise ValueError(f"unknown amount style {style!r}")


def dumps(msg: dict, amount_style: str, compact: bool = True) -> str:
    colon, comma = (":", ",") if compact else (": ", ", ")
    seps = (",", ":") if compact else (", ", ": ")
    parts = []
    for k, v in msg.items():
        key = json.dumps(k)
        if k in MONEY_FIELDS and isinstance(v, (int, float)) and not isinstance(v, bool):
            parts.append(f"{key}{colon}{format_money(v, amount_style)}")
        else:
            parts.append(f"{key}{colon}{json.dumps(v, ensure_ascii=False, separators=seps)}")
    return "{" + comma.join(parts) + "}"
