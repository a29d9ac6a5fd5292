"""What a ClickUp snapshot does to our copy (pure rules)."""

from __future__ import annotations

from tasks.domain import Assignee, HistoryAction, TaskStatus, Urgency
from tasks.sync import SyncKind, decide_sync
from tests.builders import a_task

ALEX = Assignee("1001", "Alex Rivera")


def snapshot(task, ms: int, **changes):
    return task.with_changes(source_updated_ms=ms, **changes)


def test_a_new_task_is_created_without_an_assignee():
    incoming = snapshot(a_task(), 100)
    outcome = decide_sync(None, incoming)
    assert outcome.kind is SyncKind.CREATED and outcome.action is HistoryAction.CREATED


def test_an_older_or_equal_snapshot_changes_nothing():
    current = snapshot(a_task(), 200)
    assert decide_sync(current, snapshot(current, 200, title="old title")).kind is SyncKind.STALE
    assert decide_sync(current, snapshot(current, 150, title="older")).kind is SyncKind.STALE


def test_content_changes_keep_our_assignee():
    current = snapshot(a_task(status=TaskStatus.IN_PROGRESS, assignee=ALEX), 100)
    outcome = decide_sync(
        current, snapshot(current, 200, title="New title", urgency=Urgency.HIGH, assignee=None)
    )
    assert outcome.kind is SyncKind.UPDATED
    assert outcome.task.assignee == ALEX and outcome.task.title == "New title"
    assert set(outcome.changed) == {"title", "urgency"}


def test_only_the_timestamp_moved_is_a_touch():
    current = snapshot(a_task(), 100)
    outcome = decide_sync(current, snapshot(current, 300))
    assert outcome.kind is SyncKind.TOUCHED and outcome.action is None  # stored, but no history entry


def test_clickup_reopening_a_held_task_releases_the_claim():
    current = snapshot(a_task(status=TaskStatus.IN_PROGRESS, assignee=ALEX), 100)
    outcome = decide_sync(current, snapshot(current, 200, status=TaskStatus.OPEN))
    assert outcome.action is HistoryAction.REOPENED
    assert outcome.release_holder == ALEX and outcome.task.assignee is None


def test_clickup_closing_a_held_task_completes_it_for_the_holder():
    current = snapshot(a_task(status=TaskStatus.ON_HOLD, assignee=ALEX), 100)
    outcome = decide_sync(current, snapshot(current, 200, status=TaskStatus.DONE))
    assert outcome.action is HistoryAction.COMPLETED and outcome.complete_holder == ALEX
    assert outcome.task.assignee == ALEX


def test_an_older_clickup_status_does_not_undo_our_claim():
    # We claimed at t=150 (write-back pending); ClickUp's snapshot of t=120 still says Open.
    current = snapshot(a_task(status=TaskStatus.IN_PROGRESS, assignee=ALEX), 100)
    outcome = decide_sync(
        current, snapshot(current, 120, status=TaskStatus.OPEN, title="Renamed"), local_status_ms=150
    )
    assert outcome.task.status is TaskStatus.IN_PROGRESS and outcome.task.assignee == ALEX
    assert outcome.release_holder is None and outcome.task.title == "Renamed"


def test_deleting_a_held_task_releases_the_claim_and_keeps_the_item():
    current = snapshot(a_task(status=TaskStatus.IN_PROGRESS, assignee=ALEX), 100)
    outcome = decide_sync(current, None)
    assert outcome.kind is SyncKind.DELETED and outcome.task.deleted and outcome.release_holder == ALEX
    assert decide_sync(outcome.task, None).kind is SyncKind.IGNORED
    assert decide_sync(None, None).kind is SyncKind.IGNORED


def test_a_done_task_reopened_in_clickup_is_open_again_without_assignee():
    current = snapshot(a_task(status=TaskStatus.DONE, assignee=ALEX), 100)
    outcome = decide_sync(current, snapshot(current, 200, status=TaskStatus.OPEN))
    assert outcome.action is HistoryAction.REOPENED and outcome.task.assignee is None
    assert outcome.release_holder is None  # the claim ended when it was completed


def test_due_state_is_overdue_due_soon_or_none_and_never_for_done_tasks():
    from datetime import UTC, datetime, timedelta

    from tasks.domain import DueState, Task, TaskStatus, Urgency

    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    base = Task("t1", "PM", "woodshop", TaskStatus.OPEN, Urgency.LOW, now, now)
    assert base.due_state(now) is None
    assert base.with_changes(due_at=now - timedelta(minutes=1)).due_state(now) is DueState.OVERDUE
    assert base.with_changes(due_at=now + timedelta(days=7)).due_state(now) is DueState.DUE_SOON
    assert base.with_changes(due_at=now + timedelta(days=8)).due_state(now) is None
    done = base.with_changes(status=TaskStatus.DONE, due_at=now - timedelta(days=3))
    assert done.due_state(now) is None
