"""What ``riskmon bench`` runs: sizes, rates and the ``--smoke`` preset."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class BenchOptions:
    """Benchmark knobs; defaults are the sizes the project's bar is stated for."""

    events: int = 200_000
    users: int = 20_000
    latency_rate: float = 2_000.0
    latency_seconds: float = 60.0
    curve_seconds: float = 20.0  # each step of the latency curve (latency.CURVE_SHARES of the measured maximum)
    skip_latency: bool = False
    restart_users: int = 1_000_000  # users' states in the changelog for the restart phase (issue 14, item 4)
    skip_restart: bool = False
    json: bool = False
    broker: str = ""  # reuse this broker instead of starting a private one
    smoke: bool = False
    history_users: int = 1_500  # training history for the worker's model (separate users)
    history_days: int = 30
    scorer_repeats: int = 7  # best-of-N for each scorer timing
    phase_timeout_s: float = 900.0  # a contender that has not finished by then is reported as failed
    profile: str = ""  # write a py-spy profile of the monitor worker here (needs py-spy)
    keep_logs: str = ""  # copy child logs to this directory

    def smoke_sized(self) -> "BenchOptions":
        """Tiny sizes for the test suite: everything runs end to end in about a minute."""
        return replace(
            self, events=3_000, users=500, latency_rate=200.0, latency_seconds=5.0, curve_seconds=1.0,
            history_users=400, history_days=20, scorer_repeats=3, phase_timeout_s=120.0,
            restart_users=3_000,
        )
