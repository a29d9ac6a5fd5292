"""Contract tests of the volunteer repository against DynamoDB Local."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from voldash_site.errors import InvalidCursor
from volunteers.domain import Role, Volunteer
from volunteers.repository import DynamoVolunteerRepository


@pytest.fixture
def volunteers(table) -> DynamoVolunteerRepository:
    return DynamoVolunteerRepository(cursor_secret="s")


def a_volunteer(neon_id: str, name: str, **kw) -> Volunteer:
    return Volunteer(neon_id=neon_id, name=name, **kw)


def test_a_profile_round_trips(volunteers):
    lead = a_volunteer(
        "1004",
        "Jordan Lee",
        email="jordan@example.org",
        membership_active=True,
        membership_expires=date(2027, 6, 1),
        roles=frozenset({Role.VOLUNTEER, Role.SHOP_LEAD}),
        lead_of=("woodshop",),
        certifications=frozenset({"84", "440"}),
        clickup_user_id=183,
        updated_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    volunteers.save(lead)
    assert volunteers.get("1004") == lead
    assert volunteers.get("1004").leads_shop("woodshop")
    assert not volunteers.get("1004").leads_shop("lasers")


def test_an_unknown_volunteer_is_none(volunteers):
    assert volunteers.get("999999") is None


def test_volunteers_list_by_name_with_prefix_and_cursor(volunteers):
    for i, name in enumerate(["Alex Rivera", "Sam Okafor", "alexis Park", "Dana Whitfield", "Alan Turing"]):
        volunteers.save(a_volunteer(str(2000 + i), name))
    page = volunteers.list_by_name(prefix="al", limit=2)
    assert [v.name for v in page.items] == ["Alan Turing", "Alex Rivera"]
    rest = volunteers.list_by_name(prefix="al", limit=2, cursor=page.next_cursor)
    assert [v.name for v in rest.items] == ["alexis Park"] and rest.next_cursor is None
    with pytest.raises(InvalidCursor):
        volunteers.list_by_name(prefix="sam", limit=2, cursor=page.next_cursor)


def test_staff_lead_every_shop():
    staff = a_volunteer("1005", "Morgan Chen", roles=frozenset({Role.STAFF}))
    assert staff.leads_shop("ceramics") and staff.is_staff
