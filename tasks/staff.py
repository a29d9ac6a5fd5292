"""Staff pages for tasks: the list (filters, search, bulk reassign/release) and the detail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms

from integrations.clickup.sync import resync_task
from integrations.http import IntegrationError
from shops.domain import Shop
from voldash_site.errors import DomainError, InvalidInput
from voldash_site.staff.access import StaffContext
from voldash_site.staff.display import age, badge, local_time
from voldash_site.staff.site import Action, Column, Filter, Page, StaffAdmin, site
from volunteers.domain import Volunteer

from . import lifecycle
from .domain import HistorySource, TaskDetail, TaskStatus, Urgency
from .schemas import TASK_ID_PATTERN

_TASK_ID = re.compile(TASK_ID_PATTERN)


URGENCY_RANK = {u: i for i, u in enumerate(Urgency)}  # critical first
STATUS_RANK = {st: i for i, st in enumerate(TaskStatus)}  # open first


class ReassignForm(forms.Form):
    assignee = forms.ChoiceField(
        label="New assignee",
        help_text="Each name says whether they could claim it themselves.",
        widget=forms.Select(attrs={"data-filterable": "people"}),
    )
    reason = forms.CharField(
        label="Reason", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    override = forms.BooleanField(label="Override eligibility (needs a reason)", required=False)


@dataclass(frozen=True)
class BulkTasks:
    """The bulk bar's subject: the shops of the tasks on the page (the picker judges each)."""

    shops: tuple[str, ...]


def eligibility_label(
    v: Volunteer, shop: Shop | None, claim_limit: int, *, shops: tuple[Shop, ...] = ()
) -> str:
    """``Sam Okafor — missing Woodshop Safety · claims 1 of 3``: what a lead needs to pick. The
    rules are the server's (tasks.domain.claim_eligibility: membership, the shop's
    certifications, the claim limit). With ``shops`` (the bulk bar), certifications per shop."""
    problems = []
    if not v.membership_active:
        problems.append("lapsed membership")
    if shop is not None and (missing := shop.missing_certifications(v.certifications)):
        problems.append("missing " + " or ".join(c.name for c in missing))
    lacking = [(s, s.missing_certifications(v.certifications)) for s in shops]
    lacking = [(s, m) for s, m in lacking if m]
    if lacking and len(lacking) == len(shops) == 1:
        problems.append("missing " + " or ".join(c.name for c in lacking[0][1]))
    elif lacking:
        problems += [f"not for {s.name}: missing {' or '.join(c.name for c in m)}" for s, m in lacking]
    if v.open_claims >= claim_limit:
        problems.append("at the claim limit")
    verdict = "not eligible: " + ", ".join(problems) if problems else "eligible"
    return f"{v.name} — {verdict} · claims {v.open_claims} of {claim_limit}"


def reassign_form(ctx: StaffContext, obj: Any, data: Any = None) -> ReassignForm:
    form = ReassignForm(data, auto_id="reassign_%s")
    c = ctx.container
    people = c.volunteers.list_by_name(limit=200).items
    shops: tuple[Shop, ...] = ()
    shop = current = None
    if isinstance(obj, BulkTasks):
        shops = tuple(s for s in (c.shop_directory.get(slug) for slug in obj.shops) if s is not None)
    elif obj is not None:
        shop = c.shop_directory.get(_task(obj).shop)
        current = _task(obj).assignee.neon_id if _task(obj).assignee else None
    form.fields["assignee"].choices = [("", "Choose…")] + [
        (v.neon_id, eligibility_label(v, shop, c.claim_limit, shops=shops))
        for v in people
        if v.neon_id != current
    ]
    return form


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label="Reason (the volunteer sees it)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(label="Yes, take it away from the person holding it")


def release_form(ctx: StaffContext, obj: Any, data: Any = None) -> ReleaseForm:
    form = ReleaseForm(data, auto_id="release_%s")
    task = _task(obj) if obj is not None and not isinstance(obj, BulkTasks) else None
    if task is not None and task.assignee is not None:
        form.fields["confirm"].label = f"Yes, take it away from {task.assignee.name}"
    elif task is None:
        form.fields["confirm"].label = "Yes, take the selected tasks away from their holders"
    return form


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
    try:
        outcome = resync_task(
            task.id, ctx.container.clickup_sync(), actor_id=ctx.user.neon_id, actor_name=ctx.user.name
        )
    except IntegrationError as exc:
        # ClickUp down, rate-limited or refusing: an error on the page, never a 500.
        status = f" (HTTP {exc.status})" if exc.status else ""
        raise DomainError(
            f"Could not read {task.id} from ClickUp{status}; nothing was changed. Try again later.",
            code="clickup_unavailable",
        ) from exc
    return f"Read {task.id} from ClickUp: {outcome.kind.value}."


def _held(ctx: StaffContext, obj: Any) -> bool:
    task = _task(obj)
    return task.assignee is not None and task.status in (TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD)


def _reassignable(ctx: StaffContext, obj: Any) -> bool:
    task = _task(obj)
    return not task.deleted and task.status is not TaskStatus.DONE


def _held_for(t: Any, ctx: StaffContext) -> str:
    """How long the current holder has had it with no change (the last change is the claim
    or the last progress synced from ClickUp)."""
    if t.assignee is None or t.status not in (TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD):
        return "—"
    return age(t.updated_at, ctx.container.clock())


def _several_shops(ctx: StaffContext) -> bool:
    return len(ctx.shops) > 1


def sort_by_urgency(tasks: list[Any]) -> list[Any]:
    """Status (open first), then urgency (critical first), then age (oldest first)."""
    return sorted(tasks, key=lambda t: (STATUS_RANK[t.status], URGENCY_RANK[t.urgency], t.created_at))


PAGE_SIZE = 50


def _chain(sources: list[Any], cursor: str | None, limit: int = PAGE_SIZE) -> Page:
    """Pages through several queries one after the other: the cursor is ``{query number}:
    {that query's own signed cursor}``. A page that ends one query goes on with the next one,
    so a page costs at most ``len(sources)`` requests (four statuses, or a lead's shops)."""
    index, inner = 0, None
    if cursor:
        head, _, rest = cursor.partition(":")
        if not head.isdigit() or int(head) >= len(sources):
            raise InvalidInput("This page link is no longer valid; start again from the first page.")
        index, inner = int(head), rest or None
    rows: list[Any] = []
    while True:
        page = sources[index](inner, limit - len(rows))
        rows += page.items
        if page.next_cursor:
            return Page(rows=rows, next_cursor=f"{index}:{page.next_cursor}")
        if index + 1 >= len(sources):
            return Page(rows=rows, next_cursor=None)
        index, inner = index + 1, None
        if len(rows) >= limit:
            return Page(rows=rows, next_cursor=f"{index}:")


class TaskAdmin(StaffAdmin):
    slug = "tasks"
    title = "Tasks"
    nav_order = 10
    search_placeholder = "Title, asset or task id"
    list_intro = "Open first; on each page the most urgent, then the oldest. Leads see the shops they lead."
    columns = [
        Column("Task", lambda t, ctx: t.title, link=True),
        Column("Shop", lambda t, ctx: t.shop, shown=_several_shops),
        Column("Status", lambda t, ctx: badge(t.status.value)),
        Column("Urgency", lambda t, ctx: badge(t.urgency.value)),
        Column("Assignee", lambda t, ctx: t.assignee.name if t.assignee else "nobody"),
        Column("Age", lambda t, ctx: age(t.created_at, ctx.container.clock())),
        Column("Held for", _held_for),
        Column("Updated", lambda t, ctx: local_time(t.updated_at)),
        Column("Id", lambda t, ctx: t.id),
    ]
    filters = [
        Filter("shop", "Shop", lambda ctx: [(s, s) for s in ctx.shops] if len(ctx.shops) > 1 else []),
        Filter(
            "status", "Status", lambda ctx: [(s.value, s.value.replace("_", " ").title()) for s in TaskStatus]
        ),
        Filter("urgency", "Urgency", lambda ctx: [(u.value, u.value.title()) for u in Urgency]),
    ]
    sorts = {"urgency": "Urgency, then oldest", "newest": "Newest first"}
    bulk_actions = {
        "reassign": Action("Reassign", run_reassign, form=reassign_form, visible=_reassignable),
        "release": Action("Release", run_release, form=release_form, visible=_held, danger=True),
    }
    actions = {
        "reassign": Action("Reassign", run_reassign, form=reassign_form, visible=_reassignable),
        "release": Action(
            "Release",
            run_release,
            form=release_form,
            visible=_held,
            danger=True,
            help="Takes the task back from its holder and opens it again.",
        ),
        "resync": Action("Re-sync from ClickUp now", run_resync),
    }
    detail_template = "staff/task_detail.html"

    def sort_rows(self, ctx: StaffContext, rows: list[Any], sort: str) -> list[Any]:
        return sort_by_urgency(rows) if sort == "urgency" else rows

    def bulk_subject(self, ctx: StaffContext, rows: list[Any]) -> BulkTasks:
        return BulkTasks(shops=tuple(dict.fromkeys(_task(r).shop for r in rows)))

    def fetch(self, ctx: StaffContext, *, filters: dict[str, str], q: str, cursor: str | None) -> Page:
        tasks = ctx.container.tasks
        if q and _TASK_ID.match(q):
            found = tasks.get(q)
            if found is not None and ctx.can_see_shop(found.shop):
                return Page(rows=[found])
        status = TaskStatus(filters["status"]) if filters.get("status") else None
        urgency = Urgency(filters["urgency"]) if filters.get("urgency") else None
        if len(q) == 1:
            raise InvalidInput("Search needs at least two characters.")
        search = q or None

        def by_shop(shop: str) -> Any:
            return lambda c, n: tasks.list_by_shop(
                shop, status=status, urgency=urgency, limit=n, cursor=c, search=search
            )

        def by_status(st: TaskStatus) -> Any:
            return lambda c, n: tasks.list_by_status(st, urgency=urgency, limit=n, cursor=c, search=search)

        if filters.get("shop") or len(ctx.shops) == 1:
            sources = [by_shop(filters.get("shop") or ctx.shops[0])]
        elif ctx.is_staff:  # every shop: one status after the other ("All": all four)
            sources = [by_status(st) for st in ([status] if status else list(TaskStatus))]
        else:  # a lead of several shops: one shop after the other
            sources = [by_shop(shop) for shop in ctx.shops]
        return _chain(sources, cursor)

    def list_context(self, ctx: StaffContext, page: Page, filters: dict[str, str]) -> dict[str, Any]:
        shop = filters.get("shop") or (ctx.shops[0] if len(ctx.shops) == 1 else None)
        return {
            "exports": [(f"/staff/exports/tasks.csv?shop={shop}", f"{shop} tasks as CSV")] if shop else []
        }

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
