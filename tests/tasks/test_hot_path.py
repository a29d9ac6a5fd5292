"""The list and detail hot paths give exactly what the schemas and PynamoDB would give."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.core.management import call_command
from ninja.responses import NinjaJSONEncoder

from tasks.domain import Assignee, HistoryAction, HistoryEntry, HistorySource, TaskDetail, TaskStatus
from tasks.repository import TableItem, _TaskItem, task_from_raw
from tasks.schemas import TaskDetailOut, TaskOut, task_detail_dict, task_dict
from tests.builders import a_task
from voldash_site.dynamodb.items import query_page
from volunteers.domain import Role, Viewer


def test_the_raw_decoder_equals_pynamodb_on_every_demo_task(table):
    call_command("seed_demo", tasks=120, seed=9)
    checked = 0
    for shop in (
        "woodshop",
        "metal-shop",
        "lasers",
        "general",
        "ceramics",
        "electronics",
        "textiles",
        "3d-printing",
    ):
        page = query_page(TableItem, f"SHOP#{shop}", index="GSI1", limit=200, raw=True)
        for raw in page.items:
            assert task_from_raw(raw) == _TaskItem.from_raw_data(raw).to_task()
            checked += 1
    assert checked == 120


def as_json(data: dict) -> str:
    """What goes over the wire, through the encoder Ninja itself uses."""
    return json.dumps(data, cls=NinjaJSONEncoder, sort_keys=True)


VIEWERS = [
    None,
    Viewer(
        "1003",
        "Sam",
        frozenset({Role.VOLUNTEER}),
        (),
        True,
        0,
        {"woodshop": ("Woodshop Safety",)},
        datetime.now(UTC),
    ),
    Viewer("1001", "Alex", frozenset({Role.VOLUNTEER}), (), True, 3, {}, datetime.now(UTC)),
    Viewer("1004", "Jordan", frozenset({Role.SHOP_LEAD}), ("woodshop",), False, 0, {}, datetime.now(UTC)),
]
TASKS = [
    a_task(),
    a_task(
        status=TaskStatus.IN_PROGRESS,
        assignee=Assignee("1001", "Alex Rivera", 42),
        estimate_minutes=95,
        discourse_url="https://yo.asmbly.org/t/x/1",
        tags=("saw",),
    ),
    a_task(shop="lasers", problem_type="Equipment", asset="Dorian"),
    a_task().with_changes(  # microseconds are cut to milliseconds on the wire
        created_at=datetime(2026, 11, 3, 4, 5, 6, 789123, tzinfo=UTC),
        updated_at=datetime(2026, 11, 3, tzinfo=UTC),
    ),
]


def test_the_task_dict_equals_the_schema_output():
    for task in TASKS:
        for viewer in VIEWERS:
            assert as_json(task_dict(task, viewer, 3)) == as_json(
                TaskOut.from_task(task, viewer, 3).model_dump()
            )


def test_the_detail_dict_equals_the_schema_output():
    entry = HistoryEntry(
        task_id="t1",
        at=datetime(2026, 11, 2, tzinfo=UTC),
        action=HistoryAction.CLAIMED,
        source=HistorySource.API,
        actor_id="1001",
        actor_name="Alex",
        from_status=TaskStatus.OPEN,
        to_status=TaskStatus.IN_PROGRESS,
        assignee_name="Alex",
        hours=1.5,
        note="n",
    )
    for task in TASKS:
        detail = TaskDetail(task=task, history=(entry, entry))
        for viewer in VIEWERS:
            expected = TaskDetailOut.from_detail(detail, viewer, 3).model_dump()
            assert as_json(task_detail_dict(detail, viewer, 3)) == as_json(expected)


def test_history_and_snapshot_decode_like_pynamodb(table, clickup):
    from tasks.repository import _HistoryItem, history_from_raw
    from tests.integrations.helpers import add_problem, post_webhook, process
    from tests.tasks.test_lifecycle_api import ALEX, as_

    call_command("seed_demo", tasks=0)  # shops and people
    add_problem(clickup, "86hist001")
    post_webhook(clickup, "taskCreated", "86hist001")
    process()
    alex = as_(ALEX)
    alex.post("/api/v1/tasks/86hist001/claim")
    alex.post("/api/v1/tasks/86hist001/release", {"reason": "not today"})
    page = query_page(TableItem, "TASK#86hist001", limit=50, raw=True)
    entries = [i for i in page.items if i["type"]["S"] == "TaskHistory"]
    assert len(entries) == 3
    for raw in entries:
        assert history_from_raw(raw) == _HistoryItem.from_raw_data(raw).to_entry()
    repo = get_container_tasks()
    public, staff = repo.get_detail("86hist001"), repo.get_detail("86hist001", include_snapshot=True)
    assert public.raw_snapshot is None and staff.raw_snapshot["id"] == "86hist001"
    assert public.history == staff.history and [h.action.value for h in public.history] == [
        "released",
        "claimed",
        "created",
    ]


def get_container_tasks():
    from voldash_site.container import get_container

    return get_container().tasks
