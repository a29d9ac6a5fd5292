"""manage.py seed_demo: realistic, deterministic, idempotent."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from django.core.management import call_command

from tasks.domain import TaskStatus
from voldash_site.container import get_container
from voldash_site.demo.data import build_demo_data
from volunteers.domain import Role

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def all_tasks() -> list:
    repo = get_container().tasks
    out = []
    for status in TaskStatus:
        cursor = None
        while True:
            page = repo.list_by_status(status, limit=100, cursor=cursor)
            out += page.items
            cursor = page.next_cursor
            if not cursor:
                break
    return out


def test_the_same_seed_gives_the_same_data_and_another_seed_differs():
    a = build_demo_data(tasks=40, seed=5, now=NOW)
    b = build_demo_data(tasks=40, seed=5, now=NOW)
    c = build_demo_data(tasks=40, seed=6, now=NOW)
    assert a == b
    assert [t.id for t in a.tasks] != [t.id for t in c.tasks]


def test_demo_tasks_are_spread_and_believable():
    data = build_demo_data(tasks=300, seed=1, now=NOW)
    assert len({t.id for t in data.tasks}) == 300
    assert {t.shop for t in data.tasks} == {
        "woodshop",
        "metal-shop",
        "electronics",
        "lasers",
        "3d-printing",
        "textiles",
        "ceramics",
        "general",
    }
    statuses = Counter(t.status for t in data.tasks)
    assert set(statuses) == set(TaskStatus) and statuses[TaskStatus.OPEN] > statuses[TaskStatus.DONE]
    assert {t.urgency.value for t in data.tasks} == {"critical", "high", "medium", "low"}
    for t in data.tasks:
        assert t.created_at <= t.updated_at <= NOW
        assert t.clickup_url == f"https://app.clickup.com/t/{t.id}"
        if t.status is TaskStatus.OPEN:
            assert t.assignee is None
        else:
            assert t.assignee is not None
    reports = [t for t in data.tasks if t.task_type.value == "problem"]
    assert all(
        t.title == f"{t.asset} - {t.description.split('Summary:  ')[1].splitlines()[0]}" for t in reports
    )


def test_assignees_hold_the_shops_certifications():
    data = build_demo_data(tasks=200, seed=2, now=NOW)
    people = {v.neon_id: v for v in data.volunteers}
    from shops.catalog import ASMBLY_SHOPS

    shops = {s.slug: s for s in ASMBLY_SHOPS}
    for t in data.tasks:
        if t.assignee:
            v = people[t.assignee.neon_id]
            assert v.membership_active
            assert shops[t.shop].missing_certifications(v.certifications) == ()


def test_the_cast_covers_the_roles_we_need():
    cast = build_demo_data(tasks=0, seed=1, now=NOW).volunteers
    assert any(v.membership_active and v.certifications for v in cast)
    assert any(v.membership_active and not v.certifications for v in cast)
    assert any(Role.SHOP_LEAD in v.roles and "woodshop" in v.lead_of for v in cast)
    assert any(Role.STAFF in v.roles for v in cast)
    assert any(not v.membership_active for v in cast)


def test_seeding_twice_duplicates_nothing(table, capsys):
    call_command("seed_demo", tasks=60, seed=4, anchor=NOW)
    first = sorted((t.id, t.status, t.title) for t in all_tasks())
    shops_before = {s.slug: s.task_counts for s in get_container().shops.list_all()}
    call_command("seed_demo", tasks=60, seed=4, anchor=NOW)
    assert sorted((t.id, t.status, t.title) for t in all_tasks()) == first
    assert len(first) == 60
    shops_after = {s.slug: s.task_counts for s in get_container().shops.list_all()}
    assert shops_after == shops_before
    assert sum(c.get("OPEN", 0) for c in shops_after.values()) == sum(
        1 for t in first if t[1] is TaskStatus.OPEN
    )
    assert "Seeded 8 shops, 8 volunteers and 60 tasks" in capsys.readouterr().out
    assert get_container().volunteers.get("1004").lead_of == ("woodshop",)
    assert get_container().shops.get("woodshop").leads == ("1004",)


def _claim_first_open_woodshop_task_as_alex() -> str:
    from django.test import Client

    from tests.conftest import login

    task = next(t for t in all_tasks() if t.status is TaskStatus.OPEN and t.shop == "woodshop")
    client = Client()
    login(client, "1001")
    response = client.post(f"/api/v1/tasks/{task.id}/claim", content_type="application/json")
    assert response.status_code == 200, response.content
    return task.id


def test_make_run_seeds_a_fresh_table_once_and_a_restart_keeps_local_state(table, capsys):
    call_command("seed_demo", tasks=30, seed=4, anchor=NOW, once=True)
    assert "Seeded 8 shops, 8 volunteers and 30 tasks" in capsys.readouterr().out
    claimed = _claim_first_open_woodshop_task_as_alex()
    before = sorted((t.id, t.status, t.assignee) for t in all_tasks())
    claims_before = get_container().volunteers.get("1001").open_claims
    counts_before = {s.slug: s.task_counts for s in get_container().shops.list_all()}

    call_command("seed_demo", tasks=30, seed=4, anchor=NOW, once=True)  # the next `make run`

    assert "keeping the table as it is" in capsys.readouterr().out
    assert sorted((t.id, t.status, t.assignee) for t in all_tasks()) == before
    assert get_container().tasks.get(claimed).status is TaskStatus.IN_PROGRESS
    assert get_container().volunteers.get("1001").open_claims == claims_before
    assert {s.slug: s.task_counts for s in get_container().shops.list_all()} == counts_before


def test_make_seed_adds_what_is_missing_and_never_undoes_a_claim(table, capsys):
    call_command("seed_demo", tasks=20, seed=4, anchor=NOW, once=True)
    claimed = _claim_first_open_woodshop_task_as_alex()
    capsys.readouterr()

    call_command("seed_demo", tasks=25, seed=4, anchor=NOW, missing_only=True)

    assert "5 new tasks; 20 existing tasks left as they are" in capsys.readouterr().out
    assert len(all_tasks()) == 25
    task = get_container().tasks.get(claimed)
    assert task.status is TaskStatus.IN_PROGRESS and task.assignee.neon_id == "1001"
