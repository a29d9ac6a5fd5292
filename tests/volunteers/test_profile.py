"""The profile screen: membership, roles, certifications and the shops they unlock, and the
member's own preferences (kept across Neon refreshes)."""

from __future__ import annotations

from dataclasses import replace

from django.test import Client

from tests.conftest import login
from voldash_site.container import get_container

ALEX, SAM = "1001", "1003"


def without_notices(preferences: dict) -> dict:
    return {k: v for k, v in preferences.items() if k != "notices"}


def as_(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


def patch(client: Client, body: dict):
    return client.patch("/api/v1/me/preferences", body, content_type="application/json")


def test_the_profile_says_which_shops_each_certification_unlocks(cast):
    me = as_(ALEX).get("/api/v1/me").json()  # Alex: Woodshop Safety (84) and Small Lasers (680)
    certs = {c["name"]: c["unlocks"] for c in me["certifications"]}
    assert "woodshop" in certs["Woodshop Safety"]
    assert "lasers" in certs["Small Lasers"]
    access = {s["shop"]: s for s in me["shops"]}
    assert access["woodshop"]["can_claim_here"] is True and access["woodshop"]["missing_certifications"] == []
    assert access["metal-shop"]["can_claim_here"] is False
    assert access["metal-shop"]["missing_certifications"]
    assert without_notices(me["preferences"]) == {"slack_direct_messages": True, "interest_shops": []}
    assert me["preferences"]["notices"]["mode"] == "immediate"


def test_a_member_changes_only_the_preferences_sent(cast):
    alex = as_(ALEX)
    first = patch(alex, {"slack_direct_messages": False})
    assert first.status_code == 200
    assert without_notices(first.json()) == {"slack_direct_messages": False, "interest_shops": []}
    second = patch(alex, {"interest_shops": ["woodshop", "lasers", "woodshop"]})
    assert without_notices(second.json()) == {
        "slack_direct_messages": False,
        "interest_shops": ["woodshop", "lasers"],
    }
    assert alex.get("/api/v1/me").json()["preferences"] == second.json()
    assert as_(SAM).get("/api/v1/me").json()["preferences"]["slack_direct_messages"] is True


def test_a_neon_refresh_keeps_the_preferences(cast):
    alex = as_(ALEX)
    patch(alex, {"slack_direct_messages": False, "interest_shops": ["ceramics"]})
    volunteers = get_container().volunteers
    volunteers.save(replace(volunteers.get(ALEX), name="Alex R."))  # what sync_neon / a login does
    me = alex.get("/api/v1/me").json()
    assert me["name"] == "Alex R."
    assert without_notices(me["preferences"]) == {
        "slack_direct_messages": False,
        "interest_shops": ["ceramics"],
    }


def test_bad_preferences_are_refused_and_change_nothing(cast):
    alex = as_(ALEX)
    unknown = patch(alex, {"slack_direct_messages": False, "interest_shops": ["woodshop", "moon-base"]})
    assert unknown.status_code == 422 and unknown.json()["detail"]["unknown"] == ["moon-base"]
    assert [f["field"] for f in unknown.json()["detail"]["fields"]] == ["interest_shops"]
    wrong_type = patch(alex, {"slack_direct_messages": "sometimes"})
    assert wrong_type.status_code == 422
    unchanged = {"slack_direct_messages": True, "interest_shops": []}
    assert without_notices(alex.get("/api/v1/me").json()["preferences"]) == unchanged


def test_preferences_need_a_session_and_the_csrf_header(cast):
    assert patch(Client(), {"slack_direct_messages": False}).status_code == 401
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = as_(ALEX).cookies
    refused = patch(strict, {"slack_direct_messages": False})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    assert get_container().volunteers.get(ALEX).preferences.slack_direct_messages is True
