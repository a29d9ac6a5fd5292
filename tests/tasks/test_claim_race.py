"""Fifty volunteers claim one task at the same moment: DynamoDB's conditions pick one winner."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from tests.builders import a_task
from tests.tasks.test_lifecycle_api import as_
from voldash_site.container import get_container
from volunteers.domain import Volunteer

THREADS = 50


def test_fifty_simultaneous_claims_have_exactly_one_winner(cast):
    container = get_container()
    people = [
        Volunteer(
            neon_id=str(5000 + i),
            name=f"Racer {i:02d}",
            membership_active=True,
            membership_expires=date.today() + timedelta(days=90),
            certifications=frozenset({"84"}),
            updated_at=datetime.now(UTC),
        )
        for i in range(THREADS)
    ]
    for p in people:
        container.volunteers.save(p)
    task = a_task(shop="woodshop")
    container.tasks.upsert(task)
    clients = [as_(p.neon_id) for p in people]
    barrier = threading.Barrier(THREADS)
    results: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def claim(i: int) -> None:
        barrier.wait()
        response = clients[i].post(f"/api/v1/tasks/{task.id}/claim")
        with lock:
            results.append((people[i].neon_id, response.status_code, response.json().get("code", "")))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    statuses = Counter(status for _, status, _ in results)
    assert statuses == {200: 1, 409: THREADS - 1}, results
    assert {code for _, status, code in results if status == 409} <= {"task_not_open", "task_changed"}
    winner = next(neon_id for neon_id, status, _ in results if status == 200)
    detail = container.tasks.get_detail(task.id)
    assert detail.task.assignee.neon_id == winner
    assert [(h.action.value, h.actor_id) for h in detail.history] == [("claimed", winner)]
    open_claims = {p.neon_id: container.volunteers.get(p.neon_id).open_claims for p in people}
    assert open_claims[winner] == 1
    assert sum(open_claims.values()) == 1
    shop = container.shops.get("woodshop")
    assert shop.task_counts.get("OPEN", 0) == 0 and shop.task_counts.get("IN_PROGRESS") == 1
    from integrations.outbox.domain import OutboxStatus

    assert len(container.outbox.list_by_status(OutboxStatus.PENDING)) == 2
