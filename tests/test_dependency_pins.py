"""Every dependency installs from a package index on any machine.

A pin that names a local wheel, a path or a URL works on the machine that wrote it and
nowhere else (it happened: ``playwright @ file:///tmp/pw/...whl``). These tests fail on any
such pin in the files pip and npm read, and hold ``make constraints`` to plain pins.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLAIN_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[A-Za-z0-9][A-Za-z0-9.+!_-]*$")
# What pip accepts in a requirement that does not come from the index.
NOT_FROM_INDEX = re.compile(
    r"(\s@\s|^@|file:|git\+|hg\+|svn\+|bzr\+|https?://|^-e\b|^--editable|^-f\b|--find-links|"
    r"--index-url|--extra-index-url|^-i\b|^\.{0,2}/|\.whl\b|\.tar\.gz\b|\.zip\b)",
    re.IGNORECASE,
)
SKIP_DIRS = {".venv", "node_modules", ".git", ".data", "build", ".aws-sam"}


def requirement_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def requirement_files() -> list[Path]:
    return [
        p for p in ROOT.rglob("requirements*.txt") if not SKIP_DIRS.intersection(p.relative_to(ROOT).parts)
    ]


def test_constraints_are_plain_name_equals_version_pins():
    lines = requirement_lines(ROOT / "constraints.txt")
    assert lines, "constraints.txt is empty"
    bad = [line for line in lines if not PLAIN_PIN.match(line)]
    assert bad == [], f"constraints.txt holds pins that are not name==version: {bad}"


def test_pyproject_dependencies_come_from_the_index():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        specs += group
    bad = [s for s in specs if NOT_FROM_INDEX.search(s)]
    assert bad == [], f"pyproject.toml has dependencies that are not on the package index: {bad}"


def test_requirements_files_come_from_the_index():
    files = requirement_files()
    assert ROOT / "bench" / "requirements.txt" in files
    bad = {
        str(p.relative_to(ROOT)): line
        for p in files
        for line in requirement_lines(p)
        if NOT_FROM_INDEX.search(line)
    }
    assert bad == {}, f"requirements files with pins outside the package index: {bad}"


def test_npm_dependencies_are_exact_registry_versions():
    package = json.loads((ROOT / "package.json").read_text())
    for section in ("dependencies", "devDependencies"):
        for name, version in package.get(section, {}).items():
            assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"package.json {name}: {version!r}"
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for where, entry in lock["packages"].items():
        if not where:
            continue
        assert not entry.get("link"), f"package-lock.json links {where} to a local folder"
        resolved = entry.get("resolved", "")
        assert not resolved or resolved.startswith("https://registry.npmjs.org/"), (where, resolved)


@pytest.mark.parametrize(
    "line",
    [
        "playwright @ file:///tmp/pw/playwright-1.65.2-py3-none-manylinux1_x86_64.whl",
        "somepkg @ https://example.com/somepkg-1.0.tar.gz",
        "-e ../somewhere",
        "./wheels/x-1.0-py3-none-any.whl",
        "git+https://github.com/x/y.git",
        "--find-links /tmp/wheels",
    ],
)
def test_the_checks_catch_every_kind_of_local_pin(line):
    assert not PLAIN_PIN.match(line)
    assert NOT_FROM_INDEX.search(line)


def test_make_constraints_writes_only_plain_pins():
    """scripts/freeze_constraints.py (``make constraints``) never emits ``@ file://`` lines."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "freeze_constraints.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "Django==" + __import__("django").__version__ in out
    assert all(PLAIN_PIN.match(line) for line in out), [x for x in out if not PLAIN_PIN.match(x)]
    names = {line.split("==")[0].lower() for line in out}
    assert "voldash" not in names and "pip" not in names
