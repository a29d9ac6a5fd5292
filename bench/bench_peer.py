#!/usr/bin/env python3
"""voldash against the seed's own stack, the performance peer in ``../shared/peer`` (issue 26).

Both sides are packaged and started the same way, interleaved, in one run:

``cold``  Builds voldash's artifact (``make package`` -> build/lambda; ``--artifact DIR`` takes an
          existing one), installs the peer into a temporary directory with ``pip install --target``
          (fastapi, mangum, boto3 at constraints.txt's versions) beside ``peer_fastapi.py``, and
          compiles it with unchecked-hash bytecode as voldash's artifact is. A DynamoDB Local holds
          voldash's demo table (``seed_demo --tasks 200``) and the peer's table (``peer_seed.py 200``).
          Then, ``--runs`` times (11), the peer's own ``cold_pkg.sh`` (``python3 -I -B``, the
          artifact first on ``sys.path``, one fresh process: import the handler, serve
          ``GET ...?shop=woodshop&limit=50``) for voldash and for the peer, alternating which goes
          first. Medians of import, first request, their sum and RSS; the ratios voldash/peer.
          With ``--importtime``, one more voldash run under ``-X importtime`` (top modules).
``hot``   For each ``--sizes`` N (1,000 and 10,000; 50,000 if asked and there is time): one worker
          process seeds voldash's table (seed_demo 1,000 plus bulk items as bench_perf.py writes
          them) and the peer's (peer_seed.py N), then calls both handlers in that process through
          the peer's ``apigw.py`` events, ``--requests`` (200) iterations of every read in a
          shuffled order after 20 warm-ups, and prints p50s and ratios: the by-shop page of 50, the
          open feed page of 50 (voldash only has it; compared with the peer's by-shop page), and
          the detail.

  .venv/bin/python bench/bench_peer.py cold [--runs 11] [--artifact build/lambda] [--importtime]
  .venv/bin/python bench/bench_peer.py hot [--sizes 1000 10000] [--requests 200]
  .venv/bin/python bench/bench_peer.py all [--json PATH]

The machine's load average is printed at the start and the end: compare the ratios, not the ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from common import BenchError, dynamodb_local, progress

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PEER = ROOT.parent / "shared" / "peer"
if not DEFAULT_PEER.is_dir():  # a worktree of the project: shared/ sits beside the worktrees' parent
    DEFAULT_PEER = Path("/work/shared/peer")
REGION = "us-east-2"
HOST = "bench.local"
VOLDASH_TABLE = "voldash-peer-bench"
PEER_TABLE = "peer-tasks"
QUERY = "shop=woodshop&limit=50"
PEER_PACKAGES = ["fastapi", "mangum", "boto3"]
# A Lambda's environment, but VOLDASH_ENV=test: the peer's apigw.py events carry no
# X-Forwarded-Proto (API Gateway's do), so prod's HTTPS redirect would answer them 301.
LAMBDA_ENV = {
    "VOLDASH_ENV": "test",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "CLICKUP_API_TOKEN": "pk_bench",
    "CLICKUP_WEBHOOK_SECRET": "bench",
    "NEON_ORG_ID": "asmbly",
    "NEON_API_KEY": "bench",
    "NEON_OAUTH_CLIENT_ID": "bench",
    "NEON_OAUTH_CLIENT_SECRET": "bench",
    "NEON_WEBHOOK_USERNAME": "bench",
    "NEON_WEBHOOK_PASSWORD": "bench",
    "DJANGO_ALLOWED_HOSTS": HOST,
    "LOG_LEVEL": "WARNING",
}


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def base_env(endpoint: str, table: str = VOLDASH_TABLE, peer_table: str = PEER_TABLE) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "DYNAMODB_ENDPOINT_URL": endpoint,
        "DYNAMODB_TABLE": table,
        "PEER_TABLE": peer_table,
    }


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stdout


def seed_voldash(env: dict[str, str], tasks: int) -> None:
    dev = {**env, "VOLDASH_ENV": "test", "DJANGO_SETTINGS_MODULE": "voldash_site.settings"}
    run([sys.executable, "manage.py", "ddb_create_table"], dev)
    run([sys.executable, "manage.py", "seed_demo", "--tasks", str(tasks), "--seed", "1"], dev)


def seed_peer(peer: Path, env: dict[str, str], tasks: int) -> None:
    run([sys.executable, str(peer / "peer_seed.py"), str(tasks)], env)


# -- cold start ----------------------------------------------------------------------------------


def build_peer(peer: Path, work: Path) -> Path:
    target = work / "peer"
    if target.exists():
        shutil.rmtree(target)
    progress(f"installing the peer into {target} (pip --target, constraints.txt's versions)")
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            "--target",
            str(target),
            "-c",
            str(ROOT / "constraints.txt"),
            *PEER_PACKAGES,
        ]
    )
    shutil.copy(peer / "peer_fastapi.py", target)
    run([sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", str(target)])
    return target


def build_voldash(artifact: Path | None) -> Path:
    if artifact is not None:
        return artifact.resolve()
    progress("building voldash's artifact: make package (about a minute)")
    run(["make", "package"])
    return ROOT / "build" / "lambda"


def cold_once(peer: Path, directory: Path, target: str, path: str, env: dict[str, str]) -> dict[str, float]:
    out = run(
        ["bash", str(peer / "cold_pkg.sh"), str(directory), target, path, QUERY, "1"], env, cwd=Path("/")
    )
    return json.loads(out.strip().splitlines()[-1])


IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def importtime(peer: Path, directory: Path, env: dict[str, str]) -> dict[str, Any]:
    code = (
        f"import sys; sys.path[:0] = ['{directory}', '{peer}']; "
        "sys.argv = ['x', 'voldash_site.lambda_handler:handler', '/api/v1/tasks', '" + QUERY + "']; "
        f"exec(open('{peer}/cold_start.py').read())"
    )
    proc = subprocess.run(
        ["python3", "-I", "-B", "-X", "importtime", "-c", code], env=env, capture_output=True, text=True
    )
    rows = []
    for line in proc.stderr.splitlines():
        m = IMPORTTIME.match(line)
        if m:
            rows.append((m[4], int(m[1]), int(m[2]), len(m[3]) // 2))
    by_package: dict[str, int] = defaultdict(int)
    for name, self_us, _, _ in rows:
        by_package[name.split(".")[0]] += self_us
    return {
        "modules": len(rows),
        "self_ms": sum(r[1] for r in rows) / 1000,
        "top_cumulative": [(n, c / 1000) for n, _, c, d in sorted(rows, key=lambda r: -r[2])[:25]],
        "by_package_ms": sorted(((k, v / 1000) for k, v in by_package.items()), key=lambda kv: -kv[1])[:20],
    }


def cold(args: argparse.Namespace, endpoint: str) -> dict[str, Any]:
    peer = Path(args.peer)
    env = {**base_env(endpoint), **LAMBDA_ENV}
    progress("seeding voldash's demo table (200 tasks) and the peer's (200)")
    seed_voldash(base_env(endpoint), 200)
    seed_peer(peer, base_env(endpoint), 200)
    voldash_dir = build_voldash(Path(args.artifact) if args.artifact else None)
    work = Path(tempfile.mkdtemp(prefix="bench-peer-"))
    try:
        peer_dir = build_peer(peer, work)
        sides = {
            "voldash": (voldash_dir, "voldash_site.lambda_handler:handler", "/api/v1/tasks"),
            "peer": (peer_dir, "peer_fastapi:handler", "/tasks"),
        }
        if args.also:  # another voldash artifact (e.g. the one before a change), in the same rounds
            sides["voldash (--also)"] = (
                Path(args.also).resolve(),
                "voldash_site.lambda_handler:handler",
                "/api/v1/tasks",
            )
        for directory, target, path in sides.values():  # one untimed run each (page cache)
            cold_once(peer, directory, target, path, env)
        samples: dict[str, list[dict[str, float]]] = defaultdict(list)
        for n in range(args.runs):
            order = list(sides)[n % len(sides) :] + list(sides)[: n % len(sides)]  # rotate who goes first
            for name in order:
                directory, target, path = sides[name]
                samples[name].append(cold_once(peer, directory, target, path, env))
            progress(
                f"cold round {n + 1}/{args.runs}: "
                + ", ".join(f"{k} {samples[k][-1]['total_ms']:.0f} ms" for k in sides)
            )
        medians = {
            name: {k: statistics.median(s[k] for s in runs) for k in runs[0]}
            for name, runs in samples.items()
        }
        paired = [
            v["total_ms"] / p["total_ms"] for v, p in zip(samples["voldash"], samples["peer"], strict=True)
        ]
        result = {
            "runs": args.runs,
            "medians": medians,
            "ratio_total": medians["voldash"]["total_ms"] / medians["peer"]["total_ms"],
            "ratio_import": medians["voldash"]["import_ms"] / medians["peer"]["import_ms"],
            "ratio_first": medians["voldash"]["first_ms"] / medians["peer"]["first_ms"],
            "median_paired_ratio": statistics.median(paired),
            "rss_ratio": medians["voldash"]["rss_mb"] / medians["peer"]["rss_mb"],
            "samples": samples,
        }
        if args.importtime:
            result["importtime"] = importtime(peer, voldash_dir, env)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_cold(r: dict[str, Any]) -> None:
    m = r["medians"]
    print(f"\nCold start (peer's cold_pkg.sh, python3 -I -B, medians of {r['runs']}, interleaved)")
    print(f"{'':18} {'import ms':>10} {'first ms':>10} {'total ms':>10} {'RSS MB':>8}")
    for side in m:
        s = m[side]
        print(
            f"{side:18} {s['import_ms']:>10.1f} {s['first_ms']:>10.1f} "
            f"{s['total_ms']:>10.1f} {s['rss_mb']:>8.1f}"
        )
    print(
        f"voldash/peer: total {r['ratio_total']:.2f}x "
        f"(median of paired rounds {r['median_paired_ratio']:.2f}x), "
        f"import {r['ratio_import']:.2f}x, first request {r['ratio_first']:.2f}x, RSS {r['rss_ratio']:.2f}x "
        f"({m['voldash']['rss_mb'] - m['peer']['rss_mb']:+.1f} MB)"
    )
    if "voldash (--also)" in m:
        also = m["voldash (--also)"]
        print(
            f"--also/peer: total {also['total_ms'] / m['peer']['total_ms']:.2f}x, "
            f"voldash/--also: total {m['voldash']['total_ms'] / also['total_ms']:.2f}x"
        )
    if "importtime" in r:
        it = r["importtime"]
        print(f"\n-X importtime of voldash's artifact: {it['modules']} modules, {it['self_ms']:.0f} ms self")
        print("by package (self ms): " + ", ".join(f"{k} {v:.0f}" for k, v in it["by_package_ms"]))
        print("top cumulative (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in it["top_cumulative"][:15]))


# -- hot reads -----------------------------------------------------------------------------------


def hot_worker(args: argparse.Namespace) -> int:
    """In this process: seed both tables with ``args.size`` tasks, then time both handlers."""
    peer = Path(args.peer)
    size = args.size
    os.environ.update(
        {
            "VOLDASH_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "voldash_site.settings",
            "LOG_LEVEL": "WARNING",
            "DJANGO_ALLOWED_HOSTS": HOST,
        }
    )
    sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(peer)]
    sys.path.append(args.peer_dir)  # fastapi, mangum (the venv's own packages come first)
    t0 = time.perf_counter()
    seed_peer(peer, dict(os.environ), size)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("ddb_create_table", stdout=open(os.devnull, "w"))  # noqa: SIM115
    demo = min(size, 1000)
    call_command("seed_demo", tasks=demo, seed=1, stdout=open(os.devnull, "w"))  # noqa: SIM115
    if size > demo:
        from datetime import UTC, datetime

        from bench_perf import bulk_seed

        bulk_seed(demo, size - demo, datetime.now(UTC))
    progress(f"[{size}] seeded both tables in {time.perf_counter() - t0:.0f} s")

    import apigw
    import peer_fastapi

    from voldash_site.lambda_handler import handler as voldash

    status, body = apigw.call(voldash, apigw.event("GET", "/api/v1/tasks", "shop=woodshop&limit=1"))
    assert status == 200, (status, body)
    task_id = body["items"][0]["id"]
    reads = {
        "by-shop page of 50": (
            (voldash, apigw.event("GET", "/api/v1/tasks", QUERY)),
            (peer_fastapi.handler, apigw.event("GET", "/tasks", QUERY)),
        ),
        "open feed page of 50 (peer: by shop)": (
            (voldash, apigw.event("GET", "/api/v1/tasks", "limit=50")),
            (peer_fastapi.handler, apigw.event("GET", "/tasks", QUERY)),
        ),
        "task detail": (
            (voldash, apigw.event("GET", f"/api/v1/tasks/{task_id}")),
            (peer_fastapi.handler, apigw.event("GET", "/tasks/t000001")),
        ),
        # Issue 26 item 4: voldash against itself, the page with its counts vs the plain page.
        "counts=true page of 20 (peer column: voldash's plain page)": (
            (voldash, apigw.event("GET", "/api/v1/tasks", "limit=20&counts=true")),
            (voldash, apigw.event("GET", "/api/v1/tasks", "limit=20")),
        ),
    }
    calls = [
        (read, side, h, ev)
        for read, pair in reads.items()
        for side, (h, ev) in zip(("voldash", "peer"), pair, strict=True)
    ]
    for read, side, h, ev in calls:
        status, body = apigw.call(h, ev)
        assert status == 200, (read, side, status, body)
        if "page of" in read:
            assert len(body["items"]) == int(read.split("page of ")[1].split()[0]), (read, side)
        if "counts=true" in read and side == "voldash":
            assert body["total"] and body["facets"], body.get("total")
    for _ in range(20):
        for _, _, h, ev in calls:
            h(ev, apigw.Ctx())
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    rng = random.Random(26)
    for _ in range(args.requests):
        rng.shuffle(calls)
        for read, side, h, ev in calls:
            start = time.perf_counter()
            h(ev, apigw.Ctx())
            times[(read, side)].append((time.perf_counter() - start) * 1000)
    out = {
        read: {
            side: {
                "p50": statistics.median(times[(read, side)]),
                "p95": sorted(times[(read, side)])[int(0.95 * (args.requests - 1))],
            }
            for side in ("voldash", "peer")
        }
        for read in reads
    }
    for read in out:
        out[read]["ratio_p50"] = out[read]["voldash"]["p50"] / out[read]["peer"]["p50"]
        paired = [v / p for v, p in zip(times[(read, "voldash")], times[(read, "peer")], strict=True)]
        out[read]["median_paired_ratio"] = statistics.median(paired)
    print(json.dumps({"size": size, "reads": out}))
    return 0


def hot(args: argparse.Namespace, endpoint: str) -> dict[str, Any]:
    peer = Path(args.peer)
    work = Path(tempfile.mkdtemp(prefix="bench-peer-hot-"))
    try:
        peer_dir = build_peer(peer, work)
        results = {}
        for size in args.sizes:
            progress(f"hot reads at {size} tasks (seeding, then {args.requests} interleaved iterations)")
            env = base_env(endpoint, table=f"voldash-peer-{size}", peer_table=f"peer-{size}")
            out = run(
                [
                    sys.executable,
                    __file__,
                    "hot-worker",
                    "--size",
                    str(size),
                    "--requests",
                    str(args.requests),
                    "--peer",
                    str(peer),
                    "--peer-dir",
                    str(peer_dir),
                ],
                env,
            )
            results[size] = json.loads(out.strip().splitlines()[-1])["reads"]
            print_hot({size: results[size]}, args.requests)  # each size as soon as it is done
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_hot(results: dict[Any, Any], requests: int) -> None:
    print(f"\nHot reads through each handler, one process, interleaved, p50 of {requests} (ms)")
    print(f"{'tasks':>7} {'read':38} {'voldash':>8} {'peer':>8} {'ratio':>6} {'paired':>7}")
    for size, reads in results.items():
        for read, r in reads.items():
            print(
                f"{int(size):>7} {read[:38]:38} {r['voldash']['p50']:>8.2f} {r['peer']['p50']:>8.2f} "
                f"{r['ratio_p50']:>5.2f}x {r['median_paired_ratio']:>6.2f}x"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["cold", "hot", "all", "hot-worker"])
    parser.add_argument("--peer", default=str(DEFAULT_PEER))
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--artifact", help="an existing artifact directory (default: make package)")
    parser.add_argument("--also", help="a second voldash artifact timed in the same rounds (cold)")
    parser.add_argument("--importtime", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--peer-dir", help=argparse.SUPPRESS)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if args.mode == "hot-worker":
        return hot_worker(args)
    started = load_average()
    results: dict[str, Any] = {"load_average_start": started}
    print(f"bench_peer {args.mode}: load average at start {started}", flush=True)
    with dynamodb_local() as endpoint:
        if args.mode in ("cold", "all"):
            results["cold"] = cold(args, endpoint)
            print_cold(results["cold"])
        if args.mode in ("hot", "all"):
            results["hot"] = hot(args, endpoint)
    results["load_average_end"] = load_average()
    print(f"\nload average at start {started}, at end {results['load_average_end']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
