"""Problem-report endpoints: anyone may report (a QR code on a machine needs no account);
logged-in members get their name and contact filled in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router
from ninja.utils import check_csrf

from tasks.api import render_json
from voldash_site.auth import viewer_from_session
from voldash_site.container import get_container
from voldash_site.errors import DomainError, Forbidden
from voldash_site.schemas import ErrorOut

from . import use_cases
from .schemas import REPORT_ID_PATTERN, PhotoIn, PhotoUploadOut, ReportCreatedOut, ReportIn, ReportStatusOut
from .web import client_address, device_id, reporter_for, set_device_cookie, status_dict

router = Router(tags=["problem-reports"])
ReportId = Path(..., pattern=REPORT_ID_PATTERN, description="The report's id")


@router.post(
    "",
    response={
        201: ReportCreatedOut,
        400: ErrorOut,
        403: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
        503: ErrorOut,
    },
    summary="Report a problem (no login needed)",
)
def create_report(request: HttpRequest, body: ReportIn):
    """Stores the report and shows it at once in the shop's feed and the open feed (marked as
    awaiting ClickUp); the ClickUp task, the Slack posts and the forum topic follow through the
    outbox. Anonymous calls need no CSRF token; a logged-in session must send `X-CSRFToken`
    (as for every other action). The body must be sent as `application/json` (415
    `unsupported_media_type` otherwise: a form or `text/plain` post is what another site can make
    a visitor's browser send). Limits per client address and per device: 429 `rate_limited`
    with `Retry-After`."""
    viewer = viewer_from_session(request)
    if viewer is not None and check_csrf(request) is not None:
        raise Forbidden(
            "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken.", code="csrf_failed"
        )
    container = get_container()
    device, fresh = device_id(request)
    report = use_cases.submit_report(
        form=use_cases.ReportForm(
            problem_type=body.problem_type,
            area=body.area,
            summary=body.summary,
            asset=body.asset,
            details=body.details,
            contact=body.contact,
            forum=body.forum,
            honeypot=body.website,
            photos=tuple(body.photos),
        ),
        reporter=reporter_for(viewer, container),
        client_address=client_address(request),
        device_id=device,
        deps=container.report_deps(),
    )
    response = render_json(
        {
            "id": report.id,
            "status": report.public_status.value,
            "status_url": f"/api/v1/problem-reports/{report.id}",
            "task_id": report.provisional_task_id,
        }
    )
    response.status_code = 201
    if fresh:
        set_device_cookie(response, device)
    return response


@router.post(
    "/photos",
    response={201: PhotoUploadOut, 400: ErrorOut, 422: ErrorOut, 429: ErrorOut, 503: ErrorOut},
    summary="Permission to upload one photo for a report",
)
def photo_upload(request: HttpRequest, body: PhotoIn):
    """A presigned S3 POST for one photo (this type, 5 MB at most, 10 minutes). Upload it, then
    list its `key` in the report's `photos`; the photos are attached to the ClickUp task.
    400 `photos_disabled` when the deployment has no uploads bucket; 429 `rate_limited` past
    4 uploads per report the address may send in the window."""
    from django.conf import settings

    from .photos import presign_upload

    if not settings.UPLOADS_BUCKET:
        raise DomainError("Photos are not enabled here.", code="photos_disabled")
    container = get_container()
    use_cases.allow_photo_upload(
        client_address=client_address(request), deps=container.report_deps(), hit=container.rate_limiter
    )
    upload = presign_upload(
        bucket=settings.UPLOADS_BUCKET, content_type=body.content_type, region=settings.AWS_REGION
    )
    response = render_json(
        {
            "url": upload.url,
            "fields": upload.fields,
            "key": upload.key,
            "max_bytes": upload.max_bytes,
            "expires_in": upload.expires_in,
        }
    )
    response.status_code = 201
    return response


@router.get(
    "/{report_id}",
    response={200: ReportStatusOut, 404: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    summary="A problem report's progress",
)
def report_status(request: HttpRequest, report_id: str = ReportId) -> HttpResponse:
    """received (on its way to ClickUp), in_clickup, in_progress, fixed, or closed. One
    DynamoDB read. No personal data."""
    report = use_cases.get_report(report_id=report_id, deps=get_container().report_deps())
    return render_json(status_dict(report))
