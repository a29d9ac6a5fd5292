"""API first: the committed contract is what the app serves."""

from __future__ import annotations

import yaml
from django.core.management import call_command

from voldash_site.management.commands.export_openapi import OPENAPI_FILE


def test_the_served_schema_equals_infra_openapi_yaml(client):
    served = client.get("/api/v1/openapi.json").json()
    committed = yaml.safe_load(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert served == committed, "infra/openapi.yaml is stale: run `make openapi` and commit it"


def test_the_contract_names_every_read_endpoint():
    committed = yaml.safe_load(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert {"/api/v1/health", "/api/v1/shops", "/api/v1/tasks", "/api/v1/tasks/{task_id}"} <= set(
        committed["paths"]
    )
    task = committed["components"]["schemas"]["TaskOut"]["properties"]
    for field in (
        "id",
        "title",
        "description",
        "shop",
        "status",
        "urgency",
        "problem_type",
        "estimate_minutes",
        "points",
        "assignee",
        "clickup_url",
        "discourse_url",
        "slack_url",
        "created_at",
        "updated_at",
    ):
        assert field in task
    assert "contact_details" not in task


def test_export_check_passes_when_current(tmp_path, capsys):
    call_command("export_openapi", "--check")
    assert "up to date" in capsys.readouterr().out
