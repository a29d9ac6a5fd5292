"""Staff pages for tasks: the list (filters, search, bulk reassign/release) and the detail."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.html import format_html

from integrations.clickup.sync import resync_task
from voldash_site.errors import InvalidInput
from voldash_site.staff.access import StaffContext
from voldash_site.staff.site import Action, Column, Filter, Page, StaffAdmin, site

from . import lifecycle
from .domain import HistorySource, TaskDetail, TaskStatus, Urgency
from .schemas import TASK_ID_PATTERN

_TASK_ID = re.compile(TASK_ID_PATTERN)


def _badge(value: str) -> str:
    return format_html('<span class="badge {}">{}</span>', value, value.replace("_", " ").lower())


class ReassignForm(forms.Form):
    assignee = forms.ChoiceField(label="New assignee")
    reason = forms.CharField(
        label="Reason", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    override = forms.BooleanField(label="Override eligibility (needs a reason)", required=False)


def reassign_form(ctx: StaffContext, obj: Any, data: Any = None) -> ReassignForm:
    form = ReassignForm(data, auto_id="reassign_%s")
    people = ctx.container.volunteers.list_by_name(limit=200).items
    form.fields["assignee"].choices = [("", "Choose…")] + [
        (v.neon_id, f"{v.name} (#{v.neon_id}){'' if v.membership_active else ' - lapsed'}") for v in people
    ]
    return form


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label="Reason", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


def release_form(ctx: StaffContext, obj: Any, data: Any = None) -> ReleaseForm:
    return ReleaseForm(data, auto_id="release_%s")


def _task(obj: Any) -> Any:
    return obj.task if isinstance(obj, TaskDetail) else obj


def run_reassign(ctx: StaffContext, obj: Any, data: dict) -> str:
    task = _task(obj)
    result = lifecycle.reassign_task(
        task_id=task.id,
        actor_id=ctx.user.neon_id,
        new_assignee_id=data["assignee"],
        reason=data.get("reason"),
        override=bool(data.get("override")),
        deps=ctx.container.lifecycle(),
        source=HistorySource.STAFF,
    )
    return f"{task.id} is now with {result.task.assignee.name}."


def run_release(ctx: StaffContext, obj: Any, data: dict) -> str:
    task = _task(obj)
    lifecycle.release_task(
        task_id=task.id,
        actor_id=ctx.user.neon_id,
        reason=(data.get("reason") or None),
        deps=ctx.container.lifecycle(),
        source=HistorySource.STAFF,
    )
    return f"{task.id} is open again."


def run_resync(ctx: StaffContext, obj: Any, data: dict) -> str:
    task = _task(obj)
    outcome = resync_task(
        task.id, ctx.container.clickup_sync(), actor_id=ctx.user.neon_id, actor_name=ctx.user.name
    )
    return f"Read {task.id} from ClickUp: {outcome.kind.value}."


def _held(ctx: StaffContext, obj: Any) -> bool:
    task = _task(obj)
    return task.assignee is not None and task.status in (TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD)


def _reassignable(ctx: StaffContext, obj: Any) -> bool:
    task = _task(obj)
    return not task.deleted and task.status is not TaskStatus.DONE


class TaskAdmin(StaffAdmin):
    slug = "tasks"
    title = "Tasks"
    nav_order = 10
    search_placeholder = "Title, asset or task id"
    list_intro = "Newest first. Leads see the shops they lead."
    columns = [
        Column("Task", lambda t, ctx: t.id, link=True),
        Column("Title", lambda t, ctx: t.title),
        Column("Shop", lambda t, ctx: t.shop),
        Column("Status", lambda t, ctx: _badge(t.status.value)),
        Column("Urgency", lambda t, ctx: _badge(t.urgency.value)),
        Column("Assignee", lambda t, ctx: t.assignee.name if t.assignee else "—"),
        Column("Updated", lambda t, ctx: t.updated_at.strftime("%Y-%m-%d %H:%M")),
    ]
    filters = [
        Filter("shop", "Shop", lambda ctx: [(s, s) for s in ctx.shops]),
        Filter(
            "status", "Status", lambda ctx: [(s.value, s.value.replace("_", " ").title()) for s in TaskStatus]
        ),
        Filter("urgency", "Urgency", lambda ctx: [(u.value, u.value.title()) for u in Urgency]),
    ]
    bulk_actions = {
        "reassign": Action("Reassign", run_reassign, form=reassign_form, visible=_reassignable),
        "release": Action("Release", run_release, form=release_form, visible=_held, danger=True),
    }
    actions = {
        "reassign": Action("Reassign", run_reassign, form=reassign_form, visible=_reassignable),
        "release": Action("Release", run_release, form=release_form, visible=_held, danger=True),
        "resync": Action("Re-sync from ClickUp now", run_resync),
    }
    detail_template = "staff/task_detail.html"

    def fetch(self, ctx: StaffContext, *, filters: dict[str, str], q: str, cursor: str | None) -> Page:
        tasks = ctx.container.tasks
        if q and _TASK_ID.match(q):
            found = tasks.get(q)
            if found is not None and ctx.can_see_shop(found.shop):
                return Page(rows=[found])
        status = TaskStatus(filters["status"]) if filters.get("status") else None
        urgency = Urgency(filters["urgency"]) if filters.get("urgency") else None
        shop = filters.get("shop") or (None if ctx.is_staff else ctx.shops[0])
        if len(q) == 1:
            raise InvalidInput("Search needs at least two characters.")
        if shop:
            page = tasks.list_by_shop(
                shop, status=status, urgency=urgency, limit=50, cursor=cursor, search=q or None
            )
        else:
            page = tasks.list_by_status(
                status or TaskStatus.OPEN, urgency=urgency, limit=50, cursor=cursor, search=q or None
            )
        return Page(rows=page.items, next_cursor=page.next_cursor)

    def get_object(self, ctx: StaffContext, pk: str) -> TaskDetail | None:
        if not _TASK_ID.match(pk):
            return None
        detail = ctx.container.tasks.get_detail(pk, include_snapshot=True)
        if detail is None or not ctx.can_see_shop(detail.task.shop):
            return None
        return detail

    def row_id(self, row: Any) -> str:
        return _task(row).id

    def row_label(self, obj: Any) -> str:
        return _task(obj).title


site.register(TaskAdmin())
from .reports import staff as _reports_staff  # noqa: E402,F401 - registers the problem-report pages
