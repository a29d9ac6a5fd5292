"""The dashboard's announcements: per shop and makerspace-wide, dismissed per person on every
device, still one DynamoDB request per read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from shops import use_cases
from tests.conftest import login
from voldash_site.container import get_container
from voldash_site.dynamodb.metrics import count_calls

ALEX, SAM = "1001", "1003"


def announce(title: str, *, shop: str | None, days: int = 7):
    container = get_container()
    return use_cases.create_announcement(
        announcements=container.announcements,
        title=title,
        message=f"{title}: details",
        kind="info",
        days=days,
        shop=shop,
        author="Morgan Chen",
        now=datetime.now(UTC),
    )


@pytest.fixture
def posted(cast):
    return {
        "wide": announce("Open house Saturday", shop=None),
        "wood": announce("Woodshop closed Sunday", shop="woodshop"),
        "lasers": announce("New laser tube", shop="lasers"),
    }


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(a["title"] for a in response.json()["items"])


def as_(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


def test_a_shop_sees_its_own_and_the_makerspace_wide_announcements(posted):
    anonymous = Client()
    assert titles(anonymous.get("/api/v1/announcements", {"shop": "woodshop"})) == [
        "Open house Saturday",
        "Woodshop closed Sunday",
    ]
    assert titles(anonymous.get("/api/v1/announcements")) == [
        "New laser tube",
        "Open house Saturday",
        "Woodshop closed Sunday",
    ]


def test_a_dismissal_sticks_on_another_device_and_not_for_other_people(posted):
    phone, laptop = as_(ALEX), as_(ALEX)
    wood = posted["wood"].id
    refused = Client(enforce_csrf_checks=True)
    refused.cookies = phone.cookies
    assert refused.post(f"/api/v1/announcements/{wood}/dismiss").status_code == 403  # CSRF
    assert phone.post(f"/api/v1/announcements/{wood}/dismiss").status_code == 204
    assert phone.post(f"/api/v1/announcements/{wood}/dismiss").status_code == 204  # idempotent

    assert "Woodshop closed Sunday" not in titles(phone.get("/api/v1/announcements"))
    laptop.get("/api/v1/me")  # the dashboard loads the profile first
    assert "Woodshop closed Sunday" not in titles(laptop.get("/api/v1/announcements"))
    assert "Woodshop closed Sunday" not in titles(as_(ALEX).get("/api/v1/announcements"))  # a new login
    assert "Woodshop closed Sunday" in titles(as_(SAM).get("/api/v1/announcements"))

    everything = phone.get("/api/v1/announcements", {"include_dismissed": "true"}).json()["items"]
    assert {a["title"]: a["dismissed"] for a in everything}["Woodshop closed Sunday"] is True
    assert get_container().volunteers.get(ALEX).dismissed_announcements == frozenset({wood})


def test_dismissing_needs_a_session_and_a_known_active_announcement(posted):
    assert Client().post(f"/api/v1/announcements/{posted['wood'].id}/dismiss").status_code == 401
    unknown = as_(ALEX).post("/api/v1/announcements/nope/dismiss")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    assert get_container().volunteers.get(ALEX).dismissed_announcements == frozenset()


def test_reading_announcements_is_one_query_logged_in_or_not(posted):
    """One Query either way: the viewer's dismissals come from the session's copy (no profile
    read; the list needs no authentication, so no session check either)."""
    alex = as_(ALEX)
    alex.post(f"/api/v1/announcements/{posted['wood'].id}/dismiss")
    for client, expected in ((Client(), {"Query": 1}), (alex, {"Query": 1})):
        with count_calls() as calls:
            assert client.get("/api/v1/announcements", {"shop": "woodshop"}).status_code == 200
        assert dict(calls.by_operation) == expected, calls
