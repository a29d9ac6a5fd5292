"""Turn a Neon account into a voldash profile. Pure Python.

- name: preferred name (or first name) and last name;
- email: ``primaryContact.email1``;
- membership: active when a membership with status SUCCEEDED has a term covering today;
- roles: from Neon's Individual Types through ``RoleMapping`` (configurable; see README);
- certifications: the account custom fields in ``CERTIFICATION_FIELDS`` that hold a value;
- shops led: from the shops' ``leads`` lists (configured on the staff pages), not from Neon.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .domain import Role, Volunteer

# Neon account custom fields that certify a member on a tool or area (reference/asmbly.md §5).
CERTIFICATION_FIELDS: dict[str, str] = {
    "84": "Woodshop Safety",
    "520": "Metal Shop Safety",
    "274": "Shaper Origin",
    "440": "Woodshop Specialty Tools",
    "86": "Big Lasers",
    "680": "Small Lasers",
    "435": "Laguna CNC",
    "682": "Tormach CNC",
    "678": "MIG Welding",
    "679": "TIG Welding",
    "676": "Metal Lathe",
    "677": "Wood Lathe",
    "681": "Manual Mill",
    "683": "Filament 3D Printers",
    "684": "Resin 3D Printers",
    "675": "Stationary Sanders",
    "686": "Vinyl Cutter",
    "685": "Sublimation Printer",
    "1007": "Laser Rotary",
    "1248": "Ceramics Safety Instruction (CSI)",
}

_FALSY = {"", "no", "false", "0", "n", "none", "null"}


@dataclass(frozen=True)
class RoleMapping:
    """Which Neon Individual Types make someone staff or a shop lead. Every account is a
    volunteer; claiming additionally needs an active membership."""

    staff: frozenset[str] = frozenset({"Paid Staff", "Leader"})
    shop_lead: frozenset[str] = frozenset({"Space Lead", "Super Steward"})

    @classmethod
    def from_setting(cls, value: Mapping[str, Iterable[str]] | None) -> RoleMapping:
        if not value:
            return cls()
        unknown = set(value) - {"staff", "shop_lead"}
        if unknown:
            raise ValueError(f"NEON_ROLE_TYPES has unknown roles {sorted(unknown)}; use staff and shop_lead")
        return cls(
            staff=frozenset(value.get("staff", cls.staff)),
            shop_lead=frozenset(value.get("shop_lead", cls.shop_lead)),
        )

    def roles_for(self, individual_types: Iterable[str]) -> frozenset[Role]:
        names = {t.strip().lower() for t in individual_types}
        roles = {Role.VOLUNTEER}
        if names & {t.lower() for t in self.staff}:
            roles.add(Role.STAFF)
        if names & {t.lower() for t in self.shop_lead}:
            roles.add(Role.SHOP_LEAD)
        return frozenset(roles)


def _parse_date(value: Any) -> date | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def active_membership_until(memberships: Iterable[Mapping[str, Any]], today: date) -> date | None:
    """The latest end date of a SUCCEEDED membership whose term covers ``today``, else None."""
    ends = []
    for m in memberships:
        if str(m.get("status", "")).upper() != "SUCCEEDED":
            continue
        start, end = _parse_date(m.get("termStartDate")), _parse_date(m.get("termEndDate"))
        if start and end and start <= today <= end:
            ends.append(end)
    return max(ends) if ends else None


def latest_membership_end(memberships: Iterable[Mapping[str, Any]]) -> date | None:
    ends = [
        _parse_date(m.get("termEndDate"))
        for m in memberships
        if str(m.get("status", "")).upper() == "SUCCEEDED"
    ]
    valid = [e for e in ends if e]
    return max(valid) if valid else None


def held_certifications(custom_fields: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    held = set()
    for field in custom_fields:
        field_id = str(field.get("id", ""))
        if field_id not in CERTIFICATION_FIELDS:
            continue
        options = field.get("optionValues")
        if options:
            held.add(field_id)
            continue
        value = field.get("value")
        if value is not None and str(value).strip().lower() not in _FALSY:
            held.add(field_id)
    return frozenset(held)


def profile_from_neon(
    account: Mapping[str, Any],
    memberships: Iterable[Mapping[str, Any]],
    *,
    today: date,
    now: datetime,
    roles: RoleMapping,
    lead_of: tuple[str, ...] = (),
    clickup_user_id: int | None = None,
) -> Volunteer:
    memberships = list(memberships)
    contact = account.get("primaryContact") or {}
    first = (contact.get("preferredName") or contact.get("firstName") or "").strip()
    last = (contact.get("lastName") or "").strip()
    name = " ".join(p for p in (first, last) if p) or f"Member {account.get('accountId', '')}".strip()
    types = [t.get("name", "") for t in account.get("individualTypes") or [] if isinstance(t, Mapping)]
    active_until = active_membership_until(memberships, today)
    role_set = roles.roles_for(types)
    if lead_of:
        role_set = role_set | {Role.SHOP_LEAD}
    return Volunteer(
        neon_id=str(account.get("accountId")),
        name=name,
        email=(contact.get("email1") or None),
        membership_active=active_until is not None,
        membership_expires=active_until or latest_membership_end(memberships),
        roles=role_set,
        lead_of=lead_of,
        certifications=held_certifications(account.get("accountCustomFields") or []),
        clickup_user_id=clickup_user_id,
        updated_at=now,
    )
