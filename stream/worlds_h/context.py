"""World-level shared state for one generation run.

Why: a few things are shared by every user of a lender (the merchant pool,
the per-day activity curve, the merchant-id counter); passing one context
object keeps function signatures short and the run deterministic.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

from . import ids
from .spec import WorldSpec
from .timebase import DAY, Span, TsStyle, quantize


@dataclass
class Ctx:
    spec: WorldSpec
    span: Span
    rng: Random
    merchant_pool: list[str] = field(default_factory=list)
    merchant_cum: list[float] = field(default_factory=list)
    _merchants: int = 0
    _mult: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def build(cls, spec: WorldSpec, span: Span, users: int, rng: Random) -> "Ctx":
        ctx = cls(spec=spec, span=span, rng=rng)
        if spec.merchant_mode == "pool":
            n = max(12, int(users * spec.merchant_pool_per_user))
            ctx.merchant_pool = [ctx.new_merchant_id() for _ in range(n)]
            acc, cum = 0.0, []
            for i in range(n):  # Zipf-like popularity: a few big stores, many small
                acc += 1.0 / (i + 1) ** 0.9
                cum.append(acc)
            ctx.merchant_cum = cum
        return ctx

    def new_merchant_id(self) -> str:
        self._merchants += 1
        return ids.merchant_id(self.spec.code, self._merchants)

    def pick_merchant(self, rng: Random) -> str:
        return rng.choices(self.merchant_pool, cum_weights=self.merchant_cum)[0]

    def day_mult(self, day: int, segment: str) -> float:
        """Calendar activity multiplier, cached per segment."""
        row = self._mult.get(segment)
        if row is None:
            row = [self.spec.day_mult(d, segment, self.span) for d in range(self.span.total_days)]
            self._mult[segment] = row
        if 0 <= day < len(row):
            return row[day]
        return 1.0

    def ts_style(self, key: str) -> TsStyle:
        return self.spec.ts_style(key)

    def quantize(self, t: int, key: str) -> int:
        return quantize(t, self.spec.ts_style(key))

    def migration_window(self) -> tuple[int, int] | None:
        """(start, end) ms of the app migration, if this lender migrates."""
        if not self.spec.migration:
            return None
        _, offset_days, width_days = self.spec.migration
        start = max(DAY, self.span.test_start + int(offset_days * DAY))
        end = min(self.span.end - DAY // 2, start + int(width_days * DAY))
        return start, max(start + 1, end)

    def device_style_at(self, t: int) -> str:
        win = self.migration_window()
        if win and self.spec.migration and t >= win[0]:
            return self.spec.migration[0]
        return self.spec.device_style
