#!/usr/bin/env python3
"""Claims under contention (issue 23, finding 14): volunteers racing for a few tasks.

Starts its own DynamoDB Local (in memory, free port), creates the table, the demo shops, ``--volunteers``
members (holding the woodshop's certification) and ``--tasks`` open woodshop tasks. Then
``--processes`` worker processes, one thread per volunteer, each signed in through the dev login
(Django's test client, in-process WSGI: session, CSRF and the whole API stack), race for
``--seconds``: claim a random task, and release it at once when the claim wins, so the tasks keep
coming back. It prints, for the claims: attempts, attempts per second, p50/p95/p99 latency, and
the answers by code (``ok``, ``task_not_open``, ``conflict``..., and ``outcome_unknown``: the
person cannot tell whether they hold the task), then checks that every task has at most one
holder and that every holder is someone whose claim said ``ok`` (or was unknown).

  .venv/bin/python bench/bench_contention.py [--volunteers 100] [--tasks 20] [--seconds 70]
                                             [--processes 4] [--json PATH]

DynamoDB Local runs on the same CPUs: compare only runs on the same machine, one after the other.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from common import dynamodb_local, machine, progress  # noqa: E402

TABLE = "voldash-bench-contention"


def _env(endpoint: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "voldash_site.settings",
        "VOLDASH_ENV": "test",
        "DYNAMODB_ENDPOINT_URL": endpoint,
        "DYNAMODB_TABLE": TABLE,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "DJANGO_SECRET_KEY": "bench-contention-secret-key-0123456789abcdef",
        "LOG_LEVEL": "ERROR",
    }


def _prepare(volunteers: int, tasks: int) -> tuple[list[str], list[str]]:
    import django

    django.setup()
    from datetime import UTC, date, datetime, timedelta

    from django.core.management import call_command

    from tests.builders import a_task
    from voldash_site.container import get_container
    from volunteers.domain import Volunteer

    with open(os.devnull, "w") as quiet:
        call_command("ddb_create_table", stdout=quiet)
        call_command("seed_demo", tasks=0, seed=1, stdout=quiet)
    container = get_container()
    people = []
    for i in range(volunteers):
        neon_id = str(7000 + i)
        container.volunteers.save(
            Volunteer(
                neon_id=neon_id,
                name=f"Claimer {i:03d}",
                membership_active=True,
                membership_expires=date.today() + timedelta(days=30),
                certifications=frozenset({"84"}),
                updated_at=datetime.now(UTC),
            )
        )
        people.append(neon_id)
    task_ids = []
    for i in range(tasks):
        task = a_task(id=f"86race{i:04d}", shop="woodshop", title=f"Contended {i}")
        container.tasks.upsert(task)
        task_ids.append(task.id)
    return people, task_ids


def _worker(env: dict, people: list[str], task_ids: list[str], seconds: float, start, results) -> None:
    os.environ.update(env)
    sys.path[:0] = [str(ROOT)]
    import django

    django.setup()
    import logging

    from django.test import Client

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # 409s and 503s are counted here

    samples: list[tuple[str, float, str]] = []  # (kind, seconds, code)
    lock = threading.Lock()
    go = threading.Barrier(len(people) + 1)  # the race starts (the deadline is set)
    deadline = [0.0]

    def signed_in(neon_id: str) -> tuple[Client, str]:
        """One at a time, retried: a login storm on a loaded machine is not what is measured."""
        for _ in range(20):
            client = Client()
            if client.post("/auth/dev-login", {"neon_id": neon_id}).status_code == 302:
                csrf = client.get("/api/v1/csrf")
                if csrf.status_code == 200:
                    return client, csrf.json()["csrf_token"]
            time.sleep(0.5)
        raise RuntimeError(f"{neon_id} could not sign in")

    sessions = {p: signed_in(p) for p in people}

    def volunteer(neon_id: str) -> None:
        rng = random.Random(f"{os.getpid()}-{neon_id}")
        client, token = sessions[neon_id]
        go.wait()
        mine: list[tuple[str, float, str]] = []

        def post(kind: str, path: str) -> str:
            began = time.perf_counter()
            response = client.post(path, "{}", content_type="application/json", HTTP_X_CSRFTOKEN=token)
            took = time.perf_counter() - began
            ok = response.status_code == 200
            code = "ok" if ok else response.json().get("code", str(response.status_code))
            mine.append((kind, took, code))
            return code

        while time.monotonic() < deadline[0]:
            task_id = rng.choice(task_ids)
            if post("claim", f"/api/v1/tasks/{task_id}/claim") == "ok":
                post("release", f"/api/v1/tasks/{task_id}/release")
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=volunteer, args=(p,)) for p in people]
    for t in threads:
        t.start()
    results.put("ready")
    start.wait()
    deadline[0] = time.monotonic() + seconds
    go.wait()
    for t in threads:
        t.join()
    results.put(samples)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _check(task_ids: list[str]) -> dict[str, Any]:
    from voldash_site.container import get_container

    c = get_container()
    held = [t for t in task_ids if c.tasks.get(t).assignee is not None]
    return {"tasks_held_at_end": len(held)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volunteers", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=70)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    with dynamodb_local() as endpoint:
        env = _env(endpoint)
        os.environ.update(env)
        people, task_ids = _prepare(args.volunteers, args.tasks)
        progress(f"{len(people)} volunteers, {len(task_ids)} tasks; racing for {args.seconds:.0f} s")
        ctx = mp.get_context("spawn")
        start, results = ctx.Event(), ctx.Queue()
        share = -(-len(people) // args.processes)
        procs = [
            ctx.Process(
                target=_worker,
                args=(env, people[n * share : (n + 1) * share], task_ids, args.seconds, start, results),
            )
            for n in range(args.processes)
        ]
        for p in procs:
            p.start()
        for _ in procs:  # every process has signed its volunteers in
            assert results.get(timeout=600) == "ready"
        start.set()
        samples = [s for _ in procs for s in results.get(timeout=args.seconds + 600)]
        for p in procs:
            p.join(timeout=60)
        end = _check(task_ids)

    claims = [(t, code) for kind, t, code in samples if kind == "claim"]
    releases = [(t, code) for kind, t, code in samples if kind == "release"]
    latencies = [t for t, _ in claims]
    report = {
        "machine": machine(),
        "volunteers": args.volunteers,
        "tasks": args.tasks,
        "seconds": args.seconds,
        "processes": args.processes,
        "claim_attempts": len(claims),
        "claims_per_s": len(claims) / args.seconds,
        "claim_p50_ms": 1000 * _pct(latencies, 0.50),
        "claim_p95_ms": 1000 * _pct(latencies, 0.95),
        "claim_p99_ms": 1000 * _pct(latencies, 0.99),
        "claim_mean_ms": 1000 * (statistics.fmean(latencies) if latencies else 0.0),
        "claim_codes": dict(Counter(code for _, code in claims).most_common()),
        "releases": len(releases),
        "release_codes": dict(Counter(code for _, code in releases).most_common()),
        "outcome_unknown": sum(1 for _, _, code in samples if code == "outcome_unknown"),
        **end,
    }
    print(f"machine        {report['machine']['platform']}, {report['machine']['cpu_count']} CPUs")
    print(f"               {report['machine']['date_utc']}")
    print(f"claim attempts {report['claim_attempts']} ({report['claims_per_s']:.1f}/s)")
    print(
        f"claim latency  p50 {report['claim_p50_ms']:.0f} ms  p95 {report['claim_p95_ms']:.0f} ms"
        f"  p99 {report['claim_p99_ms']:.0f} ms"
    )
    print(f"claim answers  {report['claim_codes']}")
    print(f"releases       {report['releases']} {report['release_codes']}")
    print(f"outcome_unknown (claims and releases) {report['outcome_unknown']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
