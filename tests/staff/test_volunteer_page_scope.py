"""Issue 23, finding 8: a volunteer's staff page shows a lead what README "Who sees what" allows.

The notes people wrote (a completion note, a self-reported entry's description) only for the
leads of that work's shop (and staff, and the person); another shop's task is named without a
link to a page that would be a 404 for this lead. Every task link the page shows opens."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from tests.builders import a_task, store_held_task
from tests.conftest import login
from voldash_site.container import get_container
from volunteers.domain import HoursEntry

ALEX, JORDAN, MORGAN, RILEY = "1001", "1004", "1005", "1007"  # volunteer, woodshop lead, staff, lasers lead
WOOD_NOTE, LASER_NOTE = "wood note: planed both boards", "laser note: mirror 2 realigned"


def as_(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


@pytest.fixture
def alex_worked_in_two_shops(cast):
    c = get_container()
    for task_id, shop, note in (("86pgwood", "woodshop", WOOD_NOTE), ("86pglaser", "lasers", LASER_NOTE)):
        c.tasks.upsert(a_task(id=task_id, shop=shop, title=f"Done in {shop}"))
        entry = HoursEntry(
            neon_id=ALEX,
            task_id=task_id,
            task_title=f"Done in {shop}",
            shop=shop,
            hours=1.5,
            points=15,
            completed_at=datetime(2026, 11, 3, 12, tzinfo=UTC),
            note=note,
        )
        c.uow.commit(c.volunteers.complete_writes(ALEX, "Alex Rivera", entry, recorded=False))
    store_held_task(
        "86pgheld", holder_id=ALEX, holder_name="Alex Rivera", shop="lasers", title="Held in lasers"
    )


def page(reader: Client) -> str:
    response = reader.get(f"/staff/volunteers/{ALEX}/")
    assert response.status_code == 200
    return response.content.decode()


def task_links(html: str) -> set[str]:
    return set(re.findall(r'href="(/staff/tasks/[^"]+/)"', html))


@pytest.mark.parametrize(
    ("reader", "sees", "linked"),
    [
        (JORDAN, {WOOD_NOTE}, {"86pgwood"}),
        (RILEY, {LASER_NOTE}, {"86pglaser", "86pgheld"}),
        (MORGAN, {WOOD_NOTE, LASER_NOTE}, {"86pgwood", "86pglaser", "86pgheld"}),
    ],
)
def test_a_lead_sees_their_shops_notes_and_links_only_pages_they_may_open(
    alex_worked_in_two_shops, reader, sees, linked
):
    client = as_(reader)
    html = page(client)
    assert {n for n in (WOOD_NOTE, LASER_NOTE) if n in html} == sees
    links = task_links(html)
    assert links == {f"/staff/tasks/{t}/" for t in linked}
    for href in links:  # every link the page offers opens
        assert client.get(href).status_code == 200, href
    # The other shops' work is still listed (hours are visible to every signed-in reader), by name.
    assert "Done in woodshop" in html and "Done in lasers" in html and "Held in lasers" in html
