"""Issue 18: quiet claims get one reminder per quiet period (Slack DM or a channel mention)
and are released automatically later, through the release use case, with notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from integrations.outbox.domain import Channel, OutboxStatus
from tasks import lifecycle
from tasks.domain import Assignee, HistoryAction, HistorySource, TaskStatus
from tasks.upkeep.domain import StalePolicy, parse_shop_policies
from tests.builders import a_task
from tests.integrations.helpers import deliver
from voldash_site.container import get_container
from voldash_site.errors import Conflict
from volunteers.domain import Claim, Preferences

ALEX, JORDAN = "1001", "1004"
WOOD = "C0WOOD001"


def held(task_id: str, *, quiet_days: float, shop: str = "woodshop", holder=(ALEX, "Alex Rivera")):
    c = get_container()
    now = datetime.now(UTC)
    task = a_task(
        id=task_id,
        shop=shop,
        title=f"Bandsaw <tires> & {task_id}",
        status=TaskStatus.IN_PROGRESS,
        assignee=Assignee(*holder),
    ).with_changes(updated_at=now - timedelta(days=quiet_days))
    c.tasks.upsert(task)
    claim = Claim(holder[0], task.id, task.title, shop, task.created_at)
    v = c.volunteers.get(holder[0])
    c.uow.commit(c.volunteers.claim_writes(v, claim, limit=3, required=(), require_all=False))
    return task


def run() -> str:
    from io import StringIO

    out = StringIO()
    call_command("remind_stale_claims", stdout=out)
    return out.getvalue()


def queued(action: str) -> list:
    c = get_container()
    return [
        m
        for status in (OutboxStatus.PENDING, OutboxStatus.SENT, OutboxStatus.FAILED)
        for m in c.outbox.list_by_status(status)
        if m.action == action
    ]


def lookups(slack) -> int:
    return sum(1 for r in slack.requests if r.path.endswith("users.lookupByEmail"))


@pytest.fixture
def world(cast, slack):
    slack.add_user("U0ALEX01", "Alex@Example.org", name="Alex Rivera")
    return slack


def test_a_quiet_claim_gets_one_reminder_by_direct_message_with_buttons(world):
    held("86quiet1", quiet_days=8)
    held("86fresh1", quiet_days=2)
    assert "1 reminded" in run()
    assert "0 reminded" in run()  # the schedule firing twice queues nothing more
    assert len(queued("upkeep.remind")) == 1
    deliver()
    dms = world.direct_messages("U0ALEX01")
    assert len(dms) == 1
    assert "86quiet1" in dms[0]["text"] and "&lt;tires&gt; &amp;" in dms[0]["text"]
    actions = next(b for b in dms[0]["blocks"] if b["type"] == "actions")["elements"]
    assert [(a["action_id"], a["value"]) for a in actions] == [
        ("voldash.still_on_it", "86quiet1"),
        ("voldash.release", "86quiet1"),
    ]
    assert world.channel_messages(WOOD) == []
    assert get_container().tasks.get("86quiet1").status is TaskStatus.IN_PROGRESS


def test_the_slack_user_id_is_cached_on_the_profile(world):
    held("86quiet2", quiet_days=8)
    run()
    deliver()
    assert lookups(world) == 1
    c = get_container()
    c.tasks.upsert(c.tasks.get("86quiet2").with_changes(updated_at=datetime.now(UTC) - timedelta(days=9)))
    assert "1 reminded" in run()  # a new quiet period (the task changed): a new reminder
    deliver()
    assert len(world.direct_messages("U0ALEX01")) == 2
    assert lookups(world) == 1  # the cached id was used


def test_no_slack_user_means_a_mention_by_name_in_the_shop_channel(cast, slack):
    held("86quiet3", quiet_days=8)
    run()
    deliver()
    [message] = slack.channel_messages(WOOD)
    assert message["text"].startswith("*Alex Rivera*: You claimed")
    assert message["blocks"][0]["text"]["text"].startswith("*Alex Rivera*: ")


def test_direct_messages_off_means_a_mention_in_the_channel(world):
    get_container().volunteers.set_preferences(ALEX, Preferences(slack_direct_messages=False))
    held("86quiet4", quiet_days=8)
    run()
    deliver()
    assert world.direct_messages("U0ALEX01") == []
    [message] = world.channel_messages(WOOD)
    assert message["text"].startswith("<@U0ALEX01>: You claimed")


def test_a_long_quiet_claim_is_released_with_history_counters_write_back_and_notices(world):
    held("86quiet5", quiet_days=15)
    c = get_container()
    assert c.volunteers.get(ALEX).open_claims == 1
    assert "1 released" in run()
    assert "0 released" in run()
    detail = c.tasks.get_detail("86quiet5")
    assert detail.task.status is TaskStatus.OPEN and detail.task.assignee is None
    [entry] = [h for h in detail.history if h.action is HistoryAction.RELEASED]
    assert entry.source is HistorySource.SYSTEM and entry.actor_name == "voldash" and entry.actor_id is None
    assert entry.assignee_id == ALEX and "no progress for 15 days" in entry.note
    assert c.volunteers.get(ALEX).open_claims == 0
    assert c.volunteers.claims(ALEX) == []
    [write_back] = [m for m in queued("task.released") if m.channel is Channel.CLICKUP]
    assert write_back.payload["status"] == "OPEN"
    deliver()
    [notice] = world.direct_messages("U0ALEX01")
    assert "released automatically after 15 days" in notice["text"]
    [note] = world.channel_messages(WOOD)
    assert "was released automatically: Alex Rivera held it 15 days" in note["text"]


def test_a_claim_that_moved_after_it_was_found_quiet_is_not_released(world):
    task = held("86quiet6", quiet_days=15)
    c = get_container()
    c.tasks.upsert(c.tasks.get(task.id).with_changes(updated_at=datetime.now(UTC)))  # the holder acted
    auto = lifecycle.AutoRelease(
        holder_id=ALEX, quiet_since=datetime.now(UTC) - timedelta(days=14), text="released"
    )
    with pytest.raises(Conflict):
        lifecycle.release_task(task_id=task.id, actor_id=ALEX, deps=c.lifecycle(), auto=auto)
    assert c.tasks.get(task.id).status is TaskStatus.IN_PROGRESS
    assert c.volunteers.get(ALEX).open_claims == 1


def test_the_release_is_conditioned_on_no_change_since_it_was_found_quiet(world):
    """The condition is DynamoDB's: a change between the read and the write refuses it."""
    task = held("86quiet7", quiet_days=15)
    c = get_container()
    moved = c.tasks.get(task.id).with_changes(updated_at=datetime.now(UTC))
    writes = c.tasks.transition_writes(
        task,
        to_status=TaskStatus.OPEN,
        assignee=None,
        at=datetime.now(UTC),
        unchanged_since=datetime.now(UTC) - timedelta(days=14),
    )
    c.tasks.upsert(moved)
    from voldash_site.errors import WriteRefused

    with pytest.raises(WriteRefused):
        c.uow.commit(writes)
    assert c.tasks.get(task.id).status is TaskStatus.IN_PROGRESS


def test_shops_have_their_own_days(world, settings):
    settings.STALE_CLAIM_SHOP_DAYS = "lasers=2:4"
    held("86laser1", quiet_days=3, shop="lasers")
    held("86wood01", quiet_days=3)
    assert "1 reminded" in run()
    [reminder] = queued("upkeep.remind")
    assert reminder.task_id == "86laser1" and reminder.payload["channel"] == "lasers"


def test_shop_policies_are_checked():
    default = StalePolicy(7, 14)
    assert parse_shop_policies(" woodshop=5:10 , lasers=3:7", default) == {
        "woodshop": StalePolicy(5, 10),
        "lasers": StalePolicy(3, 7),
    }
    for bad in ("woodshop", "woodshop=5", "woodshop=a:b", "woodshop=10:5", "=1:2"):
        with pytest.raises(ValueError):
            parse_shop_policies(bad, default)


def test_the_cloud_runs_it_daily_on_the_reconcile_worker(world):
    from tests.test_deploy_templates import resources
    from voldash_site import lambda_workers

    held("86cloud1", quiet_days=8)
    assert lambda_workers.reconcile_handler({"job": "remind_stale_claims"}, None)["reminded"] == 1
    assert lambda_workers.reconcile_handler({"job": "remind_stale_claims"}, None)["already_sent"] == 1
    events = resources()["ReconcileFunction"]["Properties"]["Events"]
    assert events["StaleClaims"]["Properties"] == {
        "Schedule": "cron(0 15 * * ? *)",
        "Input": '{"job": "remind_stale_claims"}',
    }
    with pytest.raises(ValueError):
        lambda_workers.reconcile_handler({"job": "rm -rf"}, None)
