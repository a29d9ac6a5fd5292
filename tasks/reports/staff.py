"""Staff pages for problem reports: the recent reports (mark one as spam) and printable sheets
of QR codes that open the report page pre-filled for a shop and each of its machines."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.safestring import mark_safe

from shops.catalog import SHOP_SLUGS
from voldash_site.errors import DomainError
from voldash_site.staff import display
from voldash_site.staff.access import StaffContext
from voldash_site.staff.site import StaffPage, render_staff, site

from . import use_cases
from .domain import MAX_ASSET, clean_text, task_name

MAX_CODES = 60


def triage_message(name: str, result: use_cases.TriageResult) -> str:
    """What happened now, and (apart) what is only queued for ClickUp."""
    text = f"“{name}”: {', '.join(result.done)}."
    if result.queued:
        text += f" Queued, not done yet: {'; '.join(result.queued)} (see Sync for its delivery)."
    return text


class ReportsPage(StaffPage):
    slug = "reports"
    title = "Problem reports"
    nav_order = 25

    def get(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        now = ctx.container.clock()
        reports = [r for r in ctx.container.reports.recent(limit=100) if ctx.can_see_shop(r.shop)]
        rows = []
        for r in reports:
            until = use_cases.restorable_until(r)
            rows.append(
                {
                    "report": r,
                    "name": task_name(r),
                    "status": r.public_status.value.replace("_", " "),
                    "restore_until": until if until is not None and now <= until else None,
                }
            )
        return render_staff(
            request,
            "reports/staff_reports.html",
            {
                "title": self.title,
                "rows": rows,
                "several_shops": len(ctx.shops) > 1,
                "restore_days": use_cases.SPAM_RESTORE_WINDOW.days,
            },
        )

    def post(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        spam_id = request.POST.get("spam", "")[:40]
        restore_id = request.POST.get("restore", "")[:40]
        deps = ctx.container.report_deps()
        back = HttpResponseRedirect("/staff/reports/")
        try:
            report = use_cases.get_report(report_id=spam_id or restore_id, deps=deps)
            if not ctx.can_see_shop(report.shop):
                raise DomainError("You cannot act on this shop's reports.", code="forbidden")
            name = task_name(report)
            if spam_id:
                if request.POST.get("confirm") != report.id:
                    raise DomainError(
                        f"Not marked: confirm that “{name}” is spam with the button under it.",
                        code="validation_error",
                    )
                result = use_cases.mark_spam(
                    report_id=report.id, actor_id=ctx.user.neon_id, actor_name=ctx.user.name, deps=deps
                )
                until = use_cases.restorable_until(result.report)
                text = triage_message(name, result)
                if until is not None:
                    text += f" Wrong report? Restore it before {display.plain_time(until)}."
                messages.success(request, text)
            else:
                result = use_cases.restore_report(
                    report_id=report.id, actor_id=ctx.user.neon_id, actor_name=ctx.user.name, deps=deps
                )
                messages.success(request, triage_message(name, result))
        except DomainError as exc:
            messages.error(request, exc.message)
        return back


def qr_svg(url: str) -> str:
    """An inline SVG QR code (error correction M: a scratched sticker still scans)."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, title=None)


def report_url(request: HttpRequest, shop: str, asset: str = "") -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/") or request.build_absolute_uri("/").rstrip("/")
    query = {"shop": shop, **({"asset": asset} if asset else {})}
    return f"{base}/report/?{urlencode(query)}"


class QrSheetPage(StaffPage):
    slug = "report-codes"
    title = "QR codes"
    nav_order = 26

    def get(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        shop = request.GET.get("shop", "")
        if shop not in ctx.shops:
            shop = ctx.shops[0] if ctx.shops else ""
        typed = request.GET.get("assets")
        if typed is None and shop:
            # The shop's machines as its tasks name them (one Query); staff can edit the list.
            page = ctx.container.tasks.list_by_shop(shop, limit=100)
            assets = sorted({t.asset for t in page.items if t.asset})
        else:
            assets = [clean_text(a)[:MAX_ASSET] for a in (typed or "").splitlines()]
            assets = list(dict.fromkeys(a for a in assets if a))
        assets = assets[:MAX_CODES]
        codes = []
        if shop:
            whole = report_url(request, shop)
            svg = mark_safe(qr_svg(whole))  # noqa: S308 - segno's SVG holds path data only
            codes.append({"label": f"Anything in the {shop} area", "url": whole, "svg": svg})
            for asset in assets:
                url = report_url(request, shop, asset)
                codes.append({"label": asset, "url": url, "svg": mark_safe(qr_svg(url))})  # noqa: S308
        return render_staff(
            request,
            "reports/staff_codes.html",
            {
                "title": self.title,
                "shop": shop,
                "shops": [s for s in SHOP_SLUGS if s in ctx.shops],
                "assets_text": "\n".join(assets),
                "codes": codes,
            },
        )


site.register(ReportsPage())
site.register(QrSheetPage())
