"""The authorization matrix's rows for the profile and announcement endpoints (same callers,
same browser-like clients with CSRF enforced as tests/reliability/test_authorization_matrix.py)."""

from __future__ import annotations

import json

import pytest

from tests.reliability.test_authorization_matrix import MEMBER_ONLY, ROLES, caller
from tests.shops.test_announcements_api import announce

NO_CONTENT_FOR_MEMBERS = {role: (401 if role == "anonymous" else 204) for role in ROLES}


@pytest.fixture
def announcement(cast):
    return announce("Woodshop closed Sunday", shop="woodshop")


@pytest.mark.parametrize("role", ROLES)
def test_preferences_are_for_the_logged_in_member(cast, role):
    body = json.dumps({"slack_direct_messages": False})
    response = caller(role).patch("/api/v1/me/preferences", body, content_type="application/json")
    assert response.status_code == MEMBER_ONLY[role], response.content


@pytest.mark.parametrize("role", ROLES)
def test_dismissing_is_for_the_logged_in_member(announcement, role):
    response = caller(role).post(f"/api/v1/announcements/{announcement.id}/dismiss")
    assert response.status_code == NO_CONTENT_FOR_MEMBERS[role], response.content


@pytest.mark.parametrize(
    ("method", "path"),
    [("PATCH", "/api/v1/me/preferences"), ("POST", "/api/v1/announcements/{id}/dismiss")],
)
def test_both_need_the_csrf_token(announcement, method, path):
    member = caller("volunteer")
    del member.defaults["HTTP_X_CSRFTOKEN"]
    response = member.generic(method, path.format(id=announcement.id), "{}", content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
