"""The Content-Security-Policy breaks nothing: the staff pages and Swagger UI render in
Chromium with no violation reported."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.builders import a_task
from voldash_site.container import get_container


def _violations(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    return seen


def test_swagger_ui_renders_under_its_csp(page, live_url):
    seen = _violations(page)
    page.goto(live_url + "/api/v1/docs")
    expect(page.locator(".swagger-ui .info")).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    assert seen == []


def test_the_staff_pages_render_under_their_csp(page, live_url, cast):
    get_container().tasks.upsert(a_task(shop="woodshop", title="Planer - Replace blades"))
    seen = _violations(page)
    page.goto(live_url + "/staff/")
    expect(page).to_have_url(re.compile(r"/staff/login"))
    page.get_by_role("link", name="log in as a demo volunteer").click()
    page.locator("form", has_text="Morgan Chen").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    for path in ("/staff/", "/staff/tasks/", "/staff/sync/"):
        page.goto(live_url + path)
        expect(page.locator("body")).to_be_visible()
    # The staff stylesheet loaded (a CSP blocking it would leave no sheet from /static/staff/).
    assert page.evaluate(
        "Array.from(document.styleSheets).some(s => s.href && s.href.includes('/static/staff/'))"
    )
    assert seen == []
