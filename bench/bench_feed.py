#!/usr/bin/env python3
"""Task-list benchmark: filters, sorts, search and counts against the plain feed.

Starts its own DynamoDB Local (in memory, free port), seeds ``--tasks`` demo tasks (written
with BatchWriteItem, the counter items written once from the same tasks: the reads see exactly
what the transactions would have left, without 50,000 transactions), then drives the Lambda
handler in process and prints, per query: p50/p95 latency, DynamoDB requests per call, how many
tasks the first page holds, and p50 relative to the plain feed (`GET /api/v1/tasks?limit=20`).

  .venv/bin/python bench/bench_feed.py [--tasks 1000 50000] [--requests 100] [--json PATH]

Latencies are against DynamoDB Local on this (shared) machine, not AWS: compare rows of the
same run with each other. No assertion: the numbers are for the README.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_reads import Endpoint as _Endpoint
from bench_reads import (
    Percentiles,
    bench_env,
    checked,
    count_dynamodb_calls,
    json_body,
    make_event,
)
from common import BenchError, dynamodb_local, machine, progress, time_limit

ROOT = Path(__file__).resolve().parents[1]
PAGE = 20
WARMUP = 3
TIME_LIMIT_S = 3600

# (label, query string); the first is the baseline.
QUERIES: list[tuple[str, str, str]] = [
    ("plain", "plain feed (GSI2)", ""),
    ("keyed", "sort=oldest", "sort=oldest"),
    ("keyed", "sort=urgency (GSI4)", "sort=urgency"),
    ("keyed", "sort=due (GSI6)", "sort=due"),
    ("keyed", "type=preventative (GSI5)", "type=preventative"),
    ("keyed", "urgency=high (GSI4 prefix)", "urgency=high&status=OPEN"),
    ("keyed", "shop=woodshop&status=OPEN&sort=urgency (GSI7)", "shop=woodshop&status=OPEN&sort=urgency"),
    ("keyed", "shop=woodshop&status=OPEN (GSI1)", "shop=woodshop&status=OPEN"),
    ("filter", "time=30_60", "time=30_60"),
    ("filter", "q=saw", "q=saw"),
    ("filter", "type=problem&urgency=high", "type=problem&urgency=high"),
    ("filter", "shop=lasers&type=problem&time=less_30", "shop=lasers&type=problem&time=less_30"),
    ("filter", "type=preventative&sort=urgency", "type=preventative&sort=urgency"),
    ("filter", "q=pm&sort=due&shop=woodshop", "q=pm&sort=due&shop=woodshop"),
    ("counts", "counts=true", "counts=true"),
    ("counts", "type=problem&urgency=high&counts=true", "type=problem&urgency=high&counts=true"),
    (
        "counts",
        "shop=woodshop&status=OPEN&sort=urgency&counts=true",
        "shop=woodshop&status=OPEN&sort=urgency&counts=true",
    ),
]


def seed(tasks: int) -> None:
    """Shops and volunteers as `seed_demo` makes them; the tasks in batches; the counters once."""
    from collections import defaultdict
    from datetime import UTC, datetime

    import django
    from django.core.management import call_command

    django.setup()
    call_command("ddb_create_table", stdout=io.StringIO())
    call_command("seed_demo", tasks=0, seed=1, stdout=io.StringIO())

    from shops.catalog import ASMBLY_SHOPS
    from tasks.feed import facet_key
    from tasks.repository import _TaskItem
    from voldash_site.demo.data import build_demo_data
    from voldash_site.dynamodb.counters import counter_key, counter_update_actions

    now = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), tzinfo=UTC)
    data = build_demo_data(tasks=tasks, seed=1, now=now)
    statuses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cells: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with _TaskItem.batch_write() as batch:
        for n, task in enumerate(data.tasks, 1):
            batch.save(_TaskItem.from_task(task, revision=1))
            key = facet_key(task)
            if key is not None:
                statuses[key.shop][key.status.value] += 1
                cells[key.shop][key.cell] += 1
            if n % 5000 == 0:
                progress(f"  {n} tasks written")
    for shop in {s.slug for s in ASMBLY_SHOPS} | set(statuses):
        counter_key(shop).update(
            actions=counter_update_actions(shop, dict(statuses[shop]), dict(cells[shop]))
        )


def measure(tasks: int, requests: int) -> list[dict[str, Any]]:
    """Round-robin: each round times every query once, so the noise of this shared machine falls
    on all rows alike and the ratios to the plain feed stay meaningful."""
    from voldash_site.lambda_handler import handler

    rows: list[dict[str, Any]] = []
    events = []
    for kind, label, query in QUERIES:
        q = "&".join(p for p in (f"limit={PAGE}", query) if p)
        endpoint = _Endpoint(kind, "/api/v1/tasks", q)
        body = json_body(checked(handler(make_event(endpoint.path, endpoint.query), None), endpoint))
        calls = count_dynamodb_calls(handler, endpoint)
        events.append(make_event(endpoint.path, endpoint.query))
        rows.append(
            {
                "kind": kind,
                "label": label,
                "query": q,
                "requests": calls["total"],
                "first_page": len(body["items"]),
                "total": body.get("total"),
                "samples": [],
            }
        )
    progress(f"[{tasks}] warming up")
    for _ in range(WARMUP):
        for event in events:
            handler(event, None)
    for n in range(requests):
        if n % 10 == 0:
            progress(f"[{tasks}] round {n + 1} of {requests}")
        for row, event in zip(rows, events, strict=True):
            started = time.perf_counter()
            status = handler(event, None)["statusCode"]
            row["samples"].append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise BenchError(f"{row['query']} answered {status}")
    for row in rows:
        lat = Percentiles.of(row.pop("samples"))
        row["p50"], row["p95"] = lat.p50, lat.p95
    base = rows[0]["p50"]
    for row in rows:
        row["vs_plain"] = row["p50"] / base
    return rows


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"voldash task-list benchmark | {m['platform']} | {m['cpu_count']} CPUs | Python {m['python']} "
        f"| {m['date_utc']}",
        f"DynamoDB Local (in memory) | handler in process | page {PAGE} | "
        f"{results['requests']} timed requests per row",
    ]
    for tasks, rows in results["runs"].items():
        lines += [
            "",
            f"{tasks} tasks",
            f"{'kind':<7}{'query':<54}{'p50 ms':>8}{'p95 ms':>8}{'x plain':>9}"
            f"{'reqs':>6}{'page':>6}{'total':>7}",
        ]
        for r in rows:
            total = "" if r["total"] is None else str(r["total"])
            lines.append(
                f"{r['kind']:<7}{r['label'][:53]:<54}{r['p50']:>8.2f}{r['p95']:>8.2f}{r['vs_plain']:>8.2f}x"
                f"{r['requests']:>6}{r['first_page']:>6}{total:>7}"
            )
    return "\n".join(lines)


def run_one(tasks: int, requests: int) -> list[dict[str, Any]]:
    """One size in a fresh interpreter (Django settings and the table are per process)."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        raise BenchError("nested child")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(tasks), str(requests)],
        cwd=ROOT,
        capture_output=False,
        stdout=subprocess.PIPE,
        text=True,
        timeout=TIME_LIMIT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchError(f"the {tasks}-task run failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(tasks: int, requests: int) -> int:
    with dynamodb_local() as endpoint_url:
        os.environ.update(bench_env(endpoint_url))
        progress(f"seeding {tasks} tasks")
        seed(tasks)
        print(json.dumps(measure(tasks, requests)))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        return child(int(argv[1]), int(argv[2]))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, nargs="+", default=[1000, 50000])
    parser.add_argument("--requests", type=int, default=100, help="timed requests per row (default 100)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "requests": args.requests, "runs": {}}
    try:
        with time_limit(TIME_LIMIT_S):
            for tasks in args.tasks:
                results["runs"][tasks] = run_one(tasks, args.requests)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    results["elapsed_s"] = time.perf_counter() - started
    print(render(results))
    print(f"\nTotal time: {results['elapsed_s']:.1f} s")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
