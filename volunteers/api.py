"""The volunteer's own world: me, stats, tasks, hours; the leaderboard; the CSRF token."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from ninja import Query, Router, Status
from pydantic import BeforeValidator

from voldash_site.auth import remember, session_auth
from voldash_site.container import get_container
from voldash_site.escaping import csv_cell
from voldash_site.schemas import ErrorOut, lower_trimmed, upper_trimmed

from . import use_cases
from .domain import MAKERSPACE_TZ, HoursStatus
from .schemas import (
    ClaimListOut,
    ClaimOut,
    CsrfOut,
    HoursOut,
    HoursPageOut,
    HoursSummaryOut,
    LeaderboardOut,
    LeaderboardRowOut,
    MeOut,
    PreferencesIn,
    PreferencesOut,
    ReportHoursIn,
    StatsOut,
)

router = Router(tags=["volunteers"])
AUTH_ERRORS = {401: ErrorOut, 404: ErrorOut, 503: ErrorOut}
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


@router.get("/csrf", response=CsrfOut, summary="CSRF token for unsafe requests")
def csrf(request: HttpRequest):
    """Also sets the `csrftoken` cookie. Send its value as `X-CSRFToken` on every POST."""
    return CsrfOut(csrf_token=get_token(request))


@router.get("/me", auth=session_auth, response={200: MeOut, **AUTH_ERRORS}, summary="The logged-in volunteer")
def me(request: HttpRequest):
    """Reads the profile (one GetItem) and refreshes the session's copy of it."""
    container = get_container()
    volunteer = use_cases.current_profile(neon_id=request.auth.neon_id, volunteers=container.volunteers)
    shops = container.shop_directory.all()
    remember(request, use_cases.build_viewer(volunteer, shops, now=container.clock()))
    return MeOut.from_volunteer(volunteer, container.claim_limit, shops)


@router.patch(
    "/me/preferences",
    auth=session_auth,
    response={200: PreferencesOut, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="Change my preferences (only the fields sent)",
)
def update_my_preferences(request: HttpRequest, body: PreferencesIn):
    """One GetItem and one transaction (the profile, and the shops watched for new urgent
    repairs); answers the preferences as stored."""
    container = get_container()
    volunteer = use_cases.update_preferences(
        neon_id=request.auth.neon_id,
        volunteers=container.volunteers,
        shops=container.shop_directory,
        slack_direct_messages=body.slack_direct_messages,
        interest_shops=body.interest_shops,
        notice_kinds=body.notices.kinds if body.notices else None,
        notice_channel=body.notices.channel if body.notices else None,
        notice_mode=body.notices.mode if body.notices else None,
        now=container.clock(),
    )
    return PreferencesOut.from_preferences(volunteer.preferences)


@router.get(
    "/me/stats",
    auth=session_auth,
    response={200: StatsOut, **AUTH_ERRORS},
    summary="My hours, points, streak",
)
def my_stats(request: HttpRequest):
    container = get_container()
    stats = use_cases.my_stats(
        neon_id=request.auth.neon_id, volunteers=container.volunteers, now=container.clock(), tz=MAKERSPACE_TZ
    )
    return StatsOut.from_stats(stats)


@router.get(
    "/me/tasks", auth=session_auth, response={200: ClaimListOut, **AUTH_ERRORS}, summary="Tasks I hold now"
)
def my_tasks(request: HttpRequest):
    claims = use_cases.my_claims(neon_id=request.auth.neon_id, volunteers=get_container().volunteers)
    return ClaimListOut(items=[ClaimOut.from_claim(c) for c in claims])


@router.get(
    "/me/hours",
    auth=session_auth,
    response={200: HoursPageOut, 400: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="My hours log, newest first (JSON or CSV)",
    openapi_extra={
        "responses": {
            200: {  # an int, like Ninja's own keys: one merged 200, not two (a duplicate JSON key)
                "description": "OK (JSON; or with format=csv a CSV export with the header "
                "date,task_id,task,shop,hours,points,status,note and, when more rows follow, "
                "an X-Next-Cursor header)",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/HoursPageOut"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def my_hours(
    request: HttpRequest,
    month: str | None = Query(None, pattern=MONTH, description="YYYY-MM; all months when absent"),
    limit: int = Query(50, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=2048),
    format: Annotated[Literal["json", "csv"], BeforeValidator(lower_trimmed)] = Query(
        "json", description="json, or csv for an export"
    ),
    q: str | None = Query(
        None, max_length=100, description="Search in titles, descriptions, notes, shops and task ids"
    ),
    status: Annotated[HoursStatus, BeforeValidator(upper_trimmed)] | None = Query(
        None, description="PENDING, APPROVED or REJECTED"
    ),
):
    """One Query a page (newest first). With `q` or `status` a page can come back short (even
    empty) with a `next_cursor`: keep following it until it is null."""
    page = use_cases.my_hours(
        neon_id=request.auth.neon_id,
        volunteers=get_container().volunteers,
        month=month,
        limit=limit,
        cursor=cursor,
        search=q,
        status=status,
    )
    rows = [HoursOut.from_entry(e) for e in page.items]
    if format == "csv":
        return _csv(rows, month, page.next_cursor)
    total = sum(e.hours for e in page.items if e.status is not HoursStatus.REJECTED)
    return HoursPageOut(items=rows, next_cursor=page.next_cursor, total_hours=round(total, 2))


@router.post(
    "/me/hours",
    auth=session_auth,
    response={201: HoursOut, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="Report hours beyond tasks (pending until a lead of the shop approves)",
)
def report_hours(request: HttpRequest, body: ReportHoursIn):
    """General volunteering, a class, an on-duty shift or a CSI session: one transaction (the
    entry and the month's and lifetime counters). A lead of the shop, or staff, approves or
    rejects it on /staff/hours/."""
    container = get_container()
    entry = use_cases.report_hours(
        neon_id=request.auth.neon_id,
        kind=body.kind,
        day=body.date,
        hours=body.hours,
        shop=body.shop,
        description=body.description,
        volunteers=container.volunteers,
        shops=container.shop_directory,
        uow=container.uow,
        now=container.clock(),
        tz=MAKERSPACE_TZ,
    )
    return Status(201, HoursOut.from_entry(entry))


@router.get(
    "/me/hours/summary",
    auth=session_auth,
    response={200: HoursSummaryOut, 400: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="My month and lifetime hours, the monthly goal and my rewards progress",
)
def hours_summary(
    request: HttpRequest,
    month: str | None = Query(None, pattern=MONTH, description="YYYY-MM; this month when absent"),
):
    """Counters only, kept by the transactions that log and review hours: one BatchGetItem
    (the profile, the month's totals and the rewards configuration)."""
    container = get_container()
    summary = use_cases.hours_summary(
        neon_id=request.auth.neon_id,
        month=month,
        volunteers=container.volunteers,
        uow=container.uow,
        now=container.clock(),
        tz=MAKERSPACE_TZ,
    )
    return HoursSummaryOut.from_summary(summary)


def _csv(rows: list[HoursOut], month: str | None, next_cursor: str | None) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["date", "task_id", "task", "shop", "hours", "points", "status", "note"])
    for r in rows:
        local = r.completed_at.astimezone(MAKERSPACE_TZ)
        # A leading =, +, -, @, TAB or CR (also after whitespace) would run as a formula.
        row = [local.date().isoformat(), r.task_id, r.task_title, r.shop, r.hours, r.points, r.status]
        writer.writerow([csv_cell(v) for v in [*row, r.note or ""]])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="volunteer-hours-{month or "all"}.csv"'
    if next_cursor:
        response["X-Next-Cursor"] = next_cursor
    return response


@router.get(
    "/leaderboard",
    auth=session_auth,
    response={200: LeaderboardOut, 400: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="Top 20 volunteers of a month by points (members only)",
)
def leaderboard(request: HttpRequest, month: str | None = Query(None, pattern=MONTH, description="YYYY-MM")):
    container = get_container()
    chosen, rows = use_cases.leaderboard(
        volunteers=container.volunteers, month=month, now=container.clock(), tz=MAKERSPACE_TZ
    )
    viewer_id = request.auth.neon_id
    return LeaderboardOut(month=chosen, items=[LeaderboardRowOut.from_row(r, viewer_id) for r in rows])
