#!/usr/bin/env python3
"""Performance against the targets and against a FastAPI + Mangum + boto3 reference (issue 7).

Starts its own DynamoDB Local (in memory, free port) with two tables holding the same data
design: ``--small`` tasks (seeded with ``seed_demo``) and ``--large`` tasks (the same ``seed_demo``
tasks plus the rest written directly with ``batch_write_item``). Then, on this machine:

a. reads: ``GET /api/v1/tasks?shop=woodshop&limit=50``, the open feed ``GET /api/v1/tasks?limit=50``
   and ``GET /api/v1/tasks/{id}`` through voldash's Lambda handler and through the FastAPI reference's
   Mangum handler (``bench/fastapi_ref/app.py``), both with API Gateway v2 events, next to a raw
   boto3 Query returning the same page: p50/p95/p99 and DynamoDB requests per call;
b. scale: the same reads on both tables, interleaved, and the large/small p50 ratio;
c. writes: ``claim_task`` p50 and DynamoDB requests per claim; webhook and outbox throughput from
   ``bench/bench_sync.py``, run as a subprocess;
d. cold start of a fresh interpreter (import + first request) for voldash and the reference;
e. peak RSS of a fresh process after 1,000 requests;
f. PASS/MISS against the targets.

  .venv/bin/python bench/bench_perf.py [--small 1000] [--large 50000] [--requests 300]
                                       [--json PATH] [--markdown PATH]

Each app runs in its own worker process, one per app and table (six in all), and each timed
iteration calls all six once, in a shuffled order, so machine noise hits them alike. Timing is
taken inside the worker, around the handler call. Latencies are against DynamoDB Local on this
machine, not AWS: read the ratios and the request counts, not the absolute milliseconds.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import bench_reads as br
from common import RSS_CODE as RSS_TEMPLATE
from common import BenchError, load_launcher, progress, time_limit
from common import machine as common_machine

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
TABLES = {"small": "voldash-perf-small", "large": "voldash-perf-large"}
SIZES = ("small", "large")
APPS = ("voldash", "fastapi", "boto3")
APP_LABELS = {
    "voldash": "voldash (Lambda handler)",
    "fastapi": "FastAPI ref (Mangum)",
    "boto3": "raw boto3 Query",
}
SHOP = "woodshop"
PAGE = 50
HISTORY_ON_DETAIL = 20
WARMUP = 20
COLD_RUNS = 5
RSS_REQUESTS = 1000
BOOTSTRAP = 1000  # resamples for the 95% intervals of p50 ratios
CLAIM_LIMIT = 3
CLAIM_WARMUP = 6
BATCH = 25
BULK_THREADS = 4
TIME_LIMIT_S = 20 * 60
SYNC_TIMEOUT_S = 400
CHILD_TIMEOUT_S = 900

TARGET_VS_BOTO3 = 1.2
TARGET_VS_FASTAPI = 1.0
TARGET_GAP = 0.5  # issue 15: voldash's time above the raw Query <= half the reference's
TARGET_RSS_MB = 128.0
TARGET_SCALE = 1.15

IMPORTS = {
    "voldash": "from voldash_site.lambda_handler import handler",
    "fastapi": "from fastapi_ref.app import handler",
}

# Run with `python -c CODE EVENT BENCH_DIR`: import a handler, then serve one request.
COLD_START_CODE = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
t0 = time.perf_counter()
IMPORT_HANDLER
t1 = time.perf_counter()
response = handler(json.loads(sys.argv[1]), None)
t2 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1000, "first_request_ms": (t2 - t1) * 1000,
                  "status": response["statusCode"]}))
"""

RSS_CODE = RSS_TEMPLATE


@dataclass(frozen=True)
class Read:
    """One read: the HTTP request both apps serve, and the raw Query returning the same page."""

    key: str
    path: str
    query: str
    shown: str
    raw_label: str
    raw_kwargs: dict[str, Any]

    def spec(self) -> dict[str, Any]:
        return asdict(self)


def list_read(key: str, query: str, index: str, hash_attr: str, hash_value: str) -> Read:
    return Read(
        key=key,
        path="/api/v1/tasks",
        query=query,
        shown=f"GET /api/v1/tasks?{query}",
        raw_label=f"boto3 Query {index} {hash_attr}={hash_value}, Limit {PAGE + 1}",
        raw_kwargs={
            "IndexName": index,
            "KeyConditionExpression": f"{hash_attr} = :pk",
            "ExpressionAttributeValues": {":pk": {"S": hash_value}},
            "ScanIndexForward": False,
            "Limit": PAGE + 1,
        },
    )


def detail_read(task_id: str) -> Read:
    return Read(
        key="c",
        path=f"/api/v1/tasks/{task_id}",
        query="",
        shown="GET /api/v1/tasks/{id}",
        raw_label=f"boto3 Query PK=TASK#{{id}}, Limit {1 + HISTORY_ON_DETAIL}, consistent",
        raw_kwargs={
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"TASK#{task_id}"}},
            "ScanIndexForward": False,
            "Limit": 1 + HISTORY_ON_DETAIL,
            "ConsistentRead": True,
        },
    )


LIST_READS = (
    list_read("a", f"shop={SHOP}&limit={PAGE}", "GSI1", "GSI1PK", f"SHOP#{SHOP}"),
    list_read("b", f"limit={PAGE}", "GSI2", "GSI2PK", "STATUS#OPEN"),
)


# --- shared helpers --------------------------------------------------------------------------


def table_env(endpoint_url: str, table: str) -> dict[str, str]:
    """The process environment plus bench_reads.py's settings, for one table."""
    return {**os.environ, **br.bench_env(endpoint_url), "DYNAMODB_TABLE": table}


def protocol_stdout() -> IO[str]:
    """Keep the real stdout for our JSON lines; send fd 1 (stray prints, stdout logging) to stderr."""
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    return out


class CallCounter:
    """Counts a botocore client's DynamoDB calls, like voldash_site.dynamodb.metrics does for voldash."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        client.meta.events.register("before-call.dynamodb.*", self._on_call)

    def _on_call(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    @contextlib.contextmanager
    def count(self) -> Iterator[Counter[str]]:
        before = Counter(self.calls)
        seen: Counter[str] = Counter()
        try:
            yield seen
        finally:
            after = Counter(self.calls)
            after.subtract(before)
            seen.update({op: n for op, n in after.items() if n})


def item_size(value: Any) -> int:
    """An item's size as DynamoDB bills it, roughly: names plus values (strings as UTF-8, numbers
    as their digits), 3 bytes of overhead per map or list."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("S", "N", "B", "BOOL", "NULL"):
        ((kind, v),) = value.items()
        return 1 if kind in ("BOOL", "NULL") else len(str(v).encode())
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("M", "L"):
        inner = next(iter(value.values()))
        parts = inner.items() if isinstance(inner, dict) else ((None, v) for v in inner)
        return 3 + sum((len(k.encode()) if k else 0) + item_size(v) for k, v in parts)
    return sum(len(k.encode()) + item_size(v) for k, v in value.items())


def percentiles(samples: list[float]) -> dict[str, float]:
    return asdict(br.Percentiles.of(samples))


# --- worker processes (one per app and table) -------------------------------------------------


class AppUnderTest:
    """What a worker serves: ``call`` returns the HTTP status, ``count`` the DynamoDB calls made."""

    def __init__(self, app: str, table: str) -> None:
        self.app = app
        self.table = table
        self.reads: dict[str, Read] = {}
        self.events: dict[str, dict[str, Any]] = {}
        if app == "voldash":
            from voldash_site.dynamodb.metrics import count_calls
            from voldash_site.lambda_handler import handler

            self._handler: Callable[[dict[str, Any], Any], dict[str, Any]] | None = handler
            self._count_calls: Callable[[], Any] = count_calls
        elif app == "fastapi":
            from fastapi_ref import app as reference

            self._handler = reference.handler
            counter = CallCounter(reference.client)
            self._count_calls = counter.count
        elif app == "boto3":
            import boto3

            from voldash_site.dynamodb.connection import TableConfig

            endpoint = os.environ["DYNAMODB_ENDPOINT_URL"]
            config = TableConfig(table_name=table, region=os.environ["AWS_REGION"], endpoint_url=endpoint)
            self._client = boto3.client(
                "dynamodb", region_name=config.region, endpoint_url=endpoint, **config.credentials()
            )
            self._handler = None
            counter = CallCounter(self._client)
            self._count_calls = counter.count
        else:
            raise BenchError(f"unknown app {app!r}")

    def define(self, reads: list[dict[str, Any]]) -> None:
        for spec in reads:
            read = Read(**spec)
            self.reads[read.key] = read
            self.events[read.key] = br.make_event(read.path, read.query)

    def call(self, key: str) -> int:
        if self._handler is None:
            self._client.query(TableName=self.table, **self.reads[key].raw_kwargs)
            return 200
        return int(self._handler(self.events[key], None)["statusCode"])

    def body(self, key: str) -> Any:
        if self._handler is None:
            items = self._client.query(TableName=self.table, **self.reads[key].raw_kwargs)["Items"]
            if key == "c":
                return {"ids": [i["id"]["S"] for i in items if i["SK"]["S"] == "TASK"]}
            return {"ids": [i["id"]["S"] for i in items[:PAGE]]}
        response = self._handler(self.events[key], None)
        return {"status": response["statusCode"], "json": br.json_body(response)}

    def cost(self, key: str) -> dict[str, Any]:
        """What one page costs to move: the response body (apps) or, for the raw Query, the read
        capacity DynamoDB reports and the items' size as DynamoDB counts it (approximately)."""
        if self._handler is None:
            result = self._client.query(
                TableName=self.table, ReturnConsumedCapacity="TOTAL", **self.reads[key].raw_kwargs
            )
            return {
                "items": len(result["Items"]),
                "item_bytes": sum(item_size(i) for i in result["Items"]),
                "read_capacity": (result.get("ConsumedCapacity") or {}).get("CapacityUnits"),
            }
        response = self._handler(self.events[key], None)
        return {"body_bytes": len((response.get("body") or "").encode())}

    def count(self, key: str) -> dict[str, Any]:
        with self._count_calls() as log:
            status = self.call(key)
        by_op = dict(log.by_operation) if hasattr(log, "by_operation") else dict(log)
        return {"status": status, "total": sum(by_op.values()), "by_operation": dict(sorted(by_op.items()))}


def worker_main(app: str) -> int:
    """Serve JSON-line commands on stdin: define, warm, call, count, body, quit."""
    out = protocol_stdout()
    started = time.perf_counter()
    try:
        served = AppUnderTest(app, os.environ["DYNAMODB_TABLE"])
    except Exception as exc:
        out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        return 1
    out.write(json.dumps({"ready": True, "setup_ms": (time.perf_counter() - started) * 1000}) + "\n")
    for line in sys.stdin:
        msg = json.loads(line)
        op = msg["op"]
        try:
            if op == "quit":
                break
            if op == "define":
                served.define(msg["reads"])
                reply: dict[str, Any] = {"ok": True}
            elif op == "warm":
                statuses = [served.call(msg["key"]) for _ in range(msg["n"])]
                reply = {"bad": [s for s in statuses if s != 200]}
            elif op == "call":
                t0 = time.perf_counter()
                status = served.call(msg["key"])
                reply = {"ms": (time.perf_counter() - t0) * 1000, "status": status}
            elif op == "count":
                reply = served.count(msg["key"])
            elif op == "cost":
                reply = served.cost(msg["key"])
            elif op == "body":
                reply = served.body(msg["key"])
            else:
                reply = {"error": f"unknown op {op!r}"}
        except Exception as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply) + "\n")
    return 0


class Worker:
    def __init__(self, app: str, size: str, env: dict[str, str], log_dir: Path) -> None:
        self.app = app
        self.size = size
        self.name = f"{app}/{size}"
        self.log_path = log_dir / f"worker-{app}-{size}.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__)), "--internal", "worker", "--internal-args", app],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
        )

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self._log.flush()
            tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise BenchError(f"worker {self.name} exited (code {self.proc.poll()}):\n{tail}")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise BenchError(f"worker {self.name}: {reply['error']}")
        return reply

    def ready(self) -> dict[str, Any]:
        return self._read()

    def ask(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError, ValueError):
            if self.proc.poll() is None and self.proc.stdin is not None:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


# --- internal child modes: seeding and writes -------------------------------------------------


def prepare_main(args: dict[str, Any]) -> int:
    """Create the table, seed_demo ``demo_tasks`` tasks, then batch-write ``bulk_tasks`` more."""
    out = protocol_stdout()
    import django
    from django.core.management import call_command

    django.setup()
    anchor = datetime.fromisoformat(args["anchor"])
    call_command("ddb_create_table", stdout=io.StringIO())
    t0 = time.perf_counter()
    call_command("seed_demo", tasks=args["demo_tasks"], seed=1, anchor=anchor, stdout=io.StringIO())
    result: dict[str, Any] = {"seed_demo_tasks": args["demo_tasks"], "seed_demo_s": time.perf_counter() - t0}
    if args["bulk_tasks"] > 0:
        result["bulk"] = bulk_seed(args["demo_tasks"], args["bulk_tasks"], anchor)
    out.write(json.dumps(result) + "\n")
    return 0


def bulk_seed(demo_tasks: int, bulk_tasks: int, anchor: datetime) -> dict[str, Any]:
    """Write ``bulk_tasks`` more demo tasks (seed 2) exactly as voldash stores them, 25 per request.

    ``_TaskItem.from_task(...).serialize()`` is PynamoDB's attribute-value map of the item, the one a
    PutItem sends: keys, GSI keys and the ``type`` discriminator included. Shop counters are not
    updated (no read path in this benchmark uses them).
    """
    from tasks.repository import _TaskItem
    from voldash_site.demo.data import build_demo_data
    from voldash_site.dynamodb.connection import config_from_settings

    t0 = time.perf_counter()
    taken = {t.id for t in build_demo_data(tasks=demo_tasks, seed=1, now=anchor).tasks}
    extra = [t for t in build_demo_data(tasks=bulk_tasks, seed=2, now=anchor).tasks if t.id not in taken]
    items = [_TaskItem.from_task(t, revision=1).serialize() for t in extra]
    build_s = time.perf_counter() - t0
    for required in ("PK", "SK", "type", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"):
        if any(required not in item for item in items):
            raise BenchError(f"serialize() gave an item without {required}")

    config = config_from_settings()
    client = config.boto3_client()
    lock = threading.Lock()
    stats = {"requests": 0, "retried_batches": 0, "written": 0}
    next_report = [10_000]

    def write(batch: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {config.table_name: [{"PutRequest": {"Item": i}} for i in batch]}
        delay, requests, retried = 0.05, 0, False
        while pending:
            response = client.batch_write_item(RequestItems=pending)
            requests += 1
            pending = response.get("UnprocessedItems") or {}
            if pending:
                retried = True
                time.sleep(delay)
                delay = min(1.0, delay * 2)
        with lock:
            stats["requests"] += requests
            stats["retried_batches"] += int(retried)
            stats["written"] += len(batch)
            if stats["written"] >= next_report[0]:
                progress(f"  bulk: {stats['written']} of {len(items)} tasks written")
                next_report[0] += 10_000

    batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
    t1 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=BULK_THREADS) as pool:
        list(pool.map(write, batches))
    write_s = time.perf_counter() - t1
    return {
        "requested": bulk_tasks,
        "skipped_duplicate_ids": bulk_tasks - len(extra),
        "written": stats["written"],
        "build_s": build_s,
        "write_s": write_s,
        "requests": stats["requests"],
        "retried_batches": stats["retried_batches"],
        "threads": BULK_THREADS,
        "items_per_s": stats["written"] / write_s if write_s else 0.0,
    }


def writes_main(args: dict[str, Any]) -> int:
    """``claim_task`` on open tasks by volunteers holding every certification (3 claims each)."""
    out = protocol_stdout()
    import django

    django.setup()
    from shops.catalog import ASMBLY_SHOPS
    from tasks.domain import TaskStatus
    from tasks.lifecycle import claim_task
    from voldash_site.container import get_container
    from voldash_site.dynamodb.metrics import count_calls
    from volunteers.domain import Volunteer

    container = get_container()
    wanted = args["claims"] + CLAIM_WARMUP
    open_ids: list[str] = []
    cursor: str | None = None
    while len(open_ids) < wanted:
        page = container.tasks.list_by_status(TaskStatus.OPEN, limit=100, cursor=cursor)
        open_ids += [t.id for t in page.items if t.assignee is None]
        cursor = page.next_cursor
        if not cursor:
            break
    open_ids = open_ids[:wanted]
    if len(open_ids) <= CLAIM_WARMUP + 1:
        raise BenchError(f"only {len(open_ids)} open tasks to claim")
    certifications = frozenset(c.neon_field_id for s in ASMBLY_SHOPS for c in s.required_certifications)
    people = [f"9{n:05d}" for n in range(math.ceil(len(open_ids) / CLAIM_LIMIT))]
    for n, neon_id in enumerate(people):
        container.volunteers.save(
            Volunteer(
                neon_id=neon_id,
                name=f"Perf Volunteer {n}",
                email=f"perf{n}@example.org",
                membership_active=True,
                certifications=certifications,
            )
        )
    deps = container.lifecycle()
    samples: list[float] = []
    totals: list[int] = []
    ops: Counter[str] = Counter()
    for n, task_id in enumerate(open_ids):
        with count_calls() as log:
            t0 = time.perf_counter()
            claim_task(task_id=task_id, actor_id=people[n // CLAIM_LIMIT], deps=deps)
            ms = (time.perf_counter() - t0) * 1000
        if n < CLAIM_WARMUP:
            continue  # first claims also fill the shop cache and open connections
        samples.append(ms)
        totals.append(log.total)
        ops.update(log.by_operation)
    claimed = len(samples)
    out.write(
        json.dumps(
            {
                "claims": claimed,
                "warmup": CLAIM_WARMUP,
                "volunteers": len(people),
                "latency_ms": percentiles(samples),
                "ddb_per_claim": sum(totals) / claimed,
                "ddb_per_claim_min": min(totals),
                "ddb_per_claim_max": max(totals),
                "by_operation_per_claim": {op: n / claimed for op, n in sorted(ops.items())},
            }
        )
        + "\n"
    )
    return 0


def run_internal(mode: str, args: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """Run one of this script's internal modes in a fresh interpreter; return its JSON line.
    Its stderr (progress, warnings, a traceback) goes straight to ours."""
    proc = subprocess.run(
        [sys.executable, str(Path(__file__)), "--internal", mode, "--internal-args", json.dumps(args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise BenchError(f"{mode} child failed (exit {proc.returncode}); its stderr is above")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# --- measurements -------------------------------------------------------------------------------


def normalized(body: dict[str, Any]) -> dict[str, Any]:
    """A task dict without voldash's ``viewer`` (null when anonymous) and with datetimes parsed."""
    out = {k: v for k, v in body.items() if k != "viewer"}
    for name in ("created_at", "updated_at"):
        if isinstance(out.get(name), str):
            out[name] = datetime.fromisoformat(out[name]).isoformat()
    return out


def page_checks(workers: dict[tuple[str, str], Worker], size: str, read: Read) -> dict[str, Any]:
    """Do voldash, the reference and raw boto3 return the same tasks with the same fields?"""
    bodies = {app: workers[(app, size)].ask("body", key=read.key) for app in APPS}
    for app in ("voldash", "fastapi"):
        if bodies[app]["status"] != 200:
            raise BenchError(f"{app} {read.shown} on the {size} table returned {bodies[app]['status']}")
    voldash, fastapi = bodies["voldash"]["json"], bodies["fastapi"]["json"]
    if read.key == "c":
        v_items, f_items = [voldash], [fastapi]
    else:
        v_items, f_items = voldash["items"], fastapi["items"]
    v_ids = [t["id"] for t in v_items]
    mismatched: set[str] = set()
    for v, f in zip(v_items, f_items, strict=False):
        nv, nf = normalized(v), normalized(f)
        mismatched |= {k for k in nv.keys() | nf.keys() if nv.get(k, "<absent>") != nf.get(k, "<absent>")}
    return {
        "items": len(v_items),
        "voldash_eq_boto3_ids": v_ids == bodies["boto3"]["ids"],
        "voldash_eq_fastapi_ids": v_ids == [t["id"] for t in f_items],
        "fields_differing": sorted(mismatched),
        "voldash_has_next_cursor": bool(voldash.get("next_cursor")) if read.key != "c" else None,
        "fastapi_has_next_cursor": bool(fastapi.get("next_cursor")) if read.key != "c" else None,
    }


def measure_reads(
    workers: dict[tuple[str, str], Worker], reads: list[Read], requests: int, rng: random.Random
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    order = list(workers)
    for read in reads:
        progress(f"reads ({read.key}) {read.shown}: {WARMUP} warm-up + {requests} interleaved iterations")
        row: dict[str, Any] = {"label": read.shown, "raw_label": read.raw_label, "sizes": {}}
        for size in SIZES:
            checks = page_checks(workers, size, read)
            counts = {app: workers[(app, size)].ask("count", key=read.key) for app in APPS}
            cost = {app: workers[(app, size)].ask("cost", key=read.key) for app in APPS}
            row["sizes"][size] = {"checks": checks, "ddb": counts, "cost": cost}
        for w in workers.values():
            bad = w.ask("warm", key=read.key, n=WARMUP)["bad"]
            if bad:
                raise BenchError(f"{w.name} warm-up {read.shown}: non-200 {bad[:5]}")
        samples: dict[tuple[str, str], list[float]] = {k: [] for k in workers}
        for _ in range(requests):
            rng.shuffle(order)
            for k in order:
                reply = workers[k].ask("call", key=read.key)
                if reply["status"] != 200:
                    raise BenchError(f"{workers[k].name} {read.shown} returned {reply['status']}")
                samples[k].append(reply["ms"])
        boot = random.Random(11)
        for size in SIZES:
            lat = {app: percentiles(samples[(app, size)]) for app in APPS}
            cell = row["sizes"][size]
            cell["latency"] = lat
            cell["ratio_vs_boto3"] = lat["voldash"]["p50"] / lat["boto3"]["p50"]
            cell["ratio_vs_fastapi"] = lat["voldash"]["p50"] / lat["fastapi"]["p50"]
            voldash = samples[("voldash", size)]
            cell["ci95_vs_boto3"] = median_ratio_ci(voldash, samples[("boto3", size)], boot)
            cell["ci95_vs_fastapi"] = median_ratio_ci(voldash, samples[("fastapi", size)], boot)
        row["scale_p50"] = {
            app: row["sizes"]["large"]["latency"][app]["p50"] / row["sizes"]["small"]["latency"][app]["p50"]
            for app in APPS
        }
        row["scale_ci95"] = {
            app: median_ratio_ci(samples[(app, "large")], samples[(app, "small")], boot) for app in APPS
        }
        row["samples_ms"] = {f"{app}/{size}": samples[(app, size)] for app, size in samples}
        out[read.key] = row
    return out


def median_ratio_ci(
    num: list[float], den: list[float], rng: random.Random, resamples: int = BOOTSTRAP
) -> list[float]:
    """95% bootstrap interval of median(num) / median(den). The two lists are paired by iteration
    (both were timed in the same interleaved round), so iterations are resampled together."""
    n = len(num)
    ratios = []
    for _ in range(resamples):
        picks = [rng.randrange(n) for _ in range(n)]
        ratios.append(statistics.median(num[i] for i in picks) / statistics.median(den[i] for i in picks))
    ratios.sort()
    return [ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1]]


def cold_starts(env: dict[str, str], read: Read) -> dict[str, Any]:
    """COLD_RUNS fresh interpreters per app, alternating voldash and the reference."""
    event = json.dumps(br.make_event(read.path, read.query))
    samples: dict[str, list[dict[str, float]]] = {app: [] for app in IMPORTS}
    for _ in range(COLD_RUNS):
        for app, line in IMPORTS.items():
            code = COLD_START_CODE.replace("IMPORT_HANDLER", line)
            out, wall_ms = br.run_child(code, [event, str(BENCH_DIR)], env)
            if out["status"] != 200:
                raise BenchError(f"cold start {app}: first request returned {out['status']}")
            samples[app].append(
                {
                    "import_ms": out["import_ms"],
                    "first_request_ms": out["first_request_ms"],
                    "sum_ms": out["import_ms"] + out["first_request_ms"],
                    "process_wall_ms": wall_ms,
                }
            )
    result: dict[str, Any] = {"runs": COLD_RUNS, "request": read.shown}
    for app, runs in samples.items():
        result[app] = {f"median_{k}": statistics.median(s[k] for s in runs) for k in runs[0]} | {
            "samples": runs
        }
    return result


def peak_rss(env: dict[str, str], reads: list[Read], app: str) -> dict[str, Any]:
    events = json.dumps([br.make_event(r.path, r.query) for r in reads])
    code = RSS_CODE.replace("IMPORT_HANDLER", IMPORTS[app])
    out, _ = br.run_child(code, [events, str(RSS_REQUESTS), str(BENCH_DIR)], env, own_rusage=True)
    bad = {status: n for status, n in out["statuses"].items() if status != "200"}
    if bad:
        raise BenchError(f"peak RSS run {app}: non-200 responses {bad}")

    def vmhwm(stage: str) -> float | None:
        kib = out[stage]["vmhwm_kib"]
        return kib / 1024 if kib is not None else None

    return {
        "requests": RSS_REQUESTS,
        "after_import_mb": br.maxrss_mb(out["after_import"]["maxrss"]),
        "peak_mb": br.maxrss_mb(out["after_requests"]["maxrss"]),
        "vmhwm_after_import_mb": vmhwm("after_import"),
        "vmhwm_peak_mb": vmhwm("after_requests"),
    }


def run_bench_sync(log_dir: Path) -> dict[str, Any]:
    """bench_sync.py in its own process (it starts its own DynamoDB Local and fakes)."""
    json_path = log_dir / "bench_sync.json"
    command = [sys.executable, str(BENCH_DIR / "bench_sync.py"), "--json", str(json_path)]
    started = time.perf_counter()
    proc = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=SYNC_TIMEOUT_S, check=False
    )
    if proc.returncode != 0 or not json_path.exists():
        raise BenchError(f"bench_sync.py failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    t, o = data["throughput"], data["outbox"]
    rec, pro, dlv = t["receive"], t["process"], o["deliver"]
    return {
        "command": ".venv/bin/python bench/bench_sync.py (defaults)",
        "wall_s": time.perf_counter() - started,
        "events": t["events"],
        "receive_per_s": rec["per_s"],
        "receive_p50_ms": rec["latency_ms"]["p50"],
        "receive_ddb_per_event": rec["ddb"]["total"] / t["events"],
        "process_per_s": pro["per_s"],
        "process_ddb_per_event": pro["ddb"]["total"] / pro["processed"] if pro["processed"] else None,
        "per_event": {
            k: {"receive": v["receive"]["total"], "process": v["process"]["total"]}
            for k, v in data["per_event"].items()
        },
        "outbox_handled": dlv["handled"],
        "outbox_per_s": dlv["per_s"],
        "outbox_ddb_per_message": dlv["ddb"]["total"] / dlv["handled"] if dlv["handled"] else None,
        "outbox_sent": dlv["report"]["sent"],
        "outbox_failed": dlv["report"]["failed"],
        "sync_claims": o["claims"],
        "sync_claim_per_s": o["claim"]["per_s"],
        "sync_claim_ddb_each": o["claim"]["ddb"]["total"] / o["claims"],
    }


# --- targets and report -------------------------------------------------------------------------


def size_label(results: dict[str, Any], size: str) -> str:
    return f"{results['params'][size]:,} tasks"


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(name: str, value: float, limit: float, unit: str, ci: list[float] | None = None) -> None:
        ok = value < limit if unit == "MB" else value <= limit
        rows.append({"target": name, "value": value, "limit": limit, "unit": unit, "ci95": ci, "pass": ok})

    for key, row in results["reads"].items():
        for size in SIZES:
            cell = row["sizes"][size]
            where = f"({key}) @{size_label(results, size)}"
            name = f"{where}: voldash p50 <= {TARGET_VS_BOTO3}x raw boto3"
            add(name, cell["ratio_vs_boto3"], TARGET_VS_BOTO3, "x", cell["ci95_vs_boto3"])
            name = f"{where}: voldash p50 <= {TARGET_VS_FASTAPI}x FastAPI ref"
            add(name, cell["ratio_vs_fastapi"], TARGET_VS_FASTAPI, "x", cell["ci95_vs_fastapi"])
    for key, row in results["reads"].items():
        for size in SIZES:
            lat = row["sizes"][size]["latency"]
            gap_ratio = (lat["voldash"]["p50"] - lat["boto3"]["p50"]) / (
                lat["fastapi"]["p50"] - lat["boto3"]["p50"]
            )
            name = (
                f"({key}) @{size_label(results, size)}: voldash p50 above raw boto3 <= {TARGET_GAP}x "
                "the FastAPI ref's above it"
            )
            add(name, gap_ratio, TARGET_GAP, "x")
    small, large = size_label(results, "small"), size_label(results, "large")
    for key, row in results["reads"].items():
        name = f"({key}) voldash p50 @{large} <= {TARGET_SCALE}x @{small}"
        add(name, row["scale_p50"]["voldash"], TARGET_SCALE, "x", row["scale_ci95"]["voldash"])
    cold = results["cold_start"]
    add(
        "cold start (import + first request) <= FastAPI ref's",
        cold["voldash"]["median_sum_ms"],
        cold["fastapi"]["median_sum_ms"],
        "ms",
    )
    rss = results["peak_rss"]["voldash"]["peak_mb"]
    add(f"peak RSS after {RSS_REQUESTS} requests < {TARGET_RSS_MB:.0f} MB", rss, TARGET_RSS_MB, "MB")
    return rows


def _ci(ci: list[float] | None) -> str:
    return "" if ci is None else f"{ci[0]:.2f}-{ci[1]:.2f}"


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _ms(x: float) -> str:
    return f"{x:.2f}"


def _x(x: float) -> str:
    return f"{x:.2f}x"


def _mb(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1f}"


def _ops(by_op: dict[str, Any]) -> str:
    return ", ".join(f"{op}={n:g}" for op, n in by_op.items()) or "-"


def build_tables(results: dict[str, Any]) -> list[Table]:
    p = results["params"]
    tables: list[Table] = []

    seed = results["seeding"]
    t = Table("Seeding", ["table", "how", "seconds"])
    t.rows.append(
        [
            size_label(results, "small"),
            f"seed_demo --tasks {p['small']}",
            f"{seed['small']['seed_demo_s']:.1f}",
        ]
    )
    large = seed["large"]
    t.rows.append(
        [
            size_label(results, "large"),
            f"seed_demo --tasks {large['seed_demo_tasks']}",
            f"{large['seed_demo_s']:.1f}",
        ]
    )
    if "bulk" in large:
        b = large["bulk"]
        t.rows.append(["", f"build + serialize {b['written']:,} _TaskItems", f"{b['build_s']:.1f}"])
        t.rows.append(
            [
                "",
                f"batch_write_item {b['written']:,} tasks ({b['requests']:,} requests, "
                f"{b['threads']} threads, {b['items_per_s']:,.0f} items/s)",
                f"{b['write_s']:.1f}",
            ]
        )
        t.notes.append(
            f"Bulk tasks: build_demo_data(seed=2), stored via _TaskItem.from_task(...).serialize(); "
            f"{b['skipped_duplicate_ids']} id collisions skipped, {b['retried_batches']} batches retried "
            "for UnprocessedItems. Shop counters were not updated for them."
        )
    tables.append(t)

    for size in SIZES:
        t = Table(
            f"a. Reads @{size_label(results, size)} (ms, {p['requests']} interleaved calls each)",
            ["", "p50", "p95", "p99", "DDB/call"],
        )
        for key, row in results["reads"].items():
            cell = row["sizes"][size]
            t.rows.append([f"({key}) {row['label']}", "", "", "", ""])
            for app in APPS:
                lat = cell["latency"][app]
                label = APP_LABELS[app] if app != "boto3" else row["raw_label"]
                ddb = cell["ddb"][app]
                t.rows.append(
                    [f"    {label}", _ms(lat["p50"]), _ms(lat["p95"]), _ms(lat["p99"]), str(ddb["total"])]
                )
            cost = cell.get("cost")
            if cost:
                raw, v_bytes, f_bytes = (
                    cost["boto3"],
                    cost["voldash"]["body_bytes"],
                    cost["fastapi"]["body_bytes"],
                )
                t.rows.append(
                    [
                        f"    page cost: raw Query {raw['items']} items, ~{raw['item_bytes']:,} bytes as "
                        f"stored, {raw['read_capacity']} read capacity units; response body: voldash "
                        f"{v_bytes:,} bytes, FastAPI ref {f_bytes:,}",
                        "",
                        "",
                        "",
                        "",
                    ]
                )
            c = cell["checks"]
            same = "same" if c["voldash_eq_boto3_ids"] and c["voldash_eq_fastapi_ids"] else "DIFFERENT"
            fields = "same fields" if not c["fields_differing"] else f"fields differ: {c['fields_differing']}"
            t.rows.append(
                [
                    f"    voldash/boto3 p50 {_x(cell['ratio_vs_boto3'])} ({_ci(cell['ci95_vs_boto3'])}), "
                    f"voldash/FastAPI p50 {_x(cell['ratio_vs_fastapi'])} ({_ci(cell['ci95_vs_fastapi'])}); "
                    f"{c['items']} task{'' if c['items'] == 1 else 's'}, {same} ids in all three, {fields}",
                    "",
                    "",
                    "",
                    "",
                ]
            )
        tables.append(t)
    tables[-2].notes.append(
        "DDB/call: DynamoDB requests made by one call (voldash: voldash_site.dynamodb.metrics.count_calls; "
        "FastAPI ref and raw boto3: a before-call.dynamodb.* hook on their client). In brackets: 95% "
        f"bootstrap interval of the p50 ratio ({BOOTSTRAP} resamples of the paired iterations)."
    )

    t = Table(
        f"b. Scale: p50 @{size_label(results, 'large')} / p50 @{size_label(results, 'small')}",
        ["", "voldash", "(95% CI)", "FastAPI", "boto3", "gap small", "gap large"],
    )
    for key, row in results["reads"].items():
        s = row["scale_p50"]
        gaps = [
            row["sizes"][size]["latency"]["voldash"]["p50"] - row["sizes"][size]["latency"]["boto3"]["p50"]
            for size in SIZES
        ]
        t.rows.append(
            [
                f"({key}) {row['label']}",
                _x(s["voldash"]),
                f"({_ci(row['scale_ci95']['voldash'])})",
                _x(s["fastapi"]),
                _x(s["boto3"]),
                *(f"{g:.2f} ms" for g in gaps),
            ]
        )
    t.notes.append("Both tables are read in the same interleaved loop, so drift over time hits both alike.")
    t.notes.append(
        "gap = voldash p50 minus raw boto3 p50 on that table (ms): the part of the p50 that is not the "
        "DynamoDB Local round trip."
    )
    tables.append(t)

    w = results["writes"]
    t = Table("c. Writes", ["", "value"])
    lat = w["latency_ms"]
    t.rows.append(
        [
            f"claim_task p50 / p95 / p99 ms ({w['claims']} claims after {w['warmup']} warm-up)",
            f"{_ms(lat['p50'])} / {_ms(lat['p95'])} / {_ms(lat['p99'])}",
        ]
    )
    t.rows.append(["DynamoDB requests per claim", f"{w['ddb_per_claim']:g}"])
    t.rows.append(["    by operation", _ops(w["by_operation_per_claim"])])
    s = results.get("sync")
    if s:
        t.rows += [
            ["bench_sync.py: webhook receive events/s (POST /webhooks/clickup)", f"{s['receive_per_s']:.1f}"],
            ["    DynamoDB requests per received event", f"{s['receive_ddb_per_event']:.2f}"],
            [
                "bench_sync.py: webhook processing events/s (incl. fake ClickUp GET)",
                f"{s['process_per_s']:.1f}",
            ],
            [
                "    DynamoDB requests per processed event",
                "n/a" if s["process_ddb_per_event"] is None else f"{s['process_ddb_per_event']:.2f}",
            ],
            [
                "    per single event (receive + process): change / duplicate / stale",
                " / ".join(f"{v['receive']}+{v['process']}" for v in s["per_event"].values()),
            ],
            [
                f"bench_sync.py: outbox delivery messages/s ({s['outbox_handled']} messages)",
                f"{s['outbox_per_s']:.1f}",
            ],
            [
                "    DynamoDB requests per delivered message",
                "n/a" if s["outbox_ddb_per_message"] is None else f"{s['outbox_ddb_per_message']:.2f}",
            ],
        ]
        t.notes.append(
            f"bench_sync.py ran as a subprocess with its defaults ({s['events']} events, its own DynamoDB "
            f"Local and fake ClickUp/Slack/Discourse), {s['wall_s']:.0f} s; its outbox: sent "
            f"{s['outbox_sent']}, failed {s['outbox_failed']}."
        )
    else:
        t.notes.append("bench_sync.py was skipped (--no-sync).")
    tables.append(t)

    cold = results["cold_start"]
    t = Table(
        f"d. Cold start, median of {cold['runs']} fresh processes (ms), first request {cold['request']}",
        ["", "import", "1st request", "sum", "process wall"],
    )
    for app in IMPORTS:
        c = cold[app]
        t.rows.append(
            [
                APP_LABELS[app],
                f"{c['median_import_ms']:.1f}",
                f"{c['median_first_request_ms']:.1f}",
                f"{c['median_sum_ms']:.1f}",
                f"{c['median_process_wall_ms']:.1f}",
            ]
        )
    t.notes.append(
        "Each column is the median of its own samples (so sum is not always import + 1st request); process "
        "wall = measured by the parent, interpreter start included; .pyc files are warm."
    )
    tables.append(t)

    t = Table(
        f"e. Peak RSS of a fresh process (MB), {RSS_REQUESTS} requests cycling (a)-(c)",
        ["", "after import", "after requests", "VmHWM after"],
    )
    for app in IMPORTS:
        r = results["peak_rss"][app]
        t.rows.append(
            [APP_LABELS[app], _mb(r["after_import_mb"]), _mb(r["peak_mb"]), _mb(r["vmhwm_peak_mb"])]
        )
    t.notes.append("ru_maxrss of the child, started through /bin/sh so that it does not inherit ours.")
    tables.append(t)

    t = Table("f. Targets", ["", "measured", "95% CI", "limit", ""])
    for row in results["targets"]:
        unit = row["unit"]

        def fmt(x: float, unit: str = unit) -> str:
            return f"{x:.3f}x" if unit == "x" else f"{x:.1f} {unit}"

        t.rows.append(
            [
                row["target"],
                fmt(row["value"]),
                _ci(row["ci95"]),
                fmt(row["limit"]),
                "PASS" if row["pass"] else "MISS",
            ]
        )
    tables.append(t)
    return tables


def header_lines(results: dict[str, Any]) -> list[str]:
    m, p = results["machine"], results["params"]
    v = results["versions"]
    return [
        f"voldash performance benchmark | {m['platform']} | {m['cpu_count']} CPUs ({m['cpu_model']}) "
        f"| Python {m['python']} | {m['date_utc']}",
        f"command: {p['command']}",
        f"DynamoDB Local {p['dynamodb_local']} (in memory, this machine) | --small {p['small']} --large "
        f"{p['large']} --requests {p['requests']} | {{id}} = {p['task_id']}",
        "versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"load average (1/5/15 min) at start {results['load_start']}, at end {results['load_end']}",
        "reads: each app in its own worker process per table (6 workers); every timed iteration calls all "
        f"six once in a shuffled order, after {WARMUP} warm-up calls each; ms timed inside the worker",
    ]


def render_text(results: dict[str, Any]) -> str:
    lines = header_lines(results)
    for table in build_tables(results):
        lines += ["", table.title]
        cells = [table.columns, *(r for r in table.rows if any(r[1:]))]
        label_w = max(len(r[0]) for r in cells)
        widths = [max(8, *(len(r[i]) for r in cells)) + 2 for i in range(1, len(table.columns))]

        def line(row: list[str], label_w: int = label_w, widths: list[int] = widths) -> str:
            return f"  {row[0]:<{label_w}}" + "".join(
                f"{c:>{w}}" for c, w in zip(row[1:], widths, strict=True)
            )

        lines.append(line(table.columns))
        for row in table.rows:
            lines.append(line(row) if any(row[1:]) else f"  {row[0]}")
        lines += [f"  note: {n}" for n in table.notes]
    lines += ["", f"Total time, DynamoDB Local start to results: {results['elapsed_s']:.1f} s"]
    return "\n".join(lines)


def render_markdown(results: dict[str, Any]) -> str:
    head = header_lines(results)
    lines = [f"# {head[0]}", "", *[f"- {h}" for h in head[1:]]]
    for table in build_tables(results):
        lines += ["", f"### {table.title}", ""]
        lines.append("| " + " | ".join(c or " " for c in table.columns) + " |")
        lines.append("|" + "|".join([":---", *["---:"] * (len(table.columns) - 1)]) + "|")
        for row in table.rows:
            cells = [row[0].replace("|", "\\|").strip() or " ", *row[1:]]
            if row[0].startswith("    "):
                cells[0] = "&nbsp;&nbsp;" + cells[0]
            lines.append("| " + " | ".join(c or " " for c in cells) + " |")
        if table.notes:
            lines.append("")
            lines += [f"Note: {n}  " for n in table.notes]
    lines += ["", f"Total time, DynamoDB Local start to results: {results['elapsed_s']:.1f} s", ""]
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    info = common_machine()
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {**info, "cpu_model": model}


def versions() -> dict[str, str]:
    out = {}
    for name in ("Django", "django-ninja", "pynamodb", "apig-wsgi", "fastapi", "mangum", "pydantic", "boto3"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def load_average() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def run(args: argparse.Namespace, endpoint_url: str, log_dir: Path) -> dict[str, Any]:
    envs = {size: table_env(endpoint_url, TABLES[size]) for size in SIZES}
    anchor = datetime.combine(datetime.now(UTC).date(), dtime(0), tzinfo=UTC).isoformat()
    seeding: dict[str, Any] = {}
    progress(f"seeding {args.small} tasks with seed_demo (table {TABLES['small']})")
    seeding["small"] = run_internal(
        "prepare", {"demo_tasks": args.small, "bulk_tasks": 0, "anchor": anchor}, envs["small"]
    )
    progress(
        f"seeding {args.large} tasks: seed_demo {args.small}, then batch_write_item {args.large - args.small}"
    )
    seeding["large"] = run_internal(
        "prepare",
        {"demo_tasks": args.small, "bulk_tasks": args.large - args.small, "anchor": anchor},
        envs["large"],
    )

    progress("starting 6 workers (voldash, FastAPI ref, raw boto3) x (small, large)")
    workers: dict[tuple[str, str], Worker] = {}
    try:
        for size in SIZES:
            for app in APPS:
                workers[(app, size)] = Worker(app, size, envs[size], log_dir)
        setup_ms = {w.name: w.ready()["setup_ms"] for w in workers.values()}
        for w in workers.values():
            w.ask("define", reads=[r.spec() for r in LIST_READS])
        first = workers[("voldash", "small")].ask("body", key="a")["json"]["items"]
        if not first:
            raise BenchError(f"no {SHOP} tasks on the small table")
        task_id = first[0]["id"]
        reads = [*LIST_READS, detail_read(task_id)]
        for w in workers.values():
            w.ask("define", reads=[reads[2].spec()])
        reads_result = measure_reads(workers, reads, args.requests, random.Random(7))
    finally:
        for w in workers.values():
            w.close()

    progress(f"cold start x{COLD_RUNS} per app (alternating)")
    cold = cold_starts(envs["small"], reads[0])
    progress(f"peak RSS over {RSS_REQUESTS} requests per app")
    rss = {app: peak_rss(envs["small"], reads, app) for app in IMPORTS}
    progress(f"writes: {args.claims} claims on the small table")
    writes = run_internal("writes", {"claims": args.claims}, envs["small"])
    return {
        "params": {
            "small": args.small,
            "large": args.large,
            "requests": args.requests,
            "claims": args.claims,
            "warmup": WARMUP,
            "task_id": task_id,
            "anchor": anchor,
            "tables": TABLES,
        },
        "worker_setup_ms": setup_ms,
        "seeding": seeding,
        "reads": reads_result,
        "cold_start": cold,
        "peak_rss": rss,
        "writes": writes,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=1000, help="tasks in the small table (default 1000)")
    parser.add_argument("--large", type=int, default=50000, help="tasks in the large table (default 50000)")
    parser.add_argument("--requests", type=int, default=300, help="timed calls per app, read and table (300)")
    parser.add_argument("--claims", type=int, default=150, help="timed claim_task calls (default 150)")
    parser.add_argument("--no-sync", action="store_true", help="skip running bench_sync.py")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write results here")
    parser.add_argument(
        "--markdown", type=Path, default=None, metavar="PATH", help="also write a Markdown report"
    )
    parser.add_argument("--internal", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--internal-args", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.internal is None:
        if args.small < 60:
            parser.error("--small must be at least 60")
        if args.large < args.small:
            parser.error("--large must be at least --small")
        if args.requests < 2:
            parser.error("--requests must be at least 2")
        if args.claims < 2:
            parser.error("--claims must be at least 2")
    return args


def main(argv: list[str] | None = None) -> int:
    raw_argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.internal == "worker":
        return worker_main(args.internal_args)
    if args.internal == "prepare":
        return prepare_main(json.loads(args.internal_args))
    if args.internal == "writes":
        return writes_main(json.loads(args.internal_args))

    missing = [name for name in ("fastapi", "mangum") if importlib.util.find_spec(name) is None]
    if missing:
        print(
            f"bench needs {' and '.join(missing)} for the FastAPI reference: "
            ".venv/bin/python -m pip install -c constraints.txt -r bench/requirements.txt",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    load_start = load_average()
    launcher = load_launcher()
    port = launcher.free_port()
    progress(f"starting DynamoDB Local on 127.0.0.1:{port}")
    try:
        with time_limit(TIME_LIMIT_S), tempfile.TemporaryDirectory(prefix="bench-perf-") as tmp:
            proc = launcher.start(port, db_path=None)
            try:
                results = run(args, f"http://127.0.0.1:{port}", Path(tmp))
            finally:
                launcher.stop(proc)
            if not args.no_sync:
                progress("running bench/bench_sync.py (its own DynamoDB Local and fakes), about 40 s")
                results["sync"] = run_bench_sync(Path(tmp))
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    results["machine"] = machine()
    results["versions"] = versions()
    results["params"]["command"] = " ".join([".venv/bin/python", "bench/bench_perf.py", *raw_argv])
    results["params"]["dynamodb_local"] = launcher.find_jar().parent.name.removeprefix("dynamodb_local_")
    results["load_start"] = load_start
    results["load_end"] = load_average()
    results["elapsed_s"] = time.perf_counter() - started
    results["targets"] = targets(results)
    print(render_text(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        progress(f"wrote {args.json}")
    if args.markdown is not None:
        args.markdown.write_text(render_markdown(results), encoding="utf-8")
        progress(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
