"""Task endpoints: parse, call one use case, shape the answer."""

from __future__ import annotations

import json
from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router
from ninja.responses import NinjaJSONEncoder

from voldash_site.auth import remember, session_auth, viewer_from_session
from voldash_site.container import get_container
from voldash_site.schemas import ErrorOut
from volunteers.use_cases import build_viewer

from . import lifecycle, use_cases
from .domain import HistoryAction
from .schemas import (
    TASK_ID_PATTERN,
    ActionOut,
    ActivityListOut,
    ActivityOut,
    CompleteIn,
    ReleaseIn,
    ShopSlug,
    StatusParam,
    TaskDetailOut,
    TaskOut,
    TaskPageOut,
    UrgencyParam,
    task_detail_dict,
    task_dict,
)

router = Router(tags=["tasks"])


def render_json(payload: dict) -> HttpResponse:
    """Render like Ninja's JSON renderer would (same encoder, same content type)."""
    return HttpResponse(
        json.dumps(payload, cls=NinjaJSONEncoder), content_type="application/json; charset=utf-8"
    )


activity_router = Router(tags=["activity"])
TaskId = Path(..., pattern=TASK_ID_PATTERN, description="The ClickUp task id")
ACTION_ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
    503: ErrorOut,
}


@router.get(
    "",
    response={200: TaskPageOut, 400: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    summary="List tasks (the open feed by default)",
)
def list_tasks(
    request: HttpRequest,
    shop: ShopSlug | None = Query(None, description="Only this shop (all statuses, open first)"),
    status: StatusParam | None = Query(None, description="OPEN, IN_PROGRESS, ON_HOLD or DONE"),
    urgency: UrgencyParam | None = Query(None, description="critical, high, medium or low"),
    limit: int = Query(20, ge=1, le=100, description="Page size, 1 to 100"),
    cursor: str | None = Query(None, max_length=2048, description="next_cursor of the previous page"),
):
    """Newest first. Without `shop` and `status`, the open feed. Each page is one DynamoDB
    Query; a filtered page may hold fewer than `limit` items and still have a next page.
    When logged in, each task says whether the viewer can claim it."""
    container = get_container()
    page = use_cases.list_tasks(
        tasks=container.tasks, shop=shop, status=status, urgency=urgency, limit=limit, cursor=cursor
    )
    viewer = viewer_from_session(request)
    limit_ = container.claim_limit
    return render_json(
        {"items": [task_dict(t, viewer, limit_) for t in page.items], "next_cursor": page.next_cursor}
    )


@router.get(
    "/{task_id}",
    response={200: TaskDetailOut, 404: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    summary="One task with its recent history",
)
def get_task(request: HttpRequest, task_id: str = TaskId):
    container = get_container()
    detail = use_cases.get_task_detail(tasks=container.tasks, task_id=task_id)
    return render_json(task_detail_dict(detail, viewer_from_session(request), container.claim_limit))


def _after_action(request: HttpRequest, result: lifecycle.ActionResult) -> ActionOut:
    """Refresh the session's viewer from the fresh profile the action read."""
    container = get_container()
    actor = replace(result.actor, open_claims=result.actor_open_claims)
    viewer = build_viewer(actor, container.shop_directory.all(), now=container.clock())
    remember(request, viewer)
    return ActionOut(
        task=TaskOut.from_task(result.task, viewer, container.claim_limit), open_claims=viewer.open_claims
    )


@router.post(
    "/{task_id}/claim",
    auth=session_auth,
    response={200: ActionOut, **ACTION_ERRORS},
    summary="Claim an open task",
)
def claim_task(request: HttpRequest, task_id: str = TaskId):
    """Needs an active membership, the shop's certifications and fewer open claims than the
    limit (403 with a stable `code` and `detail.missing_certifications` otherwise). Of several
    simultaneous claims exactly one wins; the others get 409 `task_not_open`."""
    result = lifecycle.claim_task(
        task_id=task_id, actor_id=request.auth.neon_id, deps=get_container().lifecycle()
    )
    return _after_action(request, result)


@router.post(
    "/{task_id}/release",
    auth=session_auth,
    response={200: ActionOut, **ACTION_ERRORS},
    summary="Give a claimed task back (holder or shop lead)",
)
def release_task(request: HttpRequest, task_id: str = TaskId, body: ReleaseIn | None = None):
    result = lifecycle.release_task(
        task_id=task_id,
        actor_id=request.auth.neon_id,
        reason=body.reason if body else None,
        deps=get_container().lifecycle(),
    )
    return _after_action(request, result)


@router.post(
    "/{task_id}/complete",
    auth=session_auth,
    response={200: ActionOut, **ACTION_ERRORS},
    summary="Mark a claimed task done and log hours (holder or shop lead)",
)
def complete_task(request: HttpRequest, body: CompleteIn, task_id: str = TaskId):
    """Credits the task's points to the volunteer holding it and logs the hours as PENDING
    until a shop lead approves them."""
    result = lifecycle.complete_task(
        task_id=task_id,
        actor_id=request.auth.neon_id,
        hours=body.hours,
        note=body.note,
        deps=get_container().lifecycle(),
    )
    return _after_action(request, result)


@activity_router.get(
    "",
    auth=session_auth,
    response={200: ActivityListOut, 401: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    summary="Recent claims, completions and badges across the makerspace (members only)",
)
def recent_activity(request: HttpRequest, limit: int = Query(20, ge=1, le=50)):
    entries = get_container().tasks.recent_activity(limit=limit)
    return ActivityListOut(
        items=[
            ActivityOut(
                at=e.at,
                action=e.action.value,
                volunteer=e.assignee_name or e.actor_name,
                task_id=e.task_id,
                task_title=e.task_title,
                shop=e.shop,
                hours=e.hours,
                badge=e.note if e.action is HistoryAction.BADGE_EARNED else None,
            )
            for e in entries
        ]
    )
