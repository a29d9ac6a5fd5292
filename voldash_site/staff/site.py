"""The registry and the generic views of the staff site."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_POST

from voldash_site.errors import DomainError
from voldash_site.http_errors import status_for

from .access import StaffContext, login_page, staff_view


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable[[Any, StaffContext], Any]
    link: bool = False  # the cell links to the row's detail page
    # False hides the column for this viewer (a lead of one shop needs no shop column)
    shown: Callable[[StaffContext], bool] = lambda ctx: True


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    choices: Callable[[StaffContext], list[tuple[str, str]]]


@dataclass(frozen=True)
class Action:
    """A POST on one object (detail page) or on the selected rows (bulk). ``form`` collects the
    inputs; ``run`` returns the message shown afterwards and raises DomainError to refuse."""

    label: str
    run: Callable[..., str]
    # form(ctx, obj) for the page, form(ctx, obj, data) to validate a POST
    form: Callable[..., forms.Form] | None = None
    visible: Callable[[StaffContext, Any], bool] = lambda ctx, obj: True
    danger: bool = False
    in_sidebar: bool = True  # False: the detail template renders its own forms for it
    help: str = ""  # one line under the action's heading


def action_form(
    spec: Action, name: str, ctx: StaffContext, obj: Any, data: Any = None, *, bulk: bool = False
) -> forms.Form | None:
    """The action's form. In the bulk bar (one HTML form for every action) its fields are
    prefixed with the action's name, so two actions' fields never share a name."""
    if spec.form is None:
        return None
    form = spec.form(ctx, obj) if data is None else spec.form(ctx, obj, data)
    if bulk:
        form.prefix = name
    return form


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None = None


class StaffPage:
    """A free-form page: subclasses implement ``get`` (and optionally ``post``)."""

    slug: str = ""
    title: str = ""
    nav_order: int = 50
    staff_only: bool = False
    in_nav: bool = True

    def urls(self) -> list[URLPattern]:
        view = staff_view(staff_errors(self._view), staff_only=self.staff_only)
        return [path(f"{self.slug}/" if self.slug else "", view, name=f"staff-{self.slug or 'dashboard'}")]

    def _view(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            return self.post(request, request.staff)  # type: ignore[attr-defined]
        return self.get(request, request.staff)  # type: ignore[attr-defined]

    def get(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        raise NotImplementedError

    def post(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        raise Http404


class StaffAdmin(StaffPage):
    """List with columns, filters, search and bulk actions; detail with actions."""

    columns: list[Column] = []
    filters: list[Filter] = []
    search_placeholder: str | None = None
    bulk_actions: dict[str, Action] = {}
    actions: dict[str, Action] = {}
    detail_template: str = "staff/detail.html"
    list_intro: str = ""

    # -- to implement -----------------------------------------------------------------------
    def fetch(self, ctx: StaffContext, *, filters: dict[str, str], q: str, cursor: str | None) -> Page:
        raise NotImplementedError

    def get_object(self, ctx: StaffContext, pk: str) -> Any | None:
        """None when it does not exist or this person may not see it (both are a 404)."""
        raise NotImplementedError

    def row_id(self, row: Any) -> str:
        return str(row.id)

    def row_label(self, obj: Any) -> str:
        return str(getattr(obj, "title", None) or getattr(obj, "name", None) or self.row_id(obj))

    def detail_context(self, ctx: StaffContext, obj: Any) -> dict[str, Any]:
        return {}

    # -- views ------------------------------------------------------------------------------
    def urls(self) -> list[URLPattern]:
        s = self.slug
        return [
            path(
                f"{s}/",
                staff_view(staff_errors(require_GET(self.list_view)), staff_only=self.staff_only),
                name=f"staff-{s}",
            ),
            path(
                f"{s}/bulk",
                staff_view(staff_errors(require_POST(self.bulk_view)), staff_only=self.staff_only),
                name=f"staff-{s}-bulk",
            ),
            path(
                f"{s}/<str:pk>/",
                staff_view(staff_errors(require_GET(self.detail_view)), staff_only=self.staff_only),
                name=f"staff-{s}-detail",
            ),
            path(
                f"{s}/<str:pk>/<str:action>",
                staff_view(staff_errors(require_POST(self.action_view)), staff_only=self.staff_only),
                name=f"staff-{s}-action",
            ),
        ]

    def sort_rows(self, ctx: StaffContext, rows: list[Any], sort: str) -> list[Any]:
        """Order one page's rows (``sort`` is one of ``sorts``' keys)."""
        return rows

    sorts: dict[str, str] = {}  # value -> label; the first is the default

    def visible_columns(self, ctx: StaffContext) -> list[Column]:
        return [c for c in self.columns if c.shown(ctx)]

    def list_view(self, request: HttpRequest) -> HttpResponse:
        ctx: StaffContext = request.staff  # type: ignore[attr-defined]
        chosen = {f.name: request.GET.get(f.name, "") for f in self.filters}
        for f in self.filters:  # only offered values; anything else is ignored
            if chosen[f.name] and chosen[f.name] not in {v for v, _ in f.choices(ctx)}:
                chosen[f.name] = ""
        q = request.GET.get("q", "").strip()[:100]
        cursor = request.GET.get("cursor") or None
        sort = request.GET.get("sort", "")
        if sort not in self.sorts:
            sort = next(iter(self.sorts), "")
        error = None
        try:
            page = self.fetch(ctx, filters=chosen, q=q, cursor=cursor)
        except DomainError as exc:
            page, error = Page(rows=[]), exc.message
        columns = self.visible_columns(ctx)
        rows = [
            {
                "id": self.row_id(r),
                "label": self.row_label(r),
                "cells": [(c.label, c.value(r, ctx), c.link) for c in columns],
            }
            for r in self.sort_rows(ctx, page.rows, sort)
        ]
        params = {k: v for k, v in chosen.items() if v}
        if q:
            params["q"] = q
        if self.sorts and sort != next(iter(self.sorts)):
            params["sort"] = sort
        return render_staff(
            request,
            "staff/list.html",
            {
                "admin": self,
                "columns": columns,
                "rows": rows,
                "filters": [(f, f.choices(ctx), chosen[f.name]) for f in self.filters],
                "q": q,
                "sort": sort,
                "next_params": {**params, "cursor": page.next_cursor} if page.next_cursor else None,
                "first_params": params if cursor else None,
                "bulk": [
                    (name, a, action_form(a, name, ctx, self.bulk_subject(ctx, page.rows), bulk=True))
                    for name, a in self.bulk_actions.items()
                ],
                "error": error,
                **self.list_context(ctx, page, chosen),
            },
        )

    def bulk_subject(self, ctx: StaffContext, rows: list[Any]) -> Any:
        """What the bulk forms are about (passed as their ``obj``): by default nothing; the
        tasks list passes the shops of the rows shown, so the people picker judges them."""
        return None

    def list_context(self, ctx: StaffContext, page: Page, filters: dict[str, str]) -> dict[str, Any]:
        """More for the list template (``exports``: a list of (href, text) download links)."""
        return {}

    def detail_view(
        self,
        request: HttpRequest,
        pk: str,
        *,
        bound: dict[str, forms.Form] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        ctx: StaffContext = request.staff  # type: ignore[attr-defined]
        obj = self.get_object(ctx, pk)
        if obj is None:
            raise Http404(f"No {self.title.lower()} “{pk}” that you can see.")
        bound = bound or {}
        actions = [
            (name, a, bound.get(name) or action_form(a, name, ctx, obj))
            for name, a in self.actions.items()
            if a.in_sidebar and a.visible(ctx, obj)
        ]
        return render_staff(
            request,
            self.detail_template,
            {
                "admin": self,
                "obj": obj,
                "pk": pk,
                "label": self.row_label(obj),
                "actions": actions,
                **self.detail_context(ctx, obj),
            },
            status=status,
        )

    def action_view(self, request: HttpRequest, pk: str, action: str) -> HttpResponse:
        """Done: back (PRG) with a message. Refused: the same page again, with the form as
        filled in (the chosen person, the typed reason) and why."""
        ctx: StaffContext = request.staff  # type: ignore[attr-defined]
        spec = self.actions.get(action)
        obj = self.get_object(ctx, pk)
        if spec is None or obj is None or not spec.visible(ctx, obj):
            raise Http404("No such action here.")
        form = action_form(spec, action, ctx, obj, request.POST)
        if form is not None and not form.is_valid():
            messages.error(request, f"{spec.label}: {_form_errors(form)}")
            return self.detail_view(request, pk, bound={action: form}, status=400)
        try:
            message = spec.run(ctx, obj, form.cleaned_data if form is not None else {})
        except DomainError as exc:
            messages.error(request, f"{spec.label}: {exc.message}")
            return self.detail_view(
                request, pk, bound={action: form} if form else None, status=status_for(exc)
            )
        messages.success(request, message)
        return HttpResponseRedirect(_local_next(request, f"/staff/{self.slug}/{pk}/"))

    def bulk_view(self, request: HttpRequest) -> HttpResponse:
        ctx: StaffContext = request.staff  # type: ignore[attr-defined]
        back = HttpResponseRedirect(_local_next(request, f"/staff/{self.slug}/"))
        name = request.POST.get("action", "")
        spec = self.bulk_actions.get(name)
        ids = [i for i in request.POST.getlist("ids") if i][:100]
        if spec is None:
            messages.error(request, "Choose an action.")
            return back
        if not ids:
            messages.error(request, "Select at least one row.")
            return back
        form = action_form(spec, name, ctx, None, request.POST, bulk=True)
        if form is not None and not form.is_valid():
            messages.error(request, f"{spec.label}: {_form_errors(form)}")
            return back
        done: list[str] = []
        failed: list[str] = []
        missing = 0
        for pk in ids:
            obj = self.get_object(ctx, pk)
            if obj is None:
                missing += 1
                continue
            try:
                spec.run(ctx, obj, form.cleaned_data if form is not None else {})
                done.append(self.row_label(obj))
            except DomainError as exc:
                failed.append(f"{self.row_label(obj)}: {exc.message}")
        if done:
            messages.success(request, f"{spec.label}: done for {len(done)} ({'; '.join(done)}).")
        for line in failed:
            messages.error(request, f"{spec.label}: {line}")
        if missing:
            messages.error(
                request, f"{spec.label}: {missing} selected row(s) not found or not in your shops."
            )
        return back


def _local_next(request: HttpRequest, default: str) -> str:
    """Where to go after a POST: a staff path from the form, never another site."""
    given = request.POST.get("next") or ""
    if given.startswith("/staff/") and "//" not in given and "\\" not in given:
        return given
    return default


def _form_errors(form: forms.Form) -> str:
    def label(name: str) -> str:
        field = form.fields.get(name)
        return str(field.label or name.replace("_", " ").capitalize()) if field else name

    return "; ".join(
        f"{label(field)}: {' '.join(errs)}" if field != "__all__" else " ".join(errs)
        for field, errs in form.errors.items()
    )


def staff_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Not found is a staff page (with the navigation), not JSON nor Django's debug page."""

    def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return not_found(request, str(exc))

    inner.__name__ = getattr(view, "__name__", "staff_view")
    inner.__doc__ = view.__doc__
    return inner


def not_found(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render_staff(
        request,
        "staff/not_found.html",
        {"reason": reason or "There is nothing at this address.", "title": "Not found"},
        status=404,
    )


@dataclass
class StaffSite:
    pages: list[StaffPage] = field(default_factory=list)

    def register(self, page: StaffPage) -> StaffPage:
        if any(p.slug == page.slug for p in self.pages):
            raise ValueError(f"staff page {page.slug!r} is registered twice")
        self.pages.append(page)
        self.pages.sort(key=lambda p: (p.nav_order, p.slug))
        return page

    def nav(self, ctx: StaffContext | None) -> list[StaffPage]:
        return [p for p in self.pages if p.in_nav and (not p.staff_only or (ctx and ctx.is_staff))]

    def urls(self) -> list[URLPattern]:
        """The registered pages' URLs (``voldash_site.staff.urls`` registers them first), then
        a staff 404 page for anything else under /staff/."""
        patterns = [path("login", login_page, name="staff-login")]
        for page in self.pages:
            patterns += page.urls()
        patterns.append(path("<path:rest>", staff_view(lambda request, rest: not_found(request))))
        return patterns


site = StaffSite()


def render_staff(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    ctx = getattr(request, "staff", None)
    return render(
        request, template, {"nav": site.nav(ctx), "ctx": ctx, "path": request.path, **context}, status=status
    )
