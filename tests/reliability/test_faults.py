"""Faults: the database going away mid-run, and every outside service misbehaving."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from integrations.outbox.domain import OutboxStatus
from tasks.domain import TaskStatus
from tests.builders import a_task
from tests.conftest import _load_launcher, login
from tests.integrations.helpers import METAL, add_problem, deliver, post_webhook, process
from voldash_site.container import get_container, set_container
from voldash_site.dynamodb import items
from voldash_site.dynamodb.connection import TableConfig
from voldash_site.dynamodb.provision import ensure_table

ALEX = "1001"


@pytest.fixture
def restartable_dynamodb(table_config, settings, tmp_path):
    """A second DynamoDB Local that keeps its data on disk, so it can be stopped and restarted."""
    launcher = _load_launcher()
    port = launcher.free_port()
    state = {"proc": launcher.start(port, db_path=tmp_path)}
    config = TableConfig(
        table_name="voldash-faults", region="us-east-1", endpoint_url=f"http://127.0.0.1:{port}"
    )
    ensure_table(config)
    items.configure(config)
    settings.DYNAMODB_ENDPOINT_URL = config.endpoint_url
    settings.DYNAMODB_TABLE = config.table_name
    set_container(None)

    def stop() -> None:
        launcher.stop(state["proc"])

    def restart() -> None:
        state["proc"] = launcher.start(port, db_path=tmp_path)

    try:
        yield stop, restart
    finally:
        launcher.stop(state["proc"])
        items.configure(table_config)
        set_container(None)


def test_the_database_going_away_is_a_503_and_leaves_nothing_half_written(restartable_dynamodb, clickup):
    stop, restart = restartable_dynamodb
    from shops.use_cases import install_default_shops
    from voldash_site.demo.data import demo_volunteers

    container = get_container()
    install_default_shops(shops=container.shops)
    now = container.clock()
    for v in demo_volunteers(now.date(), now):
        container.volunteers.save(v)
    task = a_task(shop="woodshop")
    container.tasks.upsert(task)
    add_problem(clickup, "86fault01")
    alex = Client()
    login(alex, ALEX)

    stop()
    for path in (
        "/api/v1/health",
        "/api/v1/tasks",
        f"/api/v1/tasks/{task.id}",
        "/api/v1/shops",
        "/api/v1/me/stats",
    ):
        response = alex.get(path)
        assert response.status_code == 503, path
        assert response.json()["code"] == "storage_unavailable" and response["Retry-After"]
    claim = alex.post(f"/api/v1/tasks/{task.id}/claim")
    assert claim.status_code == 503 and claim.json()["code"] == "storage_unavailable"
    hook = post_webhook(clickup, "taskCreated", "86fault01")
    assert hook.status_code == 503  # not stored, so ClickUp must retry: never a 2xx
    restart()

    set_container(None)
    container = get_container()
    detail = container.tasks.get_detail(task.id)
    assert detail.task.status is TaskStatus.OPEN and detail.task.assignee is None and detail.history == ()
    assert container.volunteers.get(ALEX).open_claims == 0
    assert container.outbox.list_by_status(OutboxStatus.PENDING) == []
    assert process().processed == 0  # the refused webhook was not half-stored either
    assert post_webhook(clickup, "taskCreated", "86fault01").json()["code"] == "stored"  # ClickUp's retry
    assert process().done == 1
    assert alex.post(f"/api/v1/tasks/{task.id}/claim").status_code == 200


def advance(minutes: float) -> None:
    container = get_container()
    now = container.clock()
    container.clock = lambda: now + timedelta(minutes=minutes)


def test_outside_services_failing_then_recovering_get_everything_exactly_once(
    cast, clickup, slack, discourse, settings
):
    settings.HTTP_TIMEOUT_SECONDS = 0.5
    set_container(None)
    add_problem(
        clickup, "86fault10", shop=METAL, priority=1, name="Tormach PCNC 1100 - Spindle stalls"
    )  # major
    post_webhook(clickup, "taskCreated", "86fault10")
    tasks = []
    for i in range(4):
        tasks.append(f"86fault2{i}")
        add_problem(clickup, tasks[-1], name=f"Jointer {i} - Knives dull")
        post_webhook(clickup, "taskCreated", tasks[-1])
    process()
    alex = Client()
    login(alex, ALEX)
    for task_id in tasks[:3]:
        assert alex.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    jordan = Client()
    login(jordan, "1004")
    assert jordan.post(f"/api/v1/tasks/{tasks[3]}/claim").status_code == 200
    expected = len(get_container().outbox.list_by_status(OutboxStatus.PENDING))
    # one forum topic, the major repair's notice event (nobody watches the metal shop), and
    # ClickUp + Slack for each claim
    assert expected == 1 + 1 + 2 * 4

    clickup.fail_next("/api/v2/task/", 500, times=2)
    # ClickUp posts the comment, but answers too late for us (the POST, not the GET that a retry
    # uses to look for it first).
    clickup.delay_next("/api/v2/task/86fault21/comment", 1.5, method="POST")
    slack.fail_next("/api/chat.postMessage", 500)
    slack.rate_limit_next(retry_after=20)
    discourse.fail_next("/posts.json", 502)
    rounds = 0
    while get_container().outbox.list_by_status(OutboxStatus.PENDING) and rounds < 12:
        deliver()
        # A retry comes minutes later in real life: by then the comment ClickUp was still
        # working on when we gave up has landed. Wait for it, so the retry must find it.
        clickup.settle()
        advance(60 * (rounds + 1))
        rounds += 1
    comment_calls = [r.method for r in clickup.requests if r.path == "/api/v2/task/86fault21/comment"]
    assert comment_calls.count("POST") == 1 and comment_calls[-1] == "GET", comment_calls  # looked, found
    assert get_container().outbox.list_by_status(OutboxStatus.PENDING) == []
    assert get_container().outbox.list_by_status(OutboxStatus.FAILED) == []
    assert len(get_container().outbox.list_by_status(OutboxStatus.SENT, limit=100)) == expected
    assert len(slack.messages) == 4  # one per claim, none twice
    assert len(discourse.topics) == 1
    for fake in (clickup, slack, discourse):
        fake.settle()  # nothing still on its way that could add a second note after the asserts
    for task_id in tasks:
        assert clickup.task(task_id)["status"]["status"] == "in progress"
        assert len(clickup.comments(task_id)) == 1, task_id  # even the one that timed out
    assert rounds >= 2  # it really had to retry


# --- every DynamoDB call site, every way DynamoDB fails ----------------------------------
#
# A botocore ``before-send`` hook on the shared DynamoDB client answers one call (the n-th of a
# request or a worker run, with all of botocore's own retries of it and any resend of the same
# body) with a fault, as DynamoDB or the network would: a read timeout, a refused connection,
# throttling (400 ProvisionedThroughputExceededException), a transaction conflict and a 500.
# n runs over every call the clean run makes, so every call site the entry reaches is hit with
# every fault. Nothing of ours is patched: the fault enters where botocore would meet it.

import hashlib  # noqa: E402
import json  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

import botocore.endpoint  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
APP = tuple(str(ROOT / p) for p in ("voldash_site", "tasks", "volunteers", "shops", "integrations"))
GENERIC = (str(ROOT / "voldash_site" / "dynamodb"), str(ROOT / "integrations" / "queue"))
FAULTS = ("read_timeout", "connect", "throttle", "conflict", "server_error")
# Entries that only read: one world serves every fault (writes get a fresh world each time).
READ_ONLY = {"health", "task feed", "task detail", "shops", "my stats", "leaderboard", "staff page"}
INJECTED_SITES: set[tuple[str, str]] = set()  # (operation, file:line of our code) over the module


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_kw):
        yield self.data


def _answer(request, status: int, body: dict) -> AWSResponse:
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}
    return AWSResponse(request.url, status, headers, _Body(data))


def _call_site() -> str:
    """The innermost frame of our own code that is not the generic table plumbing."""
    frames = [f for f in traceback.extract_stack() if f.filename.startswith(APP)]
    specific = [f for f in frames if not f.filename.startswith(GENERIC)] or frames
    f = specific[-1]
    return f"{Path(f.filename).relative_to(ROOT)}:{f.lineno} ({f.name})"


class DynamoFaults:
    """Counts DynamoDB calls; when armed, answers call number ``at`` with ``kind``."""

    def __init__(self) -> None:
        self.calls = 0
        self.at: int | None = None
        self.kind = ""
        self.failing: bytes | None = None
        self.site: tuple[str, str] | None = None

    def arm(self, at: int | None, kind: str = "") -> None:
        self.calls, self.at, self.kind, self.failing, self.site = 0, at, kind, None, None

    def __call__(self, request, **_kw):
        operation = request.headers.get("X-Amz-Target", b"").decode().rpartition(".")[2]
        digest = hashlib.sha256(operation.encode() + (request.body or b"")).digest()
        if self.failing is None:
            self.calls += 1
            if self.at != self.calls:
                return None
            self.failing = digest
            self.site = (operation, _call_site())
            INJECTED_SITES.add(self.site)
        elif digest != self.failing:
            return None
        return self._fault(request, operation)

    def _fault(self, request, operation: str):
        if self.kind == "read_timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        if self.kind == "connect":
            raise EndpointConnectionError(endpoint_url=request.url)
        if self.kind == "throttle":
            return _answer(
                request,
                400,
                {
                    "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                    "message": "The level of configured provisioned throughput for the table was exceeded.",
                },
            )
        if self.kind == "conflict":
            if operation == "TransactWriteItems":
                parts = len(json.loads(request.body).get("TransactItems", []))
                return _answer(
                    request,
                    400,
                    {
                        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                        "message": "Transaction cancelled, please refer cancellation reasons",
                        "CancellationReasons": [{"Code": "TransactionConflict"}] * parts,
                    },
                )
            return _answer(
                request,
                400,
                {
                    "__type": "com.amazonaws.dynamodb.v20120810#TransactionConflictException",
                    "message": "Transaction is ongoing for the item",
                },
            )
        return _answer(
            request,
            500,
            {
                "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                "message": "Internal server error",
            },
        )


@pytest.fixture
def dynamo_faults(table, monkeypatch):
    # botocore still retries every fault as it would in the cloud; only its pause between
    # attempts is skipped (botocore.endpoint's own module name for ``time``), to keep this fast.
    import types

    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=lambda _s: None))
    faults = DynamoFaults()
    client = items.low_level_connection().connection.client
    client.meta.events.register("before-send.dynamodb", faults, unique_id="voldash-faults")
    try:
        yield faults
    finally:
        client.meta.events.unregister("before-send.dynamodb", unique_id="voldash-faults")


def _fresh_world(ddb_client, table_config, clickup) -> dict:
    """An emptied table with the shops, the cast, one open task, one task Alex holds, a stored
    ClickUp event and pending outbox messages."""
    from tests.conftest import _truncate

    _truncate(ddb_client, table_config.table_name)
    set_container(None)
    from dataclasses import replace
    from datetime import UTC, datetime

    from shops.catalog import ASMBLY_SHOPS
    from voldash_site.demo.data import demo_volunteers

    container = get_container()
    now = datetime.now(UTC)
    people = list(demo_volunteers(now.date(), now))
    for shop in ASMBLY_SHOPS:
        container.shops.save(replace(shop, leads=tuple(v.neon_id for v in people if shop.slug in v.lead_of)))
    for v in people:
        container.volunteers.save(v)
    open_task = a_task(id="86open0001", shop="woodshop")
    held_task = a_task(id="86held0001", shop="woodshop")
    container.tasks.upsert(open_task)
    container.tasks.upsert(held_task)
    alex = Client()
    login(alex, ALEX)
    assert alex.post(f"/api/v1/tasks/{held_task.id}/claim").status_code == 200
    return {"alex": alex, "open": open_task.id, "held": held_task.id}


def _neon_hook() -> object:
    import base64

    body = json.dumps(
        {
            "eventTrigger": "editAccount",
            "eventTimestamp": "2026-11-26T09:11:59.000-06:00",
            "organizationId": "asmbly",
            "data": {"individualAccount": {"accountId": "1003"}},
        }
    ).encode()
    auth = "Basic " + base64.b64encode(b"neon-hook:s3cret-pass").decode()
    return Client().post("/webhooks/neon", body, content_type="application/json", HTTP_AUTHORIZATION=auth)


# (name, request): every HTTP entry a volunteer, a lead, ClickUp or Neon can call that reads
# or writes the table. Each answers its clean status, or 503 (409 for a transaction conflict).
HTTP_ENTRIES = {
    "health": lambda w, hub: w["alex"].get("/api/v1/health"),
    "task feed": lambda w, hub: Client().get("/api/v1/tasks"),
    "task detail": lambda w, hub: w["alex"].get(f"/api/v1/tasks/{w['open']}"),
    "shops": lambda w, hub: Client().get("/api/v1/shops"),
    "my stats": lambda w, hub: w["alex"].get("/api/v1/me/stats"),
    "leaderboard": lambda w, hub: w["alex"].get("/api/v1/leaderboard"),
    "claim": lambda w, hub: w["alex"].post(f"/api/v1/tasks/{w['open']}/claim"),
    "release": lambda w, hub: w["alex"].post(
        f"/api/v1/tasks/{w['held']}/release", {}, content_type="application/json"
    ),
    "complete": lambda w, hub: w["alex"].post(
        f"/api/v1/tasks/{w['held']}/complete", {"hours": 1.5}, content_type="application/json"
    ),
    "comment": lambda w, hub: w["alex"].post(
        f"/api/v1/tasks/{w['open']}/comments", {"text": "on it"}, content_type="application/json"
    ),
    "problem report": lambda w, hub: Client().post(
        "/api/v1/problem-reports",
        {"problem_type": "Equipment", "area": "Woodshop", "asset": "Jointer", "summary": "Knives dull"},
        content_type="application/json",
    ),
    "magic link": lambda w, hub: Client().post(
        "/auth/magic-link", {"email": "alex@example.org"}, content_type="application/json"
    ),
    "clickup webhook": lambda w, hub: post_webhook(hub, "taskUpdated", "86hook0001"),
    "neon webhook": lambda w, hub: _neon_hook(),
    "staff page": lambda w, hub: w["lead"].get("/staff/"),
}


@pytest.fixture
def neon_accounts(settings):
    from tests.fakes.neon import FakeNeon

    with FakeNeon() as fake:
        settings.NEON_API_URL = fake.api_url
        settings.NEON_ORG_ID = "asmbly"
        settings.NEON_API_KEY = "neon-test-key"
        fake.add_account("1001", first_name="Alex", last_name="Rivera", email="alex@example.org")
        fake.add_account("1003", first_name="Sam", last_name="Okafor", email="sam@example.org")
        yield fake


@pytest.fixture
def fault_world(dynamo_faults, table_config, ddb_client, clickup, slack, neon_accounts, settings):
    settings.NEON_WEBHOOK_USERNAME, settings.NEON_WEBHOOK_PASSWORD = "neon-hook", "s3cret-pass"
    settings.HTTP_TIMEOUT_SECONDS = 0.5
    for task_id in ("86hook0001", "86open0001", "86held0001", "86work0000", "86work0001"):
        add_problem(clickup, task_id, name=f"Band saw {task_id} - Blade dull")

    def world() -> dict:
        dynamo_faults.arm(None)
        w = _fresh_world(ddb_client, table_config, clickup)
        lead = Client()
        login(lead, "1004")
        w["lead"] = lead
        return w

    return world


@pytest.mark.parametrize("entry", sorted(HTTP_ENTRIES))
def test_every_http_entry_answers_503_whatever_dynamodb_does_at_any_call(
    entry, fault_world, dynamo_faults, clickup
):
    call = HTTP_ENTRIES[entry]
    w = fault_world()
    dynamo_faults.arm(None)
    clean = call(w, clickup)
    assert clean.status_code < 500, (entry, clean.status_code, clean.content[:300])
    calls = dynamo_faults.calls
    assert calls >= 1, entry
    seen = []
    for n in range(1, calls + 1):
        for kind in FAULTS:
            if entry not in READ_ONLY:
                w = fault_world()
            dynamo_faults.arm(n, kind)
            response = call(w, clickup)
            allowed = {clean.status_code, 503} | ({409} if kind == "conflict" else set())
            seen.append((n, kind, dynamo_faults.site, response.status_code))
            assert response.status_code in allowed, (
                entry,
                n,
                kind,
                dynamo_faults.site,
                response.content[:300],
            )
            if response.status_code == 503:
                assert response["Retry-After"], (entry, n, kind)
    print(f"\n{entry}: {calls} DynamoDB calls x {len(FAULTS)} faults; answers {sorted({s[3] for s in seen})}")


def _stored_events(clickup, n: int) -> list[str]:
    ids = []
    for i in range(n):
        task_id = f"86work{i:04d}"
        response = post_webhook(clickup, "taskCreated", task_id)
        assert response.status_code == 200
        ids.append(response.json().get("event_id") or task_id)
    return ids


@pytest.mark.parametrize("worker", ["process_inbox", "deliver_outbox"])
def test_every_worker_leaves_the_item_for_retry_and_goes_on(worker, fault_world, dynamo_faults, clickup):
    """Two items (different subjects). A fault at any call of the run: the run ends normally
    (never raises), and with time passing everything is done exactly once."""

    def prepare() -> None:
        fault_world()
        _stored_events(clickup, 2)
        if worker == "deliver_outbox":
            assert process().done == 2  # the new tasks' outbox items (and the claim's) are pending

    def run():
        return process() if worker == "process_inbox" else deliver()

    def settled() -> bool:
        container = get_container()
        if worker == "process_inbox":
            return container.inbox.due(container.clock() + timedelta(days=2), limit=10) == []
        return container.outbox.list_by_status(OutboxStatus.PENDING) == []

    prepare()
    dynamo_faults.arm(None)
    run()
    calls = dynamo_faults.calls
    assert settled()
    for n in range(1, calls + 1):
        # One fault per call, in turn (each worker run needs a fresh world, which is slow); the
        # HTTP entries above take every fault at every call.
        for kind in (FAULTS[n % len(FAULTS)],):
            prepare()
            dynamo_faults.arm(n, kind)
            run()  # never raises
            dynamo_faults.arm(None)
            for minutes in (60, 60 * 24, 60 * 48):  # past every lease and backoff
                advance(minutes)
                run()
                if settled():
                    break
            set_container(None)
            assert settled(), (worker, n, kind, dynamo_faults.site)
    print(f"\n{worker}: {calls} DynamoDB calls, one fault each")


def test_zz_report_the_call_sites_injected():
    """Run last in this module: how many distinct (operation, call site) pairs were hit."""
    if INJECTED_SITES:
        print(f"\nDynamoDB call sites injected with faults: {len(INJECTED_SITES)}")
        for op, site in sorted(INJECTED_SITES, key=lambda s: (s[1], s[0])):
            print(f"  {op:20} {site}")
