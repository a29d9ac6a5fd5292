#!/usr/bin/env python3
"""Claims under contention (issue 26): volunteers racing for a few tasks through the API.

``--volunteers`` (100) signed-in volunteers in ``--processes`` (4) worker processes, one thread
each, with a Django test client that went through the dev login, so every request pays what a
signed-in request pays (the session check included). For ``--seconds`` (70) each one picks one
of ``--tasks`` (20) tasks at random and POSTs ``/api/v1/tasks/{id}/claim``; when it wins, it
POSTs ``/release`` at once, so the tasks stay contended for the whole run. Claims are the
"attempts": throughput is attempts per second, latency p50/p95/p99 of the claims (a release is
counted and timed apart). ``--shops 2`` puts half the tasks in the woodshop and half in the
lasers shop (the volunteers hold every certification), to measure what one shop's items (its
counter item, written by every task transaction) serialize: same load, two shops vs one.

``--tree DIR`` runs another checkout's code (e.g. a ``git worktree`` of the previous release)
against the same DynamoDB Local build and the same workload: this script only drives HTTP
through that tree's Django project, set up with that tree's own repositories.

  .venv/bin/python bench/bench_claims.py [--tree DIR] [--seconds 70] [--shops 1 2] [--json PATH]

Latencies are DynamoDB Local's on this shared machine: compare runs made one after the other.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from common import dynamodb_local, progress

ROOT = Path(__file__).resolve().parents[1]
TABLE = "voldash-bench-claims"
SHOPS = ("woodshop", "lasers")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _django(tree: str, env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, tree)
    os.chdir(tree)
    import django

    django.setup()
    import voldash_site

    assert str(voldash_site.__file__).startswith(tree), (voldash_site.__file__, tree)


def setup_table(tree: str, env: dict[str, str], volunteers: int, tasks: int, shops: int, out) -> None:
    """In a fresh process of ``tree``: the table, the volunteers, the tasks."""
    _django(tree, env)
    import io
    from datetime import UTC, date, datetime, timedelta

    from django.core.management import call_command

    from shops.catalog import ASMBLY_SHOPS
    from tests.builders import a_task
    from voldash_site.container import get_container
    from volunteers.domain import Volunteer

    call_command("ddb_create_table", stdout=io.StringIO())
    container = get_container()
    every = frozenset(c.neon_field_id for s in ASMBLY_SHOPS for c in s.required_certifications)
    for i in range(volunteers):
        container.volunteers.save(
            Volunteer(
                neon_id=str(7000 + i),
                name=f"Claimer {i:03d}",
                membership_active=True,
                membership_expires=date.today() + timedelta(days=30),
                certifications=every,
                updated_at=datetime.now(UTC),
            )
        )
    ids = []
    for i in range(tasks):
        task = a_task(shop=SHOPS[i % shops], title=f"Contended {i}")
        container.tasks.upsert(task)
        ids.append(task.id)
    out.put(ids)


def worker(
    tree: str, env: dict[str, str], people: list[str], ids: list[str], seconds: float, start, out
) -> None:
    import random
    import threading
    import time

    _django(tree, env)
    from django.test import Client

    clients = []
    for neon_id in people:
        client = Client()
        response = client.post("/auth/dev-login", {"neon_id": neon_id})
        assert response.status_code == 302, response.content
        clients.append(client)
    samples: list[tuple[str, int, float]] = []
    lock = threading.Lock()

    def run(client: Client, seed: int) -> None:
        rng = random.Random(seed)
        mine: list[tuple[str, int, float]] = []
        deadline = start_at[0] + seconds
        while time.monotonic() < deadline:
            task_id = rng.choice(ids)
            t0 = time.perf_counter()
            r = client.post(f"/api/v1/tasks/{task_id}/claim")
            mine.append(("claim", r.status_code, (time.perf_counter() - t0) * 1000))
            if r.status_code == 200:
                t0 = time.perf_counter()
                r = client.post(f"/api/v1/tasks/{task_id}/release", "{}", content_type="application/json")
                mine.append(("release", r.status_code, (time.perf_counter() - t0) * 1000))
        with lock:
            samples.extend(mine)

    out.put("ready")
    start.wait()
    start_at = [time.monotonic()]
    threads = [threading.Thread(target=run, args=(c, hash(p))) for c, p in zip(clients, people, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(samples)


def one_run(args: argparse.Namespace, endpoint: str, shops: int) -> dict[str, Any]:
    table = f"{TABLE}-{shops}"
    env = {
        "DJANGO_SETTINGS_MODULE": "voldash_site.settings",
        "VOLDASH_ENV": "test",
        "DYNAMODB_ENDPOINT_URL": endpoint,
        "DYNAMODB_TABLE": table,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "LOG_LEVEL": "ERROR",
    }
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=setup_table, args=(args.tree, env, args.volunteers, args.tasks, shops, q))
    p.start()
    ids = q.get(timeout=600)
    p.join()
    people = [str(7000 + i) for i in range(args.volunteers)]
    share = -(-len(people) // args.processes)
    start, out = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(
            target=worker,
            args=(args.tree, env, people[n * share : (n + 1) * share], ids, args.seconds, start, out),
        )
        for n in range(args.processes)
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        assert out.get(timeout=600) == "ready"
    load_start = load_average()
    progress(
        f"{shops} shop(s): {args.volunteers} volunteers racing for {args.tasks} tasks for {args.seconds} s"
    )
    start.set()
    samples = [s for _ in procs for s in out.get(timeout=args.seconds + 600)]
    for proc in procs:
        proc.join(timeout=60)
    claims = sorted(ms for kind, _, ms in samples if kind == "claim")
    codes = Counter(f"{kind} {code}" for kind, code, _ in samples)

    def pct(q: float) -> float:
        return claims[min(len(claims) - 1, int(q * len(claims)))]

    return {
        "shops": shops,
        "attempts": len(claims),
        "attempts_per_s": len(claims) / args.seconds,
        "p50_ms": statistics.median(claims),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "releases": codes.get("release 200", 0),
        "release_p50_ms": statistics.median([ms for kind, _, ms in samples if kind == "release"] or [0]),
        "codes": dict(codes),
        "load_average": [load_start, load_average()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", default=str(ROOT), help="the checkout whose code runs (default: this one)")
    parser.add_argument("--seconds", type=float, default=70)
    parser.add_argument("--volunteers", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--shops", type=int, nargs="+", default=[1, 2], choices=[1, 2])
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    args.tree = str(Path(args.tree).resolve())
    print(f"bench_claims on {args.tree}: load average at start {load_average()}", flush=True)
    results = []
    with dynamodb_local() as endpoint:
        for shops in args.shops:
            r = one_run(args, endpoint, shops)
            results.append(r)
            print(
                f"{shops} shop(s): {r['attempts']} claim attempts in {args.seconds:.0f} s "
                f"({r['attempts_per_s']:.1f}/s), p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, "
                f"p99 {r['p99_ms']:.0f} ms; {r['releases']} won and released (release p50 "
                f"{r['release_p50_ms']:.0f} ms); {r['codes']}; load {r['load_average']}",
                flush=True,
            )
    if args.json:
        Path(args.json).write_text(json.dumps({"tree": args.tree, "runs": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
