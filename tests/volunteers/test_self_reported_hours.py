"""Self-reported hours (the "My Volunteer Time" screen): a member reports general volunteering,
a class, an on-duty shift or a CSI session; it waits for a lead of the shop (or staff); the log
finds it by search, month and status, a page at a time; the month's and lifetime counters move
in the transactions that report and review, and the summary reads them in one request."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import Client

from tests.builders import store_held_task
from tests.conftest import login
from voldash_site.container import get_container
from voldash_site.dynamodb.metrics import count_calls
from volunteers.domain import MAKERSPACE_TZ

ALEX, SAM, JORDAN, MORGAN, CASEY, RILEY = "1001", "1003", "1004", "1005", "1006", "1007"
# 20:00 in Austin on 30 November is already 1 December in UTC.
NOW = datetime(2026, 11, 30, 20, 0, tzinfo=MAKERSPACE_TZ).astimezone(UTC)


@pytest.fixture
def at_month_end(cast, monkeypatch):
    monkeypatch.setattr(get_container(), "clock", lambda: NOW)
    return NOW


def member(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


def report(client: Client, **fields):
    body = {
        "kind": "class",
        "date": "2026-11-20",
        "hours": 3,
        "shop": "woodshop",
        "description": "Taught Intro to the Table Saw",
        **fields,
    }
    return client.post("/api/v1/me/hours", body, content_type="application/json")


def review(lead: Client, neon_id: str, key: str, decision: str, reason: str = ""):
    return lead.post(
        f"/staff/volunteers/{neon_id}/review", {"key": key, "decision": decision, "reason": reason}
    )


def summary(client: Client, month: str = "2026-11") -> dict:
    response = client.get("/api/v1/me/hours/summary", {"month": month})
    assert response.status_code == 200, response.content
    return response.json()


def test_reported_hours_wait_for_a_lead_and_approval_moves_the_counters(at_month_end):
    alex = member(ALEX)
    response = report(alex)
    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry["kind"] == "class" and entry["status"] == "PENDING" and entry["task_title"] == "Class"
    assert entry["note"] == "Taught Intro to the Table Saw" and entry["month"] == "2026-11"
    assert entry["task_id"].startswith("SR-") and entry["points"] == 0
    s = summary(alex)
    assert (s["hours_pending"], s["hours_approved"], s["entries"]) == (3.0, 0.0, 1)
    assert (s["lifetime_hours_pending"], s["lifetime_hours_approved"], s["lifetime_entries"]) == (3.0, 0.0, 1)
    [logged] = alex.get("/api/v1/me/hours").json()["items"]
    assert logged["task_id"] == entry["task_id"] and logged["status"] == "PENDING"

    # The woodshop lead sees it in the queue and approves it.
    jordan = member(JORDAN)
    queue = jordan.get("/staff/hours/").content.decode()
    assert "Taught Intro to the Table Saw" in queue and "self-reported" in queue
    [pending] = get_container().volunteers.pending_hours(shops=["woodshop"]).items
    assert review(jordan, ALEX, pending.key, "approve").status_code == 302
    s = summary(alex)
    assert (s["hours_pending"], s["hours_approved"], s["entries"]) == (0.0, 3.0, 1)
    assert (s["lifetime_hours_pending"], s["lifetime_hours_approved"]) == (0.0, 3.0)
    [logged] = alex.get("/api/v1/me/hours").json()["items"]
    assert logged["status"] == "APPROVED" and logged["reviewed_by"] == "Jordan Lee"
    assert get_container().volunteers.pending_hours(shops=None).items == []


def test_a_rejection_takes_the_hours_out_of_the_totals(at_month_end):
    alex = member(ALEX)
    assert report(alex, hours=2.5, kind="on_duty").status_code == 201
    [pending] = get_container().volunteers.pending_hours(shops=["woodshop"]).items
    assert review(member(MORGAN), ALEX, pending.key, "reject", "No shift that day").status_code == 302
    s = summary(alex)
    assert (s["hours_pending"], s["hours_approved"]) == (0.0, 0.0)
    stats = alex.get("/api/v1/me/stats").json()
    assert stats["hours_lifetime"] == 0.0 and stats["pending_hours"] == 0.0
    assert alex.get("/api/v1/me/hours").json()["items"][0]["status"] == "REJECTED"


def test_only_a_lead_of_that_shop_or_staff_reviews_and_nobody_their_own(at_month_end):
    assert report(member(JORDAN), description="Cleanup day").status_code == 201  # the lead's own
    assert report(member(ALEX), shop="woodshop").status_code == 201
    c = get_container()
    mine = next(e for e in c.volunteers.pending_hours(shops=None).items if e.neon_id == JORDAN)
    alexs = next(e for e in c.volunteers.pending_hours(shops=None).items if e.neon_id == ALEX)
    review(member(RILEY), ALEX, alexs.key, "approve")  # a lasers lead: not theirs to review
    review(member(JORDAN), JORDAN, mine.key, "approve")  # their own
    assert {e.neon_id for e in c.volunteers.pending_hours(shops=None).items} == {ALEX, JORDAN}
    assert member(SAM).get("/staff/hours/").status_code == 403  # a member: no staff pages


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"date": "2026-12-01"}, "date"),  # tomorrow in Austin (already today in UTC)
        ({"date": "2026-09-01"}, "date"),  # more than 62 days ago
        ({"hours": 0}, "hours"),
        ({"hours": 0.001}, "hours"),  # rounds to 0.00 h
        ({"hours": 12.5}, "hours"),
        ({"shop": "kitchen"}, "shop"),
        ({"kind": "task"}, "kind"),  # task hours come from completing a task
        ({"kind": "nap"}, "kind"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 1001}, "description"),
        ({"date": "not-a-date"}, "date"),
    ],
)
def test_bad_reports_are_refused_and_change_nothing(at_month_end, fields, field):
    """Whether the schema or a rule refuses it: one code, one shape, the field named."""
    alex = member(ALEX)
    response = report(alex, **fields)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert [f["field"] for f in body["detail"]["fields"]] == [field]
    if field == "date" and fields["date"] != "not-a-date":
        assert "Austin date" in body["message"]
    assert summary(alex)["entries"] == 0 and alex.get("/api/v1/me/hours").json()["items"] == []


def test_a_lapsed_member_cannot_report_hours(at_month_end):
    casey = member(CASEY)
    response = report(casey)
    assert response.status_code == 403 and response.json()["code"] == "membership_inactive"
    assert summary(casey)["lifetime_entries"] == 0


def test_reporting_needs_a_session(at_month_end):
    # (CSRF on every unsafe method: tests/reliability/test_authorization_matrix.py)
    assert report(Client()).status_code == 401
    assert summary(member(ALEX))["entries"] == 0


def test_the_log_searches_filters_by_month_and_status_one_request_a_page(at_month_end):
    c = get_container()
    alex = member(ALEX)
    # A task completed this evening: 30 November in Austin, 1 December in UTC.
    store_held_task("86logjnt", holder_id=ALEX, holder_name="Alex Rivera", title="Jointer - Knives")
    done = alex.post("/api/v1/tasks/86logjnt/complete", {"hours": 1.5}, content_type="application/json")
    assert done.status_code == 200
    for day, kind, text in [
        ("2026-11-02", "general", "Open house greeter"),
        ("2026-11-10", "on_duty", "Saturday shop monitor"),
        ("2026-10-28", "class", "Assisted the lathe class"),
        ("2026-11-12", "csi_session", "Led the CSI for new ceramicists"),
    ]:
        assert report(alex, date=day, kind=kind, description=text, shop="ceramics").status_code == 201

    def titles(**params) -> list[str]:
        with count_calls() as calls:
            body = alex.get("/api/v1/me/hours", params).json()
        assert calls.total <= 2  # the page, and the profile that proves the session
        return [i["note"] or i["task_title"] for i in body["items"]]

    assert titles(month="2026-11") == [
        "Jointer - Knives",  # completed at 20:00 on the 30th in Austin: November
        "Led the CSI for new ceramicists",
        "Saturday shop monitor",
        "Open house greeter",
    ]
    assert titles(month="2026-10") == ["Assisted the lathe class"]
    assert titles(month="2026-12") == []
    assert titles(q="SHOP MONITOR") == ["Saturday shop monitor"]
    assert titles(q="jointer") == ["Jointer - Knives"]
    assert titles(q="csi session") == ["Led the CSI for new ceramicists"]  # the kind's label
    assert titles(q="lathe", month="2026-11") == []
    [pending] = [e for e in c.volunteers.pending_hours(shops=None).items if e.note == "Open house greeter"]
    assert review(member(MORGAN), ALEX, pending.key, "approve").status_code == 302
    assert titles(status="APPROVED") == ["Open house greeter"]
    # Pages: one request each, every entry once, newest first.
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        with count_calls() as calls:
            body = alex.get("/api/v1/me/hours", params).json()
        assert calls.by_operation.get("Query", 0) == 1
        seen += [i["task_id"] for i in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5 and pages == 3
    # A cursor belongs to its query: reusing it with another search is refused.
    first = alex.get("/api/v1/me/hours", {"limit": 2}).json()["next_cursor"]
    refused = alex.get("/api/v1/me/hours", {"limit": 2, "q": "x", "cursor": first})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_cursor"
    s = summary(alex)
    assert s["entries"] == 4 and s["hours_approved"] == 3.0 and s["tasks_completed"] == 1
    assert s["hours_pending"] == 1.5 + 3 + 3  # the task, the shift and the CSI session
    assert s["lifetime_entries"] == 5


def test_the_summary_is_one_request_from_counters(at_month_end):
    alex = member(ALEX)
    assert report(alex).status_code == 201
    with count_calls() as calls:
        assert alex.get("/api/v1/me/hours/summary").status_code == 200
    # The session's profile check, then the profile, the month and the rewards in one batch.
    assert calls.by_operation == {"GetItem": 1, "BatchGetItem": 1}, calls.by_operation
    assert summary(alex, month="2025-01")["entries"] == 0
    bad = alex.get("/api/v1/me/hours/summary", {"month": "2026-13"})
    assert bad.status_code == 422


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1999-12"])
def test_a_month_out_of_the_calendar_is_a_422_naming_month(at_month_end, month):
    alex = member(ALEX)
    for path in ("/api/v1/me/hours", "/api/v1/me/hours/summary"):
        response = alex.get(path, {"month": month})
        assert response.status_code == 422 and response.json()["code"] == "validation_error", path
        assert response.json()["detail"]["fields"][0]["field"] == "month"


def test_reported_hours_count_in_the_month_of_the_day_worked(cast, monkeypatch):
    moment = datetime(2026, 12, 2, 9, tzinfo=UTC)
    monkeypatch.setattr(get_container(), "clock", lambda: moment)
    alex = member(ALEX)
    assert report(alex, date=str(date(2026, 11, 30)), hours=2).status_code == 201
    assert summary(alex, "2026-11")["hours_pending"] == 2.0
    assert summary(alex, "2026-12")["hours_pending"] == 0.0
    assert [i["month"] for i in alex.get("/api/v1/me/hours", {"month": "2026-11"}).json()["items"]] == [
        "2026-11"
    ]
