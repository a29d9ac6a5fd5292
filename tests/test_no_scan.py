"""Production code never scans the table (DESIGN.md section 3)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = ["voldash_site", "tasks", "volunteers", "shops", "integrations"]


def production_files() -> list[Path]:
    return [p for pkg in PRODUCTION for p in (ROOT / pkg).rglob("*.py")]


def scans_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"scan", "parallel_scan", "rate_limited_scan"}:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
        if isinstance(node, ast.Constant) and node.value == "Scan":
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} 'Scan'")
    return found


def test_no_scan_in_production_code():
    files = production_files()
    assert len(files) > 20  # the check looks at the real tree
    offenders = [hit for path in files for hit in scans_in(path)]
    assert offenders == []


def test_the_check_catches_a_scan(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(m):\n    return list(m.scan())\n", encoding="utf-8")
    tree_hits = [n for n in ast.walk(ast.parse(bad.read_text())) if isinstance(n, ast.Attribute)]
    assert any(n.attr == "scan" for n in tree_hits)
