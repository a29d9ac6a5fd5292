"""The reconcile sweep: incremental and full, deletions and drift, the rate limit, sync state."""

from __future__ import annotations

import httpx
import pytest
from django.core.management import call_command

from integrations.clickup.client import ClickUpClient, RateLimiter
from integrations.clickup.sweep_run import run_sweep
from tests.integrations.helpers import LASERS, PROBLEMS, add_problem
from voldash_site.container import get_container


def test_a_first_sweep_pulls_everything_webhooks_missed(cast, clickup, capsys):
    for i in range(230):  # three pages of 100
        add_problem(
            clickup, f"86sw{i:05d}", shop=LASERS if i % 2 else 4, status="Closed" if i % 10 == 0 else "Open"
        )
    call_command("sync_clickup", "--no-progress")
    out = capsys.readouterr().out
    assert "fetched 230, created 230" in out
    container = get_container()
    lasers = container.shops.get("lasers")
    assert lasers.task_counts["OPEN"] + lasers.task_counts["DONE"] == 115
    state = container.sync_state.get("clickup")
    assert state.last_sweep_at is not None and state.sweep_watermark_ms is not None
    [run] = container.sync_state.runs("clickup")
    assert run.stats["created"] == 230 and run.stats["clickup_requests"] == 3 + 1  # 3 pages + PM's empty page


def test_an_incremental_sweep_asks_only_for_what_changed_since_the_last(cast, clickup):
    for i in range(5):
        add_problem(clickup, f"86in{i:03d}")
    container = get_container()
    run_sweep(container, full=False)
    clickup.update_task("86in003", name="Table Saw 2 - Renamed")
    before = len(clickup.requests)
    report = run_sweep(container, full=False)
    list_calls = [r for r in clickup.requests[before:] if "/list/" in r.path]
    assert all("date_updated_gt" in r.query for r in list_calls)
    assert report.updated == 1 and container.tasks.get("86in003").title == "Table Saw 2 - Renamed"


def test_a_full_sweep_finds_deletions_and_reports_drift(cast, clickup, capsys):
    for i in range(6):
        add_problem(clickup, f"86fu{i:03d}")
    container = get_container()
    run_sweep(container, full=True)
    clickup.delete_task("86fu001")
    clickup.update_task("86fu002", priority=1)
    call_command("sync_clickup", "--full", "--no-progress")
    out = capsys.readouterr().out
    assert (
        "deleted 1" in out
        and "drift deleted: 1: 86fu001" in out
        and "drift changed: 1: 86fu002 (urgency)" in out
    )
    assert container.tasks.get("86fu001").deleted
    assert container.sync_state.get("clickup").drift == {
        "deleted": ["86fu001"],
        "changed": ["86fu002 (urgency)"],
    }


def test_the_sweep_waits_out_a_429_until_the_reset(cast, clickup):
    clickup.rate_limit_per_minute = 2
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # time passes for the fake instead of the test
        slept.append(seconds)
        now = clickup.clock()
        clickup.clock = lambda: now + seconds

    for i in range(3):
        add_problem(clickup, f"86rl{i:03d}")
    client = ClickUpClient(
        api_url=clickup.api_url,
        token=clickup.token,
        per_minute=1000,
        sleep=sleep,
        wall_clock=lambda: clickup.clock(),
    )
    for i in range(3):
        assert client.get_task(f"86rl{i:03d}")["id"] == f"86rl{i:03d}"
    assert any(s > 30 for s in slept), slept  # waited for X-RateLimit-Reset
    task_calls = [r for r in clickup.requests if r.path.startswith("/api/v2/task/")]
    assert len(task_calls) == 4  # three answers and the one 429 that made it wait


def test_the_limiter_keeps_under_the_rate():
    now = [0.0]
    starts: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(90, clock=lambda: now[0], sleep=sleep)
    for _ in range(200):
        limiter.wait()
        starts.append(now[0])
    in_first_minute = sum(1 for s in starts if s < 60)
    assert in_first_minute <= 90


def test_an_unreachable_clickup_stops_the_command_with_a_clear_error(cast, settings):
    settings.CLICKUP_API_URL = "http://127.0.0.1:9/api/v2"
    settings.CLICKUP_API_TOKEN = "pk_x"
    from django.core.management import CommandError

    from voldash_site.container import set_container

    set_container(None)
    with pytest.raises(CommandError, match="ClickUp sweep stopped: clickup: unreachable"):
        call_command("sync_clickup", "--no-progress")


def test_webhook_list_page_shape_is_what_the_client_reads(clickup):
    add_problem(clickup, "86shape01")
    response = httpx.get(
        f"{clickup.api_url}/list/{PROBLEMS}/task",
        headers={"Authorization": clickup.token},
        params={"page": 0, "include_closed": "true"},
    )
    body = response.json()
    assert set(body) == {"tasks", "last_page"} and body["last_page"] is True


@pytest.mark.parametrize("newest_first", [True, False], ids=["newest-first", "oldest-first"])
def test_a_full_sweep_never_deletes_a_live_task_that_shifted_between_pages(cast, clickup, newest_first):
    """Get Tasks pages by offset: a change between two page requests shifts a task across the
    page boundary, so it is never listed. It must be confirmed with Get Task, not deleted."""
    from tests.integrations.helpers import PURCHASES
    from tests.tasks.test_lifecycle_api import ALEX, as_

    clickup.newest_first_by_default = newest_first
    ids = [f"86pg{i:04d}" for i in range(154)]
    # The held task sits where the shift hides it: last of the newest-first order (it is the
    # one that changes and jumps to page 0), or first of page 1 oldest-first (a page-0 task
    # changes, jumps to the end, and everything after it moves one place up).
    held = ids[0] if newest_first else ids[100]
    for task_id in ids:
        add_problem(clickup, task_id)
    container = get_container()
    run_sweep(container, full=True)
    assert as_(ALEX).post(f"/api/v1/tasks/{held}/claim").status_code == 200
    clickup.delete_task(ids[-1])  # really gone: must still be found
    clickup.update_task(ids[-2], archived=True)  # archived: deleted for us
    clickup.update_task(ids[-3], list_id=PURCHASES)  # moved out of the synced lists

    def between_pages(list_id: str, page: int) -> None:
        if list_id == PROBLEMS and page == 1:
            if newest_first:  # ClickUp shows our write-back: still in progress
                clickup.update_task(held, name="Renamed between pages", status="in progress")
            else:
                clickup.update_task(ids[1], name="Renamed between pages")

    clickup.before_list_page = between_pages
    start = len(clickup.requests)
    report = run_sweep(container, full=True)
    clickup.before_list_page = None
    confirmed = {
        r.path.rsplit("/", 1)[1] for r in clickup.requests[start:] if r.path.startswith("/api/v2/task/")
    }
    for task_id in ids[:-3]:
        assert not container.tasks.get(task_id).deleted, task_id
    assert sorted(report.drift.get("deleted", [])) == sorted(ids[-3:])
    assert report.deleted == 3 and report.errors == []
    assert held in confirmed  # the shift really hid it from the listing
    kept = container.tasks.get(held)
    assert kept.assignee is not None and kept.assignee.neon_id == ALEX and kept.status.value == "IN_PROGRESS"
    assert [c.task_id for c in container.volunteers.claims(ALEX)] == [held]
    if newest_first:
        assert kept.title == "Renamed between pages"
