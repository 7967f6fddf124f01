"""Histogram quantiles from the worker's own Prometheus metrics (``scrape`` reads them)."""

from __future__ import annotations

import math
from typing import Iterable

from stream.worker.metrics import metric_total as total
from stream.worker.metrics import read_metrics as scrape

__all__ = ["buckets", "diff", "quantile", "scrape", "scrape_sum", "share_at_most", "total"]


def scrape_sum(ports: Iterable[int], missing_ok: bool = False) -> dict[str, float]:
    """Every sample summed over the worker processes' metrics ports (``riskmon worker --processes N``
    serves process i on ``metrics_port + i``); with ``missing_ok`` a port that does not answer adds nothing."""
    summed: dict[str, float] = {}
    for port in ports:
        try:
            samples = scrape(port)
        except OSError:
            if not missing_ok:
                raise
            continue
        for name, value in samples.items():
            summed[name] = summed.get(name, 0.0) + value
    return summed


def buckets(samples: dict[str, float], name: str) -> list[tuple[float, float]]:
    """Cumulative (upper bound, count) pairs of an unlabelled histogram, +Inf last."""
    prefix = f'{name}_bucket{{le="'
    out = []
    for key, value in samples.items():
        if key.startswith(prefix):
            out.append((float(key[len(prefix):].split('"', 1)[0]), value))
    return sorted(out)


def diff(after: list[tuple[float, float]], before: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Buckets of the observations made between two scrapes."""
    prior = dict(before)
    return [(le, n - prior.get(le, 0.0)) for le, n in after]


def quantile(cumulative: list[tuple[float, float]], q: float) -> float:
    """Prometheus ``histogram_quantile``: linear interpolation inside the bucket.

    Coarse by nature (the answer is only known to lie inside a bucket); a
    quantile in the +Inf bucket is reported as the last finite bound, i.e. a
    lower bound.  NaN when there are no observations.
    """
    if not cumulative or cumulative[-1][1] <= 0:
        return math.nan
    rank = q * cumulative[-1][1]
    lower_le, lower_n = 0.0, 0.0
    for le, n in cumulative:
        if n >= rank:
            if math.isinf(le):
                return lower_le
            if n == lower_n:
                return le
            return lower_le + (le - lower_le) * (rank - lower_n) / (n - lower_n)
        lower_le, lower_n = le, n
    return lower_le


def share_at_most(cumulative: list[tuple[float, float]], bound: float) -> float:
    """Exact share of observations <= ``bound`` when ``bound`` is a bucket edge."""
    if not cumulative or cumulative[-1][1] <= 0:
        return math.nan
    below = max((n for le, n in cumulative if le <= bound), default=0.0)
    return below / cumulative[-1][1]
