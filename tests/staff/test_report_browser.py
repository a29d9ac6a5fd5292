"""The public report page in Chromium at phone width: usable without JavaScript, no sideways
scrolling, and no axe-core accessibility violations (WCAG 2.x A and AA)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from voldash_site.container import get_container

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make setup` installs the npm devDependencies (axe-core)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]]


@pytest.fixture
def phone(browser):
    """A 390 px phone with JavaScript off: the form must work without it."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def checker(browser):
    # bypass_csp: axe-core is injected as an inline script, which the pages' CSP refuses.
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_a_report_from_a_phone_without_javascript(cast, live_url, phone):
    phone.goto(f"{live_url}/report/?shop=woodshop&asset=Table+Saw+2")
    expect(phone.get_by_label("Where is it?")).to_have_value("Woodshop")
    expect(phone.get_by_label("Which machine or tool?")).to_have_value("Table Saw 2")
    phone.get_by_label("In a few words, what is the problem?").fill("Blade wobbles")
    phone.get_by_role("button", name="Send the report").click()
    expect(phone.get_by_role("status")).to_contain_text("on its way")
    assert "/report/r" in phone.url
    feed = get_container().tasks.list_by_shop("woodshop").items
    assert [t.title for t in feed] == ["Table Saw 2 - Blade wobbles"]


def test_the_report_pages_fit_a_phone_and_pass_axe(cast, live_url, checker):
    checker.goto(f"{live_url}/report/?shop=lasers")
    overflow = checker.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    assert axe_violations(checker) == []
    checker.get_by_role("button", name="Send the report").click()  # nothing filled in: errors shown
    expect(checker.get_by_role("alert")).to_be_visible()
    assert axe_violations(checker) == []
    checker.get_by_label("Equipment").check()
    checker.get_by_label("In a few words, what is the problem?").fill("Exhaust fan is loud")
    checker.get_by_role("button", name="Send the report").click()
    expect(checker.get_by_role("status")).to_be_visible()
    assert checker.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    assert axe_violations(checker) == []
