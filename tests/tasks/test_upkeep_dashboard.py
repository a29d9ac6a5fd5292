"""Issue 18 on the lead's dashboard: PM overdue / due this week per shop, and what will happen
to quiet claims before it happens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from tasks.domain import Assignee, TaskStatus, TaskType
from tests.builders import a_task
from tests.conftest import login
from voldash_site.container import get_container
from voldash_site.dynamodb.metrics import count_calls

SAM, JORDAN, MORGAN = "1003", "1004", "1005"


def as_(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


def pm(title: str, *, shop: str = "woodshop", due_in_days: float, **changes):
    now = datetime.now(UTC)
    return a_task(shop=shop, title=title, **changes).with_changes(
        task_type=TaskType.PREVENTATIVE, due_at=now + timedelta(days=due_in_days), frequency="Monthly"
    )


def section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"')[1].split("</section>")[0]


@pytest.fixture
def upkeep(cast):
    store = get_container().tasks
    now = datetime.now(UTC)
    for t in (
        pm("Table saw - Blade cleaning", due_in_days=-3),
        pm("Bandsaw - Tension check", due_in_days=2),
        pm("Jointer - Wax bed", due_in_days=30),
        pm("Planer - Knives", due_in_days=-10, status=TaskStatus.DONE),
        pm("Dorian - Mirror clean", shop="lasers", due_in_days=-1),
        a_task(shop="woodshop", title="Lathe - Repair with a due date").with_changes(
            due_at=now - timedelta(days=5)
        ),
        a_task(
            shop="woodshop",
            title="Router table - Fence",
            status=TaskStatus.IN_PROGRESS,
            assignee=Assignee(SAM, "Sam Okafor"),
        ).with_changes(updated_at=now - timedelta(days=6)),
        a_task(
            shop="woodshop",
            title="Drill press - Chuck",
            status=TaskStatus.IN_PROGRESS,
            assignee=Assignee(SAM, "Sam Okafor"),
        ).with_changes(updated_at=now - timedelta(days=10)),
        a_task(
            shop="woodshop",
            title="Sander - Fresh claim",
            status=TaskStatus.IN_PROGRESS,
            assignee=Assignee(SAM, "Sam Okafor"),
        ).with_changes(updated_at=now - timedelta(days=1)),
    ):
        store.upsert(t)


def test_a_lead_sees_their_shops_pm_overdue_and_due_this_week(upkeep):
    page = as_(JORDAN).get("/staff/").content.decode()
    due = section(page, "maintenance-due")
    assert due.index("Table saw - Blade cleaning") < due.index("Bandsaw - Tension check")
    overdue = due.split('data-due="overdue"')[1].split("</li>")[0]
    assert "Table saw - Blade cleaning" in overdue and "Monthly" in overdue and "nobody on it" in overdue
    soon = due.split('data-due="due_soon"')[1].split("</li>")[0]
    assert "Bandsaw - Tension check" in soon
    for absent in ("Jointer - Wax bed", "Planer - Knives", "Dorian - Mirror clean", "Lathe - Repair"):
        assert absent not in due


def test_staff_see_every_shop_grouped(upkeep):
    page = as_(MORGAN).get("/staff/").content.decode()
    due = section(page, "maintenance-due")
    assert 'data-shop="woodshop"' in due and 'data-shop="lasers"' in due
    lasers = due.split('data-shop="lasers"')[1]
    assert "Dorian - Mirror clean" in lasers and "Table saw" not in lasers


def test_leads_see_reminders_and_releases_before_they_happen(upkeep):
    page = as_(JORDAN).get("/staff/").content.decode()
    quiet = section(page, "quiet-claims")
    router = quiet.split("Router table - Fence")[1].split("</li>")[0]
    # dates ahead say what will happen; dates passed say what is due (issue 25, finding 8)
    assert "Sam Okafor" in router and "will be reminded on" in router and "will be released on" in router
    drill = quiet.split("Drill press - Chuck")[1].split("</li>")[0]
    assert "reminder due since" in drill and "will be released on" in drill
    assert "Sander - Fresh claim" not in quiet
    assert as_(MORGAN).get("/staff/").content.decode().count("Drill press - Chuck") >= 1


def test_the_pm_section_costs_one_query_per_shop_and_never_scans(upkeep):
    client = as_(JORDAN)
    with count_calls() as calls:
        assert client.get("/staff/").status_code == 200
    assert "Scan" not in calls.by_operation
    with count_calls() as more:
        assert client.get("/staff/").status_code == 200
    assert sum(more.by_operation.values()) == sum(calls.by_operation.values())
