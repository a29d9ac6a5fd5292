"""What a cold start of the HTTP function loads (issue 15): only what a page read needs.

The login views, the webhooks and the integrations behind them, the ClickUp mapping (and YAML),
the staff site and the outside services' clients are imported on the first request that needs
them, never at init; the init leaves the garbage collector on, with the import graph frozen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import gc, json, sys
from voldash_site.lambda_handler import handler
print(json.dumps({"modules": sorted(sys.modules), "gc_enabled": gc.isenabled(),
                  "frozen": gc.get_freeze_count()}))
"""

NOT_AT_INIT = [
    "volunteers.views",
    "integrations.clickup.webhooks",
    "integrations.neon.webhooks",
    "integrations.clickup.mapping",
    "integrations.inbox.repository",
    "integrations.outbox.repository",
    "integrations.sync_state",
    "shops.announcements",
    "voldash_site.staff.site",
    "yaml",
    "httpx",
]


def test_the_http_function_imports_only_the_read_path_at_init():
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": tempfile.gettempdir(),
        "PYTHONPATH": str(ROOT),
        "VOLDASH_ENV": "test",
        "DYNAMODB_TABLE": "voldash-cold-path",
        "DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:9",  # never called: init makes no request
        "AWS_REGION": "us-east-1",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    loaded = set(out["modules"])
    assert {"tasks.api", "tasks.repository", "voldash_site.api"} <= loaded  # the read path is warm
    assert [m for m in NOT_AT_INIT if m in loaded] == []
    assert out["gc_enabled"] is True
    assert out["frozen"] > 10_000  # the import graph is out of the collector's way


def test_a_broken_clickup_mapping_is_named_by_manage_py_check(tmp_path, monkeypatch):
    from integrations.clickup import mapping

    broken = tmp_path / "asmbly.yaml"
    broken.write_text("lists: [unclosed\n", encoding="utf-8")
    monkeypatch.setattr(mapping, "MAPPING_FILE", broken)
    with pytest.raises(SystemCheckError, match=r"ClickUp mapping: asmbly\.yaml: not valid YAML"):
        call_command("check")


def test_the_shipped_clickup_mapping_passes_the_check():
    from integrations.apps import check_clickup_mapping

    assert check_clickup_mapping() == []
