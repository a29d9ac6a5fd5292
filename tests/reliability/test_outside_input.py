"""Nothing from outside produces a 5xx: hostile webhook headers, and staff actions when ClickUp fails."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations.clickup.webhooks import signature_ok
from tests.builders import store_held_task
from tests.conftest import login
from tests.integrations.helpers import add_problem, post_webhook
from voldash_site.container import get_container

BODY = b'{"event": "taskCreated", "task_id": "86x", "history_items": [{"id": "1"}]}'


@pytest.mark.parametrize("signature", ["é" * 64, "\xff\xfe", "a" * 63 + "\u00e9", "\x00"])
def test_a_non_ascii_signature_is_a_401(table, clickup, signature):
    response = Client().post(
        "/webhooks/clickup", BODY, content_type="application/json", HTTP_X_SIGNATURE=signature
    )
    assert response.status_code == 401 and response.json()["code"] == "bad_signature"
    assert get_container().inbox.due(get_container().clock(), limit=10) == []


@pytest.mark.parametrize("header", ["Basic \xff\xff", "Basic é", "Basic \u00ff=", "Basic", "Bearer x"])
def test_hostile_basic_credentials_on_the_neon_webhook_are_a_401(table, settings, header):
    settings.NEON_WEBHOOK_USERNAME, settings.NEON_WEBHOOK_PASSWORD = "neon", "s3cret"
    response = Client().post(
        "/webhooks/neon", b"{}", content_type="application/json", HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 401 and response.json()["code"] == "bad_credentials"


@pytest.mark.parametrize("length", ["abc", "1e9", "-5"])
def test_a_malformed_content_length_is_a_4xx(table, clickup, length):
    for path in ("/webhooks/clickup", "/webhooks/neon"):
        response = Client().post(
            path, BODY, content_type="application/json", HTTP_X_SIGNATURE="0", CONTENT_LENGTH=length
        )
        assert 400 <= response.status_code < 500, (path, response.status_code)


def test_the_signature_check_compares_the_full_digest(clickup):
    secret = "whsec_test"
    good = clickup.sign(BODY)
    assert signature_ok(BODY, good, secret)
    assert signature_ok(BODY, " " + good.upper() + " ", secret)  # case and whitespace tolerated
    last_changed = good[:-1] + ("0" if good[-1] != "0" else "1")
    first_changed = ("0" if good[0] != "0" else "1") + good[1:]
    for wrong in (last_changed, first_changed, good[:-1], good[:8], good + "0", "", good[:32]):
        assert not signature_ok(BODY, wrong, secret), wrong


def test_a_signature_wrong_only_in_its_last_character_is_refused_end_to_end(table, clickup):
    add_problem(clickup, "86sig0001")
    body = clickup.webhook_body("taskCreated", "86sig0001")
    good = clickup.sign(body)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert post_webhook(clickup, "", "", body=body, signature=wrong).status_code == 401
    assert get_container().inbox.due(get_container().clock(), limit=10) == []
    assert post_webhook(clickup, "", "", body=body, signature=good).status_code == 200


@pytest.mark.parametrize("status", [500, 401, 503])
def test_staff_resync_when_clickup_fails_shows_an_error_not_a_500(cast, clickup, status):
    store_held_task("86resync1", holder_id="1001", holder_name="Alex Rivera")
    clickup.fail_next("/api/v2/task/86resync1", status, times=5)
    staff = Client()
    login(staff, "1005")
    response = staff.post("/staff/tasks/86resync1/resync", {}, follow=True)
    # The task page again, saying what failed: 503 (ClickUp, a dependency, is down), never a 500.
    assert response.status_code == 503
    page = response.content.decode()
    assert "Could not read 86resync1 from ClickUp" in page
    assert get_container().tasks.get_detail("86resync1").history == ()  # nothing recorded


def test_staff_resync_when_clickup_answers_garbage_shows_an_error(cast, clickup):
    store_held_task("86resync2", holder_id="1001", holder_name="Alex Rivera")
    clickup.fail_next("/api/v2/task/86resync2", 200, body="not json at all", times=5)
    staff = Client()
    login(staff, "1005")
    response = staff.post("/staff/tasks/86resync2/resync", {}, follow=True)
    assert response.status_code == 503
    assert "Could not read 86resync2 from ClickUp" in response.content.decode()
