"""Request and response shapes of the task endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from shops.catalog import SHOP_SLUGS
from volunteers.domain import Viewer

from .domain import (
    MAX_HOURS_PER_TASK,
    HistoryEntry,
    HistoryVisibility,
    Task,
    TaskDetail,
    TaskStatus,
    TaskType,
    Urgency,
    claim_eligibility,
    history_visibility,
)

ShopSlug = Literal[SHOP_SLUGS]  # type: ignore[valid-type]
TASK_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def _normalize_status(value: object) -> object:
    # The frontend speaks 'open' and 'in-progress'; the API also takes 'OPEN', 'IN_PROGRESS'.
    return value.strip().upper().replace("-", "_") if isinstance(value, str) else value


def _normalize_urgency(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


StatusParam = Annotated[TaskStatus, BeforeValidator(_normalize_status)]
UrgencyParam = Annotated[Urgency, BeforeValidator(_normalize_urgency)]


class AssigneeOut(Schema):
    id: str | None = Field(
        description="Neon account id of the volunteer holding the task (null when anonymous)"
    )
    name: str


class ViewerTaskOut(Schema):
    """What the logged-in viewer may do with this task (null when anonymous)."""

    can_claim: bool
    reason: str | None = Field(
        description="membership_inactive, missing_certifications, claim_limit_reached or task_not_open"
    )
    message: str | None
    missing_certifications: list[str]
    is_mine: bool = Field(description="The viewer holds this task (may release or complete it)")
    can_manage: bool = Field(description="The viewer may release or complete it (holder or shop lead)")

    @staticmethod
    def for_viewer(task: Task, viewer: Viewer | None, claim_limit: int) -> ViewerTaskOut | None:
        fields = viewer_dict(task, viewer, claim_limit)
        return None if fields is None else ViewerTaskOut(**fields)


class TaskOut(Schema):
    id: str = Field(description="The ClickUp task id")
    title: str
    description: str
    shop: str = Field(description="Canonical shop slug, e.g. woodshop")
    status: TaskStatus
    urgency: Urgency
    task_type: TaskType
    problem_type: str | None
    asset: str | None = Field(description="The equipment concerned, when ClickUp names it")
    estimate_minutes: int | None
    points: int = Field(description="Points credited on completion (see README: Points)")
    assignee: AssigneeOut | None
    clickup_url: str | None
    discourse_url: str | None
    slack_url: str | None
    created_at: datetime
    updated_at: datetime
    viewer: ViewerTaskOut | None = Field(None, description="Present when logged in")

    @staticmethod
    def from_task(task: Task, viewer: Viewer | None = None, claim_limit: int = 3) -> TaskOut:
        return TaskOut(
            id=task.id,
            title=task.title,
            description=task.description,
            shop=task.shop,
            status=task.status,
            urgency=task.urgency,
            task_type=task.task_type,
            problem_type=task.problem_type,
            asset=task.asset,
            estimate_minutes=task.estimate_minutes,
            points=task.points,
            assignee=AssigneeOut(id=task.assignee.neon_id if viewer else None, name=task.assignee.name)
            if task.assignee
            else None,
            clickup_url=task.clickup_url,
            discourse_url=task.discourse_url,
            slack_url=task.slack_url,
            created_at=task.created_at,
            updated_at=task.updated_at,
            viewer=ViewerTaskOut.for_viewer(task, viewer, claim_limit),
        )


class HistoryOut(Schema):
    at: datetime
    action: str = Field(description="created, updated, claimed, released, completed, reassigned, ...")
    source: str = Field(description="api, staff, clickup or system")
    actor: str | None = Field(description="Display name of who did it (null for ClickUp/system)")
    from_status: TaskStatus | None
    to_status: TaskStatus | None
    assignee: str | None
    note: str | None = Field(description="Null unless the reader may see it (README: Who sees what)")
    hours: float | None = Field(description="Null for anonymous readers")

    @staticmethod
    def from_entry(e: HistoryEntry, viewer: Viewer | None = None, shop: str = "") -> HistoryOut:
        see = _visibility(e, viewer, shop)
        return HistoryOut(
            at=e.at,
            action=e.action.value,
            source=e.source.value,
            actor=e.actor_name,
            from_status=e.from_status,
            to_status=e.to_status,
            assignee=e.assignee_name,
            note=e.note if see.note else None,
            hours=e.hours if see.hours else None,
        )


def _visibility(e: HistoryEntry, viewer: Viewer | None, shop: str) -> HistoryVisibility:
    return history_visibility(
        e,
        reader_id=viewer.neon_id if viewer else None,
        reader_leads_shop=viewer is not None and viewer.leads_shop(shop or e.shop),
    )


class TaskDetailOut(TaskOut):
    history: list[HistoryOut] = Field(description="Recent activity, newest first (up to 20)")

    @staticmethod
    def from_detail(detail: TaskDetail, viewer: Viewer | None, claim_limit: int) -> TaskDetailOut:
        base = TaskOut.from_task(detail.task, viewer, claim_limit)
        shop = detail.task.shop
        return TaskDetailOut(
            **base.model_dump(), history=[HistoryOut.from_entry(e, viewer, shop) for e in detail.history]
        )


class ReleaseIn(Schema):
    reason: str | None = Field(None, max_length=2000, description="Optional: why it goes back to open")


class CompleteIn(Schema):
    hours: float = Field(
        ..., gt=0, le=MAX_HOURS_PER_TASK, description="Hours spent, more than 0 and at most 12"
    )
    note: str | None = Field(None, max_length=2000, description="Optional note for the shop lead")


class ActionOut(Schema):
    task: TaskOut
    open_claims: int = Field(description="How many tasks the viewer now holds")


class ActivityOut(Schema):
    at: datetime
    action: str = Field(description="claimed, completed or badge_earned")
    volunteer: str | None
    task_id: str = Field(description="The task (or self-reported hours entry) the event is about")
    task_title: str
    shop: str
    hours: float | None
    badge: str | None = Field(None, description="badge_earned: the badge's name")


class ActivityListOut(Schema):
    items: list[ActivityOut]


class TaskPageOut(Schema):
    items: list[TaskOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")


# -- the hot path ----------------------------------------------------------------------------
# The task list and detail are the most requested responses. They are built as plain dicts and
# rendered straight to JSON, skipping Ninja's per-field object access and Pydantic's output
# validation; tests hold these dicts equal to the schemas' own output (TaskOut, TaskDetailOut),
# so the contract in infra/openapi.yaml stays exactly what is served.


def _iso(moment: datetime) -> str:
    """The exact text Django's (and so Ninja's) JSON encoder writes for a datetime, done up
    front so the encoder never calls back into Python for it."""
    text = moment.isoformat()
    if moment.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text.removesuffix("+00:00") + "Z"
    return text


def viewer_dict(task: Task, viewer: Viewer | None, claim_limit: int) -> dict | None:
    """The `viewer` block of a task as plain JSON-ready values (the fields of ViewerTaskOut)."""
    if viewer is None:
        return None
    verdict = claim_eligibility(
        task=task,
        membership_active=viewer.membership_active,
        missing_certifications=viewer.missing_by_shop.get(task.shop, ()),
        open_claims=viewer.open_claims,
        claim_limit=claim_limit,
    )
    mine = task.assignee is not None and task.assignee.neon_id == viewer.neon_id
    return {
        "can_claim": verdict.can_claim,
        "reason": verdict.reason.value if verdict.reason else None,
        "message": verdict.message,
        "missing_certifications": list(verdict.missing_certifications),
        "is_mine": mine,
        "can_manage": task.assignee is not None and (mine or viewer.leads_shop(task.shop)),
    }


def task_dict(task: Task, viewer: Viewer | None = None, claim_limit: int = 3) -> dict:
    return {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "shop": task.shop,
        "status": task.status.value,
        "urgency": task.urgency.value,
        "task_type": task.task_type.value,
        "problem_type": task.problem_type,
        "asset": task.asset,
        "estimate_minutes": task.estimate_minutes,
        "points": task.points,
        "assignee": {"id": task.assignee.neon_id if viewer else None, "name": task.assignee.name}
        if task.assignee
        else None,
        "clickup_url": task.clickup_url,
        "discourse_url": task.discourse_url,
        "slack_url": task.slack_url,
        "created_at": _iso(task.created_at),
        "updated_at": _iso(task.updated_at),
        "viewer": viewer_dict(task, viewer, claim_limit),
    }


def history_dict(e: HistoryEntry, viewer: Viewer | None = None, shop: str = "") -> dict:
    see = _visibility(e, viewer, shop)
    return {
        "at": _iso(e.at),
        "action": e.action.value,
        "source": e.source.value,
        "actor": e.actor_name,
        "from_status": e.from_status.value if e.from_status else None,
        "to_status": e.to_status.value if e.to_status else None,
        "assignee": e.assignee_name,
        "note": e.note if see.note else None,
        "hours": e.hours if see.hours else None,
    }


def task_detail_dict(detail: TaskDetail, viewer: Viewer | None, claim_limit: int) -> dict:
    return {
        **task_dict(detail.task, viewer, claim_limit),
        "history": [history_dict(e, viewer, detail.task.shop) for e in detail.history],
    }
