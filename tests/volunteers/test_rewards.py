"""Rewards: progress toward the steward requirements staff configured (Asmbly's defaults from
the demo seed: 12 approved hours a month for a basic membership, 16 plus one CSI session for
ceramics) and the monthly goal, read from counters in the summary."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import login
from voldash_site.container import get_container
from volunteers.domain import MAKERSPACE_TZ
from volunteers.rewards import ASMBLY_DEFAULTS, RewardsConfig

ALEX, JORDAN, MORGAN = "1001", "1004", "1005"
NOW = datetime(2026, 11, 20, 12, tzinfo=MAKERSPACE_TZ).astimezone(UTC)


@pytest.fixture
def mid_month(cast, monkeypatch):
    monkeypatch.setattr(get_container(), "clock", lambda: NOW)


def member(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


def rewards(client: Client) -> dict:
    body = client.get("/api/v1/me/hours/summary").json()
    return {
        "goal": (body["goal_hours"], body["goal_percent"]),
        **{
            r["id"]: (
                r["status"],
                r["progress_hours"],
                r["goal_hours"],
                r["remaining_hours"],
                [(s["label"], s["done"], s["required"], s["met"]) for s in r["sessions"]],
            )
            for r in body["rewards"]
        },
    }


def report(client: Client, hours: float, kind: str = "general", shop: str = "woodshop") -> None:
    body = {"kind": kind, "date": "2026-11-18", "hours": hours, "shop": shop, "description": "Helped out"}
    assert client.post("/api/v1/me/hours", body, content_type="application/json").status_code == 201


def approve_all(neon_id: str = ALEX) -> None:
    morgan = member(MORGAN)
    for e in get_container().volunteers.pending_hours(shops=None).items:
        response = morgan.post(f"/staff/volunteers/{neon_id}/review", {"key": e.key, "decision": "approve"})
        assert response.status_code == 302


def test_without_a_configuration_there_is_no_goal_and_no_reward(mid_month):
    assert rewards(member(ALEX)) == {"goal": (None, None)}


def test_the_demo_seed_stores_asmblys_rewards_and_keeps_staffs_edits(mid_month):
    c = get_container()
    call_command("seed_demo", tasks=0, stdout=None)
    assert c.volunteers.rewards() == ASMBLY_DEFAULTS
    edited = RewardsConfig(monthly_goal_hours=25, programs=ASMBLY_DEFAULTS.programs[:1])
    c.volunteers.save_rewards(edited, by="Morgan Chen", at=NOW)
    call_command("seed_demo", tasks=0, missing_only=True, stdout=None)
    assert c.volunteers.rewards() == edited


def test_progress_toward_the_steward_rewards(mid_month):
    get_container().volunteers.save_rewards(ASMBLY_DEFAULTS, by="test", at=NOW)
    alex = member(ALEX)
    csi = [("Lead 1 CSI session", 0, 1, False)]
    assert rewards(alex) == {
        "goal": (20.0, 0),
        "basic-steward": ("IN PROGRESS", 0.0, 12.0, 12.0, []),
        "ceramics-steward": ("IN PROGRESS", 0.0, 16.0, 16.0, csi),
    }
    report(alex, 8.5)
    approve_all()
    report(alex, 4)  # pending: the basic reward is earned once it is approved
    assert rewards(alex) == {
        "goal": (20.0, 42),
        "basic-steward": ("PENDING", 8.5, 12.0, 3.5, []),
        "ceramics-steward": ("IN PROGRESS", 8.5, 16.0, 7.5, csi),
    }
    approve_all()
    report(alex, 3.5, kind="csi_session", shop="ceramics")
    approve_all()
    assert rewards(alex) == {
        "goal": (20.0, 80),
        "basic-steward": ("ACTIVE", 16.0, 12.0, 0.0, []),
        "ceramics-steward": ("ACTIVE", 16.0, 16.0, 0.0, [("Lead 1 CSI session", 1, 1, True)]),
    }
    # Another month starts from nothing.
    other = alex.get("/api/v1/me/hours/summary", {"month": "2026-12"}).json()
    assert other["goal_percent"] == 0 and {r["status"] for r in other["rewards"]} == {"IN PROGRESS"}


PROGRAM = {"id": "laser-steward", "title": "Free Month (Lasers)", "subtitle": "", "hours_per_month": 10}


@pytest.mark.parametrize(
    ("programs", "message"),
    [
        ("not json", "not valid JSON"),
        (json.dumps({"id": "x"}), "a JSON list"),
        (json.dumps([{**PROGRAM, "id": "Has Spaces"}]), "id must be"),
        (json.dumps([{**PROGRAM, "hours_per_month": 0}]), "hours_per_month"),
        (json.dumps([{**PROGRAM, "hours_per_month": "12"}]), "hours_per_month"),
        (json.dumps([{**PROGRAM, "sessions": [{"kind": "nap", "count": 1, "label": "x"}]}]), "session kind"),
        (json.dumps([{**PROGRAM, "sessions": [{"kind": "class", "count": 0, "label": "x"}]}]), "count"),
        (json.dumps([PROGRAM, PROGRAM]), "once"),
        (json.dumps([{**PROGRAM, "colour": "red"}]), "unknown fields"),
        (json.dumps([{**PROGRAM, "title": "x" * 81}]), "title"),
    ],
)
def test_staff_edits_are_checked_and_a_bad_one_changes_nothing(mid_month, programs, message):
    c = get_container()
    c.volunteers.save_rewards(ASMBLY_DEFAULTS, by="test", at=NOW)
    response = member(MORGAN).post(
        "/staff/rewards/", {"monthly_goal_hours": "20", "programs": programs}, follow=True
    )
    # refused: the form again, with what was typed and why (issue 25), nothing saved
    assert response.status_code == 400
    assert message in response.content.decode()
    assert c.volunteers.rewards() == ASMBLY_DEFAULTS


def test_staff_change_the_rewards_and_the_members_progress_follows(mid_month):
    c = get_container()
    alex = member(ALEX)
    report(alex, 6)
    approve_all()
    response = member(MORGAN).post(
        "/staff/rewards/", {"monthly_goal_hours": "12", "programs": json.dumps([PROGRAM])}
    )
    assert response.status_code == 302
    assert rewards(alex) == {
        "goal": (12.0, 50),
        "laser-steward": ("IN PROGRESS", 6.0, 10.0, 4.0, []),
    }
    assert c.volunteers.rewards().programs[0].title == "Free Month (Lasers)"
    # A lead may not (the page is staff only), and nothing changes.
    refused = member(JORDAN).post("/staff/rewards/", {"monthly_goal_hours": "1", "programs": "[]"})
    assert refused.status_code == 403
    assert c.volunteers.rewards().monthly_goal_hours == 12
