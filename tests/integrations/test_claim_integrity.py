"""A task's assignee and the volunteer's claim records always agree (issue 12, defect 1).

The counter ``open_claims`` moves only together with a claim record that exists (or does not
yet exist, for a claim): DynamoDB's conditions decide, so a task that left the sync while held
and came back cannot leave a phantom holder, and no release can free a slot twice.
"""

from __future__ import annotations

import pytest

from tests.integrations.helpers import PROBLEMS, PURCHASES, add_problem, deliver, post_webhook, process
from tests.tasks.test_lifecycle_api import ALEX, as_
from voldash_site.container import get_container

TASK = "86phan001"
_DDB: list = []


@pytest.fixture(autouse=True)
def _raw_table(ddb_client, table):
    _DDB[:] = [ddb_client, table.table_name]
    yield
    _DDB.clear()


def counter(neon_id: str) -> int:
    return raw_open_claims(_DDB[0], _DDB[1], neon_id)


def raw_open_claims(ddb_client, table_name: str, neon_id: str) -> int:
    """The stored counter itself (the domain object clamps it at 0)."""
    item = ddb_client.get_item(
        TableName=table_name,
        Key={"PK": {"S": f"VOLUNTEER#{neon_id}"}, "SK": {"S": "PROFILE"}},
        ConsistentRead=True,
    )["Item"]
    return int(item.get("open_claims", {}).get("N", "0"))


def assert_claims_agree(*neon_ids: str) -> None:
    """Every held task has its holder's claim record and every claim record its held task;
    each volunteer's counter is the number of their claim records."""
    c = get_container()
    for neon_id in neon_ids:
        claims = c.volunteers.claims(neon_id)
        raw = raw_open_claims(_DDB[0], _DDB[1], neon_id)
        assert raw == len(claims), f"{neon_id}: open_claims {raw} but {len(claims)} claim records"
        for claim in claims:
            task = c.tasks.get(claim.task_id)
            assert task is not None and not task.deleted and task.assignee is not None, claim
            assert task.assignee.neon_id == neon_id, claim
    for task_id in (TASK,):
        task = c.tasks.get(task_id)
        if task is not None and task.assignee is not None and not task.deleted:
            held = [cl.task_id for cl in c.volunteers.claims(task.assignee.neon_id)]
            assert task_id in held, f"{task_id} shows {task.assignee.neon_id} as holder without a claim"


def _claimed_and_written_back(clickup) -> None:
    add_problem(clickup, TASK, name="Band Saw - Tire is cracked")
    post_webhook(clickup, "taskCreated", TASK)
    process()
    assert as_(ALEX).post(f"/api/v1/tasks/{TASK}/claim").status_code == 200
    deliver()
    assert clickup.task(TASK)["status"]["status"] == "in progress"


def test_moved_out_while_held_and_back_in_progress_leaves_no_phantom_holder(cast, clickup, slack):
    _claimed_and_written_back(clickup)
    clickup.update_task(TASK, list_id=PURCHASES)
    post_webhook(clickup, "taskMoved", TASK)
    process()
    assert_claims_agree(ALEX)
    assert counter(ALEX) == 0
    history = get_container().tasks.get_detail(TASK).history
    assert history[0].action.value == "deleted" and history[0].assignee_id == ALEX  # the claim's end

    clickup.update_task(TASK, list_id=PROBLEMS, status="in progress")  # still "in progress" in ClickUp
    post_webhook(clickup, "taskMoved", TASK)
    process()
    alex = as_(ALEX)
    shown = alex.get(f"/api/v1/tasks/{TASK}").json()
    mine = [t["id"] for t in alex.get("/api/v1/me/tasks").json()["items"]]
    assert (shown["assignee"] is not None) == (TASK in mine)
    assert_claims_agree(ALEX)

    # Nobody holds it for us, so nobody can release it, and no slot is freed twice.
    for _ in range(2):
        alex.post(f"/api/v1/tasks/{TASK}/release")
    assert counter(ALEX) == 0
    assert alex.get("/api/v1/me").json()["open_claims"] == 0
    assert_claims_agree(ALEX)


def test_restored_from_trash_while_in_progress_leaves_no_phantom_holder(cast, clickup, slack):
    _claimed_and_written_back(clickup)
    clickup.delete_task(TASK)
    post_webhook(clickup, "taskDeleted", TASK)
    process()
    assert_claims_agree(ALEX)
    clickup.restore_task(TASK)
    post_webhook(clickup, "taskUpdated", TASK)
    process()
    assert_claims_agree(ALEX)
    assert not get_container().tasks.get(TASK).deleted


def test_releasing_a_holder_without_a_claim_record_frees_no_slot(cast, clickup, slack):
    """Data written before the fix (a phantom holder): the release still works, but the counter
    only moves with a claim record, so it cannot go below the real number of claims."""
    _claimed_and_written_back(clickup)
    add_problem(clickup, "86phan002", name="Jointer - Knives are nicked")
    post_webhook(clickup, "taskCreated", "86phan002")
    process()
    alex = as_(ALEX)
    assert alex.post("/api/v1/tasks/86phan002/claim").status_code == 200
    c = get_container()
    _DDB[0].delete_item(  # the phantom: a holder without a record, as the old code left it
        TableName=_DDB[1], Key={"PK": {"S": f"VOLUNTEER#{ALEX}"}, "SK": {"S": f"CLAIM#{TASK}"}}
    )
    _DDB[0].update_item(
        TableName=_DDB[1],
        Key={"PK": {"S": f"VOLUNTEER#{ALEX}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="ADD open_claims :m",
        ExpressionAttributeValues={":m": {"N": "-1"}},
    )
    assert alex.post(f"/api/v1/tasks/{TASK}/release").status_code == 200
    assert counter(ALEX) == 1  # the other, real claim
    assert [cl.task_id for cl in c.volunteers.claims(ALEX)] == ["86phan002"]


def test_a_second_release_of_the_same_claim_moves_nothing(cast, clickup, slack):
    """Two releases racing on the same task: one wins, the other is refused; the counter moves once."""
    import threading

    _claimed_and_written_back(clickup)
    alex = as_(ALEX)
    jordan = as_("1004")  # the woodshop lead
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def release(client) -> None:
        barrier.wait()
        codes.append(client.post(f"/api/v1/tasks/{TASK}/release").status_code)

    threads = [threading.Thread(target=release, args=(who,)) for who in (alex, jordan)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes)[0] == 200 and codes.count(200) == 1
    assert counter(ALEX) == 0
    assert_claims_agree(ALEX)
