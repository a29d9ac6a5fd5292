#!/usr/bin/env python3
"""The "My Volunteer Time" reads: p50 and DynamoDB requests per call, against DynamoDB Local.

Starts its own DynamoDB Local (in memory), seeds ``--tasks`` demo tasks and gives one member
``--entries`` hours entries over twelve months (task hours and self-reported, a third
approved), then calls each read ``--requests`` times through Django's test client:

  .venv/bin/python bench/bench_hours.py [--tasks 1000] [--entries 600] [--requests 100]

Every read here is in the member's own partition (or a BatchGetItem of three keys), so the
number of tasks in the table should not move the numbers: run it at two sizes to see that.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import dynamodb_local, machine, progress

ROOT = Path(__file__).resolve().parents[1]
ALEX = "1001"
READS = [
    ("/api/v1/me/hours", {"limit": 20}),
    ("/api/v1/me/hours", {"limit": 20, "month": "__MONTH__"}),
    ("/api/v1/me/hours", {"limit": 20, "q": "shift"}),
    ("/api/v1/me/hours", {"limit": 20, "status": "APPROVED"}),
    ("/api/v1/me/hours/summary", {}),
    ("/api/v1/me", {}),
]


def seed_hours(entries: int) -> str:
    from voldash_site.container import get_container
    from volunteers.domain import HoursEntry, HoursKind

    c = get_container()
    alex = c.volunteers.get(ALEX)
    now = datetime.now(UTC)
    kinds = [HoursKind.GENERAL, HoursKind.CLASS, HoursKind.ON_DUTY, HoursKind.CSI_SESSION]
    for i in range(entries):
        at = now - timedelta(hours=13 * i + 1)
        entry = HoursEntry(
            neon_id=ALEX,
            task_id=f"SR-bench{i:06d}",
            task_title="On-duty shift" if i % 4 == 2 else "Class",
            shop="woodshop",
            hours=1.5,
            points=0,
            completed_at=at,
            note=f"Entry {i}: {'Saturday shift' if i % 4 == 2 else 'helped out'}",
            kind=kinds[i % 4],
        )
        c.uow.commit(c.volunteers.report_writes(alex, entry))
        if i % 3 == 0:
            [stored] = c.uow.load(c.volunteers.load_hours(ALEX, f"{_stamp(at)}#{entry.task_id}"))
            c.uow.commit(c.volunteers.review_writes(stored, approve=True, reviewer="bench"))
    return (now - timedelta(days=40)).astimezone(UTC).strftime("%Y-%m")


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=600)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with dynamodb_local() as url:
        os.environ.update(
            {
                "VOLDASH_ENV": "test",
                "DYNAMODB_ENDPOINT_URL": url,
                "DYNAMODB_TABLE": "voldash-bench-hours",
                "AWS_REGION": "us-east-1",
                "DJANGO_SETTINGS_MODULE": "voldash_site.settings",
                "LOG_LEVEL": "WARNING",
            }
        )
        import django
        from django.core.management import call_command

        django.setup()
        from django.test import Client

        from voldash_site.dynamodb.metrics import count_calls

        call_command("ddb_create_table", stdout=io.StringIO())
        progress(f"seeding {args.tasks} tasks")
        call_command("seed_demo", tasks=args.tasks, seed=1, stdout=io.StringIO())
        progress(f"seeding {args.entries} hours entries")
        month = seed_hours(args.entries)
        client = Client(HTTP_HOST="localhost")
        assert client.post("/auth/dev-login", {"neon_id": ALEX}).status_code == 302
        results = []
        for path, params in READS:
            params = {k: (month if v == "__MONTH__" else v) for k, v in params.items()}
            for _ in range(5):
                client.get(path, params)
            times, calls = [], []
            for _ in range(args.requests):
                with count_calls() as log:
                    t0 = time.perf_counter()
                    response = client.get(path, params)
                    times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (path, response.content[:200])
                calls.append(dict(log.by_operation))
            label = path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
            row = {
                "read": label,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(sorted(times)[int(len(times) * 0.95) - 1], 1),
                "requests_per_call": calls[0],
                "items": len(response.json().get("items", [])) if "items" in response.json() else None,
            }
            results.append(row)
            print(json.dumps(row))
    report = {"machine": machine(), "tasks": args.tasks, "entries": args.entries, "reads": results}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
