"""`make run`'s demo data fills every screen (seed_demo --activity): extras, comments, claims,
completions, pending and approved hours, a badge, the leaderboard, announcements."""

from __future__ import annotations

from django.core.management import call_command
from django.test import Client

from tests.conftest import login


def test_every_screen_has_data_after_seeding(table):
    call_command("seed_demo", "--activity", "--tasks", "60")
    alex, jordan, anon = Client(), Client(), Client()
    login(alex, "1001")
    login(jordan, "1004")

    page = anon.get("/api/v1/tasks", {"limit": 100, "type": "problem"}).json()["items"]
    assert page and all(t["summary"] for t in page)  # the form's summary, not its raw lines
    details = [jordan.get(f"/api/v1/tasks/{t['id']}").json() for t in page if t["shop"] == "woodshop"]
    assert any(d["reporter"] and d["reporter"]["contact"] for d in details)
    assert any(d["attachments"] for d in details)
    pm = anon.get("/api/v1/tasks", {"type": "preventative", "sort": "due", "limit": 5}).json()["items"]
    assert pm and all(t["due_at"] for t in pm)
    assert anon.get(f"/api/v1/tasks/{pm[0]['id']}").json()["checklist"]

    held = alex.get("/api/v1/me/tasks").json()["items"]
    assert held
    comments = [
        a
        for a in anon.get(f"/api/v1/tasks/{held[0]['task_id']}").json()["activity"]
        if a["variant"] == "user"
    ]
    assert comments
    hours = alex.get("/api/v1/me/hours").json()["items"]
    assert {"APPROVED"} <= {h["status"] for h in hours} and len({h["id"] for h in hours}) == len(hours)
    assert alex.get("/api/v1/me").json()["badges"]
    assert alex.get("/api/v1/leaderboard").json()["items"]
    assert {a["action"] for a in alex.get("/api/v1/activity").json()["items"]} >= {"claimed", "completed"}
    assert len(anon.get("/api/v1/announcements").json()["items"]) >= 1
    sam = Client()
    login(sam, "1003")
    assert [h["status"] for h in sam.get("/api/v1/me/hours").json()["items"]] == ["PENDING"]
