"""The registry and the generic views of the staff site."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_POST

from voldash_site.errors import DomainError

from .access import StaffContext, login_page, staff_view


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable[[Any, StaffContext], Any]
    link: bool = False  # the cell links to the row's detail page


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
        view = staff_view(self._view, staff_only=self.staff_only)
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
                staff_view(require_GET(self.list_view), staff_only=self.staff_only),
                name=f"staff-{s}",
            ),
            path(
                f"{s}/bulk",
                staff_view(require_POST(self.bulk_view), staff_only=self.staff_only),
                name=f"staff-{s}-bulk",
            ),
            path(
                f"{s}/<str:pk>/",
                staff_view(require_GET(self.detail_view), staff_only=self.staff_only),
                name=f"staff-{s}-detail",
            ),
            path(
                f"{s}/<str:pk>/<str:action>",
                staff_view(require_POST(self.action_view), staff_only=self.staff_only),
                name=f"staff-{s}-action",
            ),
        ]

    def list_view(self, request: HttpRequest) -> HttpResponse:
        ctx: StaffContext = request.staff  # type: ignore[attr-defined]
        chosen = {f.name: request.GET.get(f.name, "") for f in self.filters}
        for f in self.filters:  # only offered values; anything else is ignored
            if chosen[f.name] and chosen[f.name] not in {v for v, _ in f.choices(ctx)}:
                chosen[f.name] = ""
        q = request.GET.get("q", "").strip()[:100]
        cursor = request.GET.get("cursor") or None
        error = None
        try:
            page = self.fetch(ctx, filters=chosen, q=q, cursor=cursor)
        except DomainError as exc:
            page, error = Page(rows=[]), exc.message
        rows = [
            {"id": self.row_id(r), "cells": [(c.value(r, ctx), c.link) for c in self.columns]}
            for r in page.rows
        ]
        params = {k: v for k, v in chosen.items() if v}
        if q:
            params["q"] = q
        return render_staff(
            request,
            "staff/list.html",
            {
                "admin": self,
                "rows": rows,
                "filters": [(f, f.choices(ctx), chosen[f.name]) for f in self.filters],
                "q": q,
                "next_params": {**params, "cursor": page.next_cursor} if page.next_cursor else None,
                "first_params": params if cursor else None,
                "bulk": [
                    (name, a, a.form(ctx, None) if a.form else None) for name, a in self.bulk_actions.items()
                ],
                "error": error,
            },
        )

    def detail_view(self, request: HttpRequest, pk: str) -> HttpResponse:
        ctx: StaffContext = request.staff  # type: ignore[attr-defined]
        obj = self.get_object(ctx, pk)
        if obj is None:
            raise Http404(f"No {self.slug} {pk} that you can see.")
        actions = [
            (name, a, a.form(ctx, obj) if a.form else None)
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
        )

    def action_view(self, request: HttpRequest, pk: str, action: str) -> HttpResponse:
        ctx: StaffContext = request.staff  # type: ignore[attr-defined]
        spec = self.actions.get(action)
        obj = self.get_object(ctx, pk)
        if spec is None or obj is None or not spec.visible(ctx, obj):
            raise Http404("No such action here.")
        back = HttpResponseRedirect(_local_next(request, f"/staff/{self.slug}/{pk}/"))
        form = spec.form(ctx, obj, request.POST) if spec.form else None
        if form is not None and not form.is_valid():
            messages.error(request, _form_errors(form))
            return back
        try:
            message = spec.run(ctx, obj, form.cleaned_data if form is not None else {})
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, message)
        return back

    def bulk_view(self, request: HttpRequest) -> HttpResponse:
        ctx: StaffContext = request.staff  # type: ignore[attr-defined]
        back = HttpResponseRedirect(_local_next(request, f"/staff/{self.slug}/"))
        spec = self.bulk_actions.get(request.POST.get("action", ""))
        ids = [i for i in request.POST.getlist("ids") if i][:100]
        if spec is None:
            messages.error(request, "Choose an action.")
            return back
        if not ids:
            messages.error(request, "Select at least one row.")
            return back
        form = spec.form(ctx, None, request.POST) if spec.form else None
        if form is not None and not form.is_valid():
            messages.error(request, _form_errors(form))
            return back
        done, failed = [], []
        for pk in ids:
            obj = self.get_object(ctx, pk)
            if obj is None:
                failed.append(f"{pk}: not found")
                continue
            try:
                spec.run(ctx, obj, form.cleaned_data if form is not None else {})
                done.append(pk)
            except DomainError as exc:
                failed.append(f"{pk}: {exc.message}")
        if done:
            messages.success(request, f"{spec.label}: done for {len(done)} ({', '.join(done)}).")
        for line in failed:
            messages.error(request, f"{spec.label}: {line}")
        return back


def _local_next(request: HttpRequest, default: str) -> str:
    """Where to go after a POST: a staff path from the form, never another site."""
    given = request.POST.get("next") or ""
    if given.startswith("/staff/") and "//" not in given and "\\" not in given:
        return given
    return default


def _form_errors(form: forms.Form) -> str:
    return "; ".join(
        f"{field}: {' '.join(errs)}" if field != "__all__" else " ".join(errs)
        for field, errs in form.errors.items()
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
        autodiscover()
        patterns = [path("login", login_page, name="staff-login")]
        for page in self.pages:
            patterns += page.urls()
        return patterns


site = StaffSite()
_discovered = False


def autodiscover() -> None:
    """Import ``<app>.staff`` for every installed app that has one."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    importlib.import_module("voldash_site.staff.dashboard")
    for config in apps.get_app_configs():
        try:
            importlib.import_module(f"{config.name}.staff")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.staff":
                raise


def render_staff(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    ctx = getattr(request, "staff", None)
    return render(
        request, template, {"nav": site.nav(ctx), "ctx": ctx, "path": request.path, **context}, status=status
    )
