"""Shop: an area of the makerspace with its channel, certifications and leads. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class CertificationRule(StrEnum):
    ANY = "any"  # holding one of the listed certifications is enough
    ALL = "all"  # every listed certification is needed


@dataclass(frozen=True)
class Certification:
    neon_field_id: str  # Neon account custom field id (reference/asmbly.md section 5)
    name: str


@dataclass(frozen=True)
class Shop:
    slug: str
    name: str
    slack_channel: str  # channel name without '#', or a channel id (C...)
    required_certifications: tuple[Certification, ...] = ()
    certification_rule: CertificationRule = CertificationRule.ANY
    leads: tuple[str, ...] = ()  # Neon account ids
    clickup_workspace_options: tuple[str, ...] = ()  # ClickUp "Workspace" option names
    color: str | None = None
    # Tasks per status, kept current by the task repository in the same transaction as
    # every task write, so the shop list needs no counting query.
    task_counts: dict[str, int] = field(default_factory=dict)

    @property
    def open_tasks(self) -> int:
        return max(0, self.task_counts.get("OPEN", 0))

    def missing_certifications(self, held: frozenset[str]) -> tuple[Certification, ...]:
        """The certifications a volunteer holding ``held`` (Neon field ids) still lacks."""
        required = self.required_certifications
        if not required:
            return ()
        missing = tuple(c for c in required if c.neon_field_id not in held)
        if self.certification_rule is CertificationRule.ANY:
            return () if len(missing) < len(required) else missing
        return missing


MAX_ANNOUNCEMENT_DAYS = 90


class AnnouncementKind(StrEnum):
    INFO = "info"
    WARNING = "warning"
    SUCCESS = "success"


@dataclass(frozen=True)
class Announcement:
    id: str
    title: str
    message: str
    kind: AnnouncementKind
    created_at: datetime
    expires_at: datetime
    created_by: str  # display name of the staff member or lead
    shop: str | None = None  # None: the whole makerspace

    def active(self, now: datetime) -> bool:
        return self.created_at <= now < self.expires_at
