"""Contract tests of the task repository against DynamoDB Local."""

from __future__ import annotations

import threading

import pytest

from shops.repository import DynamoShopRepository
from shops.use_cases import install_default_shops
from tasks.domain import Assignee, TaskStatus, Urgency
from tasks.repository import DynamoTaskRepository
from tests.builders import a_task
from voldash_site.errors import InvalidCursor

SECRET = "test-cursor-secret"


@pytest.fixture
def repo(table) -> DynamoTaskRepository:
    install_default_shops(shops=DynamoShopRepository())
    return DynamoTaskRepository(cursor_secret=SECRET)


def counts(shop: str) -> dict[str, int]:
    found = [s for s in DynamoShopRepository().list_all() if s.slug == shop]
    return {k: v for k, v in (found[0].task_counts if found else {}).items() if v}


def collect(page_fn, **kwargs) -> list[str]:
    ids, cursor = [], None
    while True:
        page = page_fn(cursor=cursor, **kwargs)
        ids += [t.id for t in page.items]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


def test_a_stored_task_comes_back_unchanged(repo):
    task = a_task(
        urgency=Urgency.HIGH,
        estimate_minutes=90,
        assignee=Assignee("1001", "Alex Rivera"),
        status=TaskStatus.IN_PROGRESS,
        contact_details="Jamie, 512-555-0100",
        source_updated_ms=1_700_000_000_123,
        tags=("saw",),
    )
    repo.upsert(task)
    assert repo.get(task.id) == task


def test_an_unknown_task_is_none(repo):
    assert repo.get("nope") is None


def test_tasks_by_shop_come_open_first_then_newest_first(repo):
    old_open = a_task(minutes_after_base=1)
    new_open = a_task(minutes_after_base=5)
    done = a_task(minutes_after_base=9, status=TaskStatus.DONE)
    in_progress = a_task(minutes_after_base=3, status=TaskStatus.IN_PROGRESS)
    other_shop = a_task(shop="lasers")
    for t in (old_open, new_open, done, in_progress, other_shop):
        repo.upsert(t)
    page = repo.list_by_shop("woodshop", limit=10)
    assert [t.id for t in page.items] == [new_open.id, old_open.id, in_progress.id, done.id]
    assert page.next_cursor is None


def test_tasks_by_shop_and_status_use_the_status_prefix(repo):
    open_task = a_task()
    repo.upsert(open_task)
    repo.upsert(a_task(status=TaskStatus.ON_HOLD))
    page = repo.list_by_shop("woodshop", status=TaskStatus.OPEN, limit=10)
    assert [t.id for t in page.items] == [open_task.id]


def test_the_open_feed_is_newest_first_across_shops(repo):
    tasks = [a_task(shop=s, minutes_after_base=i) for i, s in enumerate(["woodshop", "lasers", "ceramics"])]
    for t in tasks:
        repo.upsert(t)
    repo.upsert(a_task(status=TaskStatus.DONE, minutes_after_base=99))
    page = repo.list_by_status(TaskStatus.OPEN, limit=10)
    assert [t.id for t in page.items] == [t.id for t in reversed(tasks)]


def test_cursors_walk_every_task_exactly_once(repo):
    tasks = [a_task(minutes_after_base=i) for i in range(23)]
    for t in tasks:
        repo.upsert(t)
    ids = collect(repo.list_by_status, status=TaskStatus.OPEN, limit=5)
    assert ids == [t.id for t in reversed(tasks)]
    pages = []
    cursor = None
    while True:
        page = repo.list_by_status(TaskStatus.OPEN, limit=5, cursor=cursor)
        pages.append(len(page.items))
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert pages == [5, 5, 5, 5, 3]  # a full page knows whether more follows


def test_a_last_full_page_has_no_cursor(repo):
    for i in range(4):
        repo.upsert(a_task(minutes_after_base=i))
    page = repo.list_by_status(TaskStatus.OPEN, limit=4)
    assert len(page.items) == 4 and page.next_cursor is None


def test_urgency_filter_keeps_only_that_urgency_and_pages_through(repo):
    high = [a_task(urgency=Urgency.HIGH, minutes_after_base=i * 2) for i in range(7)]
    low = [a_task(urgency=Urgency.LOW, minutes_after_base=i * 2 + 1) for i in range(30)]
    for t in high + low:
        repo.upsert(t)
    ids = collect(repo.list_by_shop, shop="woodshop", urgency=Urgency.HIGH, limit=3)
    assert ids == [t.id for t in reversed(high)]


def test_a_cursor_only_works_for_the_query_that_made_it(repo):
    for i in range(3):
        repo.upsert(a_task(minutes_after_base=i))
    page = repo.list_by_shop("woodshop", limit=1)
    with pytest.raises(InvalidCursor):
        repo.list_by_shop("lasers", limit=1, cursor=page.next_cursor)
    with pytest.raises(InvalidCursor):
        repo.list_by_shop("woodshop", status=TaskStatus.OPEN, limit=1, cursor=page.next_cursor)


@pytest.mark.parametrize("cursor", ["garbage", "a.b", "x" * 3000, "eyJQSyI6IngifQ.AAAA", "..", "é.é"])
def test_forged_or_malformed_cursors_are_refused(repo, cursor):
    with pytest.raises(InvalidCursor):
        repo.list_by_status(TaskStatus.OPEN, limit=5, cursor=cursor)


def test_a_deleted_task_leaves_every_feed_but_is_kept(repo):
    task = a_task()
    repo.upsert(task)
    repo.upsert(task.with_changes(deleted=True))
    assert repo.list_by_shop("woodshop", limit=10).items == []
    assert repo.list_by_status(TaskStatus.OPEN, limit=10).items == []
    assert repo.get(task.id).deleted is True
    assert counts("woodshop") == {}


def test_shop_counters_follow_status_and_shop_changes(repo):
    task = a_task()
    repo.upsert(task)
    repo.upsert(a_task())
    assert counts("woodshop") == {"OPEN": 2}
    repo.upsert(task.with_changes(status=TaskStatus.IN_PROGRESS))
    assert counts("woodshop") == {"OPEN": 1, "IN_PROGRESS": 1}
    repo.upsert(task.with_changes(status=TaskStatus.IN_PROGRESS, shop="lasers"))
    assert counts("woodshop") == {"OPEN": 1}
    assert counts("lasers") == {"IN_PROGRESS": 1}


def test_an_unchanged_upsert_writes_nothing(repo):
    from voldash_site.dynamodb.metrics import count_calls

    task = a_task()
    repo.upsert(task)
    with count_calls() as calls:
        repo.upsert(task)
    assert calls.by_operation == {"GetItem": 1}
    assert counts("woodshop") == {"OPEN": 1}


def test_concurrent_writers_never_double_count(repo):
    tasks = [a_task() for _ in range(4)]
    for t in tasks:
        repo.upsert(t)
    errors = []

    def flip(status: TaskStatus) -> None:
        try:
            for t in tasks:
                repo.upsert(t.with_changes(status=status))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=flip, args=(s,)) for s in (TaskStatus.DONE, TaskStatus.ON_HOLD) * 3]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    final = [repo.get(t.id).status.value for t in tasks]
    expected: dict[str, int] = {}
    for s in final:
        expected[s] = expected.get(s, 0) + 1
    assert counts("woodshop") == expected
