"""A claim, release or completion whose DynamoDB answer comes after the client's timeout
(issue 12, defect 3): the API answers the truth, never "nothing was changed" after a change.

A proxy on 127.0.0.1 holds TransactWriteItems answers longer than the client's read timeout
(1 s here, 5 s in production) while DynamoDB Local has already applied the transaction.
"""

from __future__ import annotations

import pytest

from tasks.domain import TaskStatus
from tests.builders import a_task
from tests.reliability.slow_proxy import SlowTransactionsProxy
from tests.tasks.test_lifecycle_api import ALEX, as_
from voldash_site.container import get_container, set_container
from voldash_site.dynamodb import items
from voldash_site.dynamodb.connection import TableConfig

READ_TIMEOUT = 1
DELAY = READ_TIMEOUT + 1.5


@pytest.fixture
def through(table_config, settings, cast):
    """Point the app at a proxy with a short read timeout; restore everything afterwards."""
    meta = items.TableItem.Meta
    saved = (meta.read_timeout_seconds, meta.connect_timeout_seconds)
    proxies: list[SlowTransactionsProxy] = []

    def use(**kwargs) -> SlowTransactionsProxy:
        proxy = SlowTransactionsProxy(table_config.endpoint_url, **kwargs).__enter__()
        proxies.append(proxy)
        meta.read_timeout_seconds, meta.connect_timeout_seconds = READ_TIMEOUT, 1
        items.configure(
            TableConfig(
                table_name=table_config.table_name, region=table_config.region, endpoint_url=proxy.url
            )
        )
        settings.DYNAMODB_ENDPOINT_URL = proxy.url
        set_container(None)
        return proxy

    try:
        yield use
    finally:
        meta.read_timeout_seconds, meta.connect_timeout_seconds = saved
        items.configure(table_config)
        set_container(None)
        for proxy in proxies:
            proxy.__exit__()


@pytest.fixture
def task(cast):
    t = a_task(shop="woodshop", list_id="901310067725", title="Drum Sander - Belt is torn")
    get_container().tasks.upsert(t)
    return t


def _state(task_id: str):
    c = get_container()
    return c.tasks.get_detail(task_id), c.volunteers.get(ALEX), c.volunteers.claims(ALEX)


def test_a_claim_saved_but_answered_late_is_a_200(through, task):
    proxy = through(delay=DELAY)
    response = as_(ALEX).post(f"/api/v1/tasks/{task.id}/claim")
    assert proxy.delayed >= 1  # the answer really came too late
    assert response.status_code == 200, response.content
    assert response.json()["task"]["assignee"]["id"] == ALEX and response.json()["open_claims"] == 1
    detail, alex, claims = _state(task.id)
    assert detail.task.status is TaskStatus.IN_PROGRESS and alex.open_claims == 1 and len(claims) == 1
    assert [h.action.value for h in detail.history] == ["claimed"]  # applied once


def test_release_and_complete_saved_but_answered_late_are_200s(through, task):
    alex = as_(ALEX)
    assert alex.post(f"/api/v1/tasks/{task.id}/claim").status_code == 200
    through(delay=DELAY)
    released = alex.post(f"/api/v1/tasks/{task.id}/release")
    assert released.status_code == 200, released.content
    assert released.json()["task"]["status"] == "OPEN"
    assert alex.post(f"/api/v1/tasks/{task.id}/claim").status_code == 200
    done = alex.post(f"/api/v1/tasks/{task.id}/complete", {"hours": 1.5})
    assert done.status_code == 200, done.content
    detail, volunteer, claims = _state(task.id)
    assert detail.task.status is TaskStatus.DONE and volunteer.open_claims == 0 and claims == []
    # Alex's first completed task also earns the "first task" badge, in the same transaction.
    actions = [h.action.value for h in detail.history]
    assert actions == ["badge_earned", "completed", "claimed", "released", "claimed"]
    assert get_container().volunteers.record(ALEX).pending_hours == 1.5  # credited once


def test_only_the_first_answer_late_then_a_retry_is_still_one_claim(through, task):
    """botocore resends after the timeout; that resend must not turn into a 409 or a second claim."""
    proxy = through(delay=DELAY, times=1)
    response = as_(ALEX).post(f"/api/v1/tasks/{task.id}/claim")
    assert proxy.transactions >= 2  # the first answer was lost and the transaction was resent
    assert response.status_code == 200, response.content
    detail, alex, claims = _state(task.id)
    assert alex.open_claims == 1 and len(claims) == 1 and len(detail.history) == 1


def test_a_transaction_lost_in_transit_is_outcome_unknown_not_nothing_changed(through, task):
    through(delay=DELAY, swallow=True)
    response = as_(ALEX).post(f"/api/v1/tasks/{task.id}/claim")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "outcome_unknown" and response["Retry-After"]
    assert "nothing was changed" not in body["message"]
    detail, alex, claims = _state(task.id)
    assert detail.task.status is TaskStatus.OPEN and alex.open_claims == 0 and claims == []


def test_a_claim_dynamodb_applies_after_two_lost_answers_is_settled_by_the_witness(through, task):
    """Issue 23, finding 14: under contention DynamoDB may still be working on a transaction when
    the client gives up, and past the second look. The witness settles it (the claim was made)
    instead of answering outcome_unknown."""
    alex = as_(ALEX)
    proxy = through(hold=8.0)  # every TransactWriteItems reaches DynamoDB 8 s late
    response = alex.post(f"/api/v1/tasks/{task.id}/claim")
    assert proxy.transactions >= 4  # the first send and the resend both lost their answers
    assert response.status_code == 200, response.content
    assert response.json()["task"]["assignee"]["id"] == ALEX
    detail, alex, claims = _state(task.id)
    assert detail.task.status is TaskStatus.IN_PROGRESS and alex.open_claims == 1 and len(claims) == 1
    assert [h.action.value for h in detail.history] == ["claimed"]  # applied once
