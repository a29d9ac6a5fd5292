"""The volunteer's own pages: stats and streaks, hours (JSON and CSV), leaderboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.builders import a_task
from tests.tasks.test_lifecycle_api import ALEX, JORDAN, PRIYA, as_
from voldash_site.container import get_container
from volunteers.use_cases import current_streak


@pytest.mark.parametrize(
    ("days_ago", "streak"),
    [([], 0), ([0], 1), ([1], 1), ([0, 1, 2], 3), ([1, 2, 3], 3), ([0, 2, 3], 1), ([2, 3], 0)],
)
def test_a_streak_counts_consecutive_days_up_to_today_or_yesterday(days_ago, streak):
    today = date(2026, 11, 26)
    assert current_streak({today - timedelta(days=d) for d in days_ago}, today) == streak


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def finish(client, task, hours: float) -> None:
    assert client.post(f"/api/v1/tasks/{task.id}/claim").status_code == 200
    response = client.post(f"/api/v1/tasks/{task.id}/complete", {"hours": hours})
    assert response.status_code == 200, response.content


@pytest.fixture
def clock(cast):
    clock = Clock(datetime(2026, 11, 24, 18, tzinfo=UTC))
    get_container().clock = clock
    return clock


def test_stats_hours_and_streak_over_several_days(clock):
    store = get_container().tasks
    alex = as_(ALEX)
    for hours in (1.0, 2.5, 0.5):
        task = a_task(shop="general")
        store.upsert(task)
        finish(alex, task, hours)
        clock.now += timedelta(days=1)
    clock.now -= timedelta(days=1)
    stats = alex.get("/api/v1/me/stats").json()
    assert stats == {
        "hours_this_month": 4.0,
        "hours_lifetime": 4.0,
        "pending_hours": 4.0,
        "tasks_completed": 3,
        "tasks_this_month": 3,
        "points": 90,
        "points_this_month": 90,
        "current_streak_days": 3,
    }
    hours = alex.get("/api/v1/me/hours", {"month": "2026-11"}).json()
    assert [h["hours"] for h in hours["items"]] == [0.5, 2.5, 1.0]  # newest first
    assert hours["total_hours"] == 4.0
    assert alex.get("/api/v1/me/hours", {"month": "2026-10"}).json()["items"] == []


def test_hours_export_as_csv(clock):
    store = get_container().tasks
    alex = as_(ALEX)
    task = a_task(shop="general", title="=HYPERLINK(evil) - Lobby door")
    store.upsert(task)
    finish(alex, task, 1.25)
    response = alex.get("/api/v1/me/hours", {"format": "csv", "month": "2026-11"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="volunteer-hours-2026-11.csv"' in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0] == "date,task_id,task,shop,hours,points,status,note"
    assert lines[1].startswith(f"2026-11-24,{task.id},'=HYPERLINK(evil) - Lobby door,general,1.25,30,PENDING")


@pytest.mark.parametrize("month", ["2026-13", "26-11", "november", "2026-1"])
def test_a_bad_month_is_a_clear_422(clock, month):
    alex = as_(ALEX)
    for path in ("/api/v1/me/hours", "/api/v1/leaderboard"):
        response = alex.get(path, {"month": month})
        assert response.status_code == 422
        assert "month" in response.json()["message"]


def test_the_leaderboard_ranks_the_month_by_points(clock):
    store = get_container().tasks
    alex, priya, jordan = as_(ALEX), as_(PRIYA), as_(JORDAN)
    from tasks.domain import Urgency

    for client, urgency in ((alex, Urgency.LOW), (priya, Urgency.CRITICAL), (jordan, Urgency.MEDIUM)):
        task = a_task(shop="general", urgency=urgency)
        store.upsert(task)
        finish(client, task, 1)
    board = alex.get("/api/v1/leaderboard", {"month": "2026-11"}).json()
    assert board["month"] == "2026-11"
    assert [(r["rank"], r["name"], r["points"]) for r in board["items"]] == [
        (1, "Priya Natarajan", 60),
        (2, "Jordan Lee", 30),
        (3, "Alex Rivera", 20),
    ]
    assert [r["is_me"] for r in board["items"]] == [False, False, True]
    assert [r["is_me"] for r in priya.get("/api/v1/leaderboard", {"month": "2026-11"}).json()["items"]] == [
        True,
        False,
        False,
    ]
    assert all("neon_id" not in r for r in board["items"])  # other people's ids stay private
    assert alex.get("/api/v1/leaderboard", {"month": "2026-10"}).json()["items"] == []


def test_me_needs_a_session(cast):
    from django.test import Client

    for path in (
        "/api/v1/me",
        "/api/v1/me/stats",
        "/api/v1/me/tasks",
        "/api/v1/me/hours",
        "/api/v1/leaderboard",
        "/api/v1/activity",
    ):
        response = Client().get(path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "not_authenticated"
