"""DESIGN.md section 2: domain and use-case modules import neither Django nor PynamoDB, not
even through another module; edges (api.py, repository.py, staff.py, commands) are thin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = [
    "tasks.domain",
    "tasks.use_cases",
    "tasks.lifecycle",
    "tasks.sync",
    "tasks.notices",
    "shops.domain",
    "shops.catalog",
    "shops.use_cases",
    "volunteers.domain",
    "volunteers.use_cases",
    "volunteers.neon_profile",
    "integrations.inbox.domain",
    "integrations.inbox.processing",
    "integrations.outbox.domain",
    "integrations.outbox.delivery",
    "integrations.queue.backoff",
    "integrations.clickup.mapping",
    "integrations.clickup.sync",
    "integrations.neon.sync",
    "voldash_site.errors",
]


def test_the_core_imports_neither_django_nor_pynamodb():
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}: importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'pynamodb', 'botocore', 'ninja'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
