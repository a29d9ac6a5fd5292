"""The staff pages in a real headless Chromium: what a shop lead actually does."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from tasks.domain import TaskStatus
from tests.builders import a_task
from tests.conftest import login
from tests.integrations.helpers import add_problem, post_webhook, process
from voldash_site.container import get_container

ALEX, JORDAN, MORGAN, RILEY = "1001", "1004", "1005", "1007"


def log_in(page: Page, live_url: str, name: str, start: str = "/staff/") -> None:
    page.goto(live_url + start)
    expect(page).to_have_url(re.compile(r"/staff/login"))
    page.get_by_role("link", name="log in as a demo volunteer").click()
    page.locator("form", has_text=name).get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(start) + "$"))


@pytest.fixture
def woodshop(cast):
    store = get_container().tasks
    open_task = a_task(shop="woodshop", title="Planer - Replace blades")
    done_task = a_task(shop="woodshop", title="Bandsaw - Tension", status=TaskStatus.DONE)
    laser_task = a_task(shop="lasers", title="Dorian - Mirror dirty")
    for t in (open_task, done_task, laser_task):
        store.upsert(t)
    return {"open": open_task, "done": done_task, "laser": laser_task}


def test_a_lead_filters_reassigns_and_sees_it_in_the_history(page, live_url, woodshop):
    log_in(page, live_url, "Jordan Lee")
    page.get_by_role("navigation", name="Staff sections").get_by_role("link", name="Tasks").click()
    page.locator('select[data-filter="status"]').select_option("OPEN")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Planer - Replace blades")
    rows.first.get_by_role("link", name="Planer - Replace blades").click()
    form = page.locator('form[data-action="reassign"]')
    form.get_by_label("New assignee").select_option(value=ALEX)
    form.get_by_role("textbox", name="Reason").fill("Alex knows planers")
    form.get_by_role("button", name="Reassign").click()
    expect(page.locator(".messages")).to_contain_text("now with Alex Rivera")
    expect(page.locator('[data-field="assignee"]')).to_contain_text("Alex Rivera")
    expect(page.locator("#history li").first).to_contain_text("Jordan Lee reassigned (Alex Rivera)")
    expect(page.locator("#history li").first).to_contain_text("Alex knows planers")
    assert get_container().tasks.get(woodshop["open"].id).assignee.neon_id == ALEX


def test_a_lead_of_another_shop_cannot_see_it(page, live_url, woodshop):
    log_in(page, live_url, "Riley Garcia")
    page.goto(live_url + "/staff/tasks/")
    expect(page.locator("tbody")).to_contain_text("Dorian - Mirror dirty")
    expect(page.locator("tbody")).not_to_contain_text("Planer - Replace blades")
    response = page.goto(live_url + f"/staff/tasks/{woodshop['open'].id}/")
    assert response.status == 404


def test_a_volunteer_is_refused(page, live_url, woodshop):
    page.goto(live_url + "/staff/")
    page.get_by_role("link", name="log in as a demo volunteer").click()
    page.locator("form", has_text="Alex Rivera").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_replaying_a_failed_event_makes_the_task_appear(page, live_url, cast, clickup):
    add_problem(clickup, "86brw0001", name="Router Table - Lift crank slips")
    clickup.fail_next("/api/v2/task/86brw0001", 500, times=1)
    post_webhook(clickup, "taskCreated", "86brw0001")
    assert process().failed == 1
    assert Client().get("/api/v1/tasks/86brw0001").status_code == 404
    log_in(page, live_url, "Morgan Chen")
    page.get_by_role("navigation", name="Staff sections").get_by_role("link", name="Sync").click()
    row = page.locator("#failed-events tbody tr", has_text="86brw0001")
    expect(row).to_contain_text("HTTP 500")
    row.get_by_role("button", name="Replay").click()
    expect(page.locator(".messages")).to_contain_text("Replayed taskCreated for task 86brw0001: created")
    expect(page.locator("#failed-events")).not_to_contain_text("86brw0001")
    page.goto(live_url + "/staff/tasks/?q=86brw0001")
    expect(page.locator("tbody")).to_contain_text("Router Table - Lift crank slips")
    assert Client().get("/api/v1/tasks/86brw0001").status_code == 200


def test_approving_hours_shows_in_the_volunteers_stats(page, live_url, woodshop):
    alex = Client()
    login(alex, ALEX)
    task_id = woodshop["open"].id
    assert alex.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    assert (
        alex.post(
            f"/api/v1/tasks/{task_id}/complete", {"hours": 2.5}, content_type="application/json"
        ).status_code
        == 200
    )
    assert alex.get("/api/v1/me/stats").json()["pending_hours"] == 2.5
    log_in(page, live_url, "Jordan Lee")
    expect(page.locator('[data-tile="pending-hours"]')).to_have_text("1")
    page.get_by_role("navigation", name="Staff sections").get_by_role("link", name="Volunteers").click()
    page.get_by_placeholder("Name starts with…").fill("alex")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="Alex Rivera").click()
    hours_row = page.locator("#hours tbody tr", has_text="Planer - Replace blades")
    expect(hours_row).to_contain_text("PENDING")
    hours_row.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("Approved Alex Rivera's 2.5 h")
    expect(page.locator("#hours tbody tr", has_text="Planer - Replace blades")).to_contain_text("APPROVED")
    stats = alex.get("/api/v1/me/stats").json()
    assert stats["pending_hours"] == 0 and stats["hours_lifetime"] == 2.5


def test_pages_fit_a_phone(browser, live_url, woodshop):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    try:
        log_in(phone, live_url, "Jordan Lee")
        for path in ("/staff/", "/staff/tasks/", f"/staff/tasks/{woodshop['open'].id}/", "/staff/sync/"):
            phone.goto(live_url + path)
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, overflow)
    finally:
        context.close()
