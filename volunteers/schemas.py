from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from shops.domain import Shop
from shops.schemas import ShopSlug

from .badges import BADGES
from .domain import (
    MAX_DESCRIPTION_LENGTH,
    MAX_SELF_REPORTED_HOURS,
    NOTICE_LABELS,
    Claim,
    HoursEntry,
    HoursKind,
    HoursStatus,
    LeaderboardRow,
    NoticeChannel,
    NoticeKind,
    NoticeMode,
    NoticePrefs,
    Preferences,
    Stats,
    Volunteer,
)
from .neon_profile import CERTIFICATION_FIELDS
from .rewards import RewardStatus
from .use_cases import HoursSummary, shop_access, stamp_key

BadgeId = Literal[tuple(BADGES)]  # type: ignore[valid-type]


class BadgeOut(Schema):
    id: BadgeId = Field(description="first_task, ten_tasks, fifty_hours or week_streak")
    name: str
    description: str
    earned_at: datetime


class CertificationOut(Schema):
    id: str
    name: str
    unlocks: list[str] = Field(
        default_factory=list, description="Slugs of the shops that list this certification as required"
    )


class ShopAccessOut(Schema):
    shop: ShopSlug
    name: str
    can_claim_here: bool = Field(description="True when the certifications this shop needs are held")
    missing_certifications: list[str] = Field(description="Names of what is still needed here")


class NoticeKindOut(Schema):
    kind: NoticeKind
    label: str
    on: bool


class NoticesOut(Schema):
    kinds: list[NoticeKind] = Field(description="The kinds of notice that are on")
    channel: NoticeChannel = Field(
        description="slack: a Slack direct message (to the Slack user with your e-mail; e-mail when "
        "Slack does not know you); email; off: nothing at all"
    )
    mode: NoticeMode = Field(
        description="immediate: a few minutes after a change (a burst is one message); digest: one "
        "message a day, at 7:00 Austin time"
    )
    changed_at: datetime | None = Field(
        description="When these were last changed; nothing that happened before is sent"
    )
    choices: list[NoticeKindOut] = Field(description="Every kind, with its label, for the settings screen")

    @staticmethod
    def from_prefs(n: NoticePrefs) -> NoticesOut:
        return NoticesOut(
            kinds=sorted(n.kinds),
            channel=n.channel,
            mode=n.mode,
            changed_at=n.changed_at,
            choices=[NoticeKindOut(kind=k, label=NOTICE_LABELS[k], on=k in n.kinds) for k in NoticeKind],
        )


class PreferencesOut(Schema):
    slack_direct_messages: bool = Field(
        description="Reminders about held tasks as Slack direct messages; "
        "false: only mentions in the shop's channel"
    )
    interest_shops: list[str] = Field(
        description="Shop slugs the member wants to see first (and hear about, for new_urgent notices; "
        "none: every shop whose certifications they hold)"
    )
    notices: NoticesOut = Field(description="Personal notifications (README: Notifications)")

    @staticmethod
    def from_preferences(p: Preferences) -> PreferencesOut:
        return _preferences_out(p)


def _preferences_out(p: Preferences) -> PreferencesOut:
    return PreferencesOut(
        slack_direct_messages=p.slack_direct_messages,
        interest_shops=list(p.interest_shops),
        notices=NoticesOut.from_prefs(p.notices),
    )


PreferencesOut.from_preferences = staticmethod(_preferences_out)  # type: ignore[attr-defined]


class NoticesIn(Schema):
    kinds: list[NoticeKind] | None = Field(
        None,
        max_length=len(NoticeKind),
        description="The kinds to have on (all others off); leave out to keep",
    )
    channel: NoticeChannel | None = Field(None, description="Leave out to keep")
    mode: NoticeMode | None = Field(None, description="Leave out to keep")


class PreferencesIn(Schema):
    slack_direct_messages: bool | None = Field(None, description="Leave out to keep the current value")
    interest_shops: list[Annotated[str, Field(max_length=40)]] | None = Field(
        None, max_length=20, description="Shop slugs; leave out to keep, [] to clear"
    )
    notices: NoticesIn | None = Field(None, description="Notification settings; leave out to keep")


class MeOut(Schema):
    neon_id: str
    name: str
    email: str | None
    membership_active: bool
    membership_expires: date | None
    roles: list[str] = Field(description="volunteer, shop_lead, staff")
    lead_of: list[str] = Field(description="Shop slugs this person leads")
    certifications: list[CertificationOut]
    open_claims: int
    claim_limit: int
    shops: list[ShopAccessOut] = Field(description="Every shop, and whether this member can claim there")
    preferences: PreferencesOut
    dismissed_announcements: list[str] = Field(description="Ids of announcements this member dismissed")
    badges: list[BadgeOut] = Field(description="Badges earned, oldest first")

    @staticmethod
    def from_volunteer(v: Volunteer, claim_limit: int, shops: list[Shop]) -> MeOut:
        return MeOut(
            neon_id=v.neon_id,
            name=v.name,
            email=v.email,
            membership_active=v.membership_active,
            membership_expires=v.membership_expires,
            roles=sorted(r.value for r in v.roles),
            lead_of=list(v.lead_of),
            certifications=[
                CertificationOut(
                    id=c,
                    name=CERTIFICATION_FIELDS.get(c, f"Neon field {c}"),
                    unlocks=[
                        s.slug for s in shops if any(r.neon_field_id == c for r in s.required_certifications)
                    ],
                )
                for c in sorted(
                    v.certifications, key=lambda c: (not c.isdigit(), int(c) if c.isdigit() else 0, c)
                )
            ],
            open_claims=v.open_claims,
            claim_limit=claim_limit,
            shops=[
                ShopAccessOut(
                    shop=s.slug, name=s.name, can_claim_here=not missing, missing_certifications=list(missing)
                )
                for s, missing in shop_access(v, shops)
            ],
            preferences=PreferencesOut.from_preferences(v.preferences),
            dismissed_announcements=sorted(v.dismissed_announcements),
            badges=[
                BadgeOut(
                    id=b.badge_id,
                    name=BADGES[b.badge_id].name,
                    description=BADGES[b.badge_id].description,
                    earned_at=b.earned_at,
                )
                for b in v.badges
                if b.badge_id in BADGES
            ],
        )


class StatsOut(Schema):
    hours_this_month: float = Field(
        description="Hours logged this month (Austin): approved + pending; rejected ones are taken off. "
        "The hours summary's hours_approved is the approved part only (README: Hours figures)"
    )
    hours_lifetime: float = Field(description="Hours logged ever: approved + pending (rejected taken off)")
    pending_hours: float = Field(description="Hours waiting for a shop lead's approval (all months)")
    tasks_completed: int
    tasks_this_month: int
    points: int
    points_this_month: int
    current_streak_days: int = Field(description="Consecutive days with a completion, up to today")

    @staticmethod
    def from_stats(s: Stats) -> StatsOut:
        return StatsOut(**s.__dict__)


class ClaimOut(Schema):
    task_id: str
    task_title: str
    shop: ShopSlug
    claimed_at: datetime

    @staticmethod
    def from_claim(c: Claim) -> ClaimOut:
        return ClaimOut(task_id=c.task_id, task_title=c.task_title, shop=c.shop, claimed_at=c.claimed_at)


class ClaimListOut(Schema):
    items: list[ClaimOut]


class HoursOut(Schema):
    id: str = Field(
        description="The entry's own id, unique among the volunteer's entries (a task completed "
        "twice has two entries); the staff review page uses the same key"
    )
    task_id: str = Field(description="The task; for self-reported hours the entry's own id (SR-...)")
    task_title: str = Field(description="The task's title; for self-reported hours the kind's label")
    shop: ShopSlug
    hours: float
    points: int
    completed_at: datetime = Field(description="For self-reported hours: noon (Austin) of the day reported")
    month: str
    status: HoursStatus = Field(description="PENDING, APPROVED or REJECTED")
    note: str | None = Field(description="The completion note, or the self-reported description")
    kind: HoursKind = Field(description="task, general, class, on_duty or csi_session")
    reviewed_by: str | None = Field(description="Who approved or rejected it")

    @staticmethod
    def from_entry(e: HoursEntry) -> HoursOut:
        return HoursOut(
            id=e.key or f"{stamp_key(e.completed_at)}#{e.task_id}",
            task_id=e.task_id,
            task_title=e.task_title,
            shop=e.shop,
            hours=e.hours,
            points=e.points,
            completed_at=e.completed_at,
            month=e.month,
            status=e.status.value,
            note=e.note,
            kind=e.kind.value,
            reviewed_by=e.reviewed_by,
        )


Day = date  # a field below is named ``date`` (the screens' word), which would shadow the type


class ReportHoursIn(Schema):
    kind: Literal["general", "class", "on_duty", "csi_session"] = Field(
        description="general volunteering, a class, an on-duty shift, or leading a CSI session"
    )
    date: Day = Field(
        description="The day the work was done (Austin time; not in the future, at most 62 days ago)"
    )
    hours: float = Field(gt=0, le=MAX_SELF_REPORTED_HOURS)
    shop: ShopSlug = Field(description="A shop slug: its leads review the hours")
    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION_LENGTH)


class SessionProgressOut(Schema):
    label: str
    kind: HoursKind
    done: int = Field(description="Approved entries of this kind in the month")
    required: int
    met: bool


class RewardOut(Schema):
    id: str
    title: str
    subtitle: str
    status: RewardStatus = Field(
        description="ACTIVE (earned this month), PENDING (earned once the pending hours are "
        "approved) or IN PROGRESS"
    )
    progress_hours: float = Field(description="Approved hours this month")
    goal_hours: float
    remaining_hours: float
    sessions: list[SessionProgressOut]


class HoursSummaryOut(Schema):
    month: str
    hours_approved: float = Field(description="Approved hours of the month")
    hours_pending: float = Field(description="Hours of the month waiting for a lead")
    tasks_completed: int = Field(description="Tasks completed in the month")
    entries: int = Field(description="Hours log entries of the month (the log's total)")
    lifetime_hours_approved: float
    lifetime_hours_pending: float
    lifetime_tasks_completed: int
    lifetime_entries: int
    goal_hours: float | None = Field(description="The monthly goal staff set; null when none")
    goal_percent: int | None = Field(description="Approved hours of the month against the goal, 0-100")
    rewards: list[RewardOut]

    @staticmethod
    def from_summary(s: HoursSummary) -> HoursSummaryOut:
        m = s.month_totals
        return HoursSummaryOut(
            month=s.month,
            hours_approved=m.hours_approved,
            hours_pending=m.hours_pending,
            tasks_completed=m.tasks,
            entries=m.entries,
            lifetime_hours_approved=s.hours_approved_lifetime,
            lifetime_hours_pending=s.hours_pending_lifetime,
            lifetime_tasks_completed=s.tasks_completed,
            lifetime_entries=s.entries_lifetime,
            goal_hours=s.goal_hours,
            goal_percent=s.goal_percent,
            rewards=[
                RewardOut(
                    id=r.program.id,
                    title=r.program.title,
                    subtitle=r.program.subtitle,
                    status=r.status.value,
                    progress_hours=r.progress_hours,
                    goal_hours=r.goal_hours,
                    remaining_hours=r.remaining_hours,
                    sessions=[
                        SessionProgressOut(
                            label=x.label, kind=x.kind.value, done=x.done, required=x.required, met=x.met
                        )
                        for x in r.sessions
                    ],
                )
                for r in s.rewards
            ],
        )


class HoursPageOut(Schema):
    items: list[HoursOut]
    next_cursor: str | None
    total_hours: float = Field(description="Sum of this page's non-rejected hours")


class LeaderboardRowOut(Schema):
    rank: int
    name: str
    points: int
    hours: float
    tasks: int
    is_me: bool = Field(description="True on the viewer's own row (other people's Neon ids are not shown)")

    @staticmethod
    def from_row(r: LeaderboardRow, viewer_id: str) -> LeaderboardRowOut:
        return LeaderboardRowOut(
            rank=r.rank,
            name=r.name,
            points=r.points,
            hours=r.hours,
            tasks=r.tasks,
            is_me=r.neon_id == viewer_id,
        )


class LeaderboardOut(Schema):
    month: str
    items: list[LeaderboardRowOut]


class CsrfOut(Schema):
    csrf_token: str = Field(description="Send as the X-CSRFToken header on POST/PUT/PATCH/DELETE")
