"""Issue 25: a lead runs the shop from a phone without a wrong tap.

One helper (``walk``) opens every page a lead (or staff) uses at 320 and 390 px (a phone) and
1366 px (a desktop) and checks three things on each: nothing scrolls sideways
(``scrollWidth <= innerWidth``), every control (a, button, input, select, textarea, summary;
for a checkbox or radio its label) is at least 44 x 44 CSS px on the phone widths, and every
date-time says it is Austin time (CST/CDT; a date alone carries the zone in its title).
Closed <details> are opened before measuring, so the controls behind them count too.

Then what a lead does on a phone: triage problem reports (cards, a confirmation that names the
report, a restore that reopens it through the outbox, messages that tell done from queued),
the dashboard's first screen, the sync view of their shops, the bulk picker.

One Chromium for the session (conftest), one browser context per width and test; the walks
reuse one page. A few screenshots at 390 px go to test-artifacts/ (``phone-*.png``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from tasks.domain import Assignee, TaskStatus, TaskType
from tasks.reports.domain import ReportState
from tests.builders import a_task
from tests.conftest import login
from tests.integrations.helpers import add_problem, deliver, post_webhook, process
from tests.staff.conftest import ARTIFACTS
from tests.staff.test_browser import log_in
from tests.staff.test_browser_lead import ALEX, JORDAN, MORGAN, SAM, serious_violations, shop  # noqa: F401
from voldash_site.container import get_container

PHONES = ((320, 700), (390, 844))
DESKTOP = (1366, 768)
MIN_TAP = 44
PROBLEMS = "901310067725"

MEASURE = """() => {
  const bad = {overflow: [], small: [], zones: []};
  const overflow = () => document.documentElement.scrollWidth - window.innerWidth;
  if (overflow() > 0) bad.overflow.push(overflow());
  // date-times: a <time> with a clock time ends in CST/CDT; a date alone names the zone in its title
  for (const t of document.querySelectorAll('time')) {
    const s = t.textContent.trim();
    if (/^\\d{4}-\\d{2}-\\d{2}$/.test(s)) { if (!/America\\/Chicago/.test(t.title || '')) bad.zones.push(s); }
    else if (!/\\b(CST|CDT)$/.test(s)) bad.zones.push(s);
  }
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('pre, textarea, script').forEach(n => n.remove());
  const bare = /\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}(?![:\\d])(?! ?C[SD]T)/g;
  for (const m of copy.textContent.matchAll(bare)) bad.zones.push(m[0]);
  // every control, with the closed <details> opened (what hides behind them is tapped too)
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  if (overflow() > 0) bad.overflow.push(overflow());
  const sizes = [];
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const el of document.querySelectorAll(controls)) {
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      target = el.closest('label') || (el.id && document.querySelector('label[for="' + el.id + '"]')) || el;
    }
    const r = target.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not rendered at this width
    if (getComputedStyle(el).visibility === 'hidden') continue;
    const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '')
      .trim().slice(0, 40);
    sizes.push({what: el.tagName.toLowerCase() + ' ' + JSON.stringify(name), w: r.width, h: r.height});
  }
  return {bad, sizes};
}"""


@dataclass
class Walk:
    pages: int = 0
    controls: int = 0
    min_phone: float = 1e9
    smallest: str = ""
    worst_overflow: int = 0
    problems: list[str] = field(default_factory=list)


def walk(
    page: Page, live_url: str, paths: list[str], *, widths: tuple[tuple[int, int], ...], walk: Walk
) -> Walk:
    """Open each path at each width and check overflow, tap sizes (phones) and time zones."""
    for width, height in widths:
        page.set_viewport_size({"width": width, "height": height})
        phone = width < 600
        for path in paths:
            response = page.goto(live_url + path)
            assert response is not None and response.status < 500, f"{path}: {response and response.status}"
            found = page.evaluate(MEASURE)
            walk.pages += 1
            for extra in found["bad"]["overflow"]:
                walk.worst_overflow = max(walk.worst_overflow, extra)
                walk.problems.append(f"{width}px {path}: scrolls {extra} px sideways")
            for text in found["bad"]["zones"]:
                walk.problems.append(f"{width}px {path}: time without Austin zone: {text!r}")
            if not phone:
                continue
            for s in found["sizes"]:
                walk.controls += 1
                if min(s["w"], s["h"]) < walk.min_phone:
                    walk.min_phone = min(s["w"], s["h"])
                    walk.smallest = f"{width}px {path}: {s['what']} {s['w']:.0f}x{s['h']:.0f}"
                if s["w"] < MIN_TAP - 0.5 or s["h"] < MIN_TAP - 0.5:
                    walk.problems.append(f"{width}px {path}: {s['what']} is {s['w']:.0f}x{s['h']:.0f}")
    return walk


def new_page(browser, width: int, height: int, *, mobile: bool) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=mobile, bypass_csp=True
    )
    context.set_default_timeout(30_000)  # generous: CI machines are shared
    return context.new_page()


def shot(page: Page, name: str, *, full: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=full)


def submit_report(summary: str, area: str = "Woodshop") -> str:
    body = {
        "problem_type": "Equipment",
        "area": area,
        "asset": "Table Saw 2",
        "summary": summary,
        "details": "Found at closing",
        "contact": "Pat 512-555-0100",
    }
    response = Client().post("/api/v1/problem-reports", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def self_report(client: Client, hours: float, text: str, shop_slug: str = "woodshop") -> None:
    body = {"kind": "class", "date": "2026-11-20", "hours": hours, "shop": shop_slug, "description": text}
    assert client.post("/api/v1/me/hours", body, content_type="application/json").status_code == 201


@pytest.fixture
def day(shop, clickup):  # noqa: F811 - the imported fixture
    """The woodshop of test_browser_lead, plus what issue 25 walked into: problem reports (one
    in ClickUp, one whose create failed), overdue PM, quiet claims, the lead's own hours, a
    failing webhook about a task voldash does not hold (staff-only)."""
    store = get_container().tasks
    now = datetime.now(UTC)
    extra = {
        "pm": a_task(shop="woodshop", title="Dust collector - Empty and inspect").with_changes(
            task_type=TaskType.PREVENTATIVE, due_at=now - timedelta(days=3), frequency="Monthly"
        ),
        "quiet": a_task(
            shop="woodshop",
            title="Planer - Feed rollers",
            status=TaskStatus.IN_PROGRESS,
            assignee=Assignee(ALEX, "Alex Rivera"),
        ).with_changes(updated_at=now - timedelta(days=6)),
    }
    for t in extra.values():
        store.upsert(t)
    shop.update(extra)
    in_clickup = submit_report("Blade guard cracked")
    assert deliver().sent >= 1  # its ClickUp task is created (and the Slack posts)
    clickup.fail_next(f"/api/v2/list/{PROBLEMS}/task", 400, times=5)
    failed = submit_report("Fence will not lock")
    deliver()
    create = get_container().outbox.get(f"{failed}-create")
    assert create is not None and create.status.value == "FAILED", create
    jordan = Client()
    login(jordan, JORDAN)
    self_report(jordan, 2, "Taught the woodshop basics class")
    add_problem(clickup, "86unknown1", name="Jointer - New report, not in voldash yet")
    clickup.fail_next("/api/v2/task/86unknown1", 503, times=10)
    post_webhook(clickup, "taskCreated", "86unknown1")
    process()
    shop.update({"report": in_clickup, "report_failed": failed})
    return shop


def lead_paths(tasks: dict) -> list[str]:
    return [
        "/staff/",
        "/staff/tasks/",
        f"/staff/tasks/{tasks['critical'].id}/",
        f"/staff/tasks/{tasks['held'].id}/",
        f"/staff/tasks/{tasks['pm'].id}/",
        "/staff/reports/",
        "/staff/report-codes/",
        "/staff/sync/",
        "/staff/hours/",
        "/staff/volunteers/",
        f"/staff/volunteers/{ALEX}/",
        "/staff/shops/",
        "/staff/shops/woodshop/",
        "/staff/announcements/",
        "/staff/exports/",
    ]


@pytest.mark.parametrize("who", ["Jordan Lee", "Morgan Chen"], ids=["lead", "staff"])
def test_every_page_fits_a_phone_with_44px_targets_and_austin_times(browser, live_url, day, who):
    started = time.monotonic()
    paths = lead_paths(day) + (["/staff/rewards/"] if who == "Morgan Chen" else [])
    result = Walk()
    phone = new_page(browser, *PHONES[1], mobile=True)
    log_in(phone, live_url, who)
    walk(phone, live_url, paths, widths=PHONES, walk=result)
    axe = []
    for path in ("/staff/reports/", "/staff/"):  # the reworked pages, at 390 px
        phone.goto(live_url + path)
        axe += [f"{path}: {v['id']}" for v in serious_violations(phone)]
    phone.context.close()
    desktop = new_page(browser, *DESKTOP, mobile=False)
    log_in(desktop, live_url, who)
    walk(desktop, live_url, paths, widths=(DESKTOP,), walk=result)
    desktop.context.close()
    print(
        f"\n[{who}] pages walked {result.pages}, controls measured on phones {result.controls}, "
        f"smallest {result.min_phone:.0f} px ({result.smallest}), worst overflow {result.worst_overflow} px, "
        f"{time.monotonic() - started:.1f} s"
    )
    assert result.problems == [], "\n".join(result.problems[:40])
    assert axe == []
    assert result.controls > 100 and result.min_phone >= MIN_TAP - 0.5


def test_a_lead_triages_problem_reports_on_a_phone(browser, live_url, day, clickup):
    page = new_page(browser, *PHONES[1], mobile=True)
    log_in(page, live_url, "Jordan Lee", start="/staff/reports/")
    reports = get_container().reports
    cards = page.locator("#reports li.report")
    expect(cards).to_have_count(2)
    assert page.locator("#reports table").count() == 0
    card = page.locator(f'li[data-report="{day["report"]}"]')
    expect(card).to_contain_text("Table Saw 2 - Blade guard cracked")
    expect(card.locator("time").first).to_have_text(re.compile(r"C[SD]T$"))
    assert card.bounding_box()["width"] <= 390
    shot(page, "reports", full=True)
    # one tap never marks spam: the first opens a confirmation that names the report
    card.get_by_text("Mark as spam…").click()
    confirm = card.locator("details.confirm form")
    expect(confirm).to_contain_text("Mark “Table Saw 2 - Blade guard cracked” from Pat 512-555-0100 as spam?")
    assert reports.get(day["report"]).state is ReportState.IN_CLICKUP
    shot(page, "reports-confirm")
    confirm.get_by_role("button", name=re.compile("Yes, mark")).click()
    message = page.locator(".messages")
    expect(message).to_contain_text("marked as spam, taken out of the feeds.")
    expect(message).to_contain_text(re.compile(r"Queued, not done yet: closing ClickUp task \w+ is queued"))
    expect(message).to_contain_text(re.compile(r"Restore it before \d{4}-\d\d-\d\d \d\d:\d\d C[SD]T"))
    stored = reports.get(day["report"])
    assert stored.state is ReportState.SPAM and stored.spam_by == "Jordan Lee"
    task_id = stored.clickup_task_id
    assert get_container().tasks.get(task_id).deleted
    # undo: restore reopens the report, its task and (through the outbox) the ClickUp task
    card = page.locator(f'li[data-report="{day["report"]}"]')
    shot(page, "reports-spam")
    card.get_by_role("button", name=re.compile("Restore")).click()
    expect(message).to_contain_text("restored, back in the feeds.")
    expect(message).to_contain_text(f"Queued, not done yet: reopening ClickUp task {task_id} is queued")
    assert reports.get(day["report"]).state is ReportState.IN_CLICKUP
    assert not get_container().tasks.get(task_id).deleted
    deliver()
    puts = [r for r in clickup.requests if r.method == "PUT" and r.path == f"/api/v2/task/{task_id}"]
    # restored before the outbox ran: the queued close does nothing, the reopen is sent
    assert [r.json() for r in puts] == [{"archived": False, "status": "Open"}]
    # a report whose ClickUp task was never made: says so, and a restore queues its create
    other = page.locator(f'li[data-report="{day["report_failed"]}"]')
    other.get_by_text("Mark as spam…").click()
    other.get_by_role("button", name=re.compile("Yes, mark")).click()
    expect(message).to_contain_text("no ClickUp task had been created yet; none will be.")
    expect(message).not_to_contain_text("Queued")
    page.locator(f'li[data-report="{day["report_failed"]}"]').get_by_role(
        "button", name=re.compile("Restore")
    ).click()
    expect(message).to_contain_text("Queued, not done yet: creating its ClickUp task is queued")
    page.context.close()


def test_the_first_phone_screen_shows_todays_work_in_order(browser, live_url, day):
    page = new_page(browser, *PHONES[1], mobile=True)
    log_in(page, live_url, "Jordan Lee")
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 64, header  # one row: brand, menu, log out
    today = page.locator("#today li")
    expect(today).to_have_count(4)
    texts = today.all_inner_texts()
    assert texts[0].startswith("1 critical repair nobody holds"), texts
    assert texts[1] == "1 preventive maintenance overdue", texts
    assert texts[2] == "1 time entry to review", texts  # Alex's 2.5 h; not Jordan's own 2 h
    assert re.match(r"\d+ quiet claims? near a reminder or release$", texts[3]), texts
    assert page.locator("#today").bounding_box()["y"] + page.locator("#today").bounding_box()["height"] <= 844
    # the sections below follow the same order; staff-only tiles and the banner are not here
    ids = page.locator("main section[id]").evaluate_all("els => els.map(e => e.id)")
    assert ids[:6] == [
        "today",
        "needs-someone",
        "maintenance-due",
        "hours-review",
        "quiet-claims",
        "held-long",
    ]
    assert page.locator("#health").count() == 0 and page.locator("#sync-health").count() == 0
    expect(page.locator("#own-hours")).to_contain_text("Not counted: 1 entry of your own")
    hours = page.locator("#hours-review")
    expect(hours).to_contain_text("Alex Rivera: 2.5 h")
    expect(hours).not_to_contain_text("Jordan Lee")
    quiet = page.locator("#quiet-claims")
    expect(quiet).to_contain_text("will be reminded on")
    expect(quiet).to_contain_text("will be released on")
    expect(quiet).not_to_contain_text("reminded 20")
    expect(page.locator("#on-hold-note")).to_contain_text("Not counted: 1 claim on hold")
    shot(page, "dashboard")
    # the menu opens the sections; each link is a thumb's size
    page.get_by_text("Menu").click()
    expect(page.locator("details.menu nav a", has_text="Problem reports")).to_be_visible()
    shot(page, "menu")
    # the hours page offers no Approve/Reject on the lead's own row, nor a task link for it
    page.goto(live_url + "/staff/hours/")
    own = page.locator("#rows tbody tr", has_text="Taught the woodshop basics class")
    expect(own).to_contain_text("Your own hours")
    expect(own.get_by_role("button")).to_have_count(0)
    expect(own.get_by_role("checkbox")).to_have_count(0)
    expect(own.locator('a[href^="/staff/tasks/"]')).to_have_count(0)
    # staff see the staff-only tiles and the banner
    page.context.close()
    staff = new_page(browser, *PHONES[1], mobile=True)
    log_in(staff, live_url, "Morgan Chen")
    expect(staff.locator("#health")).to_be_visible()
    expect(staff.locator("#sync-health")).to_be_visible()
    staff.context.close()


def test_the_leads_sync_view_counts_their_shops_and_names_what_is_staff_only(browser, live_url, day):
    page = new_page(browser, *PHONES[1], mobile=True)
    log_in(page, live_url, "Jordan Lee", start="/staff/sync/")
    failed = page.locator(f'tr[data-message="{day["report_failed"]}-create"]')
    expect(failed).to_contain_text("Table Saw 2 - Fence will not lock")  # the title, not an id
    expect(failed.get_by_role("link", name="Table Saw 2 - Fence will not lock")).to_have_attribute(
        "href", f"/staff/tasks/report-{day['report_failed']}/"
    )
    expect(page.locator("#failed-events")).to_contain_text(day["low"].id)  # their shop's webhook
    note = page.locator("#scope-note")
    expect(note).to_contain_text("Hidden as staff-only: 1 failed webhook event, 0 failed outbox messages")
    shot(page, "sync", full=True)
    page.goto(live_url + "/staff/")
    expect(page.locator("#dash-scope-note")).to_contain_text("Hidden as staff-only: 1 failed webhook event")
    expect(page.locator("#sync-failures")).to_contain_text("failing since")
    # the task page the row links to opens (no 404)
    page.goto(live_url + f"/staff/tasks/report-{day['report_failed']}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fence will not lock")
    page.context.close()


def test_the_bulk_picker_judges_certifications_like_the_server(browser, live_url, day):
    page = new_page(browser, *DESKTOP, mobile=False)
    log_in(page, live_url, "Jordan Lee", start="/staff/tasks/")
    picker = page.locator('fieldset.bulk-fields[data-for="reassign"] select[name="reassign-assignee"]')
    options = picker.evaluate("s => Array.from(s.options).map(o => o.text)")
    sam = next(o for o in options if o.startswith("Sam Okafor"))
    assert sam == "Sam Okafor — not eligible: missing Woodshop Safety · claims 0 of 3", options
    assert next(o for o in options if o.startswith("Alex Rivera")).startswith("Alex Rivera — eligible")
    # the server agrees, and its refusal names Sam, not "you"
    page.locator("tr", has_text="Table saw - Brake fired").get_by_role("checkbox").check()
    page.get_by_label("Action").select_option("reassign")
    picker.select_option(value=SAM)
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messages")).to_contain_text("Sam Okafor is missing Woodshop Safety")
    expect(page.locator(".messages")).not_to_contain_text("you do not have")
    page.context.close()


def test_the_hours_queue_pages_with_a_cursor(browser, live_url, cast, monkeypatch):
    import volunteers.staff

    monkeypatch.setattr(volunteers.staff, "PAGE_SIZE", 2)
    alex = Client()
    login(alex, ALEX)
    for n in range(3):
        self_report(alex, 1 + n, f"Woodshop class {n}")
    self_report(alex, 4, "General open house", shop_slug="general")
    self_report(alex, 5, "3D printer class", shop_slug="3d-printing")
    repo = get_container().volunteers
    seen, cursor, pages = [], None, 0
    while True:
        found = repo.pending_hours(shops=None, limit=2, cursor=cursor)
        seen += [e.note for e in found.items]
        pages += 1
        cursor = found.next_cursor
        if not cursor:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 5  # nothing lost behind the first page
    led, cursor = [], None  # a lead of two shops: one shop's queue after the other
    for _ in range(5):
        found = repo.pending_hours(shops=["woodshop", "general"], limit=2, cursor=cursor)
        led += [e.note for e in found.items]
        cursor = found.next_cursor
        if not cursor:
            break
    assert sorted(led) == sorted(n for n in seen if "3D" not in n)
    page = new_page(browser, *PHONES[1], mobile=True)
    log_in(page, live_url, "Morgan Chen", start="/staff/hours/")
    notes = []
    for _ in range(4):
        notes += page.locator("#rows tbody tr[data-id] .lead").all_inner_texts()
        following = page.get_by_role("link", name="Next page »")
        if following.count() == 0:
            break
        following.click()
    assert len(notes) == 5 and any("General open house" in n for n in notes)
    page.goto(live_url + "/staff/hours/?cursor=9:nope")
    expect(page.locator(".messages")).to_contain_text("no longer valid")
    page.context.close()
