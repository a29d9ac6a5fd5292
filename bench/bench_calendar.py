#!/usr/bin/env python3
"""Calendar feed benchmark: the shop PM feed (``/calendar/shops/{shop}.ics``) served in process
through Django's test client against DynamoDB Local, with N PM tasks in one shop.

Reports p50/p95 of the whole request (Query + building the text), the bytes and events served
and the DynamoDB requests per feed (``count_calls``). Then the build alone (issue 26): the feed's
1,000 events built by ``tasks.upkeep.calendars.ical`` and, interleaved in the same run, by the
icalendar object model the feed used before (kept here as ``object_model``), wall and CPU
(``process_time``) medians and their ratio, so that a loaded machine still gives a comparison.

  .venv/bin/python bench/bench_calendar.py [--tasks 1000 50000] [--requests 30] [--builds 30]

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


def object_model(name, items, *, now, link) -> bytes:
    """The feed as built before issue 26, with icalendar's object model (for comparison)."""
    from icalendar import Calendar, Event

    from tasks.upkeep.calendars import PRODID
    from volunteers.domain import MAKERSPACE_TZ

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", str(MAKERSPACE_TZ))
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    for item in items:
        day = item.due_at.astimezone(MAKERSPACE_TZ).date()
        event = Event()
        event.add("uid", f"{item.task_id}-due@voldash")
        event.add("dtstamp", now)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", f"Due: {item.title}")
        url = link(item.task_id)
        details = [f"Shop: {item.shop}"]
        if item.frequency:
            details.append(f"Frequency: {item.frequency}")
        if item.holder:
            details.append(f"Held by: {item.holder}")
        details.append(url)
        event.add("description", "\n".join(details))
        event.add("url", url)
        cal.add_component(event)
    return cal.to_ical()


def builds(n: int, rounds: int) -> dict[str, dict[str, float]]:
    """The build of ``n`` events alone, the text writer and the object model interleaved."""
    from tasks.upkeep.calendar_store import CalendarStore
    from tasks.upkeep.calendars import ical
    from tasks.upkeep.config import task_link

    items = list(CalendarStore().shop_pm("woodshop"))[:n]
    now = datetime.now(UTC)
    ways = {"text writer": ical, "icalendar object model": object_model}
    samples: dict[str, dict[str, list[float]]] = {w: {"wall": [], "cpu": []} for w in ways}
    for _ in range(rounds):
        for way, build in ways.items():
            c0, t0 = time.process_time(), time.perf_counter()
            build("Woodshop: preventive maintenance", items, now=now, link=task_link)
            samples[way]["wall"].append((time.perf_counter() - t0) * 1000)
            samples[way]["cpu"].append((time.process_time() - c0) * 1000)
    out = {
        way: {k: statistics.median(v) for k, v in s.items()} | {"min_wall": min(s["wall"])}
        for way, s in samples.items()
    }
    out["events"] = {"n": len(items)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, nargs="+", default=[1000, 50000])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--builds", type=int, default=30, help="rounds of the build-alone comparison")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
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
            if n >= 1000:
                b = builds(1000, args.builds)
                text, model = b["text writer"], b["icalendar object model"]
                print(
                    f"  build of {b['events']['n']} events alone, median of {args.builds} interleaved: "
                    f"text writer {text['wall']:.1f} ms wall (min {text['min_wall']:.1f}), "
                    f"{text['cpu']:.1f} ms CPU; icalendar object model {model['wall']:.1f} ms wall "
                    f"(min {model['min_wall']:.1f}), {model['cpu']:.1f} ms CPU; "
                    f"ratio {text['cpu'] / model['cpu']:.3f}x CPU, {text['wall'] / model['wall']:.3f}x wall"
                )
    print(f"load average at end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
