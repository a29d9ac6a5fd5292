"""Task endpoints: parse, call one use case, shape the answer."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Path, Query, Router

from voldash_site.container import get_container
from voldash_site.schemas import ErrorOut

from . import use_cases
from .schemas import TASK_ID_PATTERN, ShopSlug, StatusParam, TaskOut, TaskPageOut, UrgencyParam

router = Router(tags=["tasks"])


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
    Query; a filtered page may hold fewer than `limit` items and still have a next page."""
    page = use_cases.list_tasks(
        tasks=get_container().tasks,
        shop=shop,
        status=status,
        urgency=urgency,
        limit=limit,
        cursor=cursor,
    )
    return TaskPageOut(items=[TaskOut.from_task(t) for t in page.items], next_cursor=page.next_cursor)


@router.get(
    "/{task_id}",
    response={200: TaskOut, 404: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    summary="One task",
)
def get_task(request: HttpRequest, task_id: str = Path(..., pattern=TASK_ID_PATTERN)):
    return TaskOut.from_task(use_cases.get_task(tasks=get_container().tasks, task_id=task_id))
