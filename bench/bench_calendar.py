#!/usr/bin/env python3
"""Calendar feed benchmark: the shop PM feed (``/calendar/shops/{shop}.ics``) served in process
through Django's test client against DynamoDB Local, with N PM tasks in one shop.

Reports p50/p95 of the whole request (Query + icalendar build + serialisation), the bytes and
events served and the DynamoDB requests per feed (``count_calls``).

  .venv/bin/python bench/bench_calendar.py [--tasks 1000 50000] [--requests 30]

Latencies are against DynamoDB Local on this machine, not AWS: compare runs with each other.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import dynamodb_local, progress

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TABLE = "voldash-bench-calendar"


def seed(n: int, offset: int) -> None:
    from tasks.domain import Task, TaskStatus, TaskType, Urgency
    from tasks.repository import _TaskItem

    base = datetime(2026, 11, 1, tzinfo=UTC)
    with _TaskItem.batch_write() as batch:
        for i in range(offset, offset + n):
            task = Task(
                id=f"86pm{i:07d}",
                title=f"Machine {i % 97} - Quarterly check {i}",
                shop="woodshop",
                status=TaskStatus.OPEN,
                urgency=Urgency.MEDIUM,
                task_type=TaskType.PREVENTATIVE,
                created_at=base + timedelta(minutes=i),
                updated_at=base + timedelta(minutes=i),
                due_at=base + timedelta(days=i % 90),
                frequency="Quarterly",
                description="Blade cleaning: unplug, spray, wipe." * 3,
            )
            batch.save(_TaskItem.from_task(task, revision=1))


def measure(requests: int) -> dict[str, float]:
    from django.test import Client

    from voldash_site.dynamodb.metrics import count_calls

    client = Client()
    for _ in range(3):
        client.get("/calendar/shops/woodshop.ics")
    times = []
    for _ in range(requests):
        with count_calls() as calls:
            start = time.perf_counter()
            response = client.get("/calendar/shops/woodshop.ics")
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * (len(times) - 1))],
        "events": response.content.count(b"BEGIN:VEVENT"),
        "bytes": len(response.content),
        "dynamodb_requests": sum(calls.by_operation.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, nargs="+", default=[1000, 50000])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with dynamodb_local() as endpoint:
        os.environ.update(
            {
                "VOLDASH_ENV": "test",
                "DYNAMODB_ENDPOINT_URL": endpoint,
                "DYNAMODB_TABLE": TABLE,
                "AWS_REGION": "us-east-1",
                "DJANGO_SETTINGS_MODULE": "voldash_site.settings",
                "LOG_LEVEL": "WARNING",
            }
        )
        import django
        from django.core.management import call_command

        django.setup()
        call_command("ddb_create_table", stdout=io.StringIO())
        seeded = 0
        for n in sorted(args.tasks):
            progress(f"seeding {n - seeded} more PM tasks")
            seed(n - seeded, seeded)
            seeded = n
            result = measure(args.requests)
            print(
                f"{n:>6} PM tasks in the shop: p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
                f"{result['events']} events, {result['bytes']} bytes, "
                f"{result['dynamodb_requests']} DynamoDB request(s) per feed"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
