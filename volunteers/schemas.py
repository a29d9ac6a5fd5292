from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from .domain import Claim, HoursEntry, LeaderboardRow, Stats, Volunteer
from .neon_profile import CERTIFICATION_FIELDS


class CertificationOut(Schema):
    id: str
    name: str


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

    @staticmethod
    def from_volunteer(v: Volunteer, claim_limit: int) -> MeOut:
        return MeOut(
            neon_id=v.neon_id,
            name=v.name,
            email=v.email,
            membership_active=v.membership_active,
            membership_expires=v.membership_expires,
            roles=sorted(r.value for r in v.roles),
            lead_of=list(v.lead_of),
            certifications=[
                CertificationOut(id=c, name=CERTIFICATION_FIELDS.get(c, f"Neon field {c}"))
                for c in sorted(v.certifications, key=int)
            ],
            open_claims=v.open_claims,
            claim_limit=claim_limit,
        )


class StatsOut(Schema):
    hours_this_month: float = Field(description="Approved and pending hours this month (Austin time)")
    hours_lifetime: float
    pending_hours: float = Field(description="Hours waiting for a shop lead's approval")
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
    shop: str
    claimed_at: datetime

    @staticmethod
    def from_claim(c: Claim) -> ClaimOut:
        return ClaimOut(task_id=c.task_id, task_title=c.task_title, shop=c.shop, claimed_at=c.claimed_at)


class ClaimListOut(Schema):
    items: list[ClaimOut]


class HoursOut(Schema):
    task_id: str
    task_title: str
    shop: str
    hours: float
    points: int
    completed_at: datetime
    month: str
    status: str = Field(description="PENDING, APPROVED or REJECTED")
    note: str | None

    @staticmethod
    def from_entry(e: HoursEntry) -> HoursOut:
        return HoursOut(
            task_id=e.task_id,
            task_title=e.task_title,
            shop=e.shop,
            hours=e.hours,
            points=e.points,
            completed_at=e.completed_at,
            month=e.month,
            status=e.status.value,
            note=e.note,
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
