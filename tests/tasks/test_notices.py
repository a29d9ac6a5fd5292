"""Personal notices (README: Notifications): what reaches a person, once, never the one who
acted, through a fake Slack (direct messages found by e-mail) or Django's mailbox, against
DynamoDB Local; ClickUp changes arrive as signed webhooks from the fake ClickUp."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client

from integrations.outbox.domain import Channel, OutboxStatus
from tasks import lifecycle
from tests.conftest import login
from tests.integrations.helpers import (
    WOODSHOP,
    add_problem,
    deliver,
    post_webhook,
    process,
)
from tests.tasks.test_lifecycle_api import JsonClient as LifecycleClient
from voldash_site.container import get_container
from voldash_site.dynamodb.metrics import count_calls

ALEX, PRIYA, SAM, JORDAN, MORGAN, CASEY = "1001", "1002", "1003", "1004", "1005", "1006"
U_ALEX, U_JORDAN = "U0ALEX001", "U0JORD001"
TITLE = "Bandsaw <b>tires</b> & *guides*"


class JsonClient(LifecycleClient):
    def patch(self, path, data=None, **kw):
        kw.setdefault("content_type", "application/json")
        return super().patch(path, data, **kw)


def as_(neon_id: str) -> JsonClient:
    client = JsonClient()
    login(client, neon_id)
    return client


@pytest.fixture
def world(cast, clickup, slack, settings):
    settings.PUBLIC_BASE_URL = "https://volunteer.asmbly.org"
    settings.FRONTEND_URL = "https://volunteer.asmbly.org"

    slack.add_user(U_ALEX, "alex@example.org", name="Alex Rivera")
    slack.add_user(U_JORDAN, "jordan@example.org", name="Jordan Lee")
    mail.outbox.clear()
    return clickup, slack


def a_synced_task(clickup, task_id: str = "86note001", *, title: str = TITLE, priority: int = 3, due_ms=None):
    add_problem(clickup, task_id, shop=WOODSHOP, name=title, priority=priority, due_date_ms=due_ms)
    post_webhook(clickup, "taskCreated", task_id)
    process()
    return task_id


def claimed_by_alex(clickup, task_id: str = "86note001") -> str:
    a_synced_task(clickup, task_id)
    assert as_(ALEX).post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    return task_id


def later(minutes: float) -> None:
    """Move the app's clock on (the coalescing window, the morning digest)."""
    c = get_container()
    moved = c.clock() + timedelta(minutes=minutes)
    c.clock = lambda: moved


def settle(minutes: float = 4) -> None:
    """Deliver what is due now (the events' fan-out), then again after the window closes."""
    deliver()
    later(minutes)
    deliver()


def notices(status: OutboxStatus | None = None) -> list:
    c = get_container()
    statuses = [status] if status else list(OutboxStatus)
    return [m for s in statuses for m in c.outbox.list_by_status(s) if m.channel is Channel.NOTICE]


def test_a_lead_releasing_a_held_task_tells_the_holder_once_by_slack_direct_message(world):
    clickup, slack = world
    task_id = claimed_by_alex(clickup)
    c = get_container()
    lifecycle.release_task(
        task_id=task_id, actor_id=JORDAN, deps=c.lifecycle(), reason="Parts <due> *Monday* & later"
    )
    settle()
    dms = slack.direct_messages(U_ALEX)
    assert len(dms) == 1, dms
    text = dms[0]["text"]
    assert "Jordan Lee released" in text
    # outside text escaped for mrkdwn: no markup, no link, no mention can be smuggled in
    assert "&lt;b&gt;tires&lt;/b&gt; &amp;" in text and "Parts &lt;due&gt;" in text
    assert f"<https://volunteer.asmbly.org/tasks/{task_id}|Open the task>" in text
    assert re.search(r"<https://volunteer\.asmbly\.org/auth/notices/off/[^|>]+\|stop tasks released", text)
    assert slack.direct_messages(U_JORDAN) == []  # never the one who acted
    settle()  # the schedule firing again sends nothing more
    assert len(slack.direct_messages(U_ALEX)) == 1


def test_nobody_hears_about_their_own_claim_and_release(world):
    clickup, slack = world
    task_id = claimed_by_alex(clickup)
    assert as_(ALEX).post(f"/api/v1/tasks/{task_id}/release", {}).status_code == 200
    settle()
    assert slack.direct_messages(U_ALEX) == [] and mail.outbox == []
    assert [m for m in notices() if m.action == "notice.send"] == []


def test_a_reassignment_tells_the_previous_holder_and_the_new_assignee_by_email_where_slack_has_no_user(
    world,
):
    clickup, slack = world
    task_id = claimed_by_alex(clickup)
    c = get_container()
    lifecycle.reassign_task(
        task_id=task_id,
        actor_id=JORDAN,
        new_assignee_id=SAM,
        deps=c.lifecycle(),
        reason="Sam is shadowing <Jordan>",
        override=True,
    )
    settle()
    alex = slack.direct_messages(U_ALEX)
    assert len(alex) == 1 and "gave" in alex[0]["text"] and "to someone else" in alex[0]["text"]
    assert "shadowing" not in alex[0]["text"]  # the lead's note about Sam is not Alex's business
    (sam,) = [m for m in mail.outbox if m.to == ["sam@example.org"]]
    assert "Jordan Lee assigned" in sam.body and TITLE in sam.body  # plain part: the text as it is
    html, mime = sam.alternatives[0]
    assert mime == "text/html"
    assert "&lt;b&gt;tires&lt;/b&gt; &amp; *guides*" in html and "<b>tires" not in html
    assert sam.extra_headers["List-Unsubscribe"].startswith("<https://volunteer.asmbly.org/auth/notices/off/")
    assert sam.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "\n" not in sam.subject
    assert slack.direct_messages(U_JORDAN) == []


def test_a_burst_of_clickup_edits_on_a_held_task_is_one_message_with_the_latest_due_date(world):
    clickup, slack = world
    task_id = claimed_by_alex(clickup)
    deliver()
    base = int(datetime(2027, 1, 4, 18, tzinfo=UTC).timestamp() * 1000)
    for day in range(10):  # ten edits, each processed on its own (no inbox coalescing helps here)
        clickup.update_task(task_id, due_date_ms=base + day * 86_400_000)
        post_webhook(clickup, "taskDueDateUpdated", task_id)
        process()
        deliver()
    later(4)
    deliver()
    dms = slack.direct_messages(U_ALEX)
    assert len(dms) == 1, [d["text"] for d in dms]
    assert "Wed 13 Jan 2027" in dms[0]["text"]  # the last date (Austin time), said once
    assert dms[0]["text"].count("The due date of") == 1


def test_clickup_closing_a_held_task_tells_the_holder(world):
    clickup, slack = world
    task_id = claimed_by_alex(clickup)
    deliver()
    clickup.update_task(task_id, status="Closed")
    post_webhook(clickup, "taskStatusUpdated", task_id)
    process()
    settle()
    (dm,) = slack.direct_messages(U_ALEX)
    assert "closed in ClickUp" in dm["text"]


def test_a_comment_by_someone_else_reaches_the_holder_and_their_own_does_not(world):
    clickup, slack = world
    task_id = claimed_by_alex(clickup)
    assert as_(ALEX).post(f"/api/v1/tasks/{task_id}/comments", {"text": "On it"}).status_code == 201
    assert (
        as_(SAM).post(f"/api/v1/tasks/{task_id}/comments", {"text": "Try <@U0ALL> the *spare*"}).status_code
        == 201
    )
    settle()
    (dm,) = slack.direct_messages(U_ALEX)
    assert "Sam Okafor commented" in dm["text"] and "&lt;@U0ALL&gt;" in dm["text"]
    assert "On it" not in dm["text"]


def test_turning_a_kind_off_in_the_profile_stops_it_and_the_settings_are_served(world):
    clickup, slack = world
    task_id = claimed_by_alex(clickup)
    alex = as_(ALEX)
    shown = alex.get("/api/v1/me").json()["preferences"]["notices"]
    assert shown["channel"] == "slack" and "comment" in shown["kinds"] and "new_urgent" not in shown["kinds"]
    kinds = [k for k in shown["kinds"] if k != "comment"]
    answer = alex.patch("/api/v1/me/preferences", {"notices": {"kinds": kinds}})
    assert answer.status_code == 200 and "comment" not in answer.json()["notices"]["kinds"]
    later(1)
    as_(SAM).post(f"/api/v1/tasks/{task_id}/comments", {"text": "hello"})
    settle()
    assert slack.direct_messages(U_ALEX) == []
    bad = alex.patch("/api/v1/me/preferences", {"notices": {"kinds": ["everything"]}})
    assert bad.status_code in (400, 422)
    assert "comment" not in alex.get("/api/v1/me").json()["preferences"]["notices"]["kinds"]


def test_the_one_click_link_turns_that_kind_off_and_a_scanner_opening_it_changes_nothing(world):
    clickup, slack = world
    task_id = claimed_by_alex(clickup)
    lifecycle.release_task(task_id=task_id, actor_id=JORDAN, deps=get_container().lifecycle(), reason="r")
    settle()
    (dm,) = slack.direct_messages(U_ALEX)
    path = re.search(r"<https://volunteer\.asmbly\.org(/auth/notices/off/[^|>]+)\|", dm["text"]).group(1)
    page = Client().get(path)
    assert page.status_code == 200 and b"Stop notices about tasks released by a lead" in page.content
    assert "released" in get_container().volunteers.get(ALEX).preferences.notices.kinds
    done = Client(enforce_csrf_checks=True).post(path)  # a mail program's one-click POST: no cookie
    assert done.status_code == 200 and b"Done" in done.content
    assert "released" not in get_container().volunteers.get(ALEX).preferences.notices.kinds
    assert Client().get(path[:-3] + "xyz").status_code == 404  # a tampered link changes nothing


def test_the_daily_digest_sends_one_quiet_message_in_the_morning(world):
    clickup, slack = world
    alex = as_(ALEX)
    alex.patch("/api/v1/me/preferences", {"notices": {"mode": "digest"}})
    later(1)
    first = claimed_by_alex(clickup, "86note001")
    second = claimed_by_alex(clickup, "86note002")
    c = get_container()
    for task_id in (first, second):
        lifecycle.release_task(task_id=task_id, actor_id=JORDAN, deps=c.lifecycle(), reason="r")
    from tasks.notices import send_after

    if send_after(c.clock(), digest=True) - c.clock() > timedelta(minutes=15):
        settle(minutes=10)
        assert slack.direct_messages(U_ALEX) == []  # not before the morning
    later(24 * 60)
    deliver()
    (dm,) = slack.direct_messages(U_ALEX)
    assert "2 updates" in dm["text"] and first in dm["text"] and second in dm["text"]


def test_events_from_before_a_preference_change_are_not_sent(world):
    clickup, slack = world
    task_id = claimed_by_alex(clickup)
    lifecycle.release_task(task_id=task_id, actor_id=JORDAN, deps=get_container().lifecycle(), reason="r")
    later(1)
    as_(ALEX).patch("/api/v1/me/preferences", {"notices": {"channel": "email"}})  # after the release
    settle()
    assert slack.direct_messages(U_ALEX) == [] and mail.outbox == []


def test_each_event_reaches_a_person_at_most_once_even_when_its_fan_out_runs_again(world):
    clickup, slack = world
    task_id = claimed_by_alex(clickup)
    lifecycle.release_task(task_id=task_id, actor_id=JORDAN, deps=get_container().lifecycle(), reason="r")
    pending = notices(OutboxStatus.PENDING)
    (event,) = [m for m in pending if m.action == "notice.event" and m.payload["what"] == "released"]
    sender = get_container().senders()[Channel.NOTICE]
    assert sender.send(event) == "1 queued"
    assert sender.send(event) == "1 duplicate"  # a retry after a lost answer, a replay
    settle()
    assert len(slack.direct_messages(U_ALEX)) == 1


def test_a_new_urgent_repair_reaches_the_certified_members_who_asked_for_it(world):
    clickup, slack = world
    for who in (ALEX, SAM, CASEY):  # Sam lacks Woodshop Safety; Casey's membership lapsed
        body = {"notices": {"kinds": ["new_urgent", "released"]}}
        assert as_(who).patch("/api/v1/me/preferences", body).status_code == 200
    later(1)
    a_synced_task(clickup, "86urgent1", title="Dust collector on fire", priority=1)
    a_synced_task(clickup, "86normal1", title="Squeaky door", priority=3)
    settle()
    (dm,) = slack.direct_messages(U_ALEX)
    assert "New critical repair in woodshop" in dm["text"] and "86urgent1" in dm["text"]
    assert "86normal1" not in dm["text"]
    assert [m.to for m in mail.outbox] == []  # neither Sam nor Casey
    alex = as_(ALEX)
    alex.patch("/api/v1/me/preferences", {"notices": {"kinds": ["released"]}})  # and off again
    later(1)
    a_synced_task(clickup, "86urgent2", title="Another fire", priority=1)
    settle()
    assert len(slack.direct_messages(U_ALEX)) == 1


def test_a_notice_nobody_can_receive_fails_visibly_on_the_staff_sync_page(world, settings):
    clickup, _ = world
    task_id = claimed_by_alex(clickup)
    c = get_container()
    alex = c.volunteers.get(ALEX)
    from dataclasses import replace

    c.volunteers.save(replace(alex, email=None))
    lifecycle.release_task(task_id=task_id, actor_id=JORDAN, deps=c.lifecycle(), reason="r")
    settle()
    (failed,) = notices(OutboxStatus.FAILED)
    assert failed.action == "notice.send" and "no e-mail address" in (failed.last_error or "")
    staff = Client()
    login(staff, MORGAN)
    page = staff.get("/staff/sync/")
    assert page.status_code == 200 and failed.id.encode() in page.content


@pytest.mark.slow
def test_the_fan_out_to_500_watchers_costs_a_few_reads_and_one_transaction_each(world, capsys):
    from volunteers.domain import NoticeKind, NoticePrefs, Preferences, Volunteer

    clickup, _ = world
    c = get_container()
    wood = c.shops.get("woodshop")
    certs = frozenset(r.neon_field_id for r in wood.required_certifications)
    prefs = Preferences(notices=NoticePrefs(kinds=frozenset({NoticeKind.NEW_URGENT})))
    for n in range(500):
        neon_id = str(50_000 + n)
        c.volunteers.save(
            Volunteer(
                neon_id,
                f"Member {n}",
                email=f"m{n}@example.org",
                membership_active=True,
                certifications=certs,
            )
        )
        c.volunteers.set_preferences(neon_id, prefs, watch=["woodshop"])
    later(1)
    a_synced_task(clickup, "86urgent9", title="Band saw blade snapped", priority=2)
    pending = notices(OutboxStatus.PENDING)
    (event,) = [m for m in pending if m.action == "notice.event" and m.task_id == "86urgent9"]
    sender = c.senders()[Channel.NOTICE]
    with count_calls() as calls:
        result = sender.send(event)
    assert result == "500 queued"
    ops = dict(calls.by_operation)
    print(f"\nfan-out to 500 watchers: {sum(ops.values())} DynamoDB requests {ops}")
    # the task (one Query of its item collection), the shops (unless cached) and the watchers
    assert ops.get("Query", 0) <= 3 and ops.get("BatchGetItem") == 5 and "GetItem" not in ops
    assert ops.get("TransactWriteItems") == 500 and "Scan" not in ops
    waiting = c.outbox.list_by_status(OutboxStatus.PENDING, limit=1000)
    assert len([m for m in waiting if m.action == "notice.send"]) == 500


def test_pm_falling_due_reaches_watchers_once_per_due_date(world):
    from io import StringIO

    from django.core.management import call_command

    from tests.integrations.helpers import FREQUENCY, FREQUENCY_OPTIONS, PM, WORKSPACE

    clickup, slack = world
    body = {"notices": {"kinds": ["pm_due"]}}
    assert as_(ALEX).patch("/api/v1/me/preferences", body).status_code == 200
    later(1)
    now_ms = int(get_container().clock().timestamp() * 1000)
    for task_id, due_days in (("86pmdue01", 0.5), ("86pmlate1", 5)):
        clickup.add_task(
            task_id,
            list_id=PM,
            name=f"PM: Jointer <knives> {task_id}",
            status="to do",
            due_date_ms=now_ms + int(due_days * 86_400_000),
            custom_fields={WORKSPACE: WOODSHOP, FREQUENCY: FREQUENCY_OPTIONS.index("Monthly")},
        )
        post_webhook(clickup, "taskCreated", task_id)
    process()

    def run() -> str:
        out = StringIO()
        call_command("announce_pm_due", stdout=out)
        return out.getvalue()

    assert "1 PM tasks announced" in run()
    assert "0 PM tasks announced, 1 already announced" in run()  # the schedule firing twice
    settle()
    (dm,) = slack.direct_messages(U_ALEX)
    assert "86pmdue01" in dm["text"] and "&lt;knives&gt;" in dm["text"] and "86pmlate1" not in dm["text"]


def test_the_one_click_token_is_not_written_to_the_logs(world, caplog):
    from volunteers.domain import NoticeKind
    from volunteers.notice_links import notice_off_token

    token = notice_off_token(ALEX, NoticeKind.COMMENT)
    with caplog.at_level("INFO"):
        Client().get(f"/auth/notices/off/{token}")
    logged = "\n".join(r.getMessage() + " " + str(getattr(r, "path", "")) for r in caplog.records)
    assert token not in logged and "/auth/notices/off/{token}" in logged
