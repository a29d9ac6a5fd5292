"""CSV exports for Asmbly's board reports: a shop's tasks, and the approved hours of a period.

Every text cell that a spreadsheet could take for a formula goes through the one filter,
``voldash_site.escaping.csv_cell`` (CSV injection: titles, notes and names come from ClickUp and
from members), the same as the API's CSV.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from voldash_site.escaping import csv_cell
from volunteers.domain import MAKERSPACE_TZ

from .access import StaffContext, staff_view
from .site import StaffPage, render_staff, site, staff_errors

MAX_ROWS = 20_000  # an export reads page after page, up to this many rows
MAX_MONTHS = 12
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def safe_cell(value: Any) -> Any:
    """A cell as written to the CSV: numbers as they are, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    return csv_cell(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: list[str], rows: Iterable[list[Any]]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # so a spreadsheet opens it as UTF-8
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _local(value: Any) -> str:
    return value.astimezone(MAKERSPACE_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def months_between(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last and len(out) < MAX_MONTHS:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def task_rows(ctx: StaffContext, shop: str) -> Iterator[list[Any]]:
    cursor, count = None, 0
    now = ctx.container.clock()
    while count < MAX_ROWS:
        page = ctx.container.tasks.list_by_shop(shop, limit=100, cursor=cursor)
        for t in page.items:
            count += 1
            yield [
                t.id,
                t.title,
                t.shop,
                t.status.value,
                t.urgency.value,
                t.assignee.name if t.assignee else "",
                t.estimate_minutes or "",
                t.points,
                _local(t.created_at),
                _local(t.updated_at),
                (now - t.created_at).days,
                t.asset or "",
                t.clickup_url or "",
            ]
        cursor = page.next_cursor
        if not cursor:
            return


def hours_rows(ctx: StaffContext, months: list[str], shop: str | None) -> Iterator[list[Any]]:
    c = ctx.container
    shops = [shop] if shop else (None if ctx.is_staff else list(ctx.shops))
    count = 0
    for month in months:
        for one in shops or [None]:
            cursor = None
            while count < MAX_ROWS:
                page = c.volunteers.approved_hours(month, shop=one, cursor=cursor)
                ids = sorted({e.neon_id for e in page.items})
                found = c.uow.load(*[c.volunteers.load(i) for i in ids]) if ids else []
                names = {i: v.name for i, v in zip(ids, found, strict=True) if v is not None}
                for e in page.items:
                    count += 1
                    yield [
                        month,
                        names.get(e.neon_id, ""),
                        e.neon_id,
                        e.shop,
                        e.task_id,
                        e.task_title,
                        e.hours,
                        e.points,
                        _local(e.completed_at),
                        e.note or "",
                    ]
                cursor = page.next_cursor
                if not cursor:
                    break


class HoursExportForm(forms.Form):
    first = forms.RegexField(regex=_MONTH, label="From month", help_text="YYYY-MM")
    last = forms.RegexField(regex=_MONTH, label="To month", help_text="YYYY-MM, at most 12 months")
    shop = forms.ChoiceField(required=False, label="Shop")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("first") and data.get("last") and data["first"] > data["last"]:
            raise forms.ValidationError("The first month comes after the last one.")
        return data


def hours_form(ctx: StaffContext, data: Any = None) -> HoursExportForm:
    this_month = ctx.container.clock().astimezone(MAKERSPACE_TZ).strftime("%Y-%m")
    form = HoursExportForm(data, initial={"first": this_month, "last": this_month}, auto_id="hours_%s")
    form.fields["shop"].choices = [("", "All my shops")] + [(s, s) for s in ctx.shops]
    return form


class ExportsPage(StaffPage):
    slug = "exports"
    title = "Exports"
    nav_order = 45

    def urls(self) -> list[URLPattern]:
        wrap = lambda view: staff_view(staff_errors(require_GET(view)))  # noqa: E731
        return [
            path("exports/", wrap(self._view), name="staff-exports"),
            path("exports/tasks.csv", wrap(self.tasks_csv), name="staff-export-tasks"),
            path("exports/hours.csv", wrap(self.hours_csv), name="staff-export-hours"),
        ]

    def get(
        self, request: HttpRequest, ctx: StaffContext, form: Any = None, status: int = 200
    ) -> HttpResponse:
        return render_staff(
            request,
            "staff/exports.html",
            {"title": self.title, "shops": ctx.shops, "hours_form": form or hours_form(ctx)},
            status=status,
        )

    def tasks_csv(self, request: HttpRequest) -> HttpResponse:
        ctx: StaffContext = request.staff  # type: ignore[attr-defined]
        shop = request.GET.get("shop", "")
        if not ctx.can_see_shop(shop):
            raise Http404("No shop of yours by that name.")
        header = ["task id", "title", "shop", "status", "urgency", "assignee", "estimate (min)", "points"]
        header += ["created (Austin)", "updated (Austin)", "age (days)", "asset", "ClickUp"]
        return csv_response(f"tasks-{shop}.csv", header, task_rows(ctx, shop))

    def hours_csv(self, request: HttpRequest) -> HttpResponse:
        ctx: StaffContext = request.staff  # type: ignore[attr-defined]
        form = hours_form(ctx, request.GET)
        if not form.is_valid():
            return self.get(request, ctx, form=form, status=400)
        first, last, shop = form.cleaned_data["first"], form.cleaned_data["last"], form.cleaned_data["shop"]
        header = ["month", "volunteer", "neon id", "shop", "task id", "task", "hours", "points"]
        header += ["completed (Austin)", "note"]
        name = f"approved-hours-{first}-to-{last}{'-' + shop if shop else ''}.csv"
        return csv_response(name, header, hours_rows(ctx, months_between(first, last), shop or None))


site.register(ExportsPage())
