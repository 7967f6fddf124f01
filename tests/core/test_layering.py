"""The architecture, checked: who may import whom, and where Faust's and aiokafka's internals may be touched.

Read from the source (``ast``), so a new import that breaks the layering fails
here, not in a review:

* ``stream.core`` (the pure stages) depends on nothing of ours;
* ``models`` depends on ``stream.core`` only;
* ``stream.kafka`` on the settings only; the worker, offline commands, operator
  commands (``ops``), local tools and bench on those below them (``ALLOWED``;
  ``riskmon seed``, an operator command, folds its history with the offline replay);
* private attributes of Faust, aiokafka and prometheus-client are read only in
  ``stream/worker/faust_fixes.py``, so a Faust upgrade is checked in one place.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("core", "worker", "kafka", "local", "offline", "ops", "sim", "worlds", "worlds_b", "worlds_c", "worlds_d", "worlds_e", "worlds_f", "worlds_g", "worlds_h", "worlds_i", "worlds_j", "worlds_k", "worlds_l", "worlds_m", "worlds_n", "worlds_o", "bench")
#: layer -> the layers (and top-level modules) it may import.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "models": {"core"},
    "settings": {"core"},  # the typed settings hand out core's TimePolicy and RuleConfig
    "logs": set(),
    "gc_tuning": set(),
    "kafka": {"settings"},
    "sim": {"core"},
    "worlds": set(),  # the held-out families import nothing of the monitor's (nor of each other)
    "worlds_b": set(),
    "worlds_c": set(),
    "worlds_d": set(),
    "worlds_e": set(),
    "worlds_f": set(),
    "worlds_g": set(),
    "worlds_h": set(),
    "worlds_i": set(),
    "worlds_j": set(),
    "worlds_k": set(),
    "worlds_l": set(),
    "worlds_m": set(),
    "worlds_n": set(),
    "worlds_o": set(),
    "worker": {"core", "models", "settings", "logs", "kafka"},
    "offline": {"core", "models", "settings", "kafka", "sim"},
    "local": {"core", "models", "settings", "kafka", "sim", "worker"},
    "ops": {"core", "models", "settings", "logs", "kafka", "offline"},  # riskmon seed replays a history offline
    "bench": {"core", "models", "settings", "logs", "kafka", "sim", "local", "worker"},
    "cli": {"core", "models", "settings", "logs", "kafka", "local", "offline", "ops", "worker", "bench", "sim", "gc_tuning"},
}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "models":
        return "models"
    if parts[0] != "stream" or len(parts) == 1:
        return None
    return parts[1]


def _modules() -> list[tuple[str, Path]]:
    files = sorted((ROOT / "stream").rglob("*.py")) + sorted((ROOT / "models").glob("*.py"))
    return [(".".join(f.relative_to(ROOT).with_suffix("").parts), f) for f in files]


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            if node.module == "stream":
                out.update(f"stream.{a.name}" for a in node.names)
    return out


def test_every_module_lives_in_a_known_layer() -> None:
    unknown = {m for m, _ in _modules() if _layer(m) not in ALLOWED and m not in ("stream.__init__", "models.__init__")}
    assert not unknown, f"modules outside the layers of tests/core/test_layering.py: {sorted(unknown)}"


def test_imports_follow_the_layers() -> None:
    broken = []
    for module, path in _modules():
        layer = _layer(module)
        for target in _imports(path):
            other = _layer(target)
            if other is None or other == layer:
                continue
            if other not in ALLOWED.get(layer, set()):
                broken.append(f"{module} imports {target} ({layer} -> {other})")
    assert not broken, "\n".join(broken)


def test_core_needs_neither_kafka_nor_faust() -> None:
    offenders = [m for m, p in _modules() if _layer(m) == "core"
                 for t in _imports(p) if t.split(".")[0] in ("faust", "kafka", "mode", "prometheus_client")]
    assert not offenders, offenders


PRIVATE = re.compile(
    r"\._(committed_offset|thread|position|paused_partitions|ensure_producer|value|acked|buffered_partitions"
    r"|coordinator|subscription|consumer|client)\b|\b_current_event\b"
)


def test_framework_internals_are_touched_only_in_faust_fixes() -> None:
    allowed = ROOT / "stream" / "worker" / "faust_fixes.py"
    offenders = []
    for module, path in _modules():
        if path == allowed:
            continue
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if PRIVATE.search(line.split("#", 1)[0]):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)

