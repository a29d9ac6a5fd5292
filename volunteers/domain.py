"""Volunteer: a Neon account's profile as voldash sees it. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

# Months, days and streaks are counted in the makerspace's own time zone (Austin, TX).
MAKERSPACE_TZ = ZoneInfo("America/Chicago")


class Role(StrEnum):
    VOLUNTEER = "volunteer"
    SHOP_LEAD = "shop_lead"
    STAFF = "staff"


@dataclass(frozen=True)
class Preferences:
    """What a member chooses on the profile screen; voldash-owned (Neon never overwrites it)."""

    # Reminders about a held task (and other personal notices) as a Slack direct message;
    # False: only mentions in the shop's channel.
    slack_direct_messages: bool = True
    # Shops the member wants to hear about first (the dashboard's default filter).
    interest_shops: tuple[str, ...] = ()


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

    @property
    def is_staff(self) -> bool:
        return Role.STAFF in self.roles

    def leads_shop(self, shop: str) -> bool:
        return self.is_staff or (Role.SHOP_LEAD in self.roles and shop in self.lead_of)


class HoursStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class HoursEntry:
    """Time logged for a completed task; a shop lead approves or rejects it."""

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
    hours: float = 0.0
    tasks: int = 0


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
