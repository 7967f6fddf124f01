"""constraints.txt, the exact versions installed by ``make setup`` and the Docker image, against
pyproject.toml's ranges: every dependency (and every extra's) pinned, each pin inside its range,
and the environment running the tests built from them."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"constraints.txt pins exact versions only: {line!r}"
            assert canonicalize_name(name) not in pins, f"{name} pinned twice"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return [Requirement(r) for r in listed]


def test_every_dependency_is_pinned_inside_its_range() -> None:
    pins = _pins()
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"constraints.txt pins {requirement.name}=={pins[name]} outside pyproject's {requirement.specifier}"


def test_what_the_dependencies_need_is_pinned_too() -> None:
    """The whole tree, not only the first level: an unpinned dependency of a dependency is what
    changes under a fresh install."""
    pins = _pins()
    seen: set[str] = set()
    todo = [r for r in _requirements()]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        assert name in pins, f"{requirement.name} (needed by the project's dependencies) is not pinned"
        extras = requirement.extras
        for needed in metadata.requires(requirement.name) or []:
            sub = Requirement(needed)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras | {""}):
                todo.append(sub)


def test_the_installed_versions_are_the_pinned_ones() -> None:
    """The suite runs on what ``make setup`` installed: a pin changed without rebuilding the venv
    would test other code than the one shipped."""
    for name, version in _pins().items():
        assert Version(metadata.version(name)) == version, f"{name}: installed {metadata.version(name)}, pinned {version}"
