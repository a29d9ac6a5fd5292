"""Mapping a Neon account to a profile (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from volunteers.domain import Role
from volunteers.neon_profile import (
    RoleMapping,
    active_membership_until,
    held_certifications,
    profile_from_neon,
)

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def membership(start: str, end: str, status: str = "SUCCEEDED") -> dict:
    return {"termStartDate": start, "termEndDate": end, "status": status, "membershipLevel": {"id": "1"}}


@pytest.mark.parametrize(
    ("memberships", "active_until"),
    [
        ([membership("2026-01-01", "2026-12-31")], date(2026, 12, 31)),
        ([membership("2026-01-01", "2026-11-26")], date(2026, 11, 26)),  # the last day still counts
        ([membership("2025-01-01", "2025-12-31")], None),  # expired
        ([membership("2026-12-01", "2027-11-30")], None),  # not started yet
        ([membership("2026-01-01", "2026-12-31", status="FAILED")], None),  # payment failed
        ([membership("2026-01-01", "2026-12-31", status="CANCELED")], None),
        ([membership("2026-01-01", "2026-06-30"), membership("2026-07-01", "2027-06-30")], date(2027, 6, 30)),
        ([{"status": "SUCCEEDED"}], None),  # no term dates
        ([], None),
    ],
)
def test_membership_is_active_when_a_succeeded_term_covers_today(memberships, active_until):
    assert active_membership_until(memberships, TODAY) == active_until


def test_certifications_come_from_known_custom_fields_with_a_value():
    fields = [
        {"id": "84", "name": "Woodshop Safety", "value": "01/15/2026"},
        {"id": "520", "name": "Metal Shop Safety", "value": ""},
        {"id": "86", "name": "Big Lasers", "value": "No"},
        {"id": "683", "name": "Filament 3D Printers", "optionValues": [{"id": "1", "name": "Yes"}]},
        {"id": "85", "name": "DiscourseID", "value": "ada"},  # not a certification
    ]
    assert held_certifications(fields) == frozenset({"84", "683"})


def test_roles_follow_the_configurable_individual_type_mapping():
    mapping = RoleMapping()
    assert mapping.roles_for(["Volunteer"]) == {Role.VOLUNTEER}
    assert mapping.roles_for(["paid staff"]) == {Role.VOLUNTEER, Role.STAFF}
    assert mapping.roles_for(["Space Lead", "Steward"]) == {Role.VOLUNTEER, Role.SHOP_LEAD}
    custom = RoleMapping.from_setting({"staff": ["Wiki Admin"]})
    assert custom.roles_for(["Wiki Admin"]) == {Role.VOLUNTEER, Role.STAFF}
    assert custom.roles_for(["Space Lead"]) == {Role.VOLUNTEER, Role.SHOP_LEAD}
    with pytest.raises(ValueError, match="unknown roles"):
        RoleMapping.from_setting({"admins": ["x"]})


def test_a_full_profile():
    account = {
        "accountId": "2042",
        "primaryContact": {"firstName": "Ada", "lastName": "Lovelace", "email1": "ada@example.org"},
        "individualTypes": [{"id": "3", "name": "Volunteer"}],
        "accountCustomFields": [{"id": "84", "name": "Woodshop Safety", "value": "2026-01-15"}],
    }
    profile = profile_from_neon(
        account,
        [membership("2026-01-01", "2026-12-31")],
        today=TODAY,
        now=NOW,
        roles=RoleMapping(),
        lead_of=("woodshop",),
    )
    assert profile.name == "Ada Lovelace" and profile.email == "ada@example.org"
    assert profile.membership_active and profile.membership_expires == date(2026, 12, 31)
    assert profile.roles == {Role.VOLUNTEER, Role.SHOP_LEAD}  # leading a shop makes a shop lead
    assert profile.lead_of == ("woodshop",) and profile.certifications == {"84"}


def test_an_account_without_names_still_gets_a_name():
    profile = profile_from_neon({"accountId": "7"}, [], today=TODAY, now=NOW, roles=RoleMapping())
    assert profile.name == "Member 7" and not profile.membership_active and profile.email is None
