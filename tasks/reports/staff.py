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
from voldash_site.staff.access import StaffContext
from voldash_site.staff.site import StaffPage, render_staff, site

from . import use_cases
from .domain import MAX_ASSET, ReportState, clean_text, task_name

MAX_CODES = 60


class ReportsPage(StaffPage):
    slug = "reports"
    title = "Problem reports"
    nav_order = 25

    def get(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        reports = [r for r in ctx.container.reports.recent(limit=100) if ctx.can_see_shop(r.shop)]
        rows = [(r, task_name(r), r.public_status.value) for r in reports]
        return render_staff(request, "reports/staff_reports.html", {"title": self.title, "rows": rows})

    def post(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        report_id = request.POST.get("spam", "")
        deps = ctx.container.report_deps()
        try:
            report = use_cases.get_report(report_id=report_id, deps=deps)
            if not ctx.can_see_shop(report.shop):
                raise DomainError("You cannot act on this shop's reports.", code="forbidden")
            if report.state is not ReportState.SPAM:
                use_cases.mark_spam(
                    report_id=report.id, actor_id=ctx.user.neon_id, actor_name=ctx.user.name, deps=deps
                )
            messages.success(
                request, f"Marked “{task_name(report)}” as spam: out of the feeds, ClickUp task closed."
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect("/staff/reports/")


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
