"""Issue 18: the weekly shop digest, one Slack message per shop channel, once per week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from integrations.outbox.domain import OutboxStatus
from tasks.domain import Assignee, TaskStatus, TaskType, Urgency
from tasks.upkeep.use_cases import week_of
from tests.builders import a_task
from tests.integrations.helpers import deliver
from voldash_site.container import get_container

WOOD, STEWARDS = "C0WOOD001", "C0STEW001"
FRONT = "https://volunteer.asmbly.org"


def pm(task_id: str, title: str, *, due_in_days: float, shop: str = "woodshop", **changes):
    return a_task(id=task_id, shop=shop, title=title, **changes).with_changes(
        task_type=TaskType.PREVENTATIVE, due_at=datetime.now(UTC) + timedelta(days=due_in_days)
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("send_shop_digests", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def shops(cast, slack, settings):
    settings.FRONTEND_URL = FRONT
    store = get_container().tasks
    for t in (
        pm("86pmover", "Table saw - Blade cleaning", due_in_days=-2),
        pm(
            "86pmsoon",
            "Bandsaw - Tension",
            due_in_days=3,
            assignee=Assignee("1001", "Alex Rivera"),
            status=TaskStatus.IN_PROGRESS,
        ),
        pm("86pmlate", "Jointer - Wax", due_in_days=20),
        pm("86pmdone", "Planer - Knives", due_in_days=-5, status=TaskStatus.DONE),
        pm("86pmgene", "HVAC - Filters", due_in_days=1, shop="general"),
        a_task(
            id="86crit01",
            shop="woodshop",
            title="Dust collector <!channel> *on fire*",
            urgency=Urgency.CRITICAL,
        ),
        a_task(id="86high01", shop="woodshop", title="Sander - Belt", urgency=Urgency.HIGH),
        a_task(
            id="86crit02",
            shop="woodshop",
            title="Lathe - Held critical",
            urgency=Urgency.CRITICAL,
            status=TaskStatus.IN_PROGRESS,
            assignee=Assignee("1001", "Alex Rivera"),
        ),
    ):
        store.upsert(t)
    return slack


def test_each_shop_channel_gets_its_due_pm_and_critical_repairs_once_a_week(shops):
    assert "2 digests queued (4 tasks)" in run()
    assert "0 digests queued" in run() and "2 already sent this week" in run()
    deliver()
    [wood] = shops.channel_messages(WOOD)
    text = wood["text"]
    for present in ("Table saw - Blade cleaning", "Bandsaw - Tension", "Alex Rivera is on it"):
        assert present in text
    for absent in ("Jointer", "Planer", "Sander", "Lathe", "HVAC"):
        assert absent not in text
    assert (
        text.index("Overdue") < text.index("Table saw") < text.index("Due this week") < text.index("Bandsaw")
    )
    assert f"<{FRONT}/tasks/86pmover|Table saw - Blade cleaning>" in text
    # outside text cannot ping the channel or format the message
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    claims = [
        b["accessory"]["value"]
        for b in wood["blocks"]
        if b.get("accessory", {}).get("action_id") == "voldash.claim"
    ]
    assert claims == ["86pmover", "86crit01"]  # Bandsaw is held: no Claim button
    [general] = shops.channel_messages(STEWARDS)  # the general areas go to #stewards
    assert "HVAC - Filters" in general["text"]


def test_the_schedule_firing_twice_in_a_week_sends_once(shops):
    from voldash_site import lambda_workers

    first = lambda_workers.reconcile_handler({"job": "send_shop_digests"}, None)
    second = lambda_workers.reconcile_handler({"job": "send_shop_digests"}, None)
    assert (first["sent"], second["sent"], second["already_sent"]) == (2, 0, 2)
    c = get_container()
    digests = [
        m
        for status in (OutboxStatus.PENDING, OutboxStatus.SENT)
        for m in c.outbox.list_by_status(status)
        if m.action == "upkeep.digest"
    ]
    assert len(digests) == 2


def test_a_long_digest_stays_within_slacks_block_limit(cast, slack, settings):
    settings.FRONTEND_URL = FRONT
    store = get_container().tasks
    for n in range(45):
        store.upsert(pm(f"86many{n:02d}", f"Check {n}", due_in_days=-1 - n / 100))
    run("--shop", "woodshop")
    report = deliver()
    assert report.failed == 0
    [message] = slack.channel_messages(WOOD)
    assert len(message["blocks"]) <= 50 and "and 5 more" in message["blocks"][-1]["text"]["text"]
    assert message["text"].count("\u2022") == 45


def test_weeks_are_counted_in_austin():
    # Saturday 04:30 UTC is still Friday evening in Austin: the same week as Friday.
    assert week_of(datetime(2026, 12, 5, 4, 30, tzinfo=UTC)) == "2026-W49"
    assert week_of(datetime(2026, 12, 7, 5, 59, tzinfo=UTC)) == "2026-W49"  # Sunday 23:59 CST
    assert week_of(datetime(2026, 12, 7, 6, 0, tzinfo=UTC)) == "2026-W50"
