"""Volunteer use cases: log in with Neon, the viewer snapshot, my stats, hours, leaderboard."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from shops.domain import Shop
from voldash_site.errors import DomainError, Forbidden, InvalidInput, NotFound, WriteRefused

from .domain import (
    KIND_LABELS,
    MAX_DESCRIPTION_LENGTH,
    MAX_SELF_REPORTED_HOURS,
    SELF_REPORT_MAX_AGE_DAYS,
    SELF_REPORTED_KINDS,
    SHOP_NOTICE_KINDS,
    Claim,
    HoursEntry,
    HoursKind,
    HoursStatus,
    LeaderboardRow,
    MonthTotals,
    NoticeChannel,
    NoticeKind,
    NoticeMode,
    Preferences,
    Stats,
    Viewer,
    Volunteer,
)
from .neon_profile import RoleMapping, profile_from_neon
from .rewards import MAX_GOAL_HOURS, RewardProgress, RewardsConfig, goal_percent, parse_programs, progress

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

    def current(self) -> list[Shop]: ...


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
    # Who leads which shop from the shops as stored now, not a cached copy: a login or a Neon
    # refresh on another instance must not give a lead removed minutes ago their shop back.
    led = tuple(s.slug for s in shops.current() if account_id in s.leads)
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
        raise InvalidInput(f"month must look like YYYY-MM (e.g. 2026-11), got {value!r}", field="month")
    if not 2000 <= int(value[:4]) <= 2199:  # a month the makerspace's calendar can hold
        raise InvalidInput(f"month must be between 2000-01 and 2199-12, got {value!r}", field="month")
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
    *,
    neon_id: str,
    volunteers: VolunteerRepository,
    month: str | None,
    limit: int,
    cursor: str | None,
    search: str | None = None,
    status: str | None = None,
) -> HoursPage:
    """One page of the hours log (tasks and self-reported), newest first: one Query."""
    chosen = HoursStatus(status) if status else None
    return volunteers.hours(
        neon_id, month=parse_month(month), limit=limit, cursor=cursor, search=search, status=chosen
    )


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
    notice_kinds: list[NoticeKind] | None = None,
    notice_channel: NoticeChannel | None = None,
    notice_mode: NoticeMode | None = None,
    now: datetime | None = None,
) -> Volunteer:
    """Change the given preferences (the others stay); unknown shop slugs are a 400. A change of
    the notification settings is dated: nothing that happened before it is sent."""
    volunteer = current_profile(neon_id=neon_id, volunteers=volunteers)
    chosen = volunteer.preferences
    all_shops = [s.slug for s in shops.all()]
    if slack_direct_messages is not None:
        chosen = replace(chosen, slack_direct_messages=slack_direct_messages)
    if interest_shops is not None:
        unknown = sorted(set(interest_shops) - set(all_shops))
        if unknown:
            raise InvalidInput(
                f"interest_shops has unknown shops {unknown}; use the slugs of GET /api/v1/shops",
                field="interest_shops",
                detail={"unknown": unknown},
            )
        chosen = replace(chosen, interest_shops=tuple(dict.fromkeys(interest_shops)))
    notices = chosen.notices
    if notice_kinds is not None:
        notices = replace(notices, kinds=frozenset(notice_kinds))
    if notice_channel is not None:
        notices = replace(notices, channel=notice_channel)
    if notice_mode is not None:
        notices = replace(notices, mode=notice_mode)
    if notices != chosen.notices:
        notices = replace(notices, changed_at=now or datetime.now(UTC))
    chosen = replace(chosen, notices=notices)
    watch, unwatch = watched_shops(chosen, all_shops)
    if not volunteers.set_preferences(neon_id, chosen, watch=watch, unwatch=unwatch):
        raise NotFound("Your profile is gone; log in again.", detail={"neon_id": neon_id})
    return replace(volunteer, preferences=chosen)


def watched_shops(preferences: Preferences, all_shops: list[str]) -> tuple[list[str], list[str]]:
    """(shops to watch, shops not to watch) for news of the shops' tasks: the member's interest
    shops (all shops when none are chosen), while that kind is on; whether they hold a shop's
    certifications is checked when a repair is announced, against their profile then."""
    notices = preferences.notices
    on = bool(SHOP_NOTICE_KINDS & notices.kinds) and notices.channel is not NoticeChannel.OFF
    wanted = ([s for s in all_shops if s in preferences.interest_shops] or all_shops) if on else []
    return wanted, [s for s in all_shops if s not in wanted]


def turn_off_notice(
    *, neon_id: str, kind: NoticeKind, volunteers: VolunteerRepository, shops: ShopLookup, now: datetime
) -> Volunteer:
    """The one-click link in a notice: that kind, off."""
    volunteer = current_profile(neon_id=neon_id, volunteers=volunteers)
    kinds = [k for k in volunteer.preferences.notices.kinds if k is not kind]
    return update_preferences(
        neon_id=neon_id, volunteers=volunteers, shops=shops, notice_kinds=kinds, now=now
    )


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


# -- self-reported hours, the hours summary and the rewards ----------------------------------


class HoursUnitOfWork(Protocol):
    def load(self, *loads: Any) -> list[Any]: ...

    def commit(self, writes: Any, *, idempotency_token: str | None = None, witness: Any = None) -> None: ...


def report_hours(
    *,
    neon_id: str,
    kind: str,
    day: date,
    hours: float,
    shop: str,
    description: str,
    volunteers: VolunteerRepository,
    shops: ShopLookup,
    uow: HoursUnitOfWork,
    now: datetime,
    tz: tzinfo,
) -> HoursEntry:
    """A member reports hours beyond tasks; they are pending until a lead of the shop (or staff)
    approves them on /staff/hours/. One transaction: the entry and the counters it moves."""
    try:
        chosen = HoursKind(kind)
    except ValueError:
        chosen = None
    if chosen not in SELF_REPORTED_KINDS:
        kinds = [k.value for k in SELF_REPORTED_KINDS]
        raise InvalidInput(f"kind must be one of {kinds}", field="kind", detail={"kinds": kinds})
    if not 0 < round(hours, 2) <= MAX_SELF_REPORTED_HOURS:  # 0.001 h would be stored as 0
        raise InvalidInput(
            f"hours must be more than 0 and at most {MAX_SELF_REPORTED_HOURS}, got {hours}", field="hours"
        )
    today = now.astimezone(tz).date()
    if day > today:
        raise InvalidInput(
            f"date: {day.isoformat()} is after today's Austin date ({today.isoformat()}); the date is an "
            "Austin date (America/Chicago): report hours once they are done",
            field="date",
        )
    if day < today - timedelta(days=SELF_REPORT_MAX_AGE_DAYS):
        raise InvalidInput(
            f"date: {day.isoformat()} is more than {SELF_REPORT_MAX_AGE_DAYS} days before today's "
            f"Austin date ({today.isoformat()}); ask a shop lead",
            field="date",
        )
    text = description.strip()
    if not text or len(text) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInput(
            f"description must have 1 to {MAX_DESCRIPTION_LENGTH} characters", field="description"
        )
    if shops.get(shop) is None:
        raise InvalidInput(f"unknown shop {shop!r}; use a slug of GET /api/v1/shops", field="shop")
    volunteer = current_profile(neon_id=neon_id, volunteers=volunteers)
    if not volunteer.membership_active:
        raise Forbidden("Reporting hours needs an active Asmbly membership.", code="membership_inactive")
    # Noon of the day in Austin: the entry sorts and counts in the day's (and month's) place.
    at = datetime.combine(day, time(12), tzinfo=tz).astimezone(now.tzinfo or tz)
    entry = HoursEntry(
        neon_id=neon_id,
        task_id=f"SR-{uuid.uuid4().hex[:12]}",
        task_title=KIND_LABELS[chosen],
        shop=shop,
        hours=round(float(hours), 2),
        points=0,
        completed_at=at,
        note=text,
        kind=chosen,
    )
    try:
        uow.commit(volunteers.report_writes(volunteer, entry))
    except WriteRefused as refused:
        if "volunteer" in refused.tags:
            raise Forbidden(
                "Reporting hours needs an active Asmbly membership.", code="membership_inactive"
            ) from refused
        raise
    return replace(entry, key=f"{stamp_key(at)}#{entry.task_id}")


def stamp_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class HoursSummary:
    month: str
    month_totals: MonthTotals
    tasks_completed: int
    hours_approved_lifetime: float
    hours_pending_lifetime: float
    hours_logged_lifetime: float
    entries_lifetime: int
    goal_hours: float | None
    goal_percent: int | None
    rewards: list[RewardProgress]


def hours_summary(
    *,
    neon_id: str,
    month: str | None,
    volunteers: VolunteerRepository,
    uow: HoursUnitOfWork,
    now: datetime,
    tz: tzinfo,
) -> HoursSummary:
    """The "My Volunteer Time" cards: counters only (never counted at read time), read with the
    rewards configuration in one BatchGetItem."""
    chosen = parse_month(month, default=now.astimezone(tz).strftime("%Y-%m"))
    assert chosen is not None
    profile, totals, config = uow.load(
        volunteers.load_counters(neon_id), volunteers.load_month(neon_id, chosen), volunteers.load_rewards()
    )
    if profile is None:
        raise NotFound("Your profile is gone; log in again.", detail={"neon_id": neon_id})
    totals = totals or MonthTotals(month=chosen)
    config = config or RewardsConfig()
    return HoursSummary(
        month=chosen,
        month_totals=totals,
        tasks_completed=profile.tasks_completed,
        hours_approved_lifetime=profile.hours_approved,
        hours_pending_lifetime=profile.hours_pending,
        hours_logged_lifetime=profile.hours_logged,
        entries_lifetime=profile.entries,
        goal_hours=config.monthly_goal_hours,
        goal_percent=goal_percent(config.monthly_goal_hours, totals.hours_approved),
        rewards=[
            progress(
                p,
                approved_hours=totals.hours_approved,
                pending_hours=totals.hours_pending,
                approved_sessions=totals.approved_by_kind,
            )
            for p in config.programs
        ],
    )


def save_rewards(
    *, goal_hours: float | None, programs_json: str, volunteers: VolunteerRepository, by: str, now: datetime
) -> RewardsConfig:
    """Staff change the monthly goal and the reward programs (checked, then stored whole)."""
    if goal_hours is not None and not 0 < goal_hours <= MAX_GOAL_HOURS:
        raise InvalidInput(
            f"the monthly goal must be more than 0 and at most {MAX_GOAL_HOURS} hours", field="goal_hours"
        )
    config = RewardsConfig(monthly_goal_hours=goal_hours, programs=parse_programs(programs_json))
    volunteers.save_rewards(config, by=by, at=now)
    return config
