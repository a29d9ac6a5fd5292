"""Neon in: the webhook (HTTP Basic, JSON or form `payload`) and the sync_neon sweep."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from tests.fakes.neon import FakeNeon
from tests.integrations.helpers import process
from voldash_site.container import get_container, set_container


@pytest.fixture
def neon(cast, settings):
    with FakeNeon() as fake:
        settings.NEON_API_URL = fake.api_url
        settings.NEON_ORG_ID = "asmbly"
        settings.NEON_API_KEY = "neon-test-key"
        settings.NEON_WEBHOOK_USERNAME = "neon-hook"
        settings.NEON_WEBHOOK_PASSWORD = "s3cret-pass"
        set_container(None)
        today = date.today()
        for neon_id, (first, last) in {"1001": ("Alex", "Rivera"), "1003": ("Sam", "Okafor")}.items():
            fake.add_account(
                neon_id,
                first_name=first,
                last_name=last,
                individual_types=["Volunteer"],
                custom_fields={"84": "2026-01-01"},
                memberships=[
                    FakeNeon.membership(start=today - timedelta(days=10), end=today + timedelta(days=300))
                ],
            )
        yield fake
        set_container(None)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def hook(body: bytes, *, auth: str, content_type: str = "application/json"):
    return Client().post("/webhooks/neon", body, content_type=content_type, HTTP_AUTHORIZATION=auth)


EVENT = {
    "eventTrigger": "editAccount",
    "eventTimestamp": "2026-11-26T09:11:59.000-06:00",
    "organizationId": "asmbly",
    "data": {"individualAccount": {"accountId": "1003"}},
    "customParameters": {"shared": "do-not-store"},
}


def test_bad_credentials_are_refused_and_store_nothing(neon):
    body = json.dumps(EVENT).encode()
    assert hook(body, auth=basic("neon-hook", "wrong")).status_code == 401
    assert hook(body, auth=basic("intruder", "s3cret-pass")).status_code == 401
    assert hook(body, auth="Bearer x").status_code == 401
    assert Client().post("/webhooks/neon", body, content_type="application/json").status_code == 401
    assert process().processed == 0


def test_an_account_change_refreshes_the_profile(neon):
    neon.update_account("1003", first_name="Samuel", custom_fields={"84": "2026-01-01", "520": "Yes"})
    response = hook(json.dumps(EVENT).encode(), auth=basic("neon-hook", "s3cret-pass"))
    assert response.status_code == 200 and response.json()["code"] == "stored"
    assert process().done == 1
    profile = get_container().volunteers.get("1003")
    assert profile.name == "Samuel Okafor" and profile.certifications == {"84", "520"}
    stored = get_container().inbox.get(response_event_id(EVENT))
    assert "do-not-store" not in stored.body


def response_event_id(event: dict) -> str:
    from integrations.webhook_common import body_digest

    return "neon-" + body_digest(json.dumps(event).encode())


def test_form_encoded_payloads_are_accepted(neon):
    from urllib.parse import urlencode

    body = urlencode({"payload": json.dumps(EVENT)}).encode()
    response = hook(
        body, auth=basic("neon-hook", "s3cret-pass"), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and response.json()["code"] == "stored"
    assert process().done == 1


def test_unknown_accounts_are_ignored_and_bad_bodies_are_400(neon):
    event = {**EVENT, "data": {"accountId": "99999"}}
    assert hook(json.dumps(event).encode(), auth=basic("neon-hook", "s3cret-pass")).status_code == 200
    assert process().ignored == 1
    assert get_container().volunteers.get("99999") is None
    bad = hook(b"<xml/>", auth=basic("neon-hook", "s3cret-pass"))
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_json"


def test_sync_neon_refreshes_every_known_volunteer_one_at_a_time(neon, capsys):
    neon.update_account("1001", last_name="Rivera-Lopez")
    call_command("sync_neon", "--no-progress")
    out = capsys.readouterr().out
    assert "Refreshed 2, gone from Neon 6" in out  # the other six demo people are not in this fake Neon
    assert get_container().volunteers.get("1001").name == "Alex Rivera-Lopez"
    assert neon.max_concurrent_searches_seen <= 1
