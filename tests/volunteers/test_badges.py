"""Badges: earned in the transaction of the completion (or approval) that reaches a milestone,
exactly once even when completions race, listed on the profile and in the activity feed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from tests.builders import a_task
from tests.conftest import login
from voldash_site.container import get_container
from voldash_site.errors import WriteRefused
from volunteers import badges
from volunteers.domain import MAKERSPACE_TZ, HoursEntry

ALEX, JORDAN, MORGAN = "1001", "1004", "1005"


def member(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


def hold(task_id: str, neon_id: str = ALEX, name: str = "Alex Rivera", *, limit: int = 20) -> None:
    """A task ``neon_id`` holds (the task, their claim slot and record), as a claim leaves it."""
    from tasks.domain import Assignee, TaskStatus
    from volunteers.domain import Claim

    c = get_container()
    task = a_task(
        id=task_id, shop="woodshop", status=TaskStatus.IN_PROGRESS, assignee=Assignee(neon_id, name)
    )
    c.tasks.upsert(task)
    claim = Claim(neon_id, task.id, task.title, "woodshop", task.created_at)
    c.uow.commit(
        c.volunteers.claim_writes(
            c.volunteers.get(neon_id), claim, limit=limit, required=(), require_all=False
        )
    )


def complete(client: Client, task_id: str, hours: float = 1) -> int:
    response = client.post(
        f"/api/v1/tasks/{task_id}/complete", {"hours": hours}, content_type="application/json"
    )
    return response.status_code


def profile_badges(client: Client) -> list[str]:
    return [b["id"] for b in client.get("/api/v1/me").json()["badges"]]


def badge_activity(client: Client) -> list[tuple[str, str]]:
    items = client.get("/api/v1/activity", {"limit": 50}).json()["items"]
    return [(a["volunteer"], a["badge"]) for a in items if a["action"] == "badge_earned"]


def test_the_first_completion_earns_first_fix_once(cast):
    alex = member(ALEX)
    hold("86badge1")
    hold("86badge2")
    assert complete(alex, "86badge1") == 200
    me = alex.get("/api/v1/me").json()
    assert [(b["id"], b["name"]) for b in me["badges"]] == [("first_task", "First Fix")]
    assert datetime.fromisoformat(me["badges"][0]["earned_at"]) <= datetime.now(UTC)
    assert complete(alex, "86badge2") == 200
    assert profile_badges(alex) == ["first_task"]
    assert get_container().volunteers.badge_ids(ALEX) == ["first_task"]
    assert badge_activity(alex) == [("Alex Rivera", "First Fix")]
    detail = alex.get("/api/v1/tasks/86badge1").json()
    assert "badge_earned" in [h["action"] for h in detail["history"]]  # beside what earned it
    assert "First Fix" in member(MORGAN).get(f"/staff/volunteers/{ALEX}/").content.decode()


def test_ten_tasks_and_a_week_streak_over_ten_days(cast, monkeypatch):
    c = get_container()
    alex = member(ALEX)
    start = datetime(2026, 11, 1, 18, tzinfo=MAKERSPACE_TZ)
    earned_on: dict[str, int] = {}
    for day in range(10):
        monkeypatch.setattr(c, "clock", lambda d=day: (start + timedelta(days=d)).astimezone(UTC))
        hold(f"86streak{day}")
        assert complete(alex, f"86streak{day}") == 200
        for b in profile_badges(alex):
            earned_on.setdefault(b, day + 1)
    assert earned_on == {"first_task": 1, "week_streak": 7, "ten_tasks": 10}
    assert c.volunteers.badge_ids(ALEX) == ["first_task", "ten_tasks", "week_streak"]
    # A day missed starts the streak again; no badge is earned twice.
    monkeypatch.setattr(c, "clock", lambda: (start + timedelta(days=12)).astimezone(UTC))
    hold("86streak12")
    assert complete(alex, "86streak12") == 200
    assert c.volunteers.get(ALEX).streak_days == 1
    assert sorted(n for _, n in badge_activity(alex)) == ["First Fix", "Fixer", "On a Roll"]


def test_fifty_approved_hours_are_earned_by_the_approval(cast):
    c = get_container()
    alex = member(ALEX)
    yesterday = (datetime.now(MAKERSPACE_TZ) - timedelta(days=1)).date().isoformat()
    morgan = member(MORGAN)

    def report_and_approve(hours: float) -> None:
        body = {
            "kind": "on_duty",
            "date": yesterday,
            "hours": hours,
            "shop": "woodshop",
            "description": "Shift",
        }
        assert alex.post("/api/v1/me/hours", body, content_type="application/json").status_code == 201
        [pending] = c.volunteers.pending_hours(shops=None).items
        response = morgan.post(
            f"/staff/volunteers/{ALEX}/review", {"key": pending.key, "decision": "approve"}
        )
        assert response.status_code == 302

    for _ in range(4):
        report_and_approve(12)
    assert profile_badges(alex) == []  # 48 approved hours
    report_and_approve(2)
    assert profile_badges(alex) == ["fifty_hours"]
    report_and_approve(1)
    assert c.volunteers.badge_ids(ALEX) == ["fifty_hours"]
    assert badge_activity(alex) == [("Alex Rivera", "50 Hours")]
    assert c.volunteers.get(ALEX).hours_approved == 51.0


def test_a_completion_judged_on_a_stale_read_is_refused(cast):
    """Two completions of one person judged on the same read (rev 0, no badge yet): the second
    one's transaction is refused by its conditions, so it cannot write a second First Fix nor
    move the counters as if it had seen them: it must read again."""
    c = get_container()
    alex = c.volunteers.get(ALEX)
    now = datetime.now(UTC)
    progress = badges.on_completion(alex, now.date())
    assert progress.badges == (badges.FIRST_TASK,)

    def writes(task_id: str):
        entry = HoursEntry(ALEX, task_id, "T", "woodshop", 1.0, 10, now)
        return c.volunteers.complete_writes(
            ALEX, "Alex Rivera", entry, recorded=False, progress=progress, seen_rev=alex.progress_rev
        )

    c.uow.commit(writes("86stale1"))
    with pytest.raises(WriteRefused) as refused:
        c.uow.commit(writes("86stale2"))
    assert {"progress", "badge"} <= refused.value.tags
    fresh = c.volunteers.get(ALEX)
    assert fresh.tasks_completed == 1 and [b.badge_id for b in fresh.badges] == ["first_task"]
    # Judged again on the fresh read: no badge, and the write goes through.
    again = badges.on_completion(fresh, now.date())
    assert again.badges == ()
    entry = HoursEntry(ALEX, "86stale2", "T", "woodshop", 1.0, 10, now)
    c.uow.commit(
        c.volunteers.complete_writes(
            ALEX, "Alex Rivera", entry, recorded=False, progress=again, seen_rev=fresh.progress_rev
        )
    )
    assert c.volunteers.get(ALEX).tasks_completed == 2


def test_racing_completions_award_the_tenth_task_badge_exactly_once(cast):
    """Eight tasks done, then four completions of the same person at once (the holder and two
    leads): whatever order DynamoDB settles them in, Fixer is awarded once, with the tenth."""
    c = get_container()
    alex = member(ALEX)
    for i in range(8):
        hold(f"86pre{i}")
        assert complete(alex, f"86pre{i}") == 200
    racers = [f"86race{i}" for i in range(4)]
    for task_id in racers:
        hold(task_id)
    clients = [member(ALEX), member(ALEX), member(JORDAN), member(MORGAN)]
    barrier = threading.Barrier(len(racers))
    results: list[int] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        for _ in range(10):  # a client told "changed meanwhile, retry" retries
            response = clients[i].post(
                f"/api/v1/tasks/{racers[i]}/complete", {"hours": 1}, content_type="application/json"
            )
            if response.status_code != 409 or response.json()["code"] not in ("task_changed", "conflict"):
                break
        with lock:
            results.append(response.status_code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(racers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == [200] * len(racers)
    fresh = c.volunteers.get(ALEX)
    assert fresh.tasks_completed == 12
    assert [b.badge_id for b in fresh.badges] == ["first_task", "ten_tasks"]
    assert c.volunteers.badge_ids(ALEX) == ["first_task", "ten_tasks"]
    assert sorted(n for _, n in badge_activity(alex)) == ["First Fix", "Fixer"]
