"""Staff pages for volunteers: search, detail (certifications, claims, hours) and the review
of pending hours by shop leads."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from tasks import lifecycle
from voldash_site.errors import DomainError
from voldash_site.staff.access import StaffContext
from voldash_site.staff.site import Action, Column, Page, StaffAdmin, StaffPage, render_staff, site

from . import use_cases
from .badges import BADGES
from .domain import HoursEntry, HoursStatus, Volunteer
from .neon_profile import CERTIFICATION_FIELDS
from .rewards import MAX_GOAL_HOURS, program_to_json

_NEON_ID = re.compile(r"^\d{1,12}$")
_KEY = re.compile(r"^[0-9T:.\-Z]{20,40}#[A-Za-z0-9_-]{1,64}$")


class ReviewForm(forms.Form):
    key = forms.RegexField(regex=_KEY, widget=forms.HiddenInput, error_messages={"invalid": "unknown entry"})
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(required=False, max_length=500)


def review_form(ctx: StaffContext, obj: Any, data: Any = None) -> ReviewForm:
    return ReviewForm(data)


def run_review(ctx: StaffContext, volunteer: Volunteer, data: dict) -> str:
    approve = data["decision"] == "approve"
    entry = lifecycle.review_hours(
        neon_id=volunteer.neon_id,
        key=data["key"],
        actor_id=ctx.user.neon_id,
        approve=approve,
        reason=data.get("reason"),
        deps=ctx.container.lifecycle(),
    )
    verb = "Approved" if approve else "Rejected"
    return f"{verb} {volunteer.name}'s {entry.hours:g} h for “{entry.task_title}”."


def _sign_out_everywhere(ctx: StaffContext, volunteer: Volunteer) -> str:
    """Staff: end every session of this person (a lost phone, a shared computer)."""
    ctx.container.volunteers.end_sessions(volunteer.neon_id)
    return f"Signed {volunteer.name} out everywhere."


class VolunteerAdmin(StaffAdmin):
    slug = "volunteers"
    title = "Volunteers"
    nav_order = 30
    search_placeholder = "Name starts with…"
    columns = [
        Column("Name", lambda v, ctx: v.name, link=True),
        Column("Neon id", lambda v, ctx: v.neon_id),
        Column("Membership", lambda v, ctx: "active" if v.membership_active else "lapsed"),
        Column("Roles", lambda v, ctx: ", ".join(sorted(r.value for r in v.roles))),
        Column("Open claims", lambda v, ctx: v.open_claims),
    ]
    actions = {
        "review": Action("Review hours", run_review, form=review_form, in_sidebar=False),
        "signout": Action(
            "Sign out everywhere",
            lambda ctx, obj, data: _sign_out_everywhere(ctx, obj),
            visible=lambda ctx, obj: ctx.is_staff,
            danger=True,
        ),
    }
    detail_template = "staff/volunteer_detail.html"

    def fetch(self, ctx: StaffContext, *, filters: dict[str, str], q: str, cursor: str | None) -> Page:
        page = ctx.container.volunteers.list_by_name(prefix=q, limit=50, cursor=cursor)
        return Page(rows=page.items, next_cursor=page.next_cursor)

    def get_object(self, ctx: StaffContext, pk: str) -> Volunteer | None:
        return ctx.container.volunteers.get(pk) if _NEON_ID.match(pk) else None

    def row_id(self, row: Volunteer) -> str:
        return row.neon_id

    def detail_context(self, ctx: StaffContext, obj: Volunteer) -> dict[str, Any]:
        volunteers = ctx.container.volunteers
        hours = volunteers.hours(obj.neon_id, limit=50).items
        claims = volunteers.claims(obj.neon_id)
        own_page = obj.neon_id == ctx.user.neon_id
        return {
            "certifications": [
                (c, CERTIFICATION_FIELDS.get(c, f"Neon field {c}"))
                for c in sorted(obj.certifications, key=int)
            ],
            # Another shop's task page would be a 404 for a lead: its title, without a link.
            "claims": [(c, ctx.can_see_shop(c.shop)) for c in claims],
            "hours": [
                (
                    h,
                    h.status is HoursStatus.PENDING
                    and ctx.user.leads_shop(h.shop)
                    and h.neon_id != ctx.user.neon_id,  # nobody reviews their own hours
                    ctx.can_see_shop(h.shop),  # the task links to a page this reader may open
                    # README, "Who sees what": what a person wrote (completion note, description
                    # of self-reported hours) for the person, leads of the shop and staff.
                    own_page or ctx.can_see_shop(h.shop),
                )
                for h in hours
            ],
            # Contact details: staff, and leads of a shop where this person has work.
            "show_contact": ctx.is_staff
            or any(ctx.can_see_shop(c.shop) for c in claims)
            or any(ctx.can_see_shop(h.shop) for h in hours),
            "stats": volunteers.record(obj.neon_id),
            "badges": [BADGES[b.badge_id].name for b in obj.badges if b.badge_id in BADGES],
        }


def run_bulk_review(approve: bool):
    def run(ctx: StaffContext, entry: HoursEntry, data: dict) -> str:
        lifecycle.review_hours(
            neon_id=entry.neon_id,
            key=entry.key,
            actor_id=ctx.user.neon_id,
            approve=approve,
            reason=data.get("reason"),
            deps=ctx.container.lifecycle(),
        )
        return "ok"

    return run


class RejectForm(forms.Form):
    reason = forms.CharField(label="Reason (for rejecting)", required=False, max_length=500)


def _entry_id(entry: HoursEntry) -> str:
    return f"{entry.neon_id}~{entry.key}"


def _estimate(task: Any) -> str:
    if task is None or not task.estimate_minutes:
        return ""
    minutes = task.estimate_minutes
    return f"{minutes // 60} h {minutes % 60:02d}" if minutes >= 60 else f"{minutes} min"


def hours_rows(ctx: StaffContext, *, limit: int = 100, cursor: str | None = None) -> Page:
    """One page of pending hours in the viewer's shops, oldest first, with the volunteer's name
    and the task's estimate: the queue Query (per shop for a lead, one after the other) and one
    BatchGetItem. ``mine``: the viewer's own entry, which they may not review."""
    c = ctx.container
    found = c.volunteers.pending_hours(
        shops=None if ctx.is_staff else list(ctx.shops), limit=limit, cursor=cursor
    )
    entries = found.items
    people = sorted({e.neon_id for e in entries})
    task_ids = sorted({e.task_id for e in entries if not e.self_reported})
    loaded = (
        c.uow.load(*[c.volunteers.load(n) for n in people], *[c.tasks.load(t) for t in task_ids])
        if entries
        else []
    )
    names = {n: v.name for n, v in zip(people, loaded[: len(people)], strict=True) if v is not None}
    tasks = dict(zip(task_ids, loaded[len(people) :], strict=True))
    rows = [
        {
            "entry": e,
            "id": _entry_id(e),
            "name": names.get(e.neon_id, f"Volunteer {e.neon_id}"),
            "estimate": _estimate(tasks.get(e.task_id)),
            "mine": e.neon_id == ctx.user.neon_id,
            "task_link": None if e.self_reported else f"/staff/tasks/{e.task_id}/",
        }
        for e in entries
    ]
    return Page(rows=rows, next_cursor=found.next_cursor)


PAGE_SIZE = 50


class HoursAdmin(StaffAdmin):
    slug = "hours"
    title = "Pending hours"
    nav_order = 35
    list_intro = (
        "Hours logged for completed tasks, and hours members reported (classes, on-duty shifts, "
        "general volunteering), in your shops, waiting for a lead. Oldest first."
    )
    bulk_actions = {
        "approve": Action("Approve", run_bulk_review(True)),
        "reject": Action(
            "Reject", run_bulk_review(False), form=lambda ctx, obj, data=None: RejectForm(data), danger=True
        ),
    }

    def list_view(self, request: HttpRequest) -> HttpResponse:
        ctx: StaffContext = request.staff  # type: ignore[attr-defined]
        cursor = request.GET.get("cursor") or None
        try:
            page = hours_rows(ctx, limit=PAGE_SIZE, cursor=cursor)
        except DomainError as exc:
            messages.error(request, exc.message)
            page = Page(rows=[])
        return render_staff(
            request,
            "staff/hours.html",
            {
                "admin": self,
                "rows": page.rows,
                "next_cursor": page.next_cursor,
                "next_params": {"cursor": page.next_cursor},
                "first_page": bool(cursor),
                "mine": sum(1 for r in page.rows if r["mine"]),
                "several_shops": len(ctx.shops) > 1,
                "bulk_reject": RejectForm(prefix="reject"),
            },
        )

    def fetch(self, ctx: StaffContext, *, filters: dict[str, str], q: str, cursor: str | None) -> Page:
        shops = None if ctx.is_staff else list(ctx.shops)
        found = ctx.container.volunteers.pending_hours(shops=shops, limit=PAGE_SIZE, cursor=cursor)
        return Page(rows=found.items, next_cursor=found.next_cursor)

    def row_id(self, row: HoursEntry) -> str:
        return _entry_id(row)

    def row_label(self, obj: HoursEntry) -> str:
        return f"{obj.hours:g} h on “{obj.task_title}”"

    def get_object(self, ctx: StaffContext, pk: str) -> HoursEntry | None:
        neon_id, _, key = pk.partition("~")
        if not _NEON_ID.match(neon_id) or not _KEY.match(key):
            return None
        [entry] = ctx.container.uow.load(ctx.container.volunteers.load_hours(neon_id, key))
        return entry if entry is not None and ctx.can_see_shop(entry.shop) else None

    def detail_view(self, request: HttpRequest, pk: str, **kwargs: Any) -> HttpResponse:
        return HttpResponseRedirect(f"/staff/volunteers/{pk.partition('~')[0]}/")


class RewardsForm(forms.Form):
    monthly_goal_hours = forms.FloatField(
        label="Monthly goal (hours)", required=False, min_value=0.25, max_value=MAX_GOAL_HOURS
    )
    programs = forms.CharField(
        label="Reward programs (JSON)",
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}),
        max_length=20000,
        required=False,
        help_text='A list of {"id", "title", "subtitle", "hours_per_month", "sessions": '
        '[{"kind", "count", "label"}]}; session kinds: general, class, on_duty, csi_session, task.',
    )


class RewardsPage(StaffPage):
    """Staff set the monthly goal and the steward rewards the members' progress is measured by."""

    slug = "rewards"
    title = "Rewards"
    nav_order = 37
    staff_only = True

    def get(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        config = ctx.container.volunteers.rewards()
        form = RewardsForm(
            initial={
                "monthly_goal_hours": config.monthly_goal_hours,
                "programs": json.dumps([program_to_json(p) for p in config.programs], indent=2),
            }
        )
        return render_staff(
            request, "staff/rewards.html", {"title": self.title, "config": config, "form": form}
        )

    def post(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        back = HttpResponseRedirect("/staff/rewards/")
        form = RewardsForm(request.POST)

        def refused(text: str) -> HttpResponse:
            # The same page with what was typed kept (a refusal never throws the edit away).
            messages.error(request, f"Not saved: {text}")
            config = ctx.container.volunteers.rewards()
            context = {"title": self.title, "config": config, "form": form}
            return render_staff(request, "staff/rewards.html", context, status=400)

        if not form.is_valid():
            return refused("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        try:
            config = use_cases.save_rewards(
                goal_hours=form.cleaned_data["monthly_goal_hours"],
                programs_json=form.cleaned_data["programs"] or "[]",
                volunteers=ctx.container.volunteers,
                by=ctx.user.name,
                now=ctx.container.clock(),
            )
        except DomainError as exc:
            return refused(exc.message)
        messages.success(request, f"Saved: {len(config.programs)} reward programs.")
        return back


site.register(VolunteerAdmin())
site.register(HoursAdmin())
site.register(RewardsPage())
