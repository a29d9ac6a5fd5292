"""`manage.py clickup_webhooks register|status|reactivate`, the stored secrets verifying
deliveries, and the health check the reconcile worker turns into a metric (issue 13, item 13)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from integrations.clickup import webhooks as receiving
from integrations.clickup.webhook_admin import SYNC_EVENTS
from tests.integrations.helpers import PM, PROBLEMS, add_problem, post_webhook
from voldash_site.container import get_container

ENDPOINT = "https://voldash.test/webhooks/clickup"


@pytest.fixture
def hooks(clickup, settings, table):
    settings.CLICKUP_TEAM_ID = clickup.team_id
    settings.PUBLIC_BASE_URL = "https://voldash.test"
    receiving._stored["at"] = None
    yield clickup
    receiving._stored["at"] = None


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("clickup_webhooks", *args, stdout=out)
    return out.getvalue()


def test_register_makes_one_webhook_per_synced_list_once_and_stores_its_secret(hooks):
    out = run("register")
    assert f"Created webhooks for lists: {PROBLEMS}, {PM}" in out and "All active." in out
    made = hooks.registered_webhooks()
    assert sorted(str(h["list_id"]) for h in made) == sorted([PROBLEMS, PM])
    for hook in made:
        assert hook["endpoint"] == ENDPOINT and hook["events"] == SYNC_EVENTS
    stored = get_container().sync_state.get("clickup").webhooks
    assert {e["id"]: e["secret"] for e in stored} == {h["id"]: h["secret"] for h in made}
    assert "secret" not in out.lower().replace("webhooks", "")  # secrets never printed
    assert "none missing" in run("register")
    assert len(hooks.registered_webhooks()) == 2


def test_status_shows_clickups_health_and_reactivate_restores_it(hooks):
    run("register")
    suspended = next(h for h in hooks.registered_webhooks() if str(h["list_id"]) == PROBLEMS)
    hooks.set_webhook_health(suspended["id"], "suspended", 100)
    out = run("status")
    assert f"list {PROBLEMS}: suspended (fail_count 100)" in out and "1 not active" in out
    state = get_container().sync_state.get("clickup")
    assert {e["list_id"]: e["status"] for e in state.webhooks} == {PROBLEMS: "suspended", PM: "active"}
    out = run("reactivate")
    assert f"Reactivated webhooks of lists: {PROBLEMS}" in out and "All active." in out
    assert all(h["health"] == {"status": "active", "fail_count": 0} for h in hooks.registered_webhooks())
    put = [r for r in hooks.requests if r.method == "PUT" and r.path.endswith(suspended["id"])]
    assert json.loads(put[0].body) == {"status": "active"}


def test_a_delivery_signed_with_the_stored_secret_is_accepted(hooks, settings):
    settings.CLICKUP_WEBHOOK_SECRET = ""  # only the registered webhooks' secrets
    run("register")
    hook = next(h for h in hooks.registered_webhooks() if str(h["list_id"]) == PROBLEMS)
    hooks.webhook_id, hooks.webhook_secret = hook["id"], hook["secret"]
    add_problem(hooks, "86lw0101")
    assert post_webhook(hooks, "taskCreated", "86lw0101").status_code == 200
    body = hooks.webhook_body("taskUpdated", "86lw0101")
    assert post_webhook(hooks, "taskUpdated", "86lw0101", body=body, signature="0" * 64).status_code == 401
    other = next(h for h in hooks.registered_webhooks() if str(h["list_id"]) == PM)
    hooks.webhook_secret = other["secret"]  # another webhook's secret does not sign this one's events
    assert post_webhook(hooks, "taskUpdated", "86lw0101").status_code == 401


def test_without_any_secret_deliveries_are_refused_with_503_not_410(hooks, settings):
    settings.CLICKUP_WEBHOOK_SECRET = ""
    add_problem(hooks, "86lw0102")
    response = post_webhook(hooks, "taskCreated", "86lw0102")
    assert response.status_code == 503  # ClickUp retries; a 410 would suspend the webhook


def test_the_reconcile_worker_puts_the_number_not_active_in_a_metric(hooks, capsys):
    from voldash_site.lambda_workers import check_webhooks

    assert check_webhooks(get_container()) == 2  # nothing registered: both lists missing
    run("register")
    hook = hooks.registered_webhooks()[0]
    hooks.set_webhook_health(hook["id"], "failing", 7)
    capsys.readouterr()
    assert check_webhooks(get_container()) == 1
    [record] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert record["ClickUpWebhooksNotActive"] == 1 and record["Env"]
    metric = record["_aws"]["CloudWatchMetrics"][0]
    assert metric["Namespace"] == "voldash" and metric["Metrics"][0]["Name"] == "ClickUpWebhooksNotActive"
    # the alarm in template.yaml reads the same name
    from tests.test_deploy_templates import resources

    alarm = resources()["ClickUpWebhookAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("voldash", "ClickUpWebhooksNotActive")


def test_the_command_says_what_is_missing(hooks, settings):
    settings.CLICKUP_TEAM_ID = ""
    with pytest.raises(CommandError, match="CLICKUP_TEAM_ID"):
        run("status")


def test_a_webhook_registered_a_moment_ago_is_verified_at_once(hooks, settings):
    settings.CLICKUP_WEBHOOK_SECRET = ""
    add_problem(hooks, "86lw0103")
    assert post_webhook(hooks, "taskCreated", "86lw0103").status_code == 503  # none registered yet
    run("register")
    receiving._stored["at"] -= receiving.MIN_REREAD_SECONDS + 1  # seconds later, well within the minute
    hook = next(h for h in hooks.registered_webhooks() if str(h["list_id"]) == PROBLEMS)
    hooks.webhook_id, hooks.webhook_secret = hook["id"], hook["secret"]
    assert post_webhook(hooks, "taskCreated", "86lw0103").status_code == 200
