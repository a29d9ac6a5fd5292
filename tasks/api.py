"""Task endpoints: parse, call one use case, shape the answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router
from ninja.responses import NinjaJSONEncoder

from shops.catalog import SHOP_SLUGS
from shops.schemas import ShopParam
from voldash_site.auth import action_auth, remember, session_auth, session_ended, viewer_from_session
from voldash_site.container import get_container
from voldash_site.errors import SessionEnded
from voldash_site.schemas import ErrorOut
from volunteers.use_cases import build_viewer

from . import lifecycle, use_cases
from .domain import HistoryAction
from .schemas import (
    TASK_ID_PATTERN,
    ActionOut,
    ActivityListOut,
    ActivityOut,
    ActivityPageOut,
    ChecklistOut,
    CommentIn,
    CommentOut,
    CompleteIn,
    FeedTypeParam,
    ReleaseIn,
    SortParam,
    StatusParam,
    TaskDetailOut,
    TaskOut,
    TaskPageOut,
    TickIn,
    TimeParam,
    UrgencyParam,
    activity_dict,
    counts_dict,
    step_dict,
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
ItemId = Path(..., pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The ClickUp checklist item id")
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
    shop: ShopParam | None = Query(None, description="Only this shop"),
    status: StatusParam | None = Query(
        None, description="OPEN (the default scope), IN_PROGRESS, ON_HOLD or DONE; also open, in-progress"
    ),
    urgency: UrgencyParam | None = Query(None, description="critical, high, medium or low"),
    limit: int = Query(20, ge=1, le=100, description="Page size, 1 to 100"),
    cursor: str | None = Query(None, max_length=2048, description="next_cursor of the previous page"),
    task_type: FeedTypeParam | None = Query(
        None, alias="type", description="preventative, problem or facilities"
    ),
    time: TimeParam | None = Query(
        None, description="Time needed: less_30, 30_60, 60_180 or more_180 (from the estimate)"
    ),
    q: str | None = Query(
        None, max_length=100, description="Search the title, the asset/tool and the task id"
    ),
    sort: SortParam = Query(
        "newest", description="newest, oldest, urgency (critical first) or due (soonest due first)"
    ),
    counts: bool = Query(False, description="Add `total` and `facets` (one more DynamoDB request)"),
):
    """Newest first unless `sort` says otherwise. **Scope**: tasks of one status, OPEN unless
    `status` names another, for every combination of filters and sorts (`shop` included);
    `total` and `facets` count that same scope. Filters combine. Enumerated values are matched
    case-insensitively after trimming spaces. Each page is one DynamoDB Query; a page filtered
    by something its index key does not serve (README: The task list) may hold fewer than
    `limit` items and still have a next page. When logged in, each task says whether the
    viewer can claim it."""
    container = get_container()
    filters = {"shop": shop, "status": status, "urgency": urgency, "type": task_type, "time": time}

    def read_page() -> use_cases.TaskPage:
        return use_cases.list_tasks(
            tasks=container.tasks, limit=limit, cursor=cursor, search=q, sort=sort, **filters
        )

    extra: dict = {"total": None, "facets": None}
    if counts:
        # The counter items and the page are two independent Queries: sent at the same time,
        # the answer waits for the slower one, not for both in turn. Imported here, so the
        # plain feed (the hot path) never loads the thread pool.
        from concurrent.futures import ThreadPoolExecutor

        query = use_cases.feed_query(search=q, sort=sort, **filters)
        with ThreadPoolExecutor(max_workers=1) as pool:
            found = pool.submit(
                use_cases.task_counts, tasks=container.tasks, query=query, shops=list(SHOP_SLUGS)
            )
            page = read_page()
            extra = counts_dict(found.result(), searched=bool(query.search))
    else:
        page = read_page()
    viewer = viewer_from_session(request)
    limit_ = container.claim_limit
    body = {"items": [task_dict(t, viewer, limit_) for t in page.items], "next_cursor": page.next_cursor}
    return render_json(body | extra)


@router.get(
    "/{task_id}",
    response={200: TaskDetailOut, 404: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    summary="One task as the detail screen shows it (one DynamoDB Query)",
)
def get_task(request: HttpRequest, task_id: str = TaskId):
    """Reporter (contact for leads of the shop and staff only), attachments, location, tags and
    the safety warning, the checklist, and the first page of the activity feed (comments and
    history, newest first; `activity_next_cursor` pages on through `/activity`)."""
    container = get_container()
    detail = use_cases.get_task_detail(tasks=container.tasks, task_id=task_id)
    return render_json(task_detail_dict(detail, viewer_from_session(request), container.claim_limit))


@contextmanager
def _acting(request: HttpRequest) -> Iterator[lifecycle.LifecycleDeps]:
    """The lifecycle's dependencies for an action of the session's person (``action_auth``):
    the action checks the session's epoch on the profile it reads with the task."""
    try:
        yield replace(get_container().lifecycle(), session_epoch=request.auth.session_epoch)
    except SessionEnded:
        session_ended(request)
        raise


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
    auth=action_auth,
    response={200: ActionOut, **ACTION_ERRORS},
    summary="Claim an open task",
)
def claim_task(request: HttpRequest, task_id: str = TaskId):
    """Needs an active membership, the shop's certifications and fewer open claims than the
    limit (403 with a stable `code` and `detail.missing_certifications` otherwise). Of several
    simultaneous claims exactly one wins; the others get 409 `task_not_open`."""
    with _acting(request) as deps:
        result = lifecycle.claim_task(task_id=task_id, actor_id=request.auth.neon_id, deps=deps)
    return _after_action(request, result)


@router.post(
    "/{task_id}/release",
    auth=action_auth,
    response={200: ActionOut, **ACTION_ERRORS},
    summary="Give a claimed task back (holder or shop lead)",
)
def release_task(request: HttpRequest, task_id: str = TaskId, body: ReleaseIn | None = None):
    with _acting(request) as deps:
        result = lifecycle.release_task(
            task_id=task_id, actor_id=request.auth.neon_id, reason=body.reason if body else None, deps=deps
        )
    return _after_action(request, result)


@router.post(
    "/{task_id}/complete",
    auth=action_auth,
    response={200: ActionOut, **ACTION_ERRORS},
    summary="Mark a claimed task done and log hours (holder or shop lead)",
)
def complete_task(request: HttpRequest, body: CompleteIn, task_id: str = TaskId):
    """Credits the task's points to the volunteer holding it and logs the hours as PENDING
    until a shop lead approves them."""
    with _acting(request) as deps:
        result = lifecycle.complete_task(
            task_id=task_id, actor_id=request.auth.neon_id, hours=body.hours, note=body.note, deps=deps
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


def _discussion():
    return get_container().discussion()


@router.get(
    "/{task_id}/activity",
    response={200: ActivityPageOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    summary="The task's activity feed: comments and history, newest first, paged",
)
def task_activity(
    request: HttpRequest,
    task_id: str = TaskId,
    limit: int = Query(20, ge=1, le=50, description="Page size, 1 to 50"),
    cursor: str | None = Query(None, max_length=2048, description="next_cursor of the previous page"),
):
    """One DynamoDB Query per page."""
    page = get_container().tasks.activity_page(task_id, limit=limit, cursor=cursor)
    if page is None:
        from voldash_site.errors import NotFound

        raise NotFound(f"No task with id {task_id!r}.", detail={"id": task_id})
    entries, next_cursor = page
    viewer = viewer_from_session(request)
    shop = next((e.shop for e in entries if getattr(e, "shop", "")), "")
    return render_json(
        {"items": [activity_dict(e, viewer, shop) for e in entries], "next_cursor": next_cursor}
    )


@router.post(
    "/{task_id}/comments",
    auth=session_auth,
    response={201: CommentOut, **ACTION_ERRORS, 429: ErrorOut},
    summary="Comment on a task (members); it reaches ClickUp as a task comment",
)
def post_comment(request: HttpRequest, body: CommentIn, task_id: str = TaskId):
    """Plain text, 1 to 4000 characters after trimming. In the activity feed at once; posted to
    ClickUp through the outbox exactly once. Needs an active membership (403
    `membership_inactive`); 30 comments an hour per member (429 `rate_limited`, `Retry-After`)."""
    from .discussion import post_comment as post

    viewer = request.auth
    comment = post(
        task_id=task_id, author_id=viewer.neon_id, author_name=viewer.name, text=body.text, deps=_discussion()
    )
    response = render_json({"item": activity_dict(comment, viewer)})
    response.status_code = 201
    return response


@router.post(
    "/{task_id}/checklist/{item_id}",
    auth=session_auth,
    response={200: ChecklistOut, **ACTION_ERRORS},
    summary="Tick or untick a checklist step (the holder, while in progress)",
)
def tick_step(request: HttpRequest, body: TickIn, task_id: str = TaskId, item_id: str = ItemId):
    """Stored at once; written back to the ClickUp checklist item through the outbox. Only the
    volunteer holding the task (403 `not_your_task`), only while it is IN_PROGRESS (409
    `task_not_in_progress`)."""
    return _tick(request, body, task_id, item_id)


@router.patch(
    "/{task_id}/checklist/{item_id}",
    auth=session_auth,
    response={200: ChecklistOut, **ACTION_ERRORS},
    summary="Tick or untick a checklist step (same as POST)",
)
def patch_step(request: HttpRequest, body: TickIn, task_id: str = TaskId, item_id: str = ItemId):
    return _tick(request, body, task_id, item_id)


def _tick(request: HttpRequest, body: TickIn, task_id: str, item_id: str) -> dict:
    from .discussion import tick_step as tick

    viewer = request.auth
    result = tick(
        task_id=task_id,
        item_id=item_id,
        resolved=body.resolved,
        actor_id=viewer.neon_id,
        actor_name=viewer.name,
        deps=_discussion(),
    )
    return {"task_id": result.task_id, "checklist": [step_dict(s) for s in result.steps]}
