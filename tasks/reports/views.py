"""The public problem-report page: ``/report/`` (server-rendered, no JavaScript needed), pre-filled
from a QR code's URL (``/report/?shop=woodshop&asset=Table+Saw+2``), and ``/report/{id}/``, the
report's progress. Django's CSRF middleware protects the form (the token is in the page)."""

from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from voldash_site.auth import viewer_from_session
from voldash_site.container import get_container
from voldash_site.errors import DomainError, StorageUnavailable

from . import use_cases
from .domain import (
    AREAS,
    MAX_ASSET,
    MAX_CONTACT,
    MAX_DETAILS,
    MAX_SUMMARY,
    PROBLEM_TYPES,
    SHOP_AREAS,
    clean_text,
)
from .web import client_address, device_id, reporter_for, set_device_cookie, status_dict

REPORT_ID = re.compile(r"^r[0-9a-f]{16}$")
STATUS_TEXT = {
    "received": "Received. It is on its way to the maintenance team's board.",
    "in_clickup": "On the maintenance board, waiting for a volunteer.",
    "in_progress": "Someone is working on it.",
    "fixed": "Fixed. Thank you for telling us!",
    "closed": "Closed without action.",
}


def _initial(request: HttpRequest) -> dict[str, str]:
    shop = request.GET.get("shop", "")
    area = request.GET.get("area", "") or SHOP_AREAS.get(shop, "")
    return {
        "area": area if area in AREAS else "",
        "asset": clean_text(request.GET.get("asset", ""))[:MAX_ASSET],
        "problem_type": "Equipment" if request.GET.get("asset") else "",
    }


def _context(values: dict, errors: dict[str, str], viewer) -> dict:
    return {
        "areas": AREAS,
        "problem_types": PROBLEM_TYPES,
        "values": values,
        "errors": errors,
        "viewer": viewer,
        "limits": {
            "summary": MAX_SUMMARY,
            "details": MAX_DETAILS,
            "asset": MAX_ASSET,
            "contact": MAX_CONTACT,
        },
    }


@require_http_methods(["GET", "HEAD", "POST"])
def report_page(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_session(request)
    if request.method != "POST":
        return render(request, "reports/report.html", _context(_initial(request), {}, viewer))
    data = request.POST
    values = {
        k: data.get(k, "")[:5000] for k in ("problem_type", "area", "asset", "summary", "details", "contact")
    }
    values["forum"] = data.get("forum") == "yes"
    container = get_container()
    device, fresh = device_id(request)
    try:
        report = use_cases.submit_report(
            form=use_cases.ReportForm(
                problem_type=values["problem_type"],
                area=values["area"],
                summary=values["summary"],
                asset=values["asset"],
                details=values["details"],
                contact=values["contact"],
                forum=values["forum"],
                honeypot=data.get("website", ""),
            ),
            reporter=reporter_for(viewer, container),
            client_address=client_address(request),
            device_id=device,
            deps=container.report_deps(),
        )
    except use_cases.InvalidReport as exc:
        field = str((exc.detail or [{}])[0].get("loc", ["form"])[0])
        message = str((exc.detail or [{}])[0].get("msg", exc.message))
        response = render(
            request, "reports/report.html", _context(values, {field: message}, viewer), status=422
        )
    except use_cases.RateLimited as exc:
        response = render(
            request, "reports/report.html", _context(values, {"form": exc.message}, viewer), status=429
        )
    except StorageUnavailable:
        response = render(
            request,
            "reports/report.html",
            _context(
                values, {"form": "We could not save it just now; please try again in a minute."}, viewer
            ),
            status=503,
        )
    else:
        response = HttpResponseRedirect(f"/report/{report.id}/", status=303)
    if fresh:
        set_device_cookie(response, device)
    return response


@require_http_methods(["GET", "HEAD"])
def report_status_page(request: HttpRequest, report_id: str) -> HttpResponse:
    if not REPORT_ID.match(report_id):
        raise Http404
    try:
        report = use_cases.get_report(report_id=report_id, deps=get_container().report_deps())
    except DomainError as exc:
        if exc.code == "not_found":
            return render(request, "reports/status.html", {"missing": True}, status=404)
        raise
    status = status_dict(report)
    return render(request, "reports/status.html", {"report": status, "text": STATUS_TEXT[status["status"]]})
