"""Self-reported hours in the lead's queue, and the staff rewards page, in headless Chromium at
a desktop and a phone width (axe-checked; nothing scrolls sideways on the phone)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from django.test import Client
from playwright.sync_api import expect

from tests.conftest import login
from tests.staff.test_browser import log_in
from tests.staff.test_browser_lead import serious_violations, sideways, sized  # noqa: F401 - a fixture
from voldash_site.container import get_container
from volunteers.domain import MAKERSPACE_TZ
from volunteers.rewards import ASMBLY_DEFAULTS

ALEX = "1001"


def test_a_lead_approves_a_reported_class_from_the_queue(sized, live_url, cast):  # noqa: F811 - the imported fixture
    alex = Client()
    login(alex, ALEX)
    yesterday = (datetime.now(MAKERSPACE_TZ) - timedelta(days=1)).date().isoformat()
    body = {
        "kind": "class",
        "date": yesterday,
        "hours": 3,
        "shop": "woodshop",
        "description": "Taught <b>Intro</b> to the Table Saw",
    }
    assert alex.post("/api/v1/me/hours", body, content_type="application/json").status_code == 201
    log_in(sized, live_url, "Jordan Lee", start="/staff/hours/")
    row = sized.locator("#rows tbody tr", has_text="Intro")
    expect(row).to_contain_text("self-reported")
    expect(row).to_contain_text("Taught <b>Intro</b> to the Table Saw")  # shown as text, escaped
    assert serious_violations(sized) == []
    if sized.width_name == "phone":
        assert sideways(sized) <= 0
    row.get_by_role("button", name=re.compile("Approve")).click()
    expect(sized.locator(".messages")).to_contain_text("Approved Alex Rivera's 3 h")
    summary = alex.get("/api/v1/me/hours/summary").json()
    assert summary["lifetime_hours_approved"] == 3.0 and summary["lifetime_hours_pending"] == 0.0


def test_staff_edit_the_rewards(sized, live_url, cast):  # noqa: F811 - the imported fixture
    c = get_container()
    c.volunteers.save_rewards(ASMBLY_DEFAULTS, by="seed", at=datetime.now(MAKERSPACE_TZ))
    log_in(sized, live_url, "Morgan Chen", start="/staff/rewards/")
    expect(sized.locator("#programs")).to_contain_text("Free Month (Ceramics Membership)")
    expect(sized.locator("#programs")).to_contain_text("Lead 1 CSI session")
    expect(sized.locator("#goal")).to_have_text("20 h")
    assert serious_violations(sized) == []
    if sized.width_name == "phone":
        assert sideways(sized) <= 0
    # A mistake is named, and nothing changes.
    sized.get_by_label("Reward programs (JSON)").fill('[{"id": "Bad Id"}]')
    sized.get_by_role("button", name="Save").click()
    expect(sized.locator(".messages")).to_contain_text("id must be")
    # what was typed stays in the form (issue 25), to be corrected rather than typed again
    expect(sized.get_by_label("Reward programs (JSON)")).to_have_value('[{"id": "Bad Id"}]')
    assert c.volunteers.rewards() == ASMBLY_DEFAULTS
    sized.goto(live_url + "/staff/rewards/")  # start again from what is stored
    # Change the goal and keep only the basic reward at 10 hours.
    basic = {
        **json.loads(sized.get_by_label("Reward programs (JSON)").input_value())[0],
        "hours_per_month": 10,
    }
    sized.get_by_label("Monthly goal (hours)").fill("25")
    sized.get_by_label("Reward programs (JSON)").fill(json.dumps([basic]))
    sized.get_by_role("button", name="Save").click()
    expect(sized.locator(".messages")).to_contain_text("Saved: 1 reward programs")
    expect(sized.locator("#goal")).to_have_text("25 h")
    saved = c.volunteers.rewards()
    assert saved.monthly_goal_hours == 25 and [(p.id, p.hours_per_month) for p in saved.programs] == [
        ("basic-steward", 10)
    ]


def test_a_lead_cannot_open_the_rewards_page(sized, live_url, cast):  # noqa: F811 - the imported fixture
    log_in(sized, live_url, "Jordan Lee", start="/staff/rewards/")
    expect(sized.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert get_container().volunteers.rewards().programs == ()
