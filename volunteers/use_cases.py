"""Volunteer use cases: log in with Neon, the viewer snapshot, my stats, hours, leaderboard."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Protocol

from shops.domain import Shop
from voldash_site.errors import DomainError, InvalidInput, NotFound

from .domain import Claim, HoursStatus, LeaderboardRow, Stats, Viewer, Volunteer
from .neon_profile import RoleMapping, profile_from_neon

if TYPE_CHECKING:
    from .repository import HoursPage, VolunteerRepository

MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class NeonUnavailable(DomainError):
    code = "neon_unavailable"


class LoginFailed(DomainError):
    code = "login_failed"


class NeonAccountData(Protocol):
    account: dict
    memberships: list


class NeonGateway(Protocol):
    def exchange_code(self, *, code: str, redirect_uri: str) -> str: ...

    def get_account(self, account_id: str) -> NeonAccountData | None: ...


class ShopLookup(Protocol):
    def all(self) -> list[Shop]: ...

    def get(self, slug: str) -> Shop | None: ...


def build_viewer(volunteer: Volunteer, shops: list[Shop], *, now: datetime) -> Viewer:
    return Viewer(
        neon_id=volunteer.neon_id,
        name=volunteer.name,
        roles=volunteer.roles,
        lead_of=volunteer.lead_of,
        membership_active=volunteer.membership_active,
        open_claims=volunteer.open_claims,
        session_epoch=volunteer.session_epoch,
        dismissed_announcements=volunteer.dismissed_announcements,
        missing_by_shop={
            s.slug: tuple(c.name for c in s.missing_certifications(volunteer.certifications))
            for s in shops
            if s.missing_certifications(volunteer.certifications)
        },
        refreshed_at=now,
    )


def refresh_from_neon(
    *,
    account_id: str,
    neon: NeonGateway,
    volunteers: VolunteerRepository,
    shops: ShopLookup,
    roles: RoleMapping,
    now: datetime,
    today: date,
) -> Volunteer:
    """Read the account from Neon and create or refresh the profile; returns it with counters."""
    from integrations.http import IntegrationError

    try:
        data = neon.get_account(account_id)
    except IntegrationError as exc:
        raise NeonUnavailable("Neon CRM could not be reached; try again in a minute.") from exc
    if data is None:
        raise NotFound(f"Neon has no account {account_id}.", detail={"neon_id": account_id})
    led = tuple(s.slug for s in shops.all() if account_id in s.leads)
    known = volunteers.get(account_id)
    profile = profile_from_neon(
        data.account,
        data.memberships,
        today=today,
        now=now,
        roles=roles,
        lead_of=led,
        clickup_user_id=known.clickup_user_id if known else None,
    )
    volunteers.save(profile)  # writes Neon's fields only; voldash's own stay as stored
    if known is None:
        return profile
    return replace(
        profile,
        open_claims=known.open_claims,
        session_epoch=known.session_epoch,
        preferences=known.preferences,
        dismissed_announcements=known.dismissed_announcements,
    )


def login_with_neon(
    *,
    code: str,
    redirect_uri: str,
    neon: NeonGateway,
    volunteers: VolunteerRepository,
    shops: ShopLookup,
    roles: RoleMapping,
    now: datetime,
    today: date,
) -> Viewer:
    from integrations.http import IntegrationError

    try:
        account_id = neon.exchange_code(code=code, redirect_uri=redirect_uri)
    except IntegrationError as exc:
        if exc.permanent:
            raise LoginFailed("Neon did not accept this login; please try again.") from exc
        raise NeonUnavailable("Neon CRM could not be reached; try again in a minute.") from exc
    profile = refresh_from_neon(
        account_id=account_id,
        neon=neon,
        volunteers=volunteers,
        shops=shops,
        roles=roles,
        now=now,
        today=today,
    )
    return build_viewer(profile, shops.all(), now=now)


def dev_login(*, neon_id: str, volunteers: VolunteerRepository, shops: ShopLookup, now: datetime) -> Viewer:
    volunteer = volunteers.get(neon_id)
    if volunteer is None:
        raise NotFound(f"No volunteer {neon_id} in the table; run `manage.py seed_demo` first.")
    return build_viewer(volunteer, shops.all(), now=now)


def current_profile(*, neon_id: str, volunteers: VolunteerRepository) -> Volunteer:
    volunteer = volunteers.get(neon_id)
    if volunteer is None:
        raise NotFound("Your profile is gone; log in again.", detail={"neon_id": neon_id})
    return volunteer


def parse_month(value: str | None, *, default: str | None = None) -> str | None:
    if value is None or value == "":
        return default
    if not MONTH_PATTERN.match(value):
        raise InvalidInput(f"month must look like YYYY-MM (e.g. 2026-11), got {value!r}")
    return value


def my_stats(*, neon_id: str, volunteers: VolunteerRepository, now: datetime, tz: tzinfo) -> Stats:
    """One Query over the volunteer's partition."""
    record = volunteers.record(neon_id)
    local_now = now.astimezone(tz)
    month = local_now.strftime("%Y-%m")
    this_month = record.months.get(month)
    days = {
        h.completed_at.astimezone(tz).date()
        for h in record.recent_hours
        if h.status is not HoursStatus.REJECTED
    }
    return Stats(
        hours_this_month=round(this_month.hours, 2) if this_month else 0.0,
        hours_lifetime=round(record.lifetime_hours, 2),
        pending_hours=round(max(0.0, record.pending_hours), 2),
        tasks_completed=record.tasks_completed,
        tasks_this_month=this_month.tasks if this_month else 0,
        points=record.lifetime_points,
        points_this_month=this_month.points if this_month else 0,
        current_streak_days=current_streak(days, local_now.date()),
    )


def current_streak(days: set[date], today: date) -> int:
    """Consecutive days with a completion, ending today (or yesterday: a streak is not lost
    before the day is over)."""
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def my_claims(*, neon_id: str, volunteers: VolunteerRepository) -> list[Claim]:
    return volunteers.claims(neon_id)


def my_hours(
    *, neon_id: str, volunteers: VolunteerRepository, month: str | None, limit: int, cursor: str | None
) -> HoursPage:
    return volunteers.hours(neon_id, month=parse_month(month), limit=limit, cursor=cursor)


def leaderboard(
    *, volunteers: VolunteerRepository, month: str | None, now: datetime, tz: tzinfo
) -> tuple[str, list[LeaderboardRow]]:
    """The month's top 20 by points: one Query on GSI3 (points are a numeric sort key)."""
    chosen = parse_month(month, default=now.astimezone(tz).strftime("%Y-%m"))
    assert chosen is not None
    return chosen, volunteers.leaderboard(chosen, limit=20)


def update_preferences(
    *,
    neon_id: str,
    volunteers: VolunteerRepository,
    shops: ShopLookup,
    slack_direct_messages: bool | None = None,
    interest_shops: list[str] | None = None,
) -> Volunteer:
    """Change the given preferences (the others stay); unknown shop slugs are a 400."""
    volunteer = current_profile(neon_id=neon_id, volunteers=volunteers)
    chosen = volunteer.preferences
    if slack_direct_messages is not None:
        chosen = replace(chosen, slack_direct_messages=slack_direct_messages)
    if interest_shops is not None:
        known = {s.slug for s in shops.all()}
        unknown = sorted(set(interest_shops) - known)
        if unknown:
            raise InvalidInput(
                f"interest_shops has unknown shops {unknown}; use the slugs of GET /api/v1/shops",
                detail={"unknown": unknown},
            )
        chosen = replace(chosen, interest_shops=tuple(dict.fromkeys(interest_shops)))
    if not volunteers.set_preferences(neon_id, chosen):
        raise NotFound("Your profile is gone; log in again.", detail={"neon_id": neon_id})
    return replace(volunteer, preferences=chosen)


def dismiss_announcement(
    *, neon_id: str, announcement_id: str, volunteers: VolunteerRepository, known_ids: set[str]
) -> frozenset[str]:
    """Remember, on the profile (so every device sees it), that this person dismissed it."""
    if announcement_id not in known_ids:
        raise NotFound(f"No active announcement {announcement_id!r}.", detail={"id": announcement_id})
    if not volunteers.dismiss_announcement(neon_id, announcement_id):
        raise NotFound("Your profile is gone; log in again.", detail={"neon_id": neon_id})
    volunteer = current_profile(neon_id=neon_id, volunteers=volunteers)
    return volunteer.dismissed_announcements


def shop_access(volunteer: Volunteer, shops: list[Shop]) -> list[tuple[Shop, tuple[str, ...]]]:
    """Each shop with the certification names the volunteer still lacks there (empty: unlocked)."""
    return [(s, tuple(c.name for c in s.missing_certifications(volunteer.certifications))) for s in shops]
