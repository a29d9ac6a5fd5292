#!/usr/bin/env python3
"""Read-path benchmark: the Lambda handler, in process, against DynamoDB Local.

Starts its own DynamoDB Local (in memory, free port), creates and seeds a table, then drives
``voldash_site.lambda_handler.handler`` with API Gateway HTTP API (v2) events and reports:

* latency p50/p95/p99 of four read endpoints, and of a raw boto3 Query for the same page;
* DynamoDB requests per endpoint call (``voldash_site.dynamodb.metrics.count_calls``);
* cold start (import, first request, process wall time) over fresh interpreters;
* peak RSS of a fresh process after serving a mix of requests.

  .venv/bin/python bench/bench_reads.py [--tasks 1000] [--requests 300] [--json PATH]

Latencies are against DynamoDB Local on this machine, not AWS: compare runs with each other.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from common import RSS_CODE as RSS_TEMPLATE
from common import VOLDASH_HANDLER, BenchError, dynamodb_local, machine, progress

ROOT = Path(__file__).resolve().parents[1]
TABLE = "voldash-bench"
REGION = "us-east-1"
HOST = "bench.local"
SHOP = "woodshop"
PAGE = 50
WARMUP = 20
COLD_RUNS = 5
RSS_REQUESTS = 1000
SUBPROCESS_TIMEOUT_S = 120

Event = dict[str, Any]
Response = dict[str, Any]
Handler = Callable[[Event, Any], Response]

# Run with `python -c`: time the import of the handler and its first request separately.
COLD_START_CODE = """
import json, sys, time
t0 = time.perf_counter()
from voldash_site.lambda_handler import handler
t1 = time.perf_counter()
response = handler(json.loads(sys.argv[1]), None)
t2 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1000, "first_request_ms": (t2 - t1) * 1000,
                  "status": response["statusCode"]}))
"""

RSS_CODE = RSS_TEMPLATE.replace("IMPORT_HANDLER", VOLDASH_HANDLER)


@dataclass(frozen=True)
class Endpoint:
    key: str
    path: str
    query: str = ""
    shown_path: str | None = None  # e.g. the route template instead of a concrete id

    @property
    def label(self) -> str:
        return f"GET {self.shown_path or self.path}" + (f"?{self.query}" if self.query else "")


@dataclass(frozen=True)
class Percentiles:
    n: int
    p50: float
    p95: float
    p99: float

    @classmethod
    def of(cls, samples_ms: list[float]) -> Percentiles:
        if len(samples_ms) < 2:
            raise BenchError("need at least 2 samples for percentiles")
        cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
        return cls(n=len(samples_ms), p50=cuts[49], p95=cuts[94], p99=cuts[98])


@dataclass(frozen=True)
class RawQuery:
    """A boto3 Query returning the same page as a list endpoint (limit + 1 items, newest first)."""

    key: str
    index: str
    hash_attr: str
    hash_value: str

    @property
    def label(self) -> str:
        return f"boto3 Query {self.index} {self.hash_attr}={self.hash_value}"


RAW_QUERIES = (
    RawQuery("a", "GSI1", "GSI1PK", f"SHOP#{SHOP}"),
    RawQuery("b", "GSI2", "GSI2PK", "STATUS#OPEN"),
)


# --- setup ---------------------------------------------------------------------------------


def bench_env(endpoint_url: str) -> dict[str, str]:
    return {
        "VOLDASH_ENV": "test",
        "DYNAMODB_ENDPOINT_URL": endpoint_url,
        "DYNAMODB_TABLE": TABLE,
        "AWS_REGION": REGION,
        "DJANGO_SETTINGS_MODULE": "voldash_site.settings",
        "LOG_LEVEL": "WARNING",
        # The events carry Host: bench.local, which the test defaults of ALLOWED_HOSTS reject
        # (400 DisallowedHost); a deployed Lambda sets this variable to its API domain too.
        "DJANGO_ALLOWED_HOSTS": HOST,
    }


def setup_django_and_seed(tasks: int) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("ddb_create_table", stdout=io.StringIO())
    call_command("seed_demo", tasks=tasks, seed=1, stdout=io.StringIO())


def make_event(path: str, query: str = "") -> Event:
    """An API Gateway HTTP API (payload v2.0) GET event."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": HOST, "x-forwarded-proto": "https"},
        "requestContext": {
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "bench",
            },
            "requestId": "x",
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }


def checked(response: Response, endpoint: Endpoint) -> Response:
    status = response.get("statusCode")
    if status != 200:
        body = str(response.get("body", ""))[:500]
        raise BenchError(f"{endpoint.label} returned {status}: {body}")
    return response


def json_body(response: Response) -> Any:
    body = response.get("body", "")
    if response.get("isBase64Encoded"):
        import base64

        body = base64.b64decode(body).decode()
    return json.loads(body)


# --- measurements --------------------------------------------------------------------------


def time_calls(call: Callable[[], None], requests: int, warmup: int = WARMUP) -> Percentiles:
    for _ in range(warmup):
        call()
    samples: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return Percentiles.of(samples)


def time_endpoint(handler: Handler, endpoint: Endpoint, requests: int) -> Percentiles:
    event = make_event(endpoint.path, endpoint.query)
    statuses: list[int] = []

    def call() -> None:
        statuses.append(handler(event, None)["statusCode"])

    result = time_calls(call, requests)
    bad = [s for s in statuses if s != 200]
    if bad:
        raise BenchError(f"{endpoint.label}: {len(bad)} of {len(statuses)} responses were not 200: {bad[:5]}")
    return result


def raw_query_kwargs(query: RawQuery) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "IndexName": query.index,
        "KeyConditionExpression": f"{query.hash_attr} = :pk",
        "ExpressionAttributeValues": {":pk": {"S": query.hash_value}},
        "ScanIndexForward": False,
        "Limit": PAGE + 1,
    }


def time_raw_query(client: Any, query: RawQuery, requests: int) -> Percentiles:
    kwargs = raw_query_kwargs(query)
    return time_calls(lambda: client.query(**kwargs), requests)


def same_page(client: Any, query: RawQuery, handler_ids: list[str]) -> bool:
    items = client.query(**raw_query_kwargs(query))["Items"]
    return [item["id"]["S"] for item in items[:PAGE]] == handler_ids


def count_dynamodb_calls(handler: Handler, endpoint: Endpoint) -> dict[str, Any]:
    from voldash_site.dynamodb.metrics import count_calls

    event = make_event(endpoint.path, endpoint.query)
    with count_calls() as log:
        checked(handler(event, None), endpoint)
    return {"total": log.total, "by_operation": dict(sorted(log.by_operation.items()))}


def run_child(
    code: str, args: list[str], env: dict[str, str], *, own_rusage: bool = False
) -> tuple[dict[str, Any], float]:
    """Run ``python -c code *args`` in a fresh interpreter; return its last JSON line and wall ms.

    ``own_rusage``: on Linux, ru_maxrss survives exec, so a child spawned from this (large)
    process would report at least our RSS. Going through ``sh``, which forks before exec'ing
    Python, gives the child a fresh high-water mark.
    """
    command = [sys.executable, "-c", code, *args]
    if own_rusage:
        command = ["/bin/sh", "-c", '"$0" "$@"; exit $?', *command]
    started = time.perf_counter()
    proc = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    wall_ms = (time.perf_counter() - started) * 1000
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise BenchError(f"child process failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1]), wall_ms


def cold_starts(env: dict[str, str], endpoint: Endpoint, runs: int = COLD_RUNS) -> dict[str, Any]:
    event = json.dumps(make_event(endpoint.path, endpoint.query))
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        out, wall_ms = run_child(COLD_START_CODE, [event], env)
        if out["status"] != 200:
            raise BenchError(f"cold start: first request {endpoint.label} returned {out['status']}")
        samples.append(
            {
                "import_ms": out["import_ms"],
                "first_request_ms": out["first_request_ms"],
                "import_plus_first_ms": out["import_ms"] + out["first_request_ms"],
                "process_wall_ms": wall_ms,
            }
        )
    medians = {f"median_{k}": statistics.median(s[k] for s in samples) for k in samples[0]}
    return {"runs": runs, "endpoint": endpoint.label, **medians, "samples": samples}


def maxrss_mb(raw: int) -> float:
    """ru_maxrss is KiB on Linux, bytes on macOS."""
    return raw / (1024 * 1024) if sys.platform == "darwin" else raw / 1024


def peak_rss(env: dict[str, str], endpoints: list[Endpoint], requests: int = RSS_REQUESTS) -> dict[str, Any]:
    events = json.dumps([make_event(e.path, e.query) for e in endpoints])
    out, _ = run_child(RSS_CODE, [events, str(requests)], env, own_rusage=True)
    bad = {code: n for code, n in out["statuses"].items() if code != "200"}
    if bad:
        raise BenchError(f"peak RSS run: non-200 responses {bad}")

    def vmhwm_mb(stage: str) -> float | None:
        kib = out[stage]["vmhwm_kib"]
        return kib / 1024 if kib is not None else None

    return {
        "requests": requests,
        "after_import_mb": maxrss_mb(out["after_import"]["maxrss"]),
        "peak_mb": maxrss_mb(out["after_requests"]["maxrss"]),
        "vmhwm_after_import_mb": vmhwm_mb("after_import"),
        "vmhwm_peak_mb": vmhwm_mb("after_requests"),
    }


# --- report --------------------------------------------------------------------------------


LABEL_WIDTH = 56


def _row(label: str, *cells: str) -> str:
    return f"{label:<{LABEL_WIDTH}}" + "".join(f"{c:>10}" for c in cells)


def _ms(value: float) -> str:
    return f"{value:.2f}"


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    p = results["params"]
    lines = [
        f"voldash read benchmark | {m['platform']} | {m['cpu_count']} CPUs | Python {m['python']} "
        f"| {m['date_utc']}",
        f"DynamoDB Local (in memory) | {p['tasks']} seeded tasks | {p['requests']} timed requests per row "
        f"after {p['warmup']} warm-up | {{id}} = {p['task_id']}",
        "",
        _row("Latency, handler in process (ms)", "p50", "p95", "p99"),
    ]
    for key, row in results["latency"].items():
        lat = row["handler"]
        lines.append(_row(f"({key}) {row['label']}", _ms(lat["p50"]), _ms(lat["p95"]), _ms(lat["p99"])))
        if "boto3" in row:
            raw = row["boto3"]
            lines.append(
                _row(f"      {row['boto3_label']}", _ms(raw["p50"]), _ms(raw["p95"]), _ms(raw["p99"]))
            )
            same = "same page" if row["boto3_same_page"] else "PAGE DIFFERS from the handler's"
            lines.append(f"      handler p50 / boto3 p50 = {row['ratio_p50']:.2f}x ({same})")

    lines += ["", _row("DynamoDB requests per call", "total") + "  by operation"]
    for key, row in results["ddb_calls"].items():
        ops = ", ".join(f"{op}={n}" for op, n in row["by_operation"].items()) or "-"
        lines.append(_row(f"({key}) {row['label']}", str(row["total"])) + f"  {ops}")

    cold = results["cold_start"]
    lines += [
        "",
        _row(f"Cold start, median of {cold['runs']} fresh processes (ms)", "median"),
        _row("  import voldash_site.lambda_handler", f"{cold['median_import_ms']:.1f}"),
        _row("  first handler() call, request (a)", f"{cold['median_first_request_ms']:.1f}"),
        _row("  import + first call", f"{cold['median_import_plus_first_ms']:.1f}"),
        _row(
            "  process wall time, from the parent (incl. interpreter)",
            f"{cold['median_process_wall_ms']:.1f}",
        ),
    ]

    rss = results["peak_rss"]
    lines += [
        "",
        _row("Peak RSS of a fresh process (MB), (a)-(d) in turn", "ru_maxrss", "VmHWM"),
        _row("  after import", _mb(rss["after_import_mb"]), _mb(rss["vmhwm_after_import_mb"])),
        _row(f"  after {rss['requests']} requests", _mb(rss["peak_mb"]), _mb(rss["vmhwm_peak_mb"])),
        "",
        f"Total time, DynamoDB Local start to results: {results['elapsed_s']:.1f} s",
    ]
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------


def run(tasks: int, requests: int, endpoint_url: str) -> dict[str, Any]:
    os.environ.update(bench_env(endpoint_url))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    progress(f"creating table and seeding {tasks} tasks")
    setup_django_and_seed(tasks)

    import boto3

    from voldash_site.lambda_handler import handler

    by_shop = Endpoint("a", "/api/v1/tasks", f"shop={SHOP}&limit={PAGE}")
    open_feed = Endpoint("b", "/api/v1/tasks", f"limit={PAGE}")
    first = json_body(checked(handler(make_event(by_shop.path, by_shop.query), None), by_shop))
    if not first["items"]:
        raise BenchError(f"{by_shop.label} returned no tasks; nothing to fetch for (c)")
    task_id = first["items"][0]["id"]
    endpoints = [
        by_shop,
        open_feed,
        Endpoint("c", f"/api/v1/tasks/{task_id}", shown_path="/api/v1/tasks/{id}"),
        Endpoint("d", "/api/v1/shops"),
    ]

    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local accepts any credentials
    )
    raw_by_key = {q.key: q for q in RAW_QUERIES}
    latency: dict[str, Any] = {}
    for endpoint in endpoints:
        progress(f"timing ({endpoint.key}) {endpoint.label}")
        row: dict[str, Any] = {
            "label": endpoint.label,
            "handler": asdict(time_endpoint(handler, endpoint, requests)),
        }
        raw = raw_by_key.get(endpoint.key)
        if raw is not None:
            progress(f"timing ({endpoint.key}) {raw.label}")
            page = json_body(checked(handler(make_event(endpoint.path, endpoint.query), None), endpoint))
            row["boto3_label"] = raw.label
            row["boto3"] = asdict(time_raw_query(client, raw, requests))
            row["boto3_same_page"] = same_page(client, raw, [t["id"] for t in page["items"]])
            row["ratio_p50"] = row["handler"]["p50"] / row["boto3"]["p50"]
        latency[endpoint.key] = row

    ddb_calls = {e.key: {"label": e.label, **count_dynamodb_calls(handler, e)} for e in endpoints}

    child_env = {**os.environ}
    progress(f"cold start x{COLD_RUNS}")
    cold = cold_starts(child_env, by_shop)
    progress(f"peak RSS over {RSS_REQUESTS} requests")
    rss = peak_rss(child_env, endpoints)

    return {
        "machine": machine(),
        "params": {"tasks": tasks, "requests": requests, "warmup": WARMUP, "task_id": task_id},
        "latency": latency,
        "ddb_calls": ddb_calls,
        "cold_start": cold,
        "peak_rss": rss,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=1000, help="tasks to seed (default 1000)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per row (default 300)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write results here")
    args = parser.parse_args(argv)
    if args.tasks < 1:
        parser.error("--tasks must be at least 1")
    if args.requests < 2:
        parser.error("--requests must be at least 2")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        with dynamodb_local() as endpoint_url:
            results = run(args.tasks, args.requests, endpoint_url)
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
