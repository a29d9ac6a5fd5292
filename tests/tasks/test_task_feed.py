"""The task list as the screens use it (reference/asmbly.md 1.5): filters in any combination,
sorts, search, facet counts and totals, against DynamoDB Local through the HTTP API.

The expected answers come from an oracle: the stored tasks read back and filtered/sorted in
Python (counting here, in the test, is the point: the API must never do it)."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pytest
from django.test import Client

from shops.catalog import SHOP_SLUGS
from tasks.domain import Task, TaskStatus, TaskType, Urgency
from tasks.feed import (
    URGENCY_RANK,
    FeedQuery,
    FeedSort,
    FeedType,
    TimeBucket,
    count,
    feed_type,
    plan,
    time_bucket,
)
from tests.builders import BASE_TIME, a_task
from voldash_site.container import get_container
from voldash_site.dynamodb.metrics import count_calls

SHOPS = ("woodshop", "metal-shop", "lasers")


def stored_tasks() -> list[Task]:
    return get_container().tasks.all_in_shops(list(SHOP_SLUGS))


def matches(t: Task, q: FeedQuery, statuses: tuple[TaskStatus, ...] | None = None) -> bool:
    return (
        t.status in (statuses or q.statuses)
        and (q.shop is None or t.shop == q.shop)
        and (q.type is None or feed_type(t.task_type, t.problem_type) is q.type)
        and (q.urgency is None or t.urgency is q.urgency)
        and (q.time is None or time_bucket(t.estimate_minutes) is q.time)
        and (
            not q.search
            or q.search.lower() in " ".join(p for p in (t.id, t.title, t.asset or "") if p).lower()
        )
        and (q.sort is not FeedSort.DUE or t.due_at is not None)
    )


def oracle(q: FeedQuery, tasks: list[Task]) -> list[str]:
    found = [t for t in tasks if matches(t, q)]
    if q.sort is FeedSort.DUE:
        found.sort(key=lambda t: (t.due_at, t.id))
    elif q.sort is FeedSort.URGENCY:
        found.sort(key=lambda t: (URGENCY_RANK[t.urgency], t.created_at, t.id), reverse=True)
    else:
        found.sort(key=lambda t: (t.created_at, t.id), reverse=q.sort is not FeedSort.OLDEST)
    return [t.id for t in found]


def oracle_counts(q: FeedQuery, tasks: list[Task]) -> dict:
    def without(name: str) -> FeedQuery:
        from dataclasses import replace

        return replace(q, **{name: None}, search=None)

    facets: dict[str, dict[str, int]] = {
        "shop": dict.fromkeys(SHOP_SLUGS, 0),
        "type": dict.fromkeys((t.value for t in FeedType), 0),
        "urgency": dict.fromkeys((u.value for u in Urgency), 0),
        "time": dict.fromkeys((b.value for b in TimeBucket), 0),
    }
    for name in facets:
        scope = without(name)
        for t in tasks:
            if matches(t, scope, q.statuses):
                value = {
                    "shop": t.shop,
                    "type": feed_type(t.task_type, t.problem_type).value,
                    "urgency": t.urgency.value,
                    "time": time_bucket(t.estimate_minutes).value,
                }[name]
                facets[name][value] += 1
    from dataclasses import replace

    total = None if q.search else sum(matches(t, replace(q, search=None)) for t in tasks)
    return {"total": total, "facets": facets}


def params_of(q: FeedQuery) -> dict[str, str]:
    out = {
        "shop": q.shop,
        "status": q.status.value if q.status else None,
        "type": q.type.value if q.type else None,
        "urgency": q.urgency.value if q.urgency else None,
        "time": q.time.value if q.time else None,
        "q": q.search,
        "sort": q.sort.value,
    }
    return {k: v for k, v in out.items() if v is not None}


def read_all(q: FeedQuery, *, limit: int = 7) -> tuple[list[str], int]:
    """Every page of ``q``; the ids in order and how many DynamoDB requests each page took."""
    ids: list[str] = []
    cursor = None
    worst = 0
    client = Client()
    for _ in range(200):
        params = {**params_of(q), "limit": limit, **({"cursor": cursor} if cursor else {})}
        with count_calls() as calls:
            response = client.get("/api/v1/tasks", params)
        assert response.status_code == 200, response.content
        worst = max(worst, calls.total)
        body = response.json()
        ids += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return ids, worst
    raise AssertionError("the pages never ended")


@pytest.fixture
def seeded(cast) -> list[Task]:
    rng = random.Random(14)
    tasks = get_container().tasks
    out = []
    for n in range(90):
        kind = rng.choice(["pm", "equipment", "facilities", "supplies"])
        task = a_task(
            id=f"f{n:04d}",
            shop=rng.choice(SHOPS),
            status=rng.choice([TaskStatus.OPEN] * 3 + list(TaskStatus)),
            urgency=rng.choice(list(Urgency)),
            minutes_after_base=rng.randrange(5000),
            title=f"{rng.choice(['Table Saw', 'Lathe', 'Laser', 'Door'])} {n} - {kind}",
            problem_type=None if kind == "pm" else kind.capitalize(),
            estimate_minutes=rng.choice([None, 0, 15, 30, 45, 60, 90, 180, 240]),
            asset=rng.choice([None, "Jointer 2", "Bandsaw"]),
            due_at=BASE_TIME + timedelta(days=rng.randrange(-10, 40)) if kind == "pm" or n % 9 == 0 else None,
        )
        if kind == "pm":
            task = task.with_changes(task_type=TaskType.PREVENTATIVE)
        tasks.upsert(task)
        out.append(task)
    return out


QUERIES = [
    FeedQuery(),
    FeedQuery(sort=FeedSort.OLDEST),
    FeedQuery(sort=FeedSort.URGENCY),
    FeedQuery(sort=FeedSort.DUE),
    FeedQuery(type=FeedType.PREVENTATIVE),
    FeedQuery(type=FeedType.FACILITIES, sort=FeedSort.OLDEST),
    FeedQuery(urgency=Urgency.HIGH),
    FeedQuery(urgency=Urgency.LOW, sort=FeedSort.OLDEST),
    FeedQuery(time=TimeBucket.FROM_30_TO_60),
    FeedQuery(time=TimeBucket.MORE_180, sort=FeedSort.URGENCY),
    FeedQuery(shop="woodshop"),
    FeedQuery(shop="woodshop", urgency=Urgency.CRITICAL),
    FeedQuery(shop="lasers", sort=FeedSort.URGENCY),
    FeedQuery(shop="metal-shop", status=TaskStatus.DONE, sort=FeedSort.OLDEST),
    FeedQuery(shop="woodshop", type=FeedType.PROBLEM, time=TimeBucket.LESS_30),
    FeedQuery(status=TaskStatus.IN_PROGRESS, urgency=Urgency.MEDIUM, type=FeedType.PROBLEM),
    FeedQuery(type=FeedType.PREVENTATIVE, sort=FeedSort.DUE, shop="lasers"),
    FeedQuery(search="table saw"),
    FeedQuery(search="JOINTER", shop="woodshop", sort=FeedSort.URGENCY),
    FeedQuery(search="f0012"),
    FeedQuery(shop="lasers", type=FeedType.FACILITIES, urgency=Urgency.HIGH, time=TimeBucket.MORE_180),
]


def test_every_combination_pages_through_exactly_the_matching_tasks_in_order(seeded):
    for q in QUERIES:
        ids, worst = read_all(q)
        assert ids == oracle(q, seeded), params_of(q)
        assert worst == 1, params_of(q)  # each page is one DynamoDB request, whatever the filters


ALL_COMBINATIONS = [
    FeedQuery(shop=shop, status=status, type=type_, urgency=urgency, time=time, search=search, sort=sort)
    for shop, status, type_, urgency, time, search, sort in itertools.product(
        (None, "woodshop"),
        (None, TaskStatus.DONE),
        (None, FeedType.PROBLEM),
        (None, Urgency.HIGH),
        (None, TimeBucket.FROM_30_TO_60),
        (None, "saw"),
        tuple(FeedSort),
    )
]


def test_one_scope_for_every_filter_and_sort(seeded):
    """The scope rule: without `status` the list is the OPEN tasks, whatever the other filters
    and the sort (`shop=` included); `status=X` lists X. Facets count the same scope: their
    cells add up to the total, over every filter and sort combination (256)."""
    client = Client()
    by_id = {t.id: t for t in seeded}
    for q in ALL_COMBINATIONS:
        scope = q.status or TaskStatus.OPEN
        body = client.get("/api/v1/tasks", {**params_of(q), "limit": 100, "counts": "true"}).json()
        assert {by_id[t["id"]].status for t in body["items"]} <= {scope}, params_of(q)
        assert all(t["status"] == scope.value for t in body["items"]), params_of(q)
        if not body["next_cursor"]:
            assert [t["id"] for t in body["items"]] == oracle(q, seeded), params_of(q)
        expected = oracle_counts(q, seeded)
        assert body["facets"] == expected["facets"], params_of(q)
        if not q.search:
            assert body["total"] == expected["total"] == len(oracle(q, seeded)), params_of(q)
            for facet in ("shop", "type", "urgency", "time"):
                if getattr(q, facet) is None:
                    assert sum(body["facets"][facet].values()) == body["total"], (facet, params_of(q))


def test_totals_and_facets_match_the_stored_tasks(seeded):
    for q in QUERIES:
        with count_calls() as calls:
            body = Client().get("/api/v1/tasks", {**params_of(q), "counts": "true"}).json()
        assert calls.total == 2, params_of(q)  # the page and one Query of the counter items
        expected = oracle_counts(q, seeded)
        assert {"total": body["total"], "facets": body["facets"]} == expected, params_of(q)


def test_the_plain_feed_stays_one_request_and_answers_without_counts(seeded):
    with count_calls() as calls:
        body = Client().get("/api/v1/tasks").json()
    assert calls.total == 1
    assert body["total"] is None and body["facets"] is None
    assert [t["id"] for t in body["items"]] == oracle(FeedQuery(), seeded)[:20]


def test_showing_1_to_20_of_the_total(seeded):
    body = Client().get("/api/v1/tasks", {"counts": "true", "type": "problem"}).json()
    expected = oracle(FeedQuery(type=FeedType.PROBLEM), seeded)
    assert body["total"] == len(expected) > 20
    assert [t["id"] for t in body["items"]] == expected[:20]


def test_keyed_combinations_fill_their_pages(seeded):
    """Where an index key serves the query there is no filter expression: every page but the
    last holds exactly `limit` tasks."""
    for q in (
        FeedQuery(urgency=Urgency.HIGH),
        FeedQuery(type=FeedType.PROBLEM),
        FeedQuery(shop="woodshop", sort=FeedSort.URGENCY),
        FeedQuery(sort=FeedSort.DUE),
    ):
        assert plan(q).keyed
        client = Client()
        body = client.get("/api/v1/tasks", {**params_of(q), "limit": 3}).json()
        assert len(body["items"]) == 3 and body["next_cursor"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"type": "repair"}, "type"),
        ({"time": "forever"}, "time"),
        ({"sort": "random"}, "sort"),
        ({"urgency": "urgent"}, "urgency"),
        ({"status": "gone"}, "status"),
        ({"shop": "nowhere"}, "shop"),
        ({"q": "x" * 101}, "q"),
        ({"counts": "maybe"}, "counts"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_a_bad_filter_is_a_422_naming_the_parameter(seeded, params, parameter):
    response = Client().get("/api/v1/tasks", params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert parameter in body["message"]
    assert [f["field"] for f in body["detail"]["fields"]] == [parameter]


def test_a_cursor_only_serves_the_query_that_made_it(seeded):
    client = Client()
    first = client.get("/api/v1/tasks", {"type": "problem", "limit": 2}).json()
    other = client.get("/api/v1/tasks", {"type": "facilities", "limit": 2, "cursor": first["next_cursor"]})
    assert other.status_code == 400 and other.json()["code"] == "invalid_cursor"
    assert "cursor" in other.json()["message"]
    forged = client.get("/api/v1/tasks", {"type": "problem", "cursor": "abc.def"})
    assert forged.status_code == 400 and forged.json()["code"] == "invalid_cursor"
    same = client.get("/api/v1/tasks", {"type": "problem", "limit": 2, "cursor": first["next_cursor"]})
    assert same.status_code == 200


def test_types_and_time_buckets():
    assert feed_type(TaskType.PREVENTATIVE, "Facilities") is FeedType.PREVENTATIVE
    assert feed_type(TaskType.PROBLEM, " facilities ") is FeedType.FACILITIES
    assert feed_type(TaskType.PROBLEM, "Equipment") is FeedType.PROBLEM
    assert feed_type(TaskType.PROBLEM, None) is FeedType.PROBLEM
    assert [time_bucket(m) for m in (None, 0, 1, 29, 30, 60, 61, 180, 181)] == [
        TimeBucket.NONE,
        TimeBucket.NONE,
        TimeBucket.LESS_30,
        TimeBucket.LESS_30,
        TimeBucket.FROM_30_TO_60,
        TimeBucket.FROM_30_TO_60,
        TimeBucket.FROM_60_TO_180,
        TimeBucket.FROM_60_TO_180,
        TimeBucket.MORE_180,
    ]


def test_counting_ignores_what_is_not_a_cell():
    cells = [("woodshop", "fOrh2n", 3), ("woodshop", "count_OPEN", 9), ("lasers", "fOrh2n", 0)]
    counted = count(FeedQuery(), cells, SHOP_SLUGS)
    assert counted.total == 3 and counted.shop["woodshop"] == 3 and counted.shop["lasers"] == 0


def test_plans_use_keys_where_they_can():
    assert plan(FeedQuery()).index == "GSI2" and plan(FeedQuery()).keyed
    assert plan(FeedQuery(shop="woodshop", urgency=Urgency.LOW)).index == "GSI7"  # open, like the rest
    assert plan(FeedQuery(shop="woodshop", status=TaskStatus.OPEN, urgency=Urgency.LOW)).index == "GSI7"
    assert plan(FeedQuery(type=FeedType.PROBLEM)).index == "GSI5"
    assert plan(FeedQuery(sort=FeedSort.DUE)).index == "GSI6"
    assert plan(FeedQuery(search="saw")).filters == {"search"}
    assert plan(FeedQuery(type=FeedType.PROBLEM, urgency=Urgency.LOW)).filters == {"type"}
    for combo in itertools.product((None, "woodshop"), (None, FeedType.PROBLEM), (None, Urgency.LOW)):
        assert plan(FeedQuery(shop=combo[0], type=combo[1], urgency=combo[2])).index.startswith("GSI")
