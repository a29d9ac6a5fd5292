"""Volunteer: a Neon account's profile as voldash sees it. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

# Months, days and streaks are counted in the makerspace's own time zone (Austin, TX).
MAKERSPACE_TZ = ZoneInfo("America/Chicago")


class Role(StrEnum):
    VOLUNTEER = "volunteer"
    SHOP_LEAD = "shop_lead"
    STAFF = "staff"


class NoticeKind(StrEnum):
    """What a member can hear about, each turned on or off on its own (README: Notifications)."""

    REASSIGNED = "reassigned"  # a held task given to someone else, or a task given to you
    RELEASED = "released"  # a held task released by a lead
    CLICKUP_STATUS = "clickup_status"  # a held task closed or reopened in ClickUp
    REMOVED = "removed"  # a held task deleted in ClickUp or moved out of the synced lists
    COMMENT = "comment"  # someone else commented on a held task
    DUE_MOVED = "due_moved"  # a held task's due date moved
    HOURS_REVIEWED = "hours_reviewed"  # your hours approved or rejected
    BADGE = "badge"  # a badge earned through a lead's approval
    NEW_URGENT = "new_urgent"  # a new critical or high repair in a shop you are certified for
    PM_DUE = "pm_due"  # a preventive-maintenance task nobody holds falling due in such a shop


NOTICE_LABELS: dict[NoticeKind, str] = {
    NoticeKind.REASSIGNED: "tasks reassigned",
    NoticeKind.RELEASED: "tasks released by a lead",
    NoticeKind.CLICKUP_STATUS: "tasks closed or reopened in ClickUp",
    NoticeKind.REMOVED: "tasks removed from the dashboard",
    NoticeKind.COMMENT: "comments on your tasks",
    NoticeKind.DUE_MOVED: "due dates moved",
    NoticeKind.HOURS_REVIEWED: "hours approved or rejected",
    NoticeKind.BADGE: "badges earned",
    NoticeKind.NEW_URGENT: "new urgent repairs in your shops",
    NoticeKind.PM_DUE: "maintenance falling due in your shops",
}

# Everything about your own tasks and hours is on by default; news of other tasks is asked for.
DEFAULT_NOTICE_KINDS = frozenset(NoticeKind) - {NoticeKind.NEW_URGENT, NoticeKind.PM_DUE}
# The kinds about a shop's tasks rather than one's own: they go to the shop's watchers.
SHOP_NOTICE_KINDS = frozenset({NoticeKind.NEW_URGENT, NoticeKind.PM_DUE})


class NoticeChannel(StrEnum):
    SLACK = "slack"  # a Slack direct message (found by e-mail); e-mail when Slack does not know you
    EMAIL = "email"
    OFF = "off"


class NoticeMode(StrEnum):
    IMMEDIATE = "immediate"  # a few minutes after the event (a burst of changes is one message)
    DIGEST = "digest"  # one quiet message a day, in the morning


@dataclass(frozen=True)
class NoticePrefs:
    kinds: frozenset[NoticeKind] = DEFAULT_NOTICE_KINDS
    channel: NoticeChannel = NoticeChannel.SLACK
    mode: NoticeMode = NoticeMode.IMMEDIATE
    # When the member last changed these: nothing is sent for an event that happened before.
    changed_at: datetime | None = None

    def wants(self, kind: NoticeKind, event_at: datetime) -> bool:
        if self.channel is NoticeChannel.OFF or kind not in self.kinds:
            return False
        return self.changed_at is None or event_at >= self.changed_at


@dataclass(frozen=True)
class Preferences:
    """What a member chooses on the profile screen; voldash-owned (Neon never overwrites it)."""

    # Reminders about a held task (and other personal notices) as a Slack direct message;
    # False: only mentions in the shop's channel.
    slack_direct_messages: bool = True
    # Shops the member wants to hear about first (the dashboard's default filter).
    interest_shops: tuple[str, ...] = ()
    notices: NoticePrefs = NoticePrefs()


@dataclass(frozen=True)
class Volunteer:
    neon_id: str
    name: str
    email: str | None = None
    membership_active: bool = False
    membership_expires: date | None = None
    roles: frozenset[Role] = frozenset({Role.VOLUNTEER})
    lead_of: tuple[str, ...] = ()  # shop slugs this person leads
    certifications: frozenset[str] = frozenset()  # Neon custom field ids held
    clickup_user_id: int | None = None
    updated_at: datetime | None = None
    open_claims: int = 0
    preferences: Preferences = Preferences()
    dismissed_announcements: frozenset[str] = frozenset()
    # Sessions carry the epoch they were started in; logging out (or staff's "sign out
    # everywhere") moves it on, which ends every session started before.
    session_epoch: int = 0
    # Recognition counters, moved only inside the transactions that complete or approve
    # (``progress_rev`` counts those transactions: each is conditioned on the value it read).
    tasks_completed: int = 0
    hours_approved: float = 0.0
    streak_days: int = 0
    streak_last_day: date | None = None
    progress_rev: int = 0
    badges: tuple[EarnedBadge, ...] = ()

    @property
    def is_staff(self) -> bool:
        return Role.STAFF in self.roles

    def leads_shop(self, shop: str) -> bool:
        return self.is_staff or (Role.SHOP_LEAD in self.roles and shop in self.lead_of)

    def has_badge(self, badge_id: str) -> bool:
        return any(b.badge_id == badge_id for b in self.badges)


@dataclass(frozen=True)
class EarnedBadge:
    badge_id: str
    earned_at: datetime


class HoursKind(StrEnum):
    """Where logged hours come from: a completed task, or reported by the member (section 1.7
    of the screens: "Maintenance Task #...", "General Volunteer", "Self-Reported")."""

    TASK = "task"
    GENERAL = "general"  # general volunteering (open house, cleanup day, ...)
    CLASS = "class"  # teaching or assisting a class
    ON_DUTY = "on_duty"  # an on-duty (shop monitor) shift
    CSI_SESSION = "csi_session"  # leading a Ceramics Safety Instruction session


SELF_REPORTED_KINDS = (HoursKind.GENERAL, HoursKind.CLASS, HoursKind.ON_DUTY, HoursKind.CSI_SESSION)
KIND_LABELS = {
    HoursKind.TASK: "Maintenance task",
    HoursKind.GENERAL: "General volunteering",
    HoursKind.CLASS: "Class",
    HoursKind.ON_DUTY: "On-duty shift",
    HoursKind.CSI_SESSION: "CSI session",
}
# Self-reported hours: at most this much per entry, for work done at most this many days ago.
MAX_SELF_REPORTED_HOURS = 12
SELF_REPORT_MAX_AGE_DAYS = 62
MAX_DESCRIPTION_LENGTH = 1000


class HoursStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class HoursEntry:
    """Time logged for a completed task or reported by the member; a shop lead approves or
    rejects it. A self-reported entry has ``task_id`` = its own id (``SR-...``), ``task_title``
    = its kind's label and ``note`` = the member's description."""

    neon_id: str
    task_id: str
    task_title: str
    shop: str
    hours: float
    points: int
    completed_at: datetime
    status: HoursStatus = HoursStatus.PENDING
    note: str | None = None
    reviewed_by: str | None = None
    key: str = ""  # how the repository finds this entry again (set when read back)
    kind: HoursKind = HoursKind.TASK

    @property
    def self_reported(self) -> bool:
        return self.kind is not HoursKind.TASK

    @property
    def month(self) -> str:
        return self.completed_at.astimezone(MAKERSPACE_TZ).strftime("%Y-%m")


@dataclass(frozen=True)
class Claim:
    """A task a volunteer currently holds (a small copy for the 'My tasks' page)."""

    neon_id: str
    task_id: str
    task_title: str
    shop: str
    claimed_at: datetime
    due_at: datetime | None = None  # a PM task's due date as of the claim (calendar feed)


@dataclass(frozen=True)
class MonthTotals:
    month: str  # YYYY-MM
    points: int = 0
    hours: float = 0.0  # logged (approved and pending)
    tasks: int = 0
    hours_approved: float = 0.0
    hours_pending: float = 0.0
    entries: int = 0  # hours log entries dated in the month
    approved_by_kind: dict[HoursKind, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ProfileCounters:
    """Lifetime counters on the profile, moved only inside the transactions that log, approve
    or reject hours."""

    tasks_completed: int = 0
    hours_approved: float = 0.0
    hours_pending: float = 0.0
    hours_logged: float = 0.0  # approved and pending (rejected hours leave it)
    entries: int = 0  # hours log entries, all time


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    neon_id: str
    name: str
    points: int
    hours: float
    tasks: int


@dataclass(frozen=True)
class Stats:
    hours_this_month: float
    hours_lifetime: float
    pending_hours: float
    tasks_completed: int
    tasks_this_month: int
    points: int
    points_this_month: int
    current_streak_days: int


@dataclass(frozen=True)
class Viewer:
    """The logged-in volunteer as the session remembers them (signed cookie, no database).

    A snapshot taken at login and after each claim, release or completion; list pages use it
    to say per task whether it can be claimed. Actions re-check against fresh data.
    """

    neon_id: str
    name: str
    roles: frozenset[Role]
    lead_of: tuple[str, ...]
    membership_active: bool
    open_claims: int
    missing_by_shop: dict[str, tuple[str, ...]]  # shop slug -> names of missing certifications
    refreshed_at: datetime
    session_epoch: int = 0  # the profile's session epoch when this session started
    # Announcements this person dismissed (on any device): the list hides them without a read.
    dismissed_announcements: frozenset[str] = frozenset()

    @property
    def is_staff(self) -> bool:
        return Role.STAFF in self.roles

    def leads_shop(self, shop: str) -> bool:
        return self.is_staff or shop in self.lead_of
