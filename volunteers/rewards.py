"""Membership rewards (steward requirements) and the monthly goal: configuration that staff edit,
and each member's progress toward it. Pure Python.

Asmbly's stewards earn a free month of membership for volunteering: 12 approved hours a month
for a basic membership, 16 hours plus leading one CSI (Ceramics Safety Instruction) session for
ceramics. The numbers are configuration (``manage.py seed_demo`` stores these defaults; staff
change them on /staff/rewards/), never constants of the code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from voldash_site.errors import InvalidInput

from .domain import HoursKind

MAX_PROGRAMS = 10
MAX_GOAL_HOURS = 200
_PROGRAM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class RewardStatus(StrEnum):
    ACTIVE = "ACTIVE"  # earned this month (approved hours and sessions)
    PENDING = "PENDING"  # earned once the pending hours are approved
    IN_PROGRESS = "IN PROGRESS"


@dataclass(frozen=True)
class SessionRequirement:
    kind: HoursKind  # approved entries of this kind in the month
    count: int
    label: str


@dataclass(frozen=True)
class RewardProgram:
    id: str
    title: str
    subtitle: str
    hours_per_month: float
    sessions: tuple[SessionRequirement, ...] = ()


@dataclass(frozen=True)
class RewardsConfig:
    monthly_goal_hours: float | None = None  # None: no goal shown
    programs: tuple[RewardProgram, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "monthly_goal_hours": self.monthly_goal_hours,
            "programs": [program_to_json(p) for p in self.programs],
        }


def program_to_json(p: RewardProgram) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "subtitle": p.subtitle,
        "hours_per_month": p.hours_per_month,
        "sessions": [{"kind": s.kind.value, "count": s.count, "label": s.label} for s in p.sessions],
    }


ASMBLY_DEFAULTS = RewardsConfig(
    monthly_goal_hours=20,
    programs=(
        RewardProgram(
            id="basic-steward",
            title="Free Month (Basic Membership)",
            subtitle="Active Steward Requirement",
            hours_per_month=12,
        ),
        RewardProgram(
            id="ceramics-steward",
            title="Free Month (Ceramics Membership)",
            subtitle="Ceramics Steward Requirement",
            hours_per_month=16,
            sessions=(SessionRequirement(HoursKind.CSI_SESSION, 1, "Lead 1 CSI session"),),
        ),
    ),
)


def _text(raw: dict, name: str, where: str, *, limit: int, required: bool = True) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise InvalidInput(f"{where}: {name} must be a text of 1 to {limit} characters")
    return value.strip()


def _number(value: Any, what: str, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low < value <= high:
        raise InvalidInput(f"{what} must be a number more than {low:g} and at most {high:g}")
    return round(float(value), 2)


def parse_programs(text: str) -> tuple[RewardProgram, ...]:
    """The staff form's JSON list of programs, checked field by field (a clear 400 otherwise)."""
    try:
        raw = json.loads(text or "[]")
    except ValueError as exc:
        raise InvalidInput(f"programs is not valid JSON: {exc}") from exc
    if not isinstance(raw, list) or len(raw) > MAX_PROGRAMS:
        raise InvalidInput(f"programs must be a JSON list of at most {MAX_PROGRAMS} programs")
    out: list[RewardProgram] = []
    for n, p in enumerate(raw, 1):
        where = f"program {n}"
        if not isinstance(p, dict):
            raise InvalidInput(f"{where} must be an object")
        unknown = sorted(set(p) - {"id", "title", "subtitle", "hours_per_month", "sessions"})
        if unknown:
            raise InvalidInput(f"{where} has unknown fields {unknown}")
        pid = p.get("id")
        if not isinstance(pid, str) or not _PROGRAM_ID.match(pid):
            raise InvalidInput(f"{where}: id must be lowercase letters, digits and dashes (1-40)")
        sessions_raw = p.get("sessions", [])
        if not isinstance(sessions_raw, list) or len(sessions_raw) > 5:
            raise InvalidInput(f"{where}: sessions must be a list of at most 5")
        sessions = []
        for s in sessions_raw:
            if not isinstance(s, dict):
                raise InvalidInput(f"{where}: each session requirement must be an object")
            try:
                kind = HoursKind(s.get("kind"))
            except ValueError as exc:
                kinds = [k.value for k in HoursKind]
                raise InvalidInput(f"{where}: session kind must be one of {kinds}") from exc
            count = s.get("count", 1)
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 31:
                raise InvalidInput(f"{where}: session count must be a whole number from 1 to 31")
            sessions.append(SessionRequirement(kind, count, _text(s, "label", where, limit=80)))
        out.append(
            RewardProgram(
                id=pid,
                title=_text(p, "title", where, limit=80),
                subtitle=_text(p, "subtitle", where, limit=80, required=False),
                hours_per_month=_number(
                    p.get("hours_per_month"), f"{where}: hours_per_month", low=0, high=MAX_GOAL_HOURS
                ),
                sessions=tuple(sessions),
            )
        )
    if len({p.id for p in out}) != len(out):
        raise InvalidInput("programs: each id must be used once")
    return tuple(out)


def config_from_json(raw: dict[str, Any] | None) -> RewardsConfig:
    if not raw:
        return RewardsConfig()
    goal = raw.get("monthly_goal_hours")
    return RewardsConfig(
        monthly_goal_hours=float(goal) if goal is not None else None,
        programs=parse_programs(json.dumps(raw.get("programs") or [])),
    )


@dataclass(frozen=True)
class SessionProgress:
    label: str
    kind: HoursKind
    done: int
    required: int

    @property
    def met(self) -> bool:
        return self.done >= self.required


@dataclass(frozen=True)
class RewardProgress:
    program: RewardProgram
    status: RewardStatus
    progress_hours: float  # approved this month
    goal_hours: float
    remaining_hours: float
    sessions: tuple[SessionProgress, ...]


def progress(
    program: RewardProgram,
    *,
    approved_hours: float,
    pending_hours: float,
    approved_sessions: dict[HoursKind, int],
) -> RewardProgress:
    sessions = tuple(
        SessionProgress(s.label, s.kind, approved_sessions.get(s.kind, 0), s.count) for s in program.sessions
    )
    sessions_met = all(s.met for s in sessions)
    if approved_hours >= program.hours_per_month and sessions_met:
        status = RewardStatus.ACTIVE
    elif approved_hours + pending_hours >= program.hours_per_month and sessions_met:
        status = RewardStatus.PENDING
    else:
        status = RewardStatus.IN_PROGRESS
    return RewardProgress(
        program=program,
        status=status,
        progress_hours=round(approved_hours, 2),
        goal_hours=program.hours_per_month,
        remaining_hours=round(max(0.0, program.hours_per_month - approved_hours), 2),
        sessions=sessions,
    )


def goal_percent(goal_hours: float | None, hours: float) -> int | None:
    """The dashboard's "Monthly Goal" ring, 0-100, over the month's approved hours."""
    if not goal_hours:
        return None
    return max(0, min(100, int(hours * 100 // goal_hours)))
