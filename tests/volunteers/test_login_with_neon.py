"""Log in with Neon: the OAuth authorization-code flow against a fake Neon on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client

from tests.fakes.neon import FakeNeon
from tests.test_deploy import CLOUD_SECRETS
from voldash_site.container import get_container, set_container


@pytest.fixture
def neon(cast, settings):
    with FakeNeon() as fake:
        settings.NEON_API_URL = fake.api_url
        settings.NEON_OAUTH_AUTHORIZE_URL = fake.authorize_url
        settings.NEON_OAUTH_TOKEN_URL = fake.token_url
        settings.NEON_ORG_ID = "asmbly"
        settings.NEON_API_KEY = "neon-test-key"
        settings.NEON_OAUTH_CLIENT_ID = "voldash-client"
        settings.NEON_OAUTH_CLIENT_SECRET = "voldash-secret"
        set_container(None)
        today = date.today()
        fake.add_account(
            "2042",
            first_name="Ada",
            last_name="Lovelace",
            preferred_name="Addie",
            email="ada@example.org",
            individual_types=["Volunteer", "Space Lead"],
            custom_fields={"84": "01/15/2026", "680": "Yes", "85": "ada"},
            memberships=[
                FakeNeon.membership(start=today - timedelta(days=400), end=today - timedelta(days=35)),
                FakeNeon.membership(start=today - timedelta(days=34), end=today + timedelta(days=330)),
            ],
        )
        fake.add_account(
            "2043",
            first_name="Bo",
            last_name="Lapsed",
            individual_types=["Volunteer"],
            memberships=[
                FakeNeon.membership(start=today - timedelta(days=400), end=today - timedelta(days=35))
            ],
        )
        yield fake
        set_container(None)


def log_in_through_neon(client: Client, neon: FakeNeon, account_id: str, *, next_url: str = "/dashboard"):
    start = client.get("/auth/neon/login", {"next": next_url})
    assert start.status_code == 302
    authorize = start["Location"]
    assert authorize.startswith(neon.authorize_url)
    query = parse_qs(urlsplit(authorize).query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["voldash-client"]
    assert query["redirect_uri"] == ["http://testserver/auth/neon/callback"]
    neon.next_login = account_id
    back = httpx.get(authorize, follow_redirects=False)  # the member logs in on Neon's page
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    return client.get(callback.path, parse_qs(callback.query))


def test_a_member_logs_in_and_gets_a_profile_from_neon(neon):
    client = Client()
    done = log_in_through_neon(client, neon, "2042")
    assert done.status_code == 302 and done["Location"] == "/dashboard"
    me = client.get("/api/v1/me").json()
    assert me["neon_id"] == "2042"
    assert me["name"] == "Addie Lovelace"
    assert me["email"] == "ada@example.org"
    assert me["membership_active"] is True
    assert me["membership_expires"] == (date.today() + timedelta(days=330)).isoformat()
    assert me["roles"] == ["shop_lead", "volunteer"]
    assert me["certifications"] == [
        {"id": "84", "name": "Woodshop Safety", "unlocks": ["woodshop"]},
        {"id": "680", "name": "Small Lasers", "unlocks": ["lasers"]},
    ]
    token_call = next(r for r in neon.requests if r.path == "/np/oauth/token")
    assert token_call.form()["client_secret"] == ["voldash-secret"]  # exchanged server-side
    assert get_container().volunteers.get("2042").name == "Addie Lovelace"


def test_the_session_cookie_is_signed_httponly_and_lax(neon):
    client = Client()
    done = log_in_through_neon(client, neon, "2042")
    cookie = done.cookies["voldash_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert ":" in cookie.value  # django.core.signing: value:signature
    forged = Client()
    forged.cookies["voldash_session"] = cookie.value[:-3] + "abc"
    assert forged.get("/api/v1/me").status_code == 401


def test_a_lapsed_member_logs_in_but_is_not_active(neon):
    client = Client()
    log_in_through_neon(client, neon, "2043")
    me = client.get("/api/v1/me").json()
    assert me["membership_active"] is False
    assert me["roles"] == ["volunteer"]


def test_a_state_that_does_not_match_is_refused_and_logs_nobody_in(neon):
    client = Client()
    client.get("/auth/neon/login")
    code = neon.issue_code("2042")
    response = client.get("/auth/neon/callback", {"code": code, "state": "forged"})
    assert response.status_code == 302 and response["Location"] == "/?login_error=invalid_state"
    assert client.get("/api/v1/me").status_code == 401
    assert not any(r.path == "/np/oauth/token" for r in neon.requests)


def test_a_callback_without_a_login_started_here_is_refused(neon):
    response = Client().get("/auth/neon/callback", {"code": neon.issue_code("2042"), "state": "x"})
    assert response.status_code == 302 and response["Location"] == "/?login_error=invalid_state"


def test_a_member_who_declines_goes_back_to_the_frontend(neon):
    client = Client()
    start = client.get("/auth/neon/login")
    neon.next_login = None
    back = httpx.get(start["Location"], follow_redirects=False)
    callback = urlsplit(back.headers["Location"])
    response = client.get(callback.path, parse_qs(callback.query))
    assert response.status_code == 302 and "login_error=denied" in response["Location"]
    assert client.get("/api/v1/me").status_code == 401


def test_neon_being_down_is_a_503_and_nothing_is_stored(neon):
    client = Client()
    neon.fail_next("/v2/accounts/2042", 500, times=5)
    response = log_in_through_neon(client, neon, "2042")
    assert response.status_code == 302 and response["Location"] == "/?login_error=neon_unavailable"
    assert client.get("/api/v1/me").status_code == 401
    assert get_container().volunteers.get("2042") is None


def test_an_offsite_next_url_is_ignored(neon, settings):
    client = Client()
    done = log_in_through_neon(client, neon, "2042", next_url="https://evil.example/steal")
    assert done["Location"] == settings.FRONTEND_URL


def test_logging_in_again_keeps_the_volunteers_counters(neon):
    container = get_container()
    client = Client()
    log_in_through_neon(client, neon, "2042")
    from tests.builders import a_task

    task = a_task(shop="woodshop")
    container.tasks.upsert(task)
    assert client.post(f"/api/v1/tasks/{task.id}/claim").status_code == 200
    neon.update_account("2042", last_name="Byron")
    log_in_through_neon(Client(), neon, "2042")
    profile = container.volunteers.get("2042")
    assert profile.name == "Addie Byron" and profile.open_claims == 1


def test_logout_ends_the_session(neon):
    client = Client()
    log_in_through_neon(client, neon, "2042")
    response = client.post("/auth/logout", HTTP_ACCEPT="application/json")
    assert response.status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_logout_needs_post(neon):
    assert Client().get("/auth/logout").status_code == 405


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_dev_login_cannot_be_enabled_outside_local_and_test(env):
    code = (
        "from django.conf import settings; print(settings.DEV_LOGIN_ENABLED, settings.SESSION_COOKIE_SECURE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "voldash_site.settings",
            "VOLDASH_ENV": env,
            "VOLDASH_DEV_LOGIN": "true",
            **CLOUD_SECRETS,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["False", "True"]


def test_dev_login_is_a_404_when_disabled(cast, settings):
    settings.DEV_LOGIN_ENABLED = False
    assert Client().get("/auth/dev-login").status_code == 404
    assert Client().post("/auth/dev-login", {"neon_id": "1001"}).status_code == 404


def _callback_query(client: Client, neon: FakeNeon, account_id: str | None) -> dict:
    start = client.get("/auth/neon/login")
    neon.next_login = account_id
    back = httpx.get(start["Location"], follow_redirects=False)
    return parse_qs(urlsplit(back.headers["Location"]).query)


def test_a_spent_state_cannot_be_used_twice(neon):
    client = Client()
    query = _callback_query(client, neon, "2042")
    assert client.get("/auth/neon/callback", query).status_code == 302
    client.post("/auth/logout")
    again = client.get("/auth/neon/callback", query)
    assert again["Location"] == "/?login_error=invalid_state"
    assert client.get("/api/v1/me").status_code == 401


def test_neon_refusing_the_code_comes_back_as_login_failed(neon):
    client = Client()
    first = _callback_query(client, neon, "2042")
    assert client.get("/auth/neon/callback", first)["Location"] == "/"  # the code is now spent
    client.post("/auth/logout")
    query = _callback_query(client, neon, "2042")
    query["code"] = first["code"]  # a fresh state, but a code Neon already exchanged
    response = client.get("/auth/neon/callback", query)
    assert response.status_code == 302 and response["Location"] == "/?login_error=login_failed"
    assert client.get("/api/v1/me").status_code == 401


def test_a_login_without_a_neon_account_comes_back_as_no_account(neon):
    client = Client()
    response = client.get("/auth/neon/callback", _callback_query(client, neon, "9999"))
    assert response["Location"] == "/?login_error=no_account"
    assert get_container().volunteers.get("9999") is None


def test_a_callback_without_a_code_comes_back_as_missing_code(neon):
    client = Client()
    query = _callback_query(client, neon, "2042")
    del query["code"]
    assert client.get("/auth/neon/callback", query)["Location"] == "/?login_error=missing_code"


def test_login_errors_keep_a_frontend_url_that_has_a_query(neon, settings):
    settings.FRONTEND_URL = "https://volunteer.asmbly.org/app?tab=home"
    response = Client().get("/auth/neon/callback", {"code": "x", "state": "x"})
    assert response["Location"] == "https://volunteer.asmbly.org/app?tab=home&login_error=invalid_state"


def test_every_login_error_code_is_in_the_readme():
    from pathlib import Path

    from volunteers.views import LOGIN_ERRORS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("login_error", 1)[1]
    assert [code for code in LOGIN_ERRORS if f"`{code}`" not in section] == []


def test_logging_in_with_neon_again_after_logging_out_gives_a_working_session(neon):
    """Logout moves the profile's session epoch on; the next Neon login must carry the new
    epoch (and the member's own choices), or its session would be refused at once."""
    client = Client()
    log_in_through_neon(client, neon, "2042")
    client.patch("/api/v1/me/preferences", {"slack_direct_messages": False}, content_type="application/json")
    assert client.post("/auth/logout", HTTP_ACCEPT="application/json").status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    log_in_through_neon(client, neon, "2042")
    me = client.get("/api/v1/me")
    assert me.status_code == 200, me.content
    assert me.json()["preferences"]["slack_direct_messages"] is False
