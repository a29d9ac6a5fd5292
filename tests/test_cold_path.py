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
from pydantic import BaseModel

def models(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from models(sub)

built = sorted({f"{m.__module__}.{m.__qualname__}" for m in models(BaseModel)
                if m.__pydantic_complete__ and not m.__module__.startswith(("ninja.", "pydantic."))})
print(json.dumps({"modules": sorted(sys.modules), "gc_enabled": gc.isenabled(),
                  "frozen": gc.get_freeze_count(), "built_models": built}))
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
    "segno",
    "markdown_it",
    "jinja2",
    "django.template.loaders",  # no template is loaded to serve the API
    "voldash_site.templatetags",
]

# Whole families that a page read never needs: the staff pages of every app, and the outside
# services' clients (only the outbox's pure domain code and its backoff are on the read path, for
# the claim's side effects).
NOT_AT_INIT_PREFIXES = ("voldash_site.staff", "integrations.")
ALLOWED_AT_INIT = {
    "integrations.apps",
    "integrations.outbox",
    "integrations.outbox.domain",
    "integrations.queue",
    "integrations.queue.backoff",
}


def _probe() -> dict:
    """What a fresh interpreter holds after importing the HTTP function's handler."""
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
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def at_init() -> dict:
    return _probe()


def test_the_http_function_imports_only_the_read_path_at_init(at_init):
    loaded = set(at_init["modules"])
    assert {"tasks.api", "tasks.repository", "voldash_site.api"} <= loaded  # the read path is warm
    assert [m for m in NOT_AT_INIT if m in loaded or any(k.startswith(m + ".") for k in loaded)] == []
    assert sorted(m for m in loaded if m.startswith(NOT_AT_INIT_PREFIXES) and m not in ALLOWED_AT_INIT) == []
    assert sorted(m for m in loaded if m.endswith(".staff") or ".staff." in m) == []
    assert at_init["gc_enabled"] is True
    assert at_init["frozen"] > 10_000  # the import graph is out of the collector's way


def test_ninja_gets_djangos_test_signals_without_the_test_client(at_init):
    """Issue 26: Ninja's ``from django.test.signals import ...`` no longer runs ``django.test``
    (the test client and utilities, ~8% of the artifact's import)."""
    loaded = set(at_init["modules"])
    assert "django.test.signals" in loaded and "ninja.conf" in loaded
    test_client = {"django.test", "django.test.client", "django.test.utils", "django.test.testcases"}
    assert sorted((test_client | {"xml.dom.minidom"}) & loaded) == []


def test_the_apis_models_are_built_on_first_use_not_at_init(at_init):
    """Pydantic builds a model's validator and serializer when the class is created unless it
    defers the build (voldash_site/pydantic_defer.py): none of the ~150 schemas, parameter models
    and response models of the API may be built at the HTTP function's init, whoever adds them."""
    assert at_init["built_models"] == []


SERVE = """
import json, sys
from voldash_site.lambda_handler import handler
out = [handler(event, None) for event in json.loads(sys.stdin.read())]
print(json.dumps([{"status": r["statusCode"], "body": r["body"]} for r in out]))
"""


def test_models_built_on_first_use_answer_as_models_built_at_import(cast, settings):
    """The same reads, answered by a fresh HTTP function (models deferred) and by this process
    (models built at import, as in the rest of the tests): same statuses, same bodies."""
    from tests.builders import a_task
    from tests.test_lambda_handler import v2_event
    from voldash_site.container import get_container
    from voldash_site.lambda_handler import handler

    settings.ALLOWED_HOSTS = ["api.voldash.test"]
    task = a_task(shop="woodshop")
    get_container().tasks.upsert(task)
    events = [
        v2_event("GET", "/api/v1/tasks", "shop=woodshop&limit=50"),
        v2_event("GET", "/api/v1/tasks", "limit=50"),
        v2_event("GET", f"/api/v1/tasks/{task.id}"),
        v2_event("GET", "/api/v1/tasks/no-such-task"),
        v2_event("GET", "/api/v1/tasks", "limit=nope"),
        v2_event("GET", "/api/v1/shops"),
        v2_event("GET", "/api/v1/me"),
        v2_event("POST", f"/api/v1/tasks/{task.id}/claim"),
    ]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": tempfile.gettempdir(),
        "PYTHONPATH": str(ROOT),
        "VOLDASH_ENV": "test",
        "DYNAMODB_TABLE": settings.DYNAMODB_TABLE,
        "DYNAMODB_ENDPOINT_URL": settings.DYNAMODB_ENDPOINT_URL,
        "AWS_REGION": settings.AWS_REGION,
        "DJANGO_ALLOWED_HOSTS": "api.voldash.test",
    }
    result = subprocess.run(
        [sys.executable, "-c", SERVE],
        input=json.dumps(events),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    deferred = json.loads(result.stdout.strip().splitlines()[-1])
    here = [{"status": r["statusCode"], "body": r["body"]} for r in (handler(e, None) for e in events)]
    assert [r["status"] for r in here] == [200, 200, 200, 404, 422, 200, 401, 403]
    assert deferred == here


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


def test_a_process_that_set_django_up_first_keeps_building_models_at_import():
    """Deferral is for a fresh Lambda environment only (one request at a time): importing the
    handler into a process whose apps are loaded (these tests, a threaded server) changes nothing,
    so that the first burst of simultaneous requests does not build the same models in every thread."""
    from ninja import Schema
    from ninja.params.models import QueryModel

    import voldash_site.lambda_handler  # noqa: F401

    assert "defer_build" not in Schema.model_config
    assert "defer_build" not in QueryModel.model_config
