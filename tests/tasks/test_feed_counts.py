"""The task list's totals and facet counts are counter cells moved in the same transaction as
every task write: they stay exactly equal to a recount of the stored tasks through a sync
create, an urgency change from ClickUp, a claim, a release, a completion, a ClickUp reopen and a
ClickUp delete, and when moves race."""

from __future__ import annotations

import threading
from collections import Counter

from django.test import Client

from shops.catalog import SHOP_SLUGS
from tasks.feed import counter_cells, facet_key
from tests.conftest import login
from tests.integrations.helpers import LASERS, WOODSHOP, add_problem, post_webhook, process
from voldash_site.container import get_container

ALEX, JORDAN = "1001", "1004"  # a woodshop-certified member; the woodshop lead


def stored_cells(ddb_client, table) -> Counter:
    """The counter cells as stored (read straight from DynamoDB Local)."""
    items = ddb_client.query(
        TableName=table.table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "SHOPS"}},
    )["Items"]
    plain = [
        {k: int(v["N"]) if "N" in v else v.get("S") for k, v in item.items()}
        for item in items
        if item.get("type", {}).get("S") == "ShopTaskCounts"
    ]
    return Counter({(shop, cell): n for shop, cell, n in counter_cells(plain) if n})


def recount() -> Counter:
    """What the cells must say: the stored tasks, counted here (the API never counts)."""
    tasks = get_container().tasks.all_in_shops(list(SHOP_SLUGS))
    return Counter((k.shop, k.cell) for t in tasks if (k := facet_key(t)) is not None)


def api_total(**params) -> int:
    body = Client().get("/api/v1/tasks", {**params, "counts": "true"}).json()
    return body["total"]


def as_(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


def post(client: Client, path: str, body: dict | None = None):
    import json

    return client.post(path, json.dumps(body or {}), content_type="application/json")


def test_counts_stay_exact_through_the_whole_lifecycle(cast, clickup, ddb_client, table):
    def check() -> None:
        assert stored_cells(ddb_client, table) == recount()

    # sync create: three problem reports from ClickUp
    add_problem(clickup, "86fc00001", priority=2, estimate_min=20)  # high, < 30m
    add_problem(clickup, "86fc00002", priority=3, estimate_min=90)  # medium, 1h-3h
    add_problem(
        clickup,
        "86fc00003",
        shop=LASERS,
        priority=4,
        estimate_min=None,
        description="Problem Type: Facilities",
        custom_fields={"34389c82-a2cf-423f-ace3-8d352a771f09": 1},
    )
    for task_id in ("86fc00001", "86fc00002", "86fc00003"):
        post_webhook(clickup, "taskCreated", task_id)
    process()
    check()
    assert api_total() == 3
    assert api_total(urgency="high", shop="woodshop") == 1
    assert api_total(time="60_180") == 1

    # ClickUp changes the urgency: the task moves cells without changing status
    clickup.update_task("86fc00002", priority=1)
    post_webhook(clickup, "taskPriorityUpdated", "86fc00002")
    process()
    check()
    assert api_total(urgency="critical") == 1 and api_total(urgency="medium") == 0

    alex = as_(ALEX)
    assert post(alex, "/api/v1/tasks/86fc00001/claim").status_code == 200
    check()
    assert api_total() == 2 and api_total(status="IN_PROGRESS") == 1

    assert post(alex, "/api/v1/tasks/86fc00001/release", {"reason": "no time"}).status_code == 200
    check()
    assert api_total() == 3

    assert post(alex, "/api/v1/tasks/86fc00001/claim").status_code == 200
    assert post(alex, "/api/v1/tasks/86fc00001/complete", {"hours": 1}).status_code == 200
    check()
    assert api_total(status="DONE") == 1 and api_total() == 2

    # ClickUp reopens the finished task
    clickup.update_task("86fc00001", status="Open")
    post_webhook(clickup, "taskStatusUpdated", "86fc00001")
    process()
    check()
    assert api_total(status="DONE") == 0 and api_total() == 3

    # ClickUp deletes one
    clickup.delete_task("86fc00002")
    post_webhook(clickup, "taskDeleted", "86fc00002")
    process()
    check()
    assert api_total() == 2
    body = Client().get("/api/v1/tasks", {"counts": "true"}).json()
    assert body["facets"]["shop"]["woodshop"] == 1 and body["facets"]["shop"]["lasers"] == 1


def test_racing_moves_keep_the_counts_exact(cast, clickup, ddb_client, table):
    """Each round, a claim and a ClickUp urgency change hit the same task at the same moment,
    while another task of the same shop is claimed too (all three write the woodshop's counter
    item). Whatever order DynamoDB applies them in, the cells equal a recount."""
    from tasks import lifecycle

    rounds = 6
    ids = [f"86race{n:03d}" for n in range(2 * rounds)]
    for task_id in ids:
        add_problem(clickup, task_id, shop=WOODSHOP, priority=3, estimate_min=45)
        post_webhook(clickup, "taskCreated", task_id)
    process()
    deps = get_container().lifecycle()
    errors: list[BaseException] = []

    def run(fn) -> None:
        try:
            fn()
        except BaseException as exc:
            from voldash_site.errors import DomainError

            if not isinstance(exc, DomainError):
                errors.append(exc)

    for n in range(rounds):
        first, second = ids[2 * n], ids[2 * n + 1]
        clickup.update_task(first, priority=1 + n % 4)
        post_webhook(clickup, "taskPriorityUpdated", first)
        barrier = threading.Barrier(3)

        def claim(task_id: str, who: str, barrier=barrier) -> None:
            barrier.wait()
            lifecycle.claim_task(task_id=task_id, actor_id=who, deps=deps)

        def sync(barrier=barrier) -> None:
            barrier.wait()
            process()

        threads = [
            threading.Thread(target=run, args=(lambda f=first: claim(f, JORDAN),)),
            threading.Thread(target=run, args=(lambda s=second: claim(s, "1005"),)),
            threading.Thread(target=run, args=(sync,)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # free the claim slots for the next round (a release is a move too)
        for task_id, who in ((first, JORDAN), (second, "1005")):
            task = get_container().tasks.get(task_id)
            if task.assignee is not None:
                run(
                    lambda t=task_id, w=who: lifecycle.release_task(
                        task_id=t, actor_id=w, reason=None, deps=deps
                    )
                )
        assert not errors, errors
        assert stored_cells(ddb_client, table) == recount()
    assert sum(stored_cells(ddb_client, table).values()) == len(ids)


def test_backfill_counts_tasks_stored_before_the_cells_once(cast, ddb_client, table):
    """A task item as stored before the task list existed (no GSI4..7 keys, no facet cell, not
    in any cell) is counted exactly once, however many times the backfill runs."""
    from django.core.management import call_command

    from tests.builders import a_task

    tasks = get_container().tasks
    old, new = a_task(shop="woodshop"), a_task(shop="woodshop")
    tasks.upsert(old)
    tasks.upsert(new)
    # make ``old`` what an older release stored, and take it out of its cell
    ddb_client.update_item(
        TableName=table.table_name,
        Key={"PK": {"S": f"TASK#{old.id}"}, "SK": {"S": "TASK"}},
        UpdateExpression="REMOVE facet_cell, feed_type, time_bucket, "
        "GSI4PK, GSI4SK, GSI5PK, GSI5SK, GSI7PK, GSI7SK",
    )
    cell = facet_key(old).cell
    ddb_client.update_item(
        TableName=table.table_name,
        Key={"PK": {"S": "SHOPS"}, "SK": {"S": "SHOP#woodshop#COUNTS"}},
        UpdateExpression="ADD #c :minus",
        ExpressionAttributeNames={"#c": cell},
        ExpressionAttributeValues={":minus": {"N": "-1"}},
    )
    assert api_total() == 1  # only ``new`` is counted
    assert [t["id"] for t in Client().get("/api/v1/tasks", {"sort": "urgency"}).json()["items"]] == [new.id]

    call_command("backfill_feed", stdout=None)
    call_command("backfill_feed", stdout=None)
    assert stored_cells(ddb_client, table) == recount()
    assert api_total() == 2
    listed = Client().get("/api/v1/tasks", {"sort": "urgency"}).json()["items"]
    assert sorted(t["id"] for t in listed) == sorted([old.id, new.id])


def test_a_move_planned_on_a_stale_read_is_refused_and_counts_nothing(cast, ddb_client, table):
    """The claim read the task, then ClickUp changed its urgency: the claim's transition was
    planned for the old cell, so DynamoDB refuses it (the condition on ``facet_cell``) instead of
    taking the task out of a cell it is no longer in."""
    from datetime import UTC, datetime

    import pytest

    from tasks.domain import TaskStatus, Urgency
    from tests.builders import a_task
    from voldash_site.errors import WriteRefused

    c = get_container()
    stale = a_task(shop="woodshop", urgency=Urgency.MEDIUM)
    c.tasks.upsert(stale)
    c.tasks.upsert(stale.with_changes(urgency=Urgency.CRITICAL))  # the sync's write
    before = stored_cells(ddb_client, table)
    with pytest.raises(WriteRefused) as refused:
        c.uow.commit(
            c.tasks.transition_writes(
                stale, to_status=TaskStatus.IN_PROGRESS, assignee=None, at=datetime.now(UTC)
            )
        )
    assert "task" in refused.value.tags
    assert stored_cells(ddb_client, table) == before == recount()
