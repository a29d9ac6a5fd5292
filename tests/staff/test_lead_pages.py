"""Staff pages a shop lead runs a shop from (issue 17), through Django's test client.
Browser checks (phone widths, axe-core, JavaScript comforts) are in test_browser_lead.py."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client

from tasks.domain import Assignee, TaskStatus, Urgency
from tests.builders import a_task, store_held_task
from tests.conftest import login
from tests.integrations.helpers import add_problem, post_webhook, process
from voldash_site.container import get_container

ALEX, SAM, JORDAN, MORGAN, RILEY = "1001", "1003", "1004", "1005", "1007"
ROOT = Path(__file__).resolve().parents[2]


def as_(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


@pytest.fixture
def tasks(cast):
    store = get_container().tasks
    wood = a_task(shop="woodshop", title="Planer - Replace blades")
    laser = a_task(shop="lasers", title="Dorian - Mirror dirty")
    done = a_task(shop="lasers", title="Fume extractor - Filter", status=TaskStatus.DONE)
    for t in (wood, laser, done):
        store.upsert(t)
    held = store_held_task("86heldjnt", holder_id=ALEX, holder_name="Alex Rivera", title="Jointer - Knives")
    return {"wood": wood, "laser": laser, "done": done, "held": held}


def completed_hours(task_id: str, hours: float = 2) -> str:
    """Alex completes the task he holds; returns the queue row id of the pending hours."""
    response = as_(ALEX).post(
        f"/api/v1/tasks/{task_id}/complete", {"hours": hours}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    entry = get_container().volunteers.hours(ALEX).items[0]
    return f"{entry.neon_id}~{entry.key}"


# -- defects ---------------------------------------------------------------------------------


def test_bulk_reassign_keeps_its_reason_apart_from_release(tasks):
    """Defect 1: the bulk bar had two fields named ``reason``; the empty one won."""
    page = as_(JORDAN).get("/staff/tasks/").content.decode()
    names = re.findall(r'<(?:textarea|input)[^>]*name="([^"]+)"', page)
    assert len([n for n in names if n.endswith("reason")]) == len(
        set(n for n in names if n.endswith("reason"))
    )
    assert "reassign-reason" in names and "release-reason" in names
    done = (
        as_(JORDAN)
        .post(
            "/staff/tasks/bulk",
            {
                "action": "reassign",
                "ids": [tasks["wood"].id],
                "reassign-assignee": SAM,
                "reassign-override": "on",
                "reassign-reason": "Sam is training with me",
                "release-reason": "",
            },
            follow=True,
        )
        .content.decode()
    )
    assert "done for 1" in done, done
    entry = get_container().tasks.get_detail(tasks["wood"].id).history[0]
    assert entry.note == "override (missing_certifications): Sam is training with me"


def test_times_are_austin_time_everywhere_and_labelled(tasks):
    """Defect 2: lists showed UTC, details Austin time, without a label."""
    at = datetime(2026, 11, 30, 2, 50, tzinfo=UTC)  # 20:50 the day before in Austin
    get_container().tasks.upsert(
        a_task(id="86tz00001", shop="woodshop").with_changes(created_at=at, updated_at=at)
    )
    jordan = as_(JORDAN)
    listing = jordan.get("/staff/tasks/").content.decode()
    detail = jordan.get("/staff/tasks/86tz00001/").content.decode()
    for page in (listing, detail):
        assert "2026-11-29 20:50 CST" in page
        assert "02:50" not in re.sub(r'datetime="[^"]*"', "", page)
        assert "Austin time (America/Chicago)" in page


def test_all_statuses_means_all(tasks):
    """Defect 3: "All" showed only OPEN tasks to staff."""
    page = as_(MORGAN).get("/staff/tasks/", {"status": ""}).content.decode()
    for t in ("wood", "laser", "done", "held"):
        assert f'data-id="{tasks[t].id}"' in page, t
    riley = as_(RILEY).get("/staff/tasks/").content.decode()  # lasers and 3D printing
    assert f'data-id="{tasks["done"].id}"' in riley and f'data-id="{tasks["laser"].id}"' in riley


def test_a_lead_of_several_shops_sees_all_of_them(tasks):
    get_container().tasks.upsert(a_task(shop="3d-printing", title="Prusa - Nozzle clogged"))
    page = as_(RILEY).get("/staff/tasks/").content.decode()
    assert "Prusa - Nozzle clogged" in page and "Dorian - Mirror dirty" in page


def test_paging_through_all_statuses_sees_each_task_once(cast):
    store = get_container().tasks
    made = [
        a_task(shop=shop, status=status)
        for shop in ("woodshop", "lasers")
        for status in TaskStatus
        for _ in range(14)
    ]
    for t in made:
        store.upsert(t)
    morgan, seen, params = as_(MORGAN), [], {}
    for _ in range(10):
        page = morgan.get("/staff/tasks/", params).content.decode()
        seen += re.findall(r'<tr data-id="([^"]+)"', page)
        cursor = re.search(r'rel="next" href="\?([^"]+)"', page)
        if not cursor:
            break
        params = dict(re.findall(r"([^&=]+)=([^&]*)", cursor.group(1).replace("&amp;", "&")))
        params = {k: v.replace("%3A", ":").replace("%3D", "=") for k, v in params.items()}
    assert sorted(seen) == sorted(t.id for t in made)


def test_not_found_and_forbidden_are_staff_pages(tasks):
    """Defect 4: a lead following a link to another shop's task got raw JSON."""
    jordan = as_(JORDAN)
    other = jordan.get(f"/staff/tasks/{tasks['laser'].id}/")
    assert other.status_code == 404 and other["Content-Type"].startswith("text/html")
    text = other.content.decode()
    assert "<h1>Not found</h1>" in text and 'aria-label="Staff sections"' in text
    nowhere = jordan.get("/staff/no-such-page/")
    assert nowhere.status_code == 404 and "<h1>Not found</h1>" in nowhere.content.decode()
    csrf = Client(enforce_csrf_checks=True)
    token = csrf.get("/auth/dev-login").cookies["csrftoken"].value
    csrf.post("/auth/dev-login", {"neon_id": JORDAN, "csrfmiddlewaretoken": token})
    refused = csrf.post(f"/staff/tasks/{tasks['wood'].id}/resync", HTTP_ACCEPT="text/html,*/*")
    assert refused.status_code == 403 and "<h1>This form had expired</h1>" in refused.content.decode()


def test_webhooks_that_fail_still_count_as_arriving(cast, clickup):
    """Defect 5: "since the last ClickUp webhook: never" while webhooks arrived and failed."""
    add_problem(clickup, "86brw0002", name="Lathe - Belt worn")
    clickup.fail_next("/api/v2/task/86brw0002", 503, times=10)
    assert post_webhook(clickup, "taskCreated", "86brw0002").status_code == 200
    assert process().failed == 1
    page = as_(MORGAN).get("/staff/").content.decode()
    assert "Webhooks arriving" in page and "never" not in page.split('id="sync-health"')[1][:300]
    assert "1 failing: ClickUp failing (HTTP 503) since" in page


def test_a_refused_reassign_keeps_what_was_filled_in(tasks):
    """Defect 6: a refused reassign came back as an empty form."""
    response = as_(JORDAN).post(
        f"/staff/tasks/{tasks['wood'].id}/reassign", {"assignee": SAM, "reason": "Sam asked for it"}
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert re.search(rf'<option value="{SAM}" selected>', page)
    assert "Sam asked for it</textarea>" in page
    assert "Woodshop Safety" in page


def test_messages_name_things_not_internal_keys(tasks):
    """Defect 7: "Reject: 1001~2026-11-30T02:50:52.437493Z#864gr279a: ..."."""
    row = completed_hours(tasks["held"].id)
    page = (
        as_(JORDAN)
        .post("/staff/hours/bulk", {"action": "reject", "ids": [row], "reject-reason": ""}, follow=True)
        .content.decode()
    )
    messages = page.split('class="messages"')[1].split("</ul>")[0]
    assert "Jointer - Knives" in messages and "~" not in messages and "#" not in messages


def test_the_staff_site_and_its_pages_import_no_circle():
    """Defect 10: the staff-site module and its dashboard imported each other."""
    package = ROOT / "voldash_site" / "staff"
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        module = f"voldash_site.staff.{path.stem}"
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                target = node.module or ""
                if node.level:
                    target = "voldash_site.staff" + (f".{target}" if target else "")
                deps.add(target)
                deps |= {f"{target}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
                deps |= {a.value for a in node.args if isinstance(a, ast.Constant)}
        graph[module] = {d for d in deps if d.startswith("voldash_site.staff.")}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    circles = [m for m in graph if reaches(m, m, set())]
    assert circles == []


# -- what a lead needs first -------------------------------------------------------------------


def test_the_dashboard_puts_what_needs_the_lead_first(tasks):
    store = get_container().tasks
    now = datetime.now(UTC)
    store.upsert(a_task(shop="woodshop", title="Table saw - Brake fired", urgency=Urgency.CRITICAL))
    store.upsert(a_task(shop="woodshop", title="Drum sander - Belt", urgency=Urgency.HIGH))
    store.upsert(a_task(shop="woodshop", title="Sweep - Dust", urgency=Urgency.LOW))
    store.upsert(
        a_task(
            shop="woodshop",
            title="Lathe - Chuck stuck",
            status=TaskStatus.IN_PROGRESS,
            assignee=Assignee(SAM, "Sam Okafor"),
        ).with_changes(updated_at=now - timedelta(days=12))
    )
    completed_hours(tasks["held"].id, hours=1.5)
    page = as_(JORDAN).get("/staff/").content.decode()
    order = [
        page.index(s)
        for s in (
            'id="today"',
            'id="needs-someone"',
            'id="maintenance-due"',
            'id="hours-review"',
            'id="quiet-claims"',
            'id="held-long"',
            'id="sync-failures"',
        )
    ]
    assert order == sorted(order)  # issue 25: unheld critical, overdue PM, hours, quiet claims
    urgent = page.split('id="needs-someone"')[1].split("</section>")[0]
    assert urgent.index("Table saw - Brake fired") < urgent.index("Drum sander - Belt")
    assert "Sweep - Dust" not in urgent and "Dorian" not in urgent
    held = page.split('id="held-long"')[1].split("</section>")[0]
    assert "Lathe - Chuck stuck" in held and "Sam Okafor" in held and "held for 12 days" in held
    hours = page.split('id="hours-review"')[1].split("</section>")[0]
    assert "Alex Rivera: 1.5 h" in hours and "Jointer - Knives" in hours


def test_task_list_sorts_by_urgency_then_age_and_shows_age_and_held_for(tasks):
    store = get_container().tasks
    low_old = a_task(shop="woodshop", title="Old low", urgency=Urgency.LOW, minutes_after_base=-500)
    crit_new = a_task(shop="woodshop", title="New critical", urgency=Urgency.CRITICAL, minutes_after_base=900)
    high_old = a_task(shop="woodshop", title="Old high", urgency=Urgency.HIGH, minutes_after_base=-400)
    high_new = a_task(shop="woodshop", title="New high", urgency=Urgency.HIGH, minutes_after_base=800)
    for t in (low_old, crit_new, high_old, high_new):
        store.upsert(t)
    page = as_(JORDAN).get("/staff/tasks/", {"status": "OPEN"}).content.decode()
    ids = re.findall(r'<tr data-id="([^"]+)"', page)
    assert ids.index(crit_new.id) < ids.index(high_old.id) < ids.index(high_new.id) < ids.index(low_old.id)
    assert ">Age<" in page and ">Held for<" in page
    newest = as_(JORDAN).get("/staff/tasks/", {"status": "OPEN", "sort": "newest"}).content.decode()
    ids = re.findall(r'<tr data-id="([^"]+)"', newest)
    assert ids.index(crit_new.id) < ids.index(high_new.id) < ids.index(high_old.id)


def test_hours_queue_reads_like_people(tasks):
    row = completed_hours(tasks["held"].id, hours=2.5)
    page = as_(JORDAN).get("/staff/hours/").content.decode()
    assert "Alex Rivera" in page and "#1001" not in page
    assert "Estimate" in page
    assert page.count(">Approve</button>") == 1 and page.count(">Reject</button>") == 1
    key = row.partition("~")[2]
    refused = (
        as_(JORDAN)
        .post(
            f"/staff/volunteers/{ALEX}/review",
            {"key": key, "decision": "reject", "next": "/staff/hours/"},
            follow=True,
        )
        .content.decode()
    )
    assert "needs a reason" in refused
    done = as_(JORDAN).post(
        f"/staff/volunteers/{ALEX}/review",
        {"key": key, "decision": "reject", "reason": "Logged twice", "next": "/staff/hours/"},
    )
    assert done.status_code == 302 and done["Location"] == "/staff/hours/"
    assert get_container().volunteers.hours(ALEX).items[0].status.value == "REJECTED"


def test_hours_estimate_is_shown_beside_the_hours(cast):
    store_held_task(
        "86est0001", holder_id=ALEX, holder_name="Alex Rivera", title="Miter saw", estimate_minutes=90
    )
    completed_hours("86est0001", hours=3)
    page = as_(JORDAN).get("/staff/hours/").content.decode()
    assert "1 h 30" in page and "3 h" in page


def test_release_needs_confirmation_and_a_reason(tasks):
    url = f"/staff/tasks/{tasks['held'].id}/release"
    jordan = as_(JORDAN)
    page = jordan.get(f"/staff/tasks/{tasks['held'].id}/").content.decode()
    assert "Yes, take it away from Alex Rivera" in page
    for data in ({"reason": "Away"}, {"confirm": "on"}):
        refused = jordan.post(url, data)
        assert refused.status_code == 400
        assert get_container().tasks.get(tasks["held"].id).assignee is not None
    assert jordan.post(url, {"reason": "Away", "confirm": "on"}).status_code == 302
    assert get_container().tasks.get(tasks["held"].id).assignee is None


def test_reassign_picker_says_who_is_eligible(tasks):
    page = as_(JORDAN).get(f"/staff/tasks/{tasks['wood'].id}/").content.decode()
    assert "Alex Rivera — eligible · claims 1 of 3" in page
    assert "Sam Okafor — not eligible: missing Woodshop Safety · claims 0 of 3" in page
    assert re.search(r"Casey Brooks — not eligible: lapsed membership", page)
    assert 'data-filterable="people"' in page


# -- phone layouts, shop edit, exports ----------------------------------------------------------


def test_a_lead_of_one_shop_has_no_shop_column(tasks):
    jordan = as_(JORDAN).get("/staff/tasks/").content.decode()
    assert 'data-label="Shop"' not in jordan and 'data-filter="shop"' not in jordan
    riley = as_(RILEY).get("/staff/tasks/").content.decode()
    assert 'data-label="Shop"' in riley


def test_shop_edit_shows_leads_by_name_and_certifications_as_checkboxes(tasks):
    page = as_(MORGAN).get("/staff/shops/woodshop/").content.decode()
    assert re.search(r'<input type="checkbox" name="leads" value="1004"[^>]*checked', page)
    assert "Jordan Lee" in page
    assert re.search(r'<input type="checkbox" name="required_certifications" value="84"[^>]*checked', page)
    assert '<select name="required_certifications"' not in page
    listing = as_(MORGAN).get("/staff/shops/").content.decode()
    assert "Jordan Lee" in listing


def test_tasks_csv_of_a_shop(tasks):
    get_container().tasks.upsert(a_task(shop="woodshop", title='=HYPERLINK("http://x")'))
    response = as_(JORDAN).get("/staff/exports/tasks.csv", {"shop": "woodshop"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert "Planer - Replace blades" in text and "Jointer - Knives" in text and "Dorian" not in text
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert as_(JORDAN).get("/staff/exports/tasks.csv", {"shop": "lasers"}).status_code == 404


def test_approved_hours_csv_for_a_period(tasks):
    import csv
    import io

    store_held_task("86csv0001", holder_id=ALEX, holder_name="Alex Rivera", title="-1+1 @sum\ttab")
    completed_hours("86csv0001", hours=1.5)
    completed_hours(tasks["held"].id, hours=2)
    jordan = as_(JORDAN)
    for entry in get_container().volunteers.hours(ALEX).items:
        if entry.task_id == "86csv0001":
            jordan.post(f"/staff/volunteers/{ALEX}/review", {"key": entry.key, "decision": "approve"})
    month = get_container().volunteers.hours(ALEX).items[0].month
    response = jordan.get("/staff/exports/hours.csv", {"first": month, "last": month})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[0][:3] == ["month", "volunteer", "neon id"]
    assert [(r[1], r[5], r[6]) for r in rows[1:]] == [("Alex Rivera", "'-1+1 @sum\ttab", "1.5")]
    bad = jordan.get("/staff/exports/hours.csv", {"first": "2026-13", "last": month})
    assert bad.status_code == 400
    assert (
        as_(RILEY)
        .get("/staff/exports/hours.csv", {"first": month, "last": month, "shop": "woodshop"})
        .status_code
        == 400
    )


@pytest.mark.parametrize(
    "title",
    ['\n=HYPERLINK("http://x")', " =1+1", "\u3000@SUM(A1)", "\uff1d1+1", "\ufe661+1", "\uff0b1", "\t=1"],
)
def test_the_tasks_csv_uses_the_one_formula_filter(tasks, title):
    """Issue 23 finding 12: a title from ClickUp that a spreadsheet would run, in every disguise
    the API's CSV already refuses (line feed, leading whitespace, full-width forms)."""
    import csv
    import io

    get_container().tasks.upsert(a_task(id="86formula", shop="woodshop", title=title))
    response = as_(JORDAN).get("/staff/exports/tasks.csv", {"shop": "woodshop"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    cells = [cell for row in rows for cell in row if title.strip() in cell]
    assert cells == ["'" + title]


def test_csv_cells_that_look_like_formulas_are_neutralised():
    from voldash_site.staff.exports import safe_cell

    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("Planer") == "Planer" and safe_cell(2.5) == 2.5 and safe_cell(None) == ""


STAFF_READS = [
    "/staff/",
    "/staff/tasks/",
    "/staff/tasks/?status=OPEN",
    "/staff/sync/",
    "/staff/hours/",
    "/staff/volunteers/",
    "/staff/shops/",
    "/staff/exports/",
]


def test_staff_pages_cost_a_bounded_number_of_requests_and_never_scan(table):
    """The same pages cost the same number of DynamoDB requests with 12 tasks or 400."""
    from django.core.management import call_command

    from voldash_site.dynamodb.metrics import count_calls

    costs = {}
    for tasks in (12, 400):
        call_command("seed_demo", tasks=tasks, seed=7, stdout=None)
        for who in (JORDAN, MORGAN):
            client = as_(who)
            for path in STAFF_READS:
                with count_calls() as calls:
                    assert client.get(path).status_code == 200, path
                assert "Scan" not in calls.by_operation, path
                costs.setdefault((who, path), []).append(sum(calls.by_operation.values()))
    print({f"{who} {path}": n for (who, path), n in costs.items()})
    grew = {k: v for k, v in costs.items() if v[1] > v[0]}
    assert grew == {}
    assert max(n for v in costs.values() for n in v) <= 20
