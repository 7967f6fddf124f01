"""Configuration and fixed vocabulary of the synthetic lending simulator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# The contract's vocabularies, re-exported so the simulator cannot drift from them.
from stream.core.contract import CHANNELS, PRODUCTS, SEGMENTS  # noqa: F401

#: Every timestamp the simulator emits carries this offset (the platform runs on China time).
CST = timezone(timedelta(hours=8))
DAY = 86_400
HOUR = 3_600

ALL_SCENARIOS: tuple[str, ...] = (
    "loan_stacking",
    "borrow_to_repay",
    "account_takeover",
    "student_overborrowing",
    "limit_jump_drain",
    "overdue_escalation",
)


@dataclass(frozen=True)
class SimConfig:
    """What to simulate.

    ``start`` must be a local (+08:00) midnight so that day indices and the daily
    rhythm line up with the calendar; an aware datetime in another zone is
    converted first.

    ``warmup_days`` of normal history are simulated before ``start`` but not
    emitted, so the window opens on a platform in steady state: balances are
    already outstanding and repayments of loans opened before the window arrive
    from day 0 (their loan events are not in the stream, as for a monitor
    switched on in production). Set it to 0 for a closed book in which every
    repayment's loan is in the stream.
    """

    users: int = 2000
    days: int = 30
    start: datetime = datetime(2026, 3, 1, tzinfo=CST)
    seed: int = 7
    anomaly_rate: float = 0.03
    festival_day: int | None = 10
    scenarios: tuple[str, ...] = ALL_SCENARIOS
    anomaly_start_day: int = 0
    user_prefix: str = "u"
    warmup_days: int = 120

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        local = self.start.astimezone(CST)
        if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
            raise ValueError("start must be midnight at +08:00")
        object.__setattr__(self, "start", local)
        if self.users < 0 or self.days < 1 or self.seed < 0 or self.warmup_days < 0:
            raise ValueError("need users >= 0, days >= 1, seed >= 0 and warmup_days >= 0")
        if not 0.0 <= self.anomaly_rate <= 1.0:
            raise ValueError("anomaly_rate must be in [0, 1]")
        if not 0 <= self.anomaly_start_day < self.days:
            raise ValueError("anomaly_start_day must fall inside the simulated days")
        unknown = set(self.scenarios) - set(ALL_SCENARIOS)
        if unknown:
            raise ValueError(f"unknown scenarios: {sorted(unknown)}")
        if not 1 <= len(self.user_prefix) <= 32 or not all(
            (c.isascii() and c.isalnum()) or c in "_.:-" for c in self.user_prefix
        ):
            raise ValueError("user_prefix must be 1-32 chars of A-Z a-z 0-9 _ . : -")

    @property
    def horizon(self) -> int:
        """End of the simulated window in seconds after ``start``; later events are not emitted."""
        return self.days * DAY
