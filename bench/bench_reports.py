#!/usr/bin/env python3
"""Problem-report benchmark: intake, delivery to ClickUp/Slack/Discourse, and a flood.

Starts its own DynamoDB Local (in memory, free port) and the HTTP fakes of ClickUp, Slack and
Discourse from ``tests/fakes/``, then reports:

1. DynamoDB requests per accepted report (POST /api/v1/problem-reports, anonymous, warm process)
   and per status read; outbox messages and outside HTTP requests per report when delivered
   (with and without a forum topic);
2. reports accepted per second, one client and ``--threads`` clients, with POST latency p50/p95;
3. time from report to ClickUp task: accept, then deliver its outbox message as the stream
   handler does (``deliver_ids``), until the voldash task for the ClickUp task exists;
4. a flood: ``--threads`` clients in another process send ``--flood`` reports from one address
   to one server process (limit ``FLOOD_LIMIT`` per address) while this process reads the task
   feed from a second server process; then a control run of as many harmless reads. Accepted vs
   refused, what one refused report costs DynamoDB, and the feed's latency before, during the
   flood, during the control and after.

  .venv/bin/python bench/bench_reports.py [--reports 200] [--threads 4] [--flood 400] [--json PATH]

Numbers are against DynamoDB Local and loopback fakes on this machine, not AWS and the real APIs:
compare runs with each other.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from common import BenchError, dynamodb_local, load_launcher, machine, progress, time_limit

ROOT = Path(__file__).resolve().parents[1]
TABLE = "voldash-bench-reports"
TIME_LIMIT_S = 290
FLOOD_LIMIT = 50
FORM = {
    "problem_type": "Equipment",
    "area": "Woodshop",
    "asset": "Table Saw 2 - Sawstop",
    "summary": "Blade guard cracked",
    "details": "Cracked near the riving knife; wobbles when the saw runs.",
    "contact": "Pat 512-555-0100",
}


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    if len(samples_ms) < 2:
        value = samples_ms[0] if samples_ms else 0.0
        return {"p50": value, "p95": value}
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94]}


def setup(endpoint_url: str) -> None:
    os.environ.update(
        {
            "VOLDASH_ENV": "test",
            "DYNAMODB_ENDPOINT_URL": endpoint_url,
            "DYNAMODB_TABLE": TABLE,
            "AWS_REGION": "us-east-1",
            "DJANGO_SETTINGS_MODULE": "voldash_site.settings",
            "LOG_LEVEL": "WARNING",
            "DJANGO_ALLOWED_HOSTS": "testserver,localhost",
        }
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("ddb_create_table", stdout=io.StringIO())


def configure(clickup: Any, slack: Any, discourse: Any, *, per_address: int, per_device: int) -> Any:
    from django.conf import settings

    from voldash_site.container import get_container, set_container

    settings.CLICKUP_API_URL, settings.CLICKUP_API_TOKEN = clickup.api_url, clickup.token
    settings.CLICKUP_REQUESTS_PER_MINUTE = 1_000_000
    settings.SLACK_API_URL, settings.SLACK_BOT_TOKEN = slack.api_url, slack.token
    settings.DISCOURSE_URL = discourse.base_url
    settings.DISCOURSE_API_KEY, settings.DISCOURSE_API_USERNAME = discourse.api_key, discourse.api_username
    settings.REPORT_LIMIT_PER_ADDRESS = per_address
    settings.REPORT_LIMIT_PER_DEVICE = per_device
    set_container(None)
    container = get_container()
    container.shop_directory.all()  # warm the shop cache, as a warm Lambda has it
    return container


def add_lists(clickup: Any) -> None:
    from tests.integrations.helpers import add_asmbly_lists

    add_asmbly_lists(clickup, with_purchases=False)
    for field_id, name in (
        ("5bfc5aac-d5cd-44d5-ac27-71016046e63c", "Slack Post"),
        ("2683fe02-e756-4bd1-9735-fe9b6d478714", "Discourse Post"),
    ):
        clickup.add_field({"id": field_id, "name": name, "type": "url", "type_config": {}})


def post(client: Any, body: dict[str, Any], **extra: str) -> Any:
    return client.post("/api/v1/problem-reports", body, content_type="application/json", **extra)


def bench_costs(container: Any, clickup: Any, slack: Any, discourse: Any) -> dict[str, Any]:
    from django.test import Client

    from integrations.outbox.delivery import deliver_due
    from voldash_site.dynamodb.metrics import count_calls

    out: dict[str, Any] = {}
    for label, forum in (("slack only", False), ("with forum topic", True)):
        client = Client()
        with count_calls() as accept:
            response = post(client, {**FORM, "forum": forum})
        if response.status_code != 201:
            raise BenchError(f"POST returned {response.status_code}: {response.content[:300]!r}")
        report_id = response.json()["id"]
        with count_calls() as status:
            client.get(f"/api/v1/problem-reports/{report_id}")
        before = {
            "clickup": len(clickup.requests),
            "slack": len(slack.requests),
            "discourse": len(discourse.requests),
        }
        with count_calls() as delivery:
            report = deliver_due(outbox=container.outbox, senders=container.senders(), clock=container.clock)
        out[label] = {
            "accept_ddb": dict(accept.by_operation),
            "status_ddb": dict(status.by_operation),
            "outbox_messages": report.sent + report.skipped,
            "delivery_ddb_total": delivery.total,
            "delivery_ddb": dict(sorted(delivery.by_operation.items())),
            "http": {
                "clickup": len(clickup.requests) - before["clickup"],
                "slack": len(slack.requests) - before["slack"],
                "discourse": len(discourse.requests) - before["discourse"],
            },
        }
    return out


def bench_throughput(reports: int, threads: int) -> dict[str, Any]:
    from django.test import Client

    def run(n: int, clients: int) -> tuple[float, list[float], dict[int, int]]:
        latencies: list[float] = []
        codes: dict[int, int] = {}
        lock = threading.Lock()
        per = max(1, n // clients)

        def worker(w: int) -> None:
            client = Client(REMOTE_ADDR=f"10.0.{w}.1")
            for i in range(per):
                start = time.perf_counter()
                code = post(client, {**FORM, "summary": f"Bench report {w}-{i}"}).status_code
                with lock:
                    latencies.append((time.perf_counter() - start) * 1000)
                    codes[code] = codes.get(code, 0) + 1

        started = time.perf_counter()
        pool = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return time.perf_counter() - started, latencies, codes

    one_s, one_lat, one_codes = run(reports, 1)
    many_s, many_lat, many_codes = run(reports, threads)
    return {
        "one_client": {
            "reports": sum(one_codes.values()),
            "per_s": sum(one_codes.values()) / one_s,
            "latency_ms": percentiles(one_lat),
            "codes": one_codes,
        },
        "threads": threads,
        "many_clients": {
            "reports": sum(many_codes.values()),
            "per_s": sum(many_codes.values()) / many_s,
            "latency_ms": percentiles(many_lat),
            "codes": many_codes,
        },
    }


def bench_time_to_clickup(container: Any, n: int) -> dict[str, Any]:
    from django.test import Client

    from integrations.outbox.delivery import deliver_ids

    samples: list[float] = []
    client = Client(REMOTE_ADDR="10.9.9.9")
    for i in range(n):
        start = time.perf_counter()
        response = post(client, {**FORM, "summary": f"Latency report {i}"})
        report_id = response.json()["id"]
        deliver_ids(
            [f"{report_id}-create"],
            outbox=container.outbox,
            senders=container.senders(),
            clock=container.clock,
        )
        task_id = container.reports.get(report_id).clickup_task_id
        if not task_id or container.tasks.get(task_id) is None:
            raise BenchError(f"report {report_id} has no ClickUp task after delivery")
        samples.append((time.perf_counter() - start) * 1000)
    return {"reports": n, "ms": percentiles(samples), "mean_ms": statistics.fmean(samples)}


FLOOD_CLIENT = """
import json, sys, threading, time
import httpx
url, total, threads, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[5]
codes, lock = {}, threading.Lock()
def attacker(w):
    with httpx.Client(base_url=url, timeout=30, headers={"X-Origin-Verify": "bench-origin"}) as client:
        for i in range(total // threads):
            # One address (the header the servers trust), no device cookie kept.
            if mode == "reports":
                body = {**json.loads(sys.argv[4]), "area": "Lasers", "summary": f"Flood {w}-{i}"}
                headers = {"X-Client-Address": "203.0.113.7"}
                r = client.post("/api/v1/problem-reports", headers=headers, json=body)
            else:  # the control: as many harmless reads
                r = client.get("/api/v1/shops")
            client.cookies.clear()
            with lock:
                codes[r.status_code] = codes.get(r.status_code, 0) + 1
start = time.perf_counter()
pool = [threading.Thread(target=attacker, args=(w,)) for w in range(threads)]
[t.start() for t in pool]
[t.join() for t in pool]
print(json.dumps({"codes": codes, "elapsed_s": time.perf_counter() - start}))
"""


ORIGIN_SECRET = "bench-origin"  # noqa: S105 - a bench value; the flood client spells it out too
ORIGIN = {"X-Origin-Verify": ORIGIN_SECRET}


def _server(port: int) -> subprocess.Popen[bytes]:
    """``manage.py runserver`` on the bench's table: a process of its own, as each Lambda
    container is (the flood and the readers share only DynamoDB, as in AWS)."""
    env = os.environ | {
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CLIENT_IP_HEADER": "X-Client-Address",
        # The address header is believed only behind the origin check (voldash_site/client_ip.py).
        "ORIGIN_VERIFY_SECRET": ORIGIN_SECRET,
        "REPORT_LIMIT_PER_ADDRESS": str(FLOOD_LIMIT),
        "REPORT_LIMIT_PER_DEVICE": str(10**6),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_up(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2, headers=ORIGIN).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise BenchError(f"the server at {url} did not start")


def bench_flood(container: Any, threads: int, flood: int) -> dict[str, Any]:
    """The flood goes to one server process, the readers to another, both on the same
    DynamoDB: what the flood costs everyone else is what it costs the shared database (and,
    on this 2-core machine, its CPU, which Lambda would not share)."""
    import httpx
    from django.test import Client

    from voldash_site.dynamodb.metrics import count_calls

    launcher = load_launcher()
    ports = [launcher.free_port(), launcher.free_port()]
    servers = [_server(port) for port in ports]
    flood_url, reader_url = (f"http://127.0.0.1:{port}" for port in ports)
    try:
        _wait_up(flood_url)
        _wait_up(reader_url)
        reader = httpx.Client(base_url=reader_url, timeout=30, headers=ORIGIN)

        def feed_ms(k: int) -> list[float]:
            out = []
            for _ in range(k):
                start = time.perf_counter()
                if reader.get("/api/v1/tasks", params={"shop": "lasers"}).status_code != 200:
                    raise BenchError("the feed failed during the flood")
                out.append((time.perf_counter() - start) * 1000)
            return out

        feed_ms(10)  # warm the reader process
        calm = feed_ms(100)

        def load(mode: str) -> subprocess.Popen[bytes]:
            argv = [flood_url, str(flood), str(threads), json.dumps(FORM), mode]
            return subprocess.Popen([sys.executable, "-c", FLOOD_CLIENT, *argv], stdout=subprocess.PIPE)

        # The control: the same number of requests from the same client, but harmless reads of
        # /api/v1/shops. What the feed loses here is this machine's CPU, not the flood.
        control = load("reads")
        during_control: list[float] = []
        while control.poll() is None:
            during_control += feed_ms(5)
        control_result = json.loads(control.communicate()[0] or b"{}")
        attacker = load("reports")
        during: list[float] = []
        other_address: list[int] = []
        while attacker.poll() is None:
            during += feed_ms(5)
            if len(other_address) < 3 and len(during) > 20:
                # Someone else reporting (another address) while the flood goes on.
                other_address.append(
                    httpx.post(
                        f"{flood_url}/api/v1/problem-reports",
                        headers={"X-Client-Address": f"198.51.100.{len(other_address) + 1}", **ORIGIN},
                        json={**FORM, "area": "Lasers", "summary": "A real report"},
                        timeout=30,
                    ).status_code
                )
        result = json.loads(attacker.communicate()[0] or b"{}")
        after = feed_ms(100)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    # What one refused report costs DynamoDB (in this process, same table, same address).
    from django.conf import settings

    settings.CLIENT_IP_HEADER, settings.ORIGIN_VERIFY_SECRET = "X-Client-Address", ORIGIN_SECRET
    with count_calls() as calls:
        refused = post(Client(), {**FORM, "area": "Lasers"}, HTTP_X_CLIENT_ADDRESS="203.0.113.7")
    settings.CLIENT_IP_HEADER, settings.ORIGIN_VERIFY_SECRET = "", ""
    lasers = container.shops.get("lasers").task_counts.get("OPEN", 0)
    return {
        "limit_per_address": FLOOD_LIMIT,
        "sent": sum(result.get("codes", {}).values()),
        "codes": result.get("codes", {}),
        "elapsed_s": result.get("elapsed_s", 0.0),
        "open_in_lasers": lasers,
        "other_address_codes": other_address,
        "refused_report_requests": {"status": refused.status_code, **dict(calls.by_operation)},
        "feed_ms_before": percentiles(calm),
        "feed_ms_during": percentiles(during),
        "feed_ms_after": percentiles(after),
        "feed_ms_during_control": percentiles(during_control),
        "control_elapsed_s": control_result.get("elapsed_s", 0.0),
        "feed_reads_during": len(during),
    }


def render(r: dict[str, Any]) -> str:
    lines = ["# bench_reports", f"machine: {r['machine']}", ""]
    lines.append("## 1. Requests per report")
    for label, c in r["costs"].items():
        lines.append(
            f"- {label}: accept {c['accept_ddb']}, status read {c['status_ddb']}; "
            f"delivery: {c['outbox_messages']} outbox messages, {c['delivery_ddb_total']} DynamoDB requests "
            f"{c['delivery_ddb']}, HTTP {c['http']}"
        )
    t = r["throughput"]
    lines += ["", "## 2. Reports accepted per second"]
    for key, label in (("one_client", "1 client"), ("many_clients", f"{t['threads']} clients")):
        x = t[key]
        lines.append(
            f"- {label}: {x['per_s']:.1f}/s over {x['reports']} reports, "
            f"p50 {x['latency_ms']['p50']:.1f} ms, p95 {x['latency_ms']['p95']:.1f} ms, codes {x['codes']}"
        )
    lt = r["time_to_clickup"]
    lines += [
        "",
        "## 3. Report to ClickUp task (accept + stream delivery, local fakes)",
        f"- {lt['reports']} reports: p50 {lt['ms']['p50']:.1f} ms, p95 {lt['ms']['p95']:.1f} ms, "
        f"mean {lt['mean_ms']:.1f} ms",
    ]
    f = r["flood"]
    lines += [
        "",
        "## 4. Flood from one address",
        f"- {f['sent']} reports in {f['elapsed_s']:.1f} s against a limit of {f['limit_per_address']}: "
        f"codes {f['codes']}; open tasks in the shop afterwards: {f['open_in_lasers']}",
        f"- reports from other addresses during the flood: {f['other_address_codes']}; one refused "
        f"report costs {f['refused_report_requests']}",
        f"- task feed (another server process) during the flood: p50 {f['feed_ms_during']['p50']:.1f} ms, "
        f"p95 {f['feed_ms_during']['p95']:.1f} ms ({f['feed_reads_during']} reads); before: "
        f"p50 {f['feed_ms_before']['p50']:.1f} ms, p95 {f['feed_ms_before']['p95']:.1f} ms; after: "
        f"p50 {f['feed_ms_after']['p50']:.1f} ms, p95 {f['feed_ms_after']['p95']:.1f} ms",
        f"- control (as many GET /api/v1/shops from the same client, {f['control_elapsed_s']:.1f} s): "
        f"feed p50 {f['feed_ms_during_control']['p50']:.1f} ms, "
        f"p95 {f['feed_ms_during_control']['p95']:.1f} ms",
        "",
        f"elapsed {r['elapsed_s']:.1f} s",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace, endpoint_url: str) -> dict[str, Any]:
    setup(endpoint_url)
    from tests.fakes.clickup import FakeClickUp
    from tests.fakes.discourse import FakeDiscourse
    from tests.fakes.slack import FakeSlack

    with FakeClickUp() as clickup, FakeSlack() as slack, FakeDiscourse() as discourse:
        add_lists(clickup)
        container = configure(clickup, slack, discourse, per_address=10**6, per_device=10**6)
        progress("1. requests per report")
        costs = bench_costs(container, clickup, slack, discourse)
        progress(f"2. {args.reports} reports, 1 and {args.threads} clients")
        throughput = bench_throughput(args.reports, args.threads)
        progress("3. report to ClickUp task")
        latency = bench_time_to_clickup(container, min(50, args.reports))
        progress(f"4. flood of {args.flood} reports from one address")
        container = configure(clickup, slack, discourse, per_address=FLOOD_LIMIT, per_device=10**6)
        flood = bench_flood(container, args.threads, args.flood)
    return {
        "machine": machine(),
        "params": vars(args) | {"json": str(args.json) if args.json else None},
        "costs": costs,
        "throughput": throughput,
        "time_to_clickup": latency,
        "flood": flood,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--flood", type=int, default=400)
    parser.add_argument("--json", type=Path, default=None, metavar="PATH")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        with time_limit(TIME_LIMIT_S), dynamodb_local() as endpoint_url:
            results = run(args, endpoint_url)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    results["elapsed_s"] = time.perf_counter() - started
    print(render(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
