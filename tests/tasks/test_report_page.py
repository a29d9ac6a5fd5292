"""The public report page (no JavaScript), abuse limits, spam, and the staff QR sheets."""

from __future__ import annotations

import re
import threading

from django.test import Client

from integrations.outbox.domain import OutboxStatus
from tests.conftest import login
from tests.integrations.helpers import PROBLEMS, deliver, post_webhook, process
from voldash_site.container import get_container

JORDAN, RILEY, MORGAN = "1004", "1007", "1005"
FORM = {
    "problem_type": "Equipment",
    "area": "Woodshop",
    "asset": "Jointer",
    "summary": "Fence will not lock",
    "details": "",
    "contact": "",
}


def browser() -> Client:
    """A browser: Django's CSRF checks on, as in production."""
    return Client(enforce_csrf_checks=True)


def submit(client: Client, data: dict, **kw):
    page = client.get("/report/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post("/report/", {**data, "csrfmiddlewaretoken": token}, **kw)


def open_feed() -> list[str]:
    return [t["id"] for t in Client().get("/api/v1/tasks").json()["items"]]


def test_the_page_is_prefilled_from_a_qr_code_url(cast):
    page = Client().get("/report/?shop=metal-shop&asset=Metal+Lathe+-+Grizzly").content.decode()
    assert '<option value="Metal-Shop" selected>' in page
    assert 'value="Metal Lathe - Grizzly"' in page
    assert 'value="Equipment" required checked' in page
    hostile = Client().get('/report/?asset="><script>alert(1)</script>').content.decode()
    assert "<script>alert(1)" not in hostile


def test_a_report_sent_without_javascript_lands_on_its_status_page(cast):
    client = browser()
    response = submit(client, FORM)
    assert response.status_code == 303
    status_url = response["Location"]
    assert re.fullmatch(r"/report/r[0-9a-f]{16}/", status_url)
    page = client.get(status_url).content.decode()
    assert "Jointer - Fence will not lock" in page and "on its way" in page
    assert len(open_feed()) == 1


def test_a_form_post_without_the_csrf_token_is_refused(cast):
    response = browser().post("/report/", FORM)
    assert response.status_code == 403
    assert open_feed() == []


def test_a_bad_field_is_named_on_the_page_and_the_input_kept(cast):
    response = submit(browser(), {**FORM, "summary": "", "details": "keep me"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="err-summary"' in page and "keep me" in page
    assert open_feed() == []


def test_the_honeypot_takes_the_bot_nowhere(cast):
    response = submit(browser(), {**FORM, "website": "http://spam.example"})
    assert response.status_code == 303  # the bot learns nothing
    assert open_feed() == []
    assert get_container().outbox.list_by_status(OutboxStatus.PENDING) == []


def test_the_device_limit_holds_and_a_new_device_from_the_same_address_is_still_counted(cast, settings):
    settings.REPORT_LIMIT_PER_DEVICE = 3
    settings.REPORT_LIMIT_PER_ADDRESS = 5
    from voldash_site.container import set_container

    set_container(None)
    phone = browser()
    codes = [submit(phone, {**FORM, "summary": f"Problem number {i}"}).status_code for i in range(4)]
    assert codes == [303, 303, 303, 429]
    other = browser()  # no cookie: a new device, same address
    codes = [submit(other, {**FORM, "summary": f"Other problem {i}"}).status_code for i in range(3)]
    assert codes == [303, 303, 429]  # the address has had its 5
    api = Client().post(
        "/api/v1/problem-reports", {**FORM, "summary": "From the API"}, content_type="application/json"
    )
    assert api.status_code == 429 and api.json()["code"] == "rate_limited"
    assert len(open_feed()) == 5
    assert get_container().shops.get("woodshop").task_counts["OPEN"] == 5


def test_past_the_limit_a_report_costs_one_read_and_writes_nothing(cast, settings):
    """A flood past the limit never reaches the transaction: it cannot contend for the shop's
    counter item with everyone else's claims and reports, and it costs one read."""
    from voldash_site.container import set_container
    from voldash_site.dynamodb.metrics import count_calls

    settings.REPORT_LIMIT_PER_ADDRESS = 2
    set_container(None)
    client = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(2):
        assert (
            client.post(
                "/api/v1/problem-reports", {**FORM, "summary": f"Real {i}"}, content_type="application/json"
            ).status_code
            == 201
        )
    before = get_container().shops.get("woodshop").task_counts["OPEN"]
    with count_calls() as calls:
        for i in range(5):
            refused = client.post(
                "/api/v1/problem-reports", {**FORM, "summary": f"Flood {i}"}, content_type="application/json"
            )
            assert refused.status_code == 429 and refused.json()["detail"]["limited"] == ["addr"]
    assert dict(calls.by_operation) == {"BatchGetItem": 5}
    assert get_container().shops.get("woodshop").task_counts["OPEN"] == before == 2
    # Another address is not held back by the flood.
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert other.post("/api/v1/problem-reports", FORM, content_type="application/json").status_code == 201


def test_flood_from_many_threads_stays_within_the_limits(cast, settings):
    """A bounded flood on 127.0.0.1: 8 threads x 10 reports from one address and 8 devices.
    Exactly the address limit gets in; the feeds and counters agree; reads still answer."""
    settings.REPORT_LIMIT_PER_ADDRESS = 12
    settings.REPORT_LIMIT_PER_DEVICE = 100
    from voldash_site.container import set_container

    set_container(None)
    results: list[int] = []
    lock = threading.Lock()

    def flood(n: int) -> None:
        client = Client()
        for i in range(10):
            code = client.post(
                "/api/v1/problem-reports",
                {**FORM, "summary": f"Flood {n}-{i}"},
                content_type="application/json",
            ).status_code
            with lock:
                results.append(code)

    threads = [threading.Thread(target=flood, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(results)) == [201, 429]
    assert results.count(201) == 12
    assert len(open_feed()) == 12
    assert get_container().shops.get("woodshop").task_counts["OPEN"] == 12
    assert Client().get("/api/v1/shops").status_code == 200


def test_staff_mark_a_delivered_report_as_spam(cast, clickup, slack):
    report = Client().post("/api/v1/problem-reports", FORM, content_type="application/json").json()
    deliver()
    container = get_container()
    stored = container.reports.get(report["id"])
    task_id = stored.clickup_task_id
    assert open_feed() == [task_id]
    lead = Client()
    login(lead, JORDAN)
    page = lead.get("/staff/reports/").content.decode()
    assert "Jointer - Fence will not lock" in page
    other = Client()
    login(other, RILEY)  # leads lasers and 3D printing: not this report's shop
    assert "Jointer - Fence will not lock" not in other.get("/staff/reports/").content.decode()
    other.post("/staff/reports/", {"spam": report["id"]})
    assert container.reports.get(report["id"]).state.value == "IN_CLICKUP"
    lead.post("/staff/reports/", {"spam": report["id"]})  # no confirmation (issue 25): nothing
    assert container.reports.get(report["id"]).state.value == "IN_CLICKUP"
    response = lead.post("/staff/reports/", {"spam": report["id"], "confirm": report["id"]})
    assert response.status_code == 302
    assert open_feed() == []
    assert container.shops.get("woodshop").task_counts.get("OPEN", 0) == 0
    assert Client().get(f"/api/v1/problem-reports/{report['id']}").json()["status"] == "closed"
    deliver()
    raw = clickup.task(task_id)
    assert raw["status"]["status"] == "Closed" and raw["archived"] is True
    post_webhook(clickup, "taskUpdated", task_id)  # ClickUp's echo of our close
    process()
    assert open_feed() == []
    assert container.outbox.list_by_status(OutboxStatus.FAILED) == []


def test_spam_before_delivery_never_reaches_clickup_or_slack(cast, clickup, slack):
    report = Client().post("/api/v1/problem-reports", FORM, content_type="application/json").json()
    staff = Client()
    login(staff, MORGAN)
    staff.post("/staff/reports/", {"spam": report["id"], "confirm": report["id"]})
    assert open_feed() == []
    deliver()
    assert clickup.list_task_ids(PROBLEMS) == []
    assert slack.messages == []


def test_the_qr_sheet_has_a_code_per_machine_of_the_shop(cast, settings):
    settings.PUBLIC_BASE_URL = "https://voldash.asmbly.org"
    lead = Client()
    login(lead, JORDAN)
    page = lead.get("/staff/report-codes/?shop=woodshop&assets=Table+Saw+2%0AJointer").content.decode()
    assert page.count("<svg") == 3  # the shop, and each machine
    assert "https://voldash.asmbly.org/report/?shop=woodshop&amp;asset=Table+Saw+2" in page
    import segno  # the code itself decodes to that URL: segno's matrix equals a fresh one

    expected = segno.make("https://voldash.asmbly.org/report/?shop=woodshop&asset=Jointer", error="m")
    assert expected.svg_inline(scale=4, border=2, title=None) in page
