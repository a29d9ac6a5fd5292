#!/usr/bin/env python3
"""Sync-path benchmark: ClickUp webhooks, the inbox, the reconcile sweep and the outbox.

Starts its own DynamoDB Local (in memory, free port) and the HTTP fakes of ClickUp, Slack and
Discourse from ``tests/fakes/`` (configured as ``tests/integrations/conftest.py`` does), then reports:

1. DynamoDB requests per ClickUp ``taskUpdated`` webhook: receiving it (POST /webhooks/clickup via
   django.test.Client) and processing it (``process_inbox``), for a real change, a duplicate delivery
   and a stale (no-change) event;
2. webhook events per second: receive throughput and POST latency p50/p95, then processing
   throughput (each processed event includes a GET /task/{id} to the fake ClickUp);
3. a full reconcile sweep of ``--tasks`` tasks at CLICKUP_REQUESTS_PER_MINUTE=90 on a table with no
   tasks, then an incremental sweep with 10 changed tasks;
4. outbox delivery (ClickUp write-back and Slack notes) for ``--claims`` claims;
5. a storm: ``--events`` webhooks, 5 per task, processed at CLICKUP_REQUESTS_PER_MINUTE=90: ClickUp
   reads per event and the time from the burst to every task showing ClickUp's last change.

  .venv/bin/python bench/bench_sync.py [--events 500] [--tasks 1000] [--claims 200] [--json PATH]

Numbers are against DynamoDB Local and in-process fakes on this machine, not AWS and the real APIs:
compare runs with each other.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from common import BenchError, dynamodb_local, machine, progress, time_limit

ROOT = Path(__file__).resolve().parents[1]
TABLE = "voldash-bench-sync"
REGION = "us-east-1"
TIME_LIMIT_S = 290  # the whole run, DynamoDB Local start included
SWEEP_RATE = 90  # CLICKUP_REQUESTS_PER_MINUTE, the real setting
FAST_RATE = 1_000_000  # "no limit" for parts 2 and 4: the limiter would otherwise dominate
SPREAD_S = 30 * 86400  # the swept tasks were last updated over the past 30 days (see bench_sweep)
INCREMENTAL_CHANGES = 10
HOT_TASKS = 100  # part 2 spreads its updates over this many tasks
CLAIM_LIMIT = 3
PER_CALL = 100 * 10  # process_inbox / deliver_due defaults: limit 100, rounds 10


# Asmbly's lists and fields as the tests set them up on the fake ClickUp.
# --- setup ---------------------------------------------------------------------------------


def bench_env(endpoint_url: str) -> dict[str, str]:
    return {
        "VOLDASH_ENV": "test",
        "DYNAMODB_ENDPOINT_URL": endpoint_url,
        "DYNAMODB_TABLE": TABLE,
        "AWS_REGION": REGION,
        "DJANGO_SETTINGS_MODULE": "voldash_site.settings",
        "LOG_LEVEL": "WARNING",
        "DJANGO_ALLOWED_HOSTS": "testserver,localhost",  # django.test.Client sends Host: testserver
    }


def setup_django() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("ddb_create_table", stdout=io.StringIO())  # the table and the default shops


def setup_clickup(fake: Any) -> None:
    from tests.integrations.helpers import add_asmbly_lists

    add_asmbly_lists(fake, with_purchases=False)


def configure_settings(clickup: Any, slack: Any, discourse: Any) -> None:
    from django.conf import settings

    settings.CLICKUP_API_URL = clickup.api_url
    settings.CLICKUP_API_TOKEN = clickup.token
    settings.CLICKUP_WEBHOOK_SECRET = clickup.webhook_secret
    settings.CLICKUP_AUTOMATION_SECRET = "automation-secret"  # noqa: S105 - a bench credential
    settings.SLACK_API_URL = slack.api_url
    settings.SLACK_BOT_TOKEN = slack.token
    settings.DISCOURSE_URL = discourse.base_url
    settings.DISCOURSE_API_KEY = discourse.api_key
    settings.DISCOURSE_API_USERNAME = discourse.api_username
    settings.CLAIM_LIMIT = CLAIM_LIMIT


def use_rate(per_minute: int) -> Any:
    """Set CLICKUP_REQUESTS_PER_MINUTE and rebuild the container from settings."""
    from django.conf import settings

    from voldash_site.container import get_container, set_container

    settings.CLICKUP_REQUESTS_PER_MINUTE = per_minute
    set_container(None)
    return get_container()


# --- helpers -------------------------------------------------------------------------------


def counted(log: Any) -> dict[str, Any]:
    return {"total": log.total, "by_operation": dict(sorted(log.by_operation.items()))}


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    if len(samples_ms) < 2:
        return {"p50": samples_ms[0] if samples_ms else 0.0, "p95": samples_ms[0] if samples_ms else 0.0}
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94]}


def post_webhook(fake: Any, client: Any, body: bytes) -> dict[str, Any]:
    response = client.post(
        "/webhooks/clickup", body, content_type="application/json", HTTP_X_SIGNATURE=fake.sign(body)
    )
    if response.status_code != 200:
        raise BenchError(
            f"POST /webhooks/clickup returned {response.status_code}: {response.content[:300]!r}"
        )
    return json.loads(response.content)


def event_id(body: bytes) -> str:
    from integrations.clickup.webhooks import dedup_key

    return dedup_key(json.loads(body), body)


def process_all(container: Any, max_calls: int) -> dict[str, Any]:
    """Run process_inbox (default limit and rounds: up to 1,000 events a call) until a call stops
    short of that cap, as a worker would; returns the summed report."""
    from integrations.inbox.processing import process_inbox

    totals: Counter[str] = Counter()
    errors: list[str] = []
    for _ in range(max_calls):
        report = process_inbox(
            inbox=container.inbox, handlers=container.inbox_handlers(), clock=container.clock
        )
        totals.update(done=report.done, ignored=report.ignored, failed=report.failed, busy=report.busy)
        errors += report.errors
        if report.processed + report.busy < PER_CALL:
            break
    return {**{k: totals[k] for k in ("done", "ignored", "failed", "busy")}, "errors": errors[:10]}


def deliver_all(container: Any, max_calls: int) -> dict[str, Any]:
    from integrations.outbox.delivery import deliver_due

    totals: Counter[str] = Counter()
    errors: list[str] = []
    for _ in range(max_calls):
        report = deliver_due(outbox=container.outbox, senders=container.senders(), clock=container.clock)
        totals.update(
            sent=report.sent,
            skipped=report.skipped,
            retrying=report.retrying,
            failed=report.failed,
            busy=report.busy,
        )
        errors += report.errors
        if report.handled + report.busy < PER_CALL:
            break
    return {
        **{k: totals[k] for k in ("sent", "skipped", "retrying", "failed", "busy")},
        "errors": errors[:10],
    }


def results_of(container: Any, ids: list[str]) -> Counter[str]:
    """How each inbox event ended: its stored result ("updated", "stale", ...) or status."""
    out: Counter[str] = Counter()
    for eid in ids:
        event = container.inbox.get(eid)
        out[(event.result or event.status.value) if event else "missing"] += 1
    return out


# --- 3. the sweep --------------------------------------------------------------------------


def task_ids(n: int) -> list[str]:
    return [f"86bn{i:05d}" for i in range(n)]


def initial_status(i: int) -> str:
    return "Closed" if i % 10 == 0 else "Open"


def bench_sweep(clickup: Any, tasks: int) -> dict[str, Any]:
    """Full sweep of ``tasks`` tasks at the real rate limit, then an incremental one.

    The tasks' creation/update times are spread evenly over the past 30 days (the fake's clock is set
    back while adding them), so the incremental sweep's window (watermark minus a 5-minute overlap)
    holds the 10 tasks changed afterwards plus whatever was updated in the 5 minutes before the
    watermark (the newest task). Priorities are normal/low, so no Discourse topics are queued.
    """
    from integrations.clickup.sweep_run import run_sweep
    from tests.integrations.helpers import PROBLEMS, WORKSPACE, WORKSPACE_OPTIONS
    from voldash_site.dynamodb.metrics import count_calls

    ids = task_ids(tasks)
    start = time.time() - SPREAD_S
    step = SPREAD_S / tasks
    try:
        for i, tid in enumerate(ids):
            clickup.clock = lambda i=i: start + i * step
            clickup.add_task(
                tid,
                list_id=PROBLEMS,
                name=f"Asset {i % 37} - Problem report {i}",
                status=initial_status(i),
                priority=3 if i % 3 else 4,
                description=f"Problem Type: Equipment\nAsset:  Asset {i % 37}",
                time_estimate_ms=60 * 60000 if i % 2 else None,
                custom_fields={WORKSPACE: i % len(WORKSPACE_OPTIONS)},
            )
    finally:
        clickup.clock = time.time

    container = use_rate(SWEEP_RATE)
    before = len(clickup.requests)
    with count_calls() as log:
        started = time.perf_counter()
        report = run_sweep(container, full=True)
        wall = time.perf_counter() - started
    if report.errors or report.created != tasks:
        raise BenchError(f"full sweep: created {report.created} of {tasks}, errors {report.errors[:5]}")
    full = {
        "wall_s": wall,
        "fetched": report.fetched,
        "created": report.created,
        "clickup_requests": report.requests,
        "fake_saw_requests": len(clickup.requests) - before,
        "limiter_floor_s": max(0, report.requests - 1) * 60 / SWEEP_RATE * 1.01,
        "ddb": counted(log),
    }

    changed = ids[1 : 1 + INCREMENTAL_CHANGES]
    for n, tid in enumerate(changed):
        clickup.update_task(tid, name=f"Asset {n} - Problem report changed for the incremental sweep")
    before = len(clickup.requests)
    with count_calls() as log:
        started = time.perf_counter()
        report = run_sweep(container, full=False)
        wall = time.perf_counter() - started
    if report.errors or report.updated != len(changed):
        raise BenchError(
            f"incremental sweep: updated {report.updated} of {len(changed)}, errors {report.errors[:5]}"
        )
    incremental = {
        "wall_s": wall,
        "changed": len(changed),
        "fetched": report.fetched,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "clickup_requests": report.requests,
        "fake_saw_requests": len(clickup.requests) - before,
        "ddb": counted(log),
    }
    return {"tasks": tasks, "rate_per_minute": SWEEP_RATE, "full": full, "incremental": incremental}


# --- 1. DynamoDB requests per webhook event -------------------------------------------------


def bench_per_event(clickup: Any, warm_task: str, task: str) -> dict[str, Any]:
    from django.test import Client

    from voldash_site.dynamodb.metrics import count_calls

    container = use_rate(FAST_RATE)
    client = Client()

    # Warm-up: URLconf, the botocore client, the shop cache. The counts below are steady state.
    clickup.update_task(warm_task, name="Warm-up change")
    post_webhook(clickup, client, clickup.webhook_body("taskUpdated", warm_task))
    process_all(container, 1)

    rows: dict[str, Any] = {}

    def one(label: str, body: bytes, expect_answer: str) -> None:
        with count_calls() as receive:
            answer = post_webhook(clickup, client, body)
        if answer.get("code") != expect_answer:
            raise BenchError(f"{label}: webhook answered {answer}, expected {expect_answer!r}")
        gets = len(clickup.requests)
        with count_calls() as processing:
            report = process_all(container, 1)  # one process_inbox call
        event = container.inbox.get(event_id(body))
        rows[label] = {
            "answer": answer.get("code"),
            "receive": counted(receive),
            "process": counted(processing),
            "processed": report["done"] + report["ignored"] + report["failed"],
            "result": event.result if event else None,
            "clickup_requests": len(clickup.requests) - gets,
        }

    clickup.update_task(task, name="Table Saw 2 - Blade is dull (renamed)")
    body = clickup.webhook_body("taskUpdated", task)
    one("change", body, "stored")
    one("duplicate", body, "duplicate")  # the same bytes again: ClickUp retrying a delivery
    # A new delivery (new history item ids) while the task has not changed since: a stale hint.
    one("stale", clickup.webhook_body("taskUpdated", task), "stored")
    return rows


# --- 2. events per second ------------------------------------------------------------------


def bench_throughput(clickup: Any, hot: list[str], events: int) -> dict[str, Any]:
    from django.test import Client

    from voldash_site.dynamodb.metrics import count_calls

    container = use_rate(FAST_RATE)
    client = Client()
    bodies: list[bytes] = []
    for i in range(events):
        tid = hot[i % len(hot)]
        clickup.update_task(tid, name=f"Asset {i % 37} - Problem report (revision {i})")
        bodies.append(clickup.webhook_body("taskUpdated", tid))

    latencies: list[float] = []
    answers: Counter[str] = Counter()
    with count_calls() as receive_log:
        started = time.perf_counter()
        for body in bodies:
            t0 = time.perf_counter()
            answers[post_webhook(clickup, client, body).get("code", "?")] += 1
            latencies.append((time.perf_counter() - t0) * 1000)
        receive_s = time.perf_counter() - started
    if answers["stored"] != events:
        raise BenchError(f"throughput: webhook answers {dict(answers)}, expected {events} stored")

    gets = len(clickup.requests)
    with count_calls() as process_log:
        started = time.perf_counter()
        report = process_all(container, max_calls=events // 1000 + 3)
        process_s = time.perf_counter() - started
    processed = report["done"] + report["ignored"] + report["failed"]
    outcomes = results_of(container, [event_id(b) for b in bodies])
    return {
        "events": events,
        "tasks": len(hot),
        "receive": {
            "wall_s": receive_s,
            "per_s": events / receive_s,
            "latency_ms": percentiles(latencies),
            "ddb": counted(receive_log),
        },
        "process": {
            "wall_s": process_s,
            "processed": processed,
            "per_s": processed / process_s if process_s else 0.0,
            "report": report,
            "outcomes": dict(outcomes.most_common()),
            "clickup_requests": len(clickup.requests) - gets,
            "ddb": counted(process_log),
        },
    }


# --- 4. outbox delivery --------------------------------------------------------------------


def bench_outbox(clickup: Any, slack: Any, candidates: list[str], claims: int) -> dict[str, Any]:
    from shops.catalog import ASMBLY_SHOPS
    from tasks.lifecycle import claim_task
    from voldash_site.dynamodb.metrics import count_calls
    from volunteers.domain import Volunteer

    container = use_rate(FAST_RATE)
    chosen = candidates[:claims]
    if len(chosen) < claims:
        raise BenchError(f"outbox: only {len(chosen)} open tasks to claim, wanted {claims}")
    certifications = frozenset(c.neon_field_id for s in ASMBLY_SHOPS for c in s.required_certifications)
    people = [f"8{n:05d}" for n in range(math.ceil(claims / CLAIM_LIMIT))]
    for n, neon_id in enumerate(people):
        container.volunteers.save(
            Volunteer(
                neon_id=neon_id,
                name=f"Bench Volunteer {n}",
                email=f"bench{n}@example.org",
                membership_active=True,
                certifications=certifications,
            )
        )
    deps = container.lifecycle()
    with count_calls() as claim_log:
        started = time.perf_counter()
        for n, tid in enumerate(chosen):
            claim_task(task_id=tid, actor_id=people[n // CLAIM_LIMIT], deps=deps)
        claim_s = time.perf_counter() - started

    cu_before, slack_before = len(clickup.requests), len(slack.messages)
    with count_calls() as deliver_log:
        started = time.perf_counter()
        report = deliver_all(container, max_calls=claims // 500 + 3)
        deliver_s = time.perf_counter() - started
    handled = report["sent"] + report["skipped"] + report["retrying"] + report["failed"]
    written_back = sum(1 for tid in chosen if clickup.task(tid)["status"]["status"] == "in progress")
    return {
        "claims": claims,
        "volunteers": len(people),
        "claim": {"wall_s": claim_s, "per_s": claims / claim_s, "ddb": counted(claim_log)},
        "deliver": {
            "wall_s": deliver_s,
            "handled": handled,
            "per_s": handled / deliver_s if deliver_s else 0.0,
            "report": report,
            "clickup_requests": len(clickup.requests) - cu_before,
            "slack_messages": len(slack.messages) - slack_before,
            "clickup_in_progress": written_back,
            "ddb": counted(deliver_log),
        },
    }


# --- 5. a storm of events at the real rate limit -------------------------------------------


STORM_PER_TASK = 5


def bench_storm(clickup: Any, hot: list[str], events: int) -> dict[str, Any]:
    """A burst of ``events`` taskUpdated webhooks, ``STORM_PER_TASK`` per task (round robin, so a
    batch of 100 holds many tasks), processed at the real CLICKUP_REQUESTS_PER_MINUTE=90.

    The rate limiter's clock is real time plus the waits so far, and its waits are added up
    instead of slept: the time from the end of the burst to every task showing ClickUp's last
    change is the processing wall time + those waits, what the worker would take for real."""
    from django.test import Client

    from integrations.clickup.client import RateLimiter

    tasks = hot[: max(1, events // STORM_PER_TASK)]
    container = use_rate(SWEEP_RATE)
    waited = [0.0]

    def virtual_clock() -> float:
        return time.monotonic() + waited[0]

    def virtual_sleep(seconds: float) -> None:
        waited[0] += seconds

    container.clickup._limiter = RateLimiter(SWEEP_RATE, clock=virtual_clock, sleep=virtual_sleep)
    client = Client()
    bodies: list[bytes] = []
    last_title: dict[str, str] = {}
    for round_ in range(STORM_PER_TASK):
        for tid in tasks:
            if len(bodies) >= events:
                break
            last_title[tid] = f"Storm {round_} - {tid}"
            clickup.update_task(tid, name=last_title[tid])
            bodies.append(clickup.webhook_body("taskUpdated", tid))
    for body in bodies:
        post_webhook(clickup, client, body)

    before = len(clickup.requests)
    started = time.perf_counter()
    report = process_all(container, max_calls=len(bodies) // 1000 + 3)
    wall = time.perf_counter() - started
    reads = sum(
        1 for r in clickup.requests[before:] if r.method == "GET" and r.path.startswith("/api/v2/task/")
    )
    stale = [tid for tid, title in last_title.items() if container.tasks.get(tid).title != title]
    if stale or report["failed"]:
        raise BenchError(f"storm: {len(stale)} tasks not up to date, {report['failed']} failed")
    processed = report["done"] + report["ignored"] + report["failed"]
    return {
        "events": len(bodies),
        "tasks": len(last_title),
        "processed": processed,
        "clickup_reads": reads,
        "reads_per_event": reads / len(bodies),
        "process_wall_s": wall,
        "limiter_wait_s": waited[0],
        "burst_to_visible_s": wall + waited[0],
        "uncoalesced_floor_s": max(0, len(bodies) - 1) * 60 / SWEEP_RATE * 1.01,
    }


# --- report --------------------------------------------------------------------------------


LABEL_WIDTH = 52


def _row(label: str, *cells: str) -> str:
    return f"{label:<{LABEL_WIDTH}}" + "".join(f"{c:>10}" for c in cells)


def _ops(ddb: dict[str, Any]) -> str:
    return ", ".join(f"{op}={n}" for op, n in ddb["by_operation"].items()) or "-"


def _per(ddb: dict[str, Any], n: int) -> str:
    return f"{ddb['total'] / n:.2f}" if n else "n/a"


def render(results: dict[str, Any]) -> str:
    m, p = results["machine"], results["params"]
    lines = [
        f"voldash sync benchmark | {m['platform']} | {m['cpu_count']} CPUs | Python {m['python']} "
        f"| {m['date_utc']}",
        f"DynamoDB Local (in memory) + fake ClickUp/Slack/Discourse over HTTP on 127.0.0.1 | "
        f"--events {p['events']} --tasks {p['tasks']} --claims {p['claims']}",
        "",
        "1. DynamoDB requests per ClickUp taskUpdated webhook (steady state, after one warm-up event)",
        "   (receive = the POST; process = one process_inbox call, whose due() is 2 Queries, PENDING and",
        "   RETRY, per round, plus a last round that finds the queue empty)",
        _row("", "receive", "process") + "  by operation (receive | process)",
    ]
    for label, row in results["per_event"].items():
        text = {
            "change": "real change",
            "duplicate": "duplicate delivery (same body)",
            "stale": "stale event (task unchanged)",
        }[label]
        lines.append(
            _row(f"  {text}", str(row["receive"]["total"]), str(row["process"]["total"]))
            + f"  {_ops(row['receive'])} | {_ops(row['process'])}"
        )
        lines.append(
            f"      webhook answer {row['answer']!r}; processed {row['processed']} event(s); "
            f"stored event's result {row['result']!r}; ClickUp requests {row['clickup_requests']}"
        )

    t = results["throughput"]
    rec, proc = t["receive"], t["process"]
    lines += [
        "",
        f"2. Webhook events per second ({t['events']} taskUpdated events over {t['tasks']} tasks, "
        f"one at a time; CLICKUP_REQUESTS_PER_MINUTE={FAST_RATE}",
        "   for this part, so the ClickUp rate limiter does not dominate)",
        _row("", "events/s", "p50 ms", "p95 ms", "DDB/event"),
        _row(
            "  receive (POST /webhooks/clickup)",
            f"{rec['per_s']:.1f}",
            f"{rec['latency_ms']['p50']:.2f}",
            f"{rec['latency_ms']['p95']:.2f}",
            _per(rec["ddb"], t["events"]),
        ),
        _row(
            "  process (process_inbox, incl. fake ClickUp GET)",
            f"{proc['per_s']:.1f}",
            "",
            "",
            _per(proc["ddb"], proc["processed"]),
        ),
        f"      receive {rec['wall_s']:.2f} s; DynamoDB: {_ops(rec['ddb'])}",
        f"      process {proc['wall_s']:.2f} s for {proc['processed']} events, "
        f"{proc['clickup_requests']} ClickUp requests; DynamoDB: {_ops(proc['ddb'])}",
        f"      outcomes: {', '.join(f'{k}={v}' for k, v in proc['outcomes'].items())}"
        f" (the events about one task waiting together share one fresh read)",
    ]
    if proc["report"]["failed"] or proc["report"]["errors"]:
        lines.append(f"      FAILED {proc['report']['failed']}: {proc['report']['errors'][:3]}")

    s = results["sweep"]
    full, inc = s["full"], s["incremental"]
    lines += [
        "",
        f"3. Reconcile sweep at CLICKUP_REQUESTS_PER_MINUTE={s['rate_per_minute']} (table had no tasks)",
        _row("", "wall s", "ClickUp", "tasks/s", "DDB/task"),
        _row(
            f"  full sweep, {full['fetched']} tasks fetched, {full['created']} created",
            f"{full['wall_s']:.2f}",
            str(full["clickup_requests"]),
            f"{full['fetched'] / full['wall_s']:.1f}",
            _per(full["ddb"], full["fetched"]),
        ),
        _row(
            f"  incremental, {inc['changed']} changed: {inc['fetched']} fetched, {inc['updated']} updated",
            f"{inc['wall_s']:.2f}",
            str(inc["clickup_requests"]),
            f"{inc['fetched'] / inc['wall_s']:.1f}",
            _per(inc["ddb"], inc["fetched"]),
        ),
        f"      full: rate limiter floor for {full['clickup_requests']} requests = "
        f"{full['limiter_floor_s']:.2f} s; DynamoDB {full['ddb']['total']}: {_ops(full['ddb'])}",
        f"      incremental: {inc['unchanged']} unchanged; "
        f"DynamoDB {inc['ddb']['total']}: {_ops(inc['ddb'])}",
        f"      (task updates spread over the past {SPREAD_S // 86400} days; the incremental window is the",
        "       watermark minus a 5 min overlap. It runs right after the full sweep, so the limiter",
        "       also spaces its first request.)",
    ]

    o = results["outbox"]
    d, c = o["deliver"], o["claim"]
    lines += [
        "",
        f"4. Outbox delivery to the fakes ({o['claims']} claims by {o['volunteers']} volunteers, "
        f"CLICKUP_REQUESTS_PER_MINUTE={FAST_RATE})",
        _row("", "wall s", "per s", "DDB each"),
        _row(
            f"  claim_task x{o['claims']} (setup)",
            f"{c['wall_s']:.2f}",
            f"{c['per_s']:.1f}",
            _per(c["ddb"], o["claims"]),
        ),
        _row(
            f"  deliver_due, {d['handled']} messages",
            f"{d['wall_s']:.2f}",
            f"{d['per_s']:.1f}",
            _per(d["ddb"], d["handled"]),
        ),
        f"      sent {d['report']['sent']}, retrying {d['report']['retrying']}, "
        f"failed {d['report']['failed']}, skipped {d['report']['skipped']}; "
        f"ClickUp requests {d['clickup_requests']}, Slack posts {d['slack_messages']}",
        "      (no volunteer has a ClickUp seat, so each ClickUp message is a PUT + a comment)",
        f"      tasks 'in progress' in ClickUp afterwards: {d['clickup_in_progress']} of {o['claims']}; "
        f"DynamoDB: {_ops(d['ddb'])}",
        f"      claims DynamoDB: {_ops(c['ddb'])}",
    ]
    if d["report"]["errors"]:
        lines.append(f"      errors: {d['report']['errors'][:3]}")
    st = results["storm"]
    lines += [
        "",
        f"5. Storm: {st['events']} taskUpdated events, {STORM_PER_TASK} per task over {st['tasks']} tasks, "
        f"at CLICKUP_REQUESTS_PER_MINUTE={SWEEP_RATE}",
        f"      ClickUp GET /task reads {st['clickup_reads']} = {st['reads_per_event']:.2f} per event "
        f"(events about one task waiting together share one read)",
        f"      burst to all visible: {st['burst_to_visible_s']:.1f} s = processing "
        f"{st['process_wall_s']:.1f} s + rate-limit waits {st['limiter_wait_s']:.1f} s",
        f"      (one read per event would need >= {st['uncoalesced_floor_s']:.0f} s of rate-limit "
        "spacing alone)",
    ]
    lines += ["", f"Total time, DynamoDB Local start to results: {results['elapsed_s']:.1f} s"]
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------


def run(events: int, tasks: int, claims: int, endpoint_url: str) -> dict[str, Any]:
    os.environ.update(bench_env(endpoint_url))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    progress("creating the table")
    setup_django()

    from tests.fakes.clickup import FakeClickUp
    from tests.fakes.discourse import FakeDiscourse
    from tests.fakes.slack import FakeSlack

    with FakeClickUp() as clickup, FakeSlack() as slack, FakeDiscourse() as discourse:
        setup_clickup(clickup)
        configure_settings(clickup, slack, discourse)
        ids = task_ids(tasks)

        progress(f"3. full sweep of {tasks} tasks at {SWEEP_RATE}/min, then an incremental one")
        sweep = bench_sweep(clickup, tasks)

        # Parts 1 and 2 use tasks the sweep created; part 4 claims open ones none of them touched.
        progress("1. DynamoDB requests per webhook event")
        per_event = bench_per_event(clickup, warm_task=ids[-1], task=ids[-2])
        hot = ids[: min(HOT_TASKS, max(1, tasks - 2))]
        progress(f"2. {events} webhook events over {len(hot)} tasks")
        throughput = bench_throughput(clickup, hot, events)
        used = {*hot, ids[-1], ids[-2], *ids[1 : 1 + INCREMENTAL_CHANGES]}
        candidates = [tid for i, tid in enumerate(ids) if initial_status(i) == "Open" and tid not in used]
        progress(f"4. {claims} claims, then outbox delivery")
        outbox = bench_outbox(clickup, slack, candidates, claims)
        progress(f"5. a storm of {events} events, {STORM_PER_TASK} per task, at {SWEEP_RATE}/min")
        storm = bench_storm(clickup, hot, events)

    return {
        "machine": machine(),
        "params": {"events": events, "tasks": tasks, "claims": claims},
        "per_event": per_event,
        "throughput": throughput,
        "sweep": sweep,
        "outbox": outbox,
        "storm": storm,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=500, help="webhook events for part 2 (default 500)")
    parser.add_argument("--tasks", type=int, default=1000, help="tasks in the fake ClickUp (default 1000)")
    parser.add_argument("--claims", type=int, default=200, help="claims for part 4 (default 200)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write results here")
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")
    if args.tasks < 20:
        parser.error("--tasks must be at least 20")
    if args.claims < 1:
        parser.error("--claims must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        with time_limit(TIME_LIMIT_S), dynamodb_local() as endpoint_url:
            results = run(args.events, args.tasks, args.claims, endpoint_url)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    results["elapsed_s"] = time.perf_counter() - started
    print(render(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        progress(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
