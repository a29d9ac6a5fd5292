"""The claim conditions DynamoDB checks inside the transaction, with the Python pre-check out of
the way: the writes are built for a volunteer as a stale read saw them (a member, under the
limit, certified) and committed as they are. Only DynamoDB's conditions can refuse them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tasks.domain import Assignee, TaskStatus
from tests.builders import a_task
from tests.tasks.test_lifecycle_api import ALEX, as_
from voldash_site.container import get_container
from voldash_site.errors import WriteRefused
from volunteers.domain import Claim

LAPSED = "1006"  # Casey Brooks: woodshop-certified, membership lapsed
UNCERTIFIED = "1003"  # Sam Okafor: an active member with no certification
WOODSHOP_SAFETY = "84"


def _claim_writes(neon_id: str, task, *, stale_open_claims: int = 0, required=(WOODSHOP_SAFETY,)):
    """Exactly what claim_task commits, for a profile as a stale read saw it."""
    c = get_container()
    seen = replace(
        c.volunteers.get(neon_id),
        membership_active=True,
        open_claims=stale_open_claims,
        certifications=frozenset({WOODSHOP_SAFETY}),
    )
    now = c.clock()
    assignee = Assignee(seen.neon_id, seen.name)
    return [
        *c.tasks.transition_writes(task, to_status=TaskStatus.IN_PROGRESS, assignee=assignee, at=now),
        *c.volunteers.claim_writes(
            seen,
            Claim(seen.neon_id, task.id, task.title, task.shop, now),
            limit=c.claim_limit,
            required=required,
            require_all=False,
        ),
    ]


def _open_task(n: int):
    task = a_task(shop="woodshop", title=f"Router table {n} - Fence loose")
    get_container().tasks.upsert(task)
    return task


def _refused(writes) -> WriteRefused:
    with pytest.raises(WriteRefused) as refused:
        get_container().uow.commit(writes)
    return refused.value


def test_the_claim_limit_is_enforced_by_dynamodb(cast):
    c = get_container()
    held = [_open_task(i) for i in range(c.claim_limit)]
    alex = as_(ALEX)
    for task in held:
        assert alex.post(f"/api/v1/tasks/{task.id}/claim").status_code == 200
    one_more = _open_task(99)
    refused = _refused(_claim_writes(ALEX, one_more, stale_open_claims=0))
    assert refused.tags == {"volunteer"}
    assert c.tasks.get(one_more.id).status is TaskStatus.OPEN
    assert c.volunteers.get(ALEX).open_claims == c.claim_limit
    assert len(c.volunteers.claims(ALEX)) == c.claim_limit


def test_an_inactive_membership_is_refused_by_dynamodb(cast):
    task = _open_task(1)
    refused = _refused(_claim_writes(LAPSED, task))
    assert refused.tags == {"volunteer"}
    c = get_container()
    assert c.tasks.get(task.id).assignee is None and c.volunteers.claims(LAPSED) == []


def test_a_missing_certification_is_refused_by_dynamodb(cast):
    task = _open_task(1)
    refused = _refused(_claim_writes(UNCERTIFIED, task))
    assert refused.tags == {"volunteer"}
    assert get_container().volunteers.claims(UNCERTIFIED) == []


def test_the_same_writes_for_an_eligible_volunteer_go_through(cast):
    """The control: the writes themselves are fine, so the refusals above are the conditions."""
    task = _open_task(1)
    get_container().uow.commit(_claim_writes(ALEX, task))
    c = get_container()
    assert c.tasks.get(task.id).assignee.neon_id == ALEX
    assert c.volunteers.get(ALEX).open_claims == 1
