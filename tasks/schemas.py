"""Request and response shapes of the task endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from shops.catalog import ASMBLY_SHOPS
from shops.schemas import ShopSlug
from volunteers.domain import Viewer

from .domain import (
    AWAITING_CLICKUP,
    MAX_COMMENT_LENGTH,
    MAX_HOURS_PER_TASK,
    ChecklistStep,
    Comment,
    DueState,
    HistoryAction,
    HistoryEntry,
    HistorySource,
    HistoryVisibility,
    Task,
    TaskDetail,
    TaskStatus,
    TaskType,
    Urgency,
    claim_eligibility,
    display_tags,
    history_visibility,
    safety_warning,
)
from .feed import Counts, FeedSort, FeedType, TimeBucket, feed_type

TASK_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def _normalize_status(value: object) -> object:
    # The frontend speaks 'open' and 'in-progress'; the API also takes 'OPEN', 'IN_PROGRESS'.
    return value.strip().upper().replace("-", "_") if isinstance(value, str) else value


def _normalize_urgency(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


StatusParam = Annotated[TaskStatus, BeforeValidator(_normalize_status)]
UrgencyParam = Annotated[Urgency, BeforeValidator(_normalize_urgency)]
FeedTypeParam = Annotated[FeedType, BeforeValidator(_normalize_urgency)]
TimeParam = Annotated[TimeBucket, BeforeValidator(_normalize_urgency)]
SortParam = Annotated[FeedSort, BeforeValidator(_normalize_urgency)]


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
    shop: ShopSlug = Field(description="Canonical shop slug, e.g. woodshop")
    status: TaskStatus
    urgency: Urgency
    task_type: TaskType = Field(description="preventative (the PM Schedule) or problem (a problem report)")
    type: FeedType = Field(
        description="The `type` filter's value for this task: preventative, problem or facilities "
        "(a problem report whose problem_type is Facilities)"
    )
    problem_type: str | None = Field(description="The report's Problem Type as ClickUp names it (free text)")
    summary: str | None = Field(
        description="Problem reports: the form's summary (the card's text; `description` keeps the raw "
        "'Problem Type: ... Workspace: ...' lines); null for PM tasks"
    )
    details: str | None = Field(description="Problem reports: the form's Additional Info, or null")
    asset: str | None = Field(description="The equipment concerned, when ClickUp names it")
    estimate_minutes: int | None
    points: int = Field(description="Points credited on completion (see README: Points)")
    assignee: AssigneeOut | None
    clickup_url: str | None
    discourse_url: str | None
    slack_url: str | None
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None = Field(description="When it is due (preventive maintenance; ClickUp's due date)")
    frequency: str | None = Field(description="How often it recurs (PM): Regular, Monthly, Quarterly, ...")
    due_state: DueState | None = Field(
        description="overdue (due date passed, not done), due_soon (due within 7 days) or null"
    )
    awaiting_clickup: bool = Field(
        False,
        description="A problem report on its way to ClickUp (tag awaiting-clickup): shown at once, "
        "claimable once ClickUp has it",
    )
    viewer: ViewerTaskOut | None = Field(None, description="Present when logged in")

    @staticmethod
    def from_task(
        task: Task, viewer: Viewer | None = None, claim_limit: int = 3, now: datetime | None = None
    ) -> TaskOut:
        return TaskOut(
            id=task.id,
            title=task.title,
            description=task.description,
            shop=task.shop,
            status=task.status,
            urgency=task.urgency,
            task_type=task.task_type,
            type=feed_type(task.task_type, task.problem_type),
            problem_type=task.problem_type,
            summary=task.report_summary,
            details=task.report_details,
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
            due_at=task.due_at,
            frequency=task.frequency,
            due_state=task.due_state(now or datetime.now(UTC)),
            awaiting_clickup=AWAITING_CLICKUP in task.tags,
            viewer=ViewerTaskOut.for_viewer(task, viewer, claim_limit),
        )


class HistoryOut(Schema):
    at: datetime
    action: HistoryAction = Field(
        description="created, updated, claimed, released, completed, reassigned, ..."
    )
    source: HistorySource = Field(description="api, staff, clickup, system or slack")
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


class ReporterOut(Schema):
    name: str = Field(description="Who made the task in ClickUp")
    role: str | None = Field(description="What we know of them (the problem form, the facilities team)")
    contact: str | None = Field(
        description="The reporter's name/phone from the problem form: leads of the task's shop and staff only"
    )


class AttachmentOut(Schema):
    title: str
    url: str = Field(description="https, on ClickUp's attachment hosts")
    is_image: bool
    thumbnail_url: str | None


class TagOut(Schema):
    label: str
    type: Literal["warning", "info"]


class LocationOut(Schema):
    shop: ShopSlug = Field(description="Shop slug")
    shop_name: str
    asset: str | None


class ChecklistStepOut(Schema):
    id: str = Field(description="ClickUp checklist item id (tick it with POST .../checklist/{id})")
    checklist: str = Field(description="Name of the ClickUp checklist the step belongs to")
    name: str
    resolved: bool


class ActivityItemOut(Schema):
    id: str
    variant: Literal["user", "system"] = Field(description="user: a comment; system: a history event")
    at: datetime
    author: str | None = Field(description="Who wrote or did it (null for ClickUp/system)")
    text: str = Field(description="Plain text (the frontend escapes it)")
    source: HistorySource = Field(
        description="api, staff, clickup, system or slack (comments: api or clickup)"
    )
    action: HistoryAction | None = Field(description="History action (null for comments)")
    note: str | None = Field(description="History note, when the reader may see it")


class ActivityPageOut(Schema):
    items: list[ActivityItemOut]
    next_cursor: str | None


class TaskDetailOut(TaskOut):
    history: list[HistoryOut] = Field(description="Recent history entries, newest first (up to 20)")
    reporter: ReporterOut | None
    attachments: list[AttachmentOut]
    location: LocationOut
    tags: list[TagOut] = Field(description="Kind, urgency, safety and ClickUp tags (README: Task detail)")
    warning: str | None = Field(description="Safety warning derived from the data (README: Task detail)")
    checklist: list[ChecklistStepOut] = Field(description="The ClickUp checklist's steps, in order")
    activity: list[ActivityItemOut] = Field(description="Comments and history, newest first (first page)")
    activity_next_cursor: str | None = Field(description="For GET /tasks/{id}/activity?cursor=")

    @staticmethod
    def from_detail(detail: TaskDetail, viewer: Viewer | None, claim_limit: int) -> TaskDetailOut:
        base = TaskOut.from_task(detail.task, viewer, claim_limit)
        shop = detail.task.shop
        full = task_detail_dict(detail, viewer, claim_limit)
        extra = {k: v for k, v in full.items() if k not in TaskOut.model_fields}
        return TaskDetailOut(
            **base.model_dump(),
            history=[HistoryOut.from_entry(e, viewer, shop) for e in detail.history],
            **{k: v for k, v in extra.items() if k != "history"},
        )


class CommentIn(Schema):
    text: str = Field(..., min_length=1, max_length=MAX_COMMENT_LENGTH, description="Plain text")


class CommentOut(Schema):
    item: ActivityItemOut


class TickIn(Schema):
    resolved: bool = Field(True, description="true ticks the step, false unticks it")


class ChecklistOut(Schema):
    task_id: str
    checklist: list[ChecklistStepOut]


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
    action: Literal["claimed", "completed", "badge_earned"] = Field(
        description="claimed, completed or badge_earned"
    )
    volunteer: str | None
    task_id: str = Field(description="The task (or self-reported hours entry) the event is about")
    task_title: str
    shop: ShopSlug
    hours: float | None
    badge: str | None = Field(None, description="badge_earned: the badge's name")


class ActivityListOut(Schema):
    items: list[ActivityOut]


class FacetsOut(Schema):
    """Counts per value for the current filters, each facet leaving out its own filter (so the
    other shops still show what choosing them would give)."""

    shop: dict[str, int] = Field(description="shop slug -> tasks")
    type: dict[str, int] = Field(description="preventative, problem, facilities -> tasks")
    urgency: dict[str, int] = Field(description="critical, high, medium, low -> tasks")
    time: dict[str, int] = Field(description="less_30, 30_60, 60_180, more_180, none -> tasks")


class TaskPageOut(Schema):
    items: list[TaskOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")
    total: int | None = Field(
        None,
        description="With counts=true: how many tasks match the filters (null with a search text `q`)",
    )
    facets: FacetsOut | None = Field(None, description="With counts=true: facet counts (without `q`)")


def counts_dict(counts: Counts, *, searched: bool) -> dict:
    return {
        "total": None if searched else counts.total,
        "facets": {"shop": counts.shop, "type": counts.type, "urgency": counts.urgency, "time": counts.time},
    }


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


def task_dict(
    task: Task, viewer: Viewer | None = None, claim_limit: int = 3, now: datetime | None = None
) -> dict:
    due_state = task.due_state(now or datetime.now(UTC)) if task.due_at else None
    return {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "shop": task.shop,
        "status": task.status.value,
        "urgency": task.urgency.value,
        "task_type": task.task_type.value,
        "type": feed_type(task.task_type, task.problem_type).value,
        "problem_type": task.problem_type,
        "summary": task.report_summary,
        "details": task.report_details,
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
        "due_at": _iso(task.due_at) if task.due_at else None,
        "frequency": task.frequency,
        "due_state": due_state.value if due_state else None,
        "awaiting_clickup": AWAITING_CLICKUP in task.tags,
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
        **_detail_extras(detail, viewer),
    }


# -- the detail screen's extras ---------------------------------------------------------------

SHOP_NAMES = {shop.slug: shop.name for shop in ASMBLY_SHOPS}
_ACTION_TEXT = {
    "created": "created the task",
    "updated": "updated the task",
    "claimed": "claimed the task",
    "released": "released the task",
    "completed": "completed the task",
    "reassigned": "reassigned the task",
    "reopened": "reopened the task",
    "deleted": "removed the task",
    "resynced": "re-read the task from ClickUp",
    "hours_approved": "approved the hours",
    "hours_rejected": "rejected the hours",
    "step_checked": "ticked a step",
    "step_unchecked": "unticked a step",
}


def step_dict(step: ChecklistStep) -> dict:
    return {"id": step.id, "checklist": step.checklist_name, "name": step.name, "resolved": step.resolved}


def activity_dict(e: HistoryEntry | Comment, viewer: Viewer | None = None, shop: str = "") -> dict:
    if isinstance(e, Comment):
        return {
            "id": e.event_id,
            "variant": "user",
            "at": _iso(e.at),
            "author": e.author_name,
            "text": e.text,
            "source": e.source.value,
            "action": None,
            "note": None,
        }
    see = _visibility(e, viewer, shop)
    who = e.actor_name or "ClickUp"
    text = f"{who} {_ACTION_TEXT.get(e.action.value, e.action.value)}"
    if e.action.value in ("step_checked", "step_unchecked") and e.note:
        text = f"{text}: {e.note}"
    if e.to_status and e.from_status and e.to_status != e.from_status:
        text = f"{text} ({e.from_status.value} -> {e.to_status.value})"
    return {
        "id": e.event_id,
        "variant": "system",
        "at": _iso(e.at),
        "author": e.actor_name,
        "text": text,
        "source": e.source.value,
        "action": e.action.value,
        "note": e.note if see.note else None,
    }


def _detail_extras(detail: TaskDetail, viewer: Viewer | None) -> dict:
    task, extras = detail.task, detail.extras
    reporter = extras.reporter if extras else None
    sees_contact = viewer is not None and viewer.leads_shop(task.shop)
    contact = task.contact_details if sees_contact else None
    if reporter is not None:
        reporter_out: dict | None = {"name": reporter.name, "role": reporter.role, "contact": contact}
    elif contact:
        reporter_out = {"name": "Problem report", "role": None, "contact": contact}
    else:
        reporter_out = None
    return {
        "reporter": reporter_out,
        "attachments": [
            {"title": a.title, "url": a.url, "is_image": a.is_image, "thumbnail_url": a.thumbnail_url}
            for a in (extras.attachments if extras else ())
        ],
        "location": {
            "shop": task.shop,
            "shop_name": SHOP_NAMES.get(task.shop, task.shop),
            "asset": task.asset,
        },
        "tags": [{"label": label, "type": kind} for label, kind in display_tags(task)],
        "warning": safety_warning(task),
        "checklist": [step_dict(s) for s in (extras.steps() if extras else ())],
        "activity": [activity_dict(e, viewer, task.shop) for e in detail.activity],
        "activity_next_cursor": detail.activity_cursor,
    }
