"""Staff pages for shops (everyone sees them; staff edit them) and announcements."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from voldash_site.errors import DomainError, InvalidInput
from voldash_site.staff.access import StaffContext
from voldash_site.staff.display import plain_time
from voldash_site.staff.site import Action, Column, Page, StaffAdmin, StaffPage, render_staff, site
from volunteers.domain import Role
from volunteers.neon_profile import CERTIFICATION_FIELDS

from . import use_cases
from .catalog import SHOP_SLUGS
from .domain import Certification, CertificationRule, Shop

if TYPE_CHECKING:
    from voldash_site.dynamodb.unit_of_work import Write


class ShopForm(forms.Form):
    name = forms.CharField(max_length=80)
    slack_channel = forms.RegexField(
        regex=r"^(C[A-Z0-9]{6,12}|[a-z0-9][a-z0-9_-]{0,79})$",
        max_length=80,
        help_text="A channel id (C0123ABCD) or name without #",
    )
    leads = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checks"}),
        help_text="Tick the people who lead this shop.",
    )
    certification_rule = forms.ChoiceField(
        choices=[(r.value, f"{r.value} of the ticked certifications") for r in CertificationRule]
    )
    required_certifications = forms.MultipleChoiceField(
        required=False,
        choices=sorted(CERTIFICATION_FIELDS.items(), key=lambda kv: kv[1]),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checks"}),
    )


def shop_form(ctx: StaffContext, shop: Shop, data: Any = None) -> ShopForm:
    initial = {
        "name": shop.name,
        "slack_channel": shop.slack_channel,
        "leads": list(shop.leads),
        "certification_rule": shop.certification_rule.value,
        "required_certifications": [c.neon_field_id for c in shop.required_certifications],
    }
    form = ShopForm(data, initial=initial)
    people = {v.neon_id: v.name for v in ctx.container.volunteers.list_by_name(limit=200).items}
    for neon_id in shop.leads:  # a lead without a profile yet stays choosable (and kept)
        people.setdefault(neon_id, f"Neon account {neon_id}")
    form.fields["leads"].choices = sorted(people.items(), key=lambda kv: (kv[0] not in shop.leads, kv[1]))
    return form


def lead_names(ctx: StaffContext, ids: list[str]) -> dict[str, str]:
    """Names of these Neon accounts: one BatchGetItem (nothing when there is no id)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    found = ctx.container.uow.load(*[ctx.container.volunteers.load(i) for i in ids])
    return {i: v.name for i, v in zip(ids, found, strict=True) if v is not None}


def run_edit(ctx: StaffContext, shop: Shop, data: dict) -> str:
    leads = tuple(dict.fromkeys(data.get("leads") or ()))
    updated = replace(
        shop,
        name=data["name"].strip(),
        slack_channel=data["slack_channel"],
        leads=leads,
        certification_rule=CertificationRule(data["certification_rule"]),
        required_certifications=tuple(
            Certification(c, CERTIFICATION_FIELDS[c]) for c in data.get("required_certifications") or []
        ),
    )
    c = ctx.container
    c.uow.commit([*c.shops.save_writes(updated), *_lead_profile_writes(ctx, shop, updated)])
    c.shop_directory.invalidate()
    return f"Saved {updated.name}. Changes to its leads take effect at once."


def _lead_profile_writes(ctx: StaffContext, before: Shop, after: Shop) -> list[Write]:
    """The profiles of added and removed leads, written in the shop's own transaction, so that
    every check that reads a profile (each signed-in request's authority, reads included; the
    API's release and complete) agrees with the shop from the moment it is saved."""
    volunteers = ctx.container.volunteers
    changed = sorted(set(before.leads) ^ set(after.leads))
    people = ctx.container.uow.load(*[volunteers.load(i) for i in changed]) if changed else []
    writes = []
    for neon_id, person in zip(changed, people, strict=True):
        if person is None:
            continue
        if neon_id in after.leads:
            lead_of = tuple(dict.fromkeys((*person.lead_of, after.slug)))
            roles = person.roles | {Role.SHOP_LEAD}
        else:
            lead_of = tuple(s for s in person.lead_of if s != after.slug)
            roles = person.roles
        writes.append(volunteers.leadership_writes(replace(person, lead_of=lead_of, roles=roles)))
    return writes


def _certifications(shop: Shop) -> str:
    names = ", ".join(c.name for c in shop.required_certifications)
    if len(shop.required_certifications) > 1:
        names += f" ({shop.certification_rule.value} of them)"
    return names or "none"


class ShopAdmin(StaffAdmin):
    slug = "shops"
    title = "Shops"
    nav_order = 40
    columns = [
        Column("Shop", lambda r, ctx: r.shop.name, link=True),
        Column("Slack channel", lambda r, ctx: r.shop.slack_channel),
        Column("Required certifications", lambda r, ctx: _certifications(r.shop)),
        Column("Leads", lambda r, ctx: ", ".join(r.names.get(i, f"#{i}") for i in r.shop.leads) or "—"),
        Column("Open tasks", lambda r, ctx: r.shop.open_tasks),
    ]
    actions = {"edit": Action("Edit shop", run_edit, form=shop_form, visible=lambda ctx, obj: ctx.is_staff)}
    detail_template = "staff/shop_detail.html"

    def fetch(self, ctx: StaffContext, *, filters: dict[str, str], q: str, cursor: str | None) -> Page:
        shops = use_cases.list_shops(shops=ctx.container.shops)
        names = lead_names(ctx, [i for s in shops for i in s.leads])
        return Page(rows=[ShopRow(s, names) for s in shops])

    def get_object(self, ctx: StaffContext, pk: str) -> Shop | None:
        return ctx.container.shops.get(pk) if pk in SHOP_SLUGS else None

    def row_id(self, row: Any) -> str:
        return row.shop.slug if isinstance(row, ShopRow) else row.slug

    def row_label(self, obj: Any) -> str:
        return obj.shop.name if isinstance(obj, ShopRow) else obj.name

    def detail_context(self, ctx: StaffContext, obj: Shop) -> dict[str, Any]:
        names = lead_names(ctx, list(obj.leads))
        return {"leads": [(i, names.get(i, f"Neon account {i}")) for i in obj.leads]}


@dataclass(frozen=True)
class ShopRow:
    shop: Shop
    names: dict[str, str]


class AnnouncementForm(forms.Form):
    title = forms.CharField(max_length=120, min_length=3)
    message = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(choices=[("info", "info"), ("warning", "warning"), ("success", "success")])
    days = forms.IntegerField(min_value=1, max_value=90, initial=7, label="Show for (days)")
    shop = forms.ChoiceField(required=False)


class AnnouncementsPage(StaffPage):
    slug = "announcements"
    title = "Announcements"
    nav_order = 50

    def _form(self, ctx: StaffContext, data: Any = None) -> AnnouncementForm:
        form = AnnouncementForm(data)
        choices = [(s, s) for s in ctx.shops]
        form.fields["shop"].choices = ([("", "Whole makerspace")] if ctx.is_staff else []) + choices
        return form

    def get(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        now = ctx.container.clock()
        items = ctx.container.announcements.all()
        visible = [a for a in items if ctx.is_staff or (a.shop and ctx.can_see_shop(a.shop))]
        return render_staff(
            request,
            "staff/announcements.html",
            {
                "title": self.title,
                "form": self._form(ctx),
                "items": [(a, a.active(now)) for a in visible],
            },
        )

    def post(self, request: HttpRequest, ctx: StaffContext) -> HttpResponse:
        back = HttpResponseRedirect("/staff/announcements/")
        try:
            if request.POST.get("expire"):
                target = next(
                    (a for a in ctx.container.announcements.all() if a.id == request.POST["expire"]), None
                )
                if target is None or not (ctx.is_staff or (target.shop and ctx.can_see_shop(target.shop))):
                    raise InvalidInput("No such announcement that you may change.")
                ctx.container.announcements.expire(target.id, ctx.container.clock() - timedelta(seconds=1))
                messages.success(request, f"“{target.title}” expired.")
                return back
            form = self._form(ctx, request.POST)
            if not form.is_valid():
                messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
                return back
            data = form.cleaned_data
            created = use_cases.create_announcement(
                announcements=ctx.container.announcements,
                title=data["title"],
                message=data["message"],
                kind=data["kind"],
                days=data["days"],
                shop=data.get("shop") or None,
                author=ctx.user.name,
                now=ctx.container.clock(),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return back
        messages.success(request, f"Published “{created.title}” until {plain_time(created.expires_at)}.")
        return back


site.register(ShopAdmin())
site.register(AnnouncementsPage())
