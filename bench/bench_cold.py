#!/usr/bin/env python3
"""Cold start of what is deployed: the Lambda artifact, not the development tree (issue 15).

Builds the artifact exactly as ``make package`` does (``scripts/package_lambda.py``) and the
FastAPI + Mangum + boto3 reference (``bench/fastapi_ref``) packaged the same way (manylinux wheels
for Python 3.11 pinned by constraints.txt, botocore's models pruned to the same services, the
same bytecode step). Each is laid out twice: sources only (what the artifact shipped before
issue 15) and with precompiled bytecode (``compileall --invalidation-mode unchecked-hash``).

Then, against a DynamoDB Local seeded with ``seed_demo``, each of the four runs ``--runs`` times,
in a shuffled order per round, a fresh ``python -I -S -B`` (isolated, no site-packages, cannot
write bytecode: like Lambda's read-only code directory) that puts the artifact first on sys.path,
imports the handler and serves ``GET /api/v1/tasks?shop=woodshop&limit=50`` (API Gateway v2
event). The environment is a Lambda's: ``VOLDASH_ENV=prod`` with its secrets in the environment,
credentials in ``AWS_*`` variables. Prints medians, the artifact sizes and the ``-X importtime``
top 15 of voldash's deployed (bytecode) artifact.

  .venv/bin/python bench/bench_cold.py [--runs 7] [--tasks 1000] [--artifact build/lambda]
                                       [--work build/bench-cold] [--reuse] [--json PATH]

``--artifact`` takes an already built ``make package`` output instead of building one;
``--reuse`` keeps the reference's build from an earlier run in ``--work``. Absolute times are this
machine's (Lambda's init CPU differs): read the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
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
from types import ModuleType
from typing import Any

import bench_reads as br
from common import BenchError, dynamodb_local, machine, progress, time_limit

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
TABLE = "voldash-bench-cold"
SHOP = "woodshop"
QUERY = f"shop={SHOP}&limit=50"
TIME_LIMIT_S = 30 * 60
CHILD_TIMEOUT_S = 120
REFERENCE_REQUIREMENTS = ["fastapi", "mangum", "boto3"]
TOP = 15
TARGET = 1.0
GOAL = 0.8

APPS = {
    "voldash": "from voldash_site.lambda_handler import handler",
    "reference": "from fastapi_ref.app import handler",
}
LABELS = {"voldash": "voldash", "reference": "FastAPI + Mangum + boto3 ref"}
MODES = {"src": "sources only", "pyc": "precompiled bytecode"}

# Run as `python -I -S -B -c CODE ARTIFACT EVENT`.
CHILD_CODE = """
import resource, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime + r.ru_stime) * 1000
c0, t0 = cpu(), time.perf_counter()
import json, sys
sys.path.insert(0, sys.argv[1])
IMPORT_HANDLER
t1 = time.perf_counter()
response = handler(json.loads(sys.argv[2]), None)
t2, c2 = time.perf_counter(), cpu()
first = sys.modules.get("django") or sys.modules.get("fastapi")
print(json.dumps({"import_ms": (t1 - t0) * 1000, "first_request_ms": (t2 - t1) * 1000,
                  "cpu_ms": c2 - c0,
                  "status": response["statusCode"], "body_bytes": len(response.get("body") or ""),
                  "framework_file": getattr(first, "__file__", None), "modules": len(sys.modules),
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

# What a Lambda's environment holds for voldash in prod (secrets normally come from Secrets
# Manager; here from the environment, which the settings accept the same way).
CLOUD_ENV = {
    "VOLDASH_ENV": "prod",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "CLICKUP_API_TOKEN": "pk_bench",
    "CLICKUP_WEBHOOK_SECRET": "bench",
    "NEON_ORG_ID": "asmbly",
    "NEON_API_KEY": "bench",
    "NEON_OAUTH_CLIENT_ID": "bench",
    "NEON_OAUTH_CLIENT_SECRET": "bench",
    "NEON_WEBHOOK_USERNAME": "bench",
    "NEON_WEBHOOK_PASSWORD": "bench",
    "DJANGO_ALLOWED_HOSTS": br.HOST,
}


def load_packager() -> ModuleType:
    spec = importlib.util.spec_from_file_location("package_lambda", ROOT / "scripts" / "package_lambda.py")
    if spec is None or spec.loader is None:
        raise BenchError("cannot load scripts/package_lambda.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- building ----------------------------------------------------------------------------------


def build_voldash(work: Path) -> Path:
    out = work / "voldash"
    progress(f"building voldash's artifact: scripts/package_lambda.py --out {out} (about a minute)")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package_lambda.py"), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchError(f"package_lambda.py failed:\n{proc.stderr[-3000:]}")
    return out / "lambda"


def build_reference(packager: ModuleType, work: Path, reuse: bool) -> Path:
    target = work / "reference" / "lambda"
    if reuse and (target / "fastapi_ref" / "app.py").exists():
        progress(f"reusing the reference's build in {target}")
        return target
    progress("building the reference's artifact the same way (fastapi, mangum, boto3 as Lambda wheels)")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    packager.install_dependencies(target, REFERENCE_REQUIREMENTS)
    for junk in list(target.rglob("tests")):
        if junk.is_dir():
            shutil.rmtree(junk, ignore_errors=True)
    packager.strip_bytecode(target)
    for stub in target.rglob("*.pyi"):
        stub.unlink()
    shutil.copytree(
        BENCH_DIR / "fastapi_ref", target / "fastapi_ref", ignore=shutil.ignore_patterns("__pycache__")
    )
    return target


def variants(packager: ModuleType, artifacts: dict[str, Path], work: Path) -> dict[tuple[str, str], Path]:
    """Each artifact twice: sources only, and with bytecode (as built, or compiled here)."""
    out: dict[tuple[str, str], Path] = {}
    for app, artifact in artifacts.items():
        src = work / "variants" / f"{app}-src"
        pyc = work / "variants" / f"{app}-pyc"
        for path in (src, pyc):
            if path.exists():
                shutil.rmtree(path)
        shutil.copytree(artifact, src, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        shutil.copytree(artifact, pyc)
        if not any(pyc.rglob("*.pyc")):
            packager.compile_bytecode(pyc)
        out[(app, "src")] = src
        out[(app, "pyc")] = pyc
    return out


def sizes(packager: ModuleType, paths: dict[tuple[str, str], Path], work: Path) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for (app, mode), path in paths.items():
        archive = work / f"{app}-{mode}.zip"
        packager.zip_dir(path, archive)
        result[f"{app}/{mode}"] = {
            "unzipped_bytes": packager.size_of(path),
            "zipped_bytes": archive.stat().st_size,
            "files": sum(1 for f in path.rglob("*") if f.is_file()),
            "pyc_files": sum(1 for _ in path.rglob("*.pyc")),
        }
        archive.unlink()
    return result


# --- measuring ---------------------------------------------------------------------------------


def child_env(endpoint_url: str) -> dict[str, str]:
    scratch = tempfile.gettempdir()
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": scratch,
        "LANG": "C.UTF-8",
        "AWS_REGION": br.REGION,
        "AWS_DEFAULT_REGION": br.REGION,
        "AWS_ACCESS_KEY_ID": "local",  # Lambda passes the role's credentials this way
        "AWS_SECRET_ACCESS_KEY": "local",
        "DYNAMODB_TABLE": TABLE,
        "DYNAMODB_ENDPOINT_URL": endpoint_url,
        **CLOUD_ENV,
    }


def seed(endpoint_url: str, tasks: int) -> None:
    env = {**os.environ, **br.bench_env(endpoint_url), "DYNAMODB_TABLE": TABLE}
    for command in (["ddb_create_table"], ["seed_demo", "--tasks", str(tasks), "--seed", "1"]):
        proc = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise BenchError(f"manage.py {command[0]} failed:\n{proc.stderr[-3000:]}")


def run_child(
    app: str, path: Path, event: str, env: dict[str, str], extra: list[str]
) -> tuple[dict, str, float]:
    code = CHILD_CODE.replace("IMPORT_HANDLER", APPS[app])
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-B", *extra, "-c", code, str(path), event],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    wall_ms = (time.perf_counter() - started) * 1000
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise BenchError(f"{app} in {path} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    out = json.loads(lines[-1])
    if out["status"] != 200:
        raise BenchError(f"{app} in {path}: first request returned {out['status']}")
    if not str(out["framework_file"]).startswith(str(path)):
        raise BenchError(f"{app}: its framework came from {out['framework_file']}, not the artifact {path}")
    return out, proc.stderr, wall_ms


def cold_runs(
    paths: dict[tuple[str, str], Path], event: str, env: dict[str, str], runs: int
) -> dict[str, Any]:
    rng = random.Random(15)
    order = list(paths)
    samples: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    for n in range(runs):
        progress(f"cold start round {n + 1} of {runs} (4 fresh interpreters, shuffled)")
        rng.shuffle(order)
        for key in order:
            out, _, wall_ms = run_child(key[0], paths[key], event, env, [])
            samples[key].append(
                {
                    "import_ms": out["import_ms"],
                    "first_request_ms": out["first_request_ms"],
                    "sum_ms": out["import_ms"] + out["first_request_ms"],
                    "cpu_ms": out["cpu_ms"],
                    "process_wall_ms": wall_ms,
                    "maxrss_mb": out["maxrss_kib"] / 1024,
                    "modules": out["modules"],
                    "body_bytes": out["body_bytes"],
                }
            )
    result: dict[str, Any] = {}
    for (app, mode), runs_ in samples.items():
        result[f"{app}/{mode}"] = {
            f"median_{k}": statistics.median(s[k] for s in runs_) for k in runs_[0]
        } | {"samples": runs_}
    return result


IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def importtime(path: Path, event: str, env: dict[str, str]) -> dict[str, Any]:
    """One more voldash run under ``-X importtime``: the slowest modules (self and cumulative) and
    the self time summed per top-level package."""
    _, stderr, _ = run_child("voldash", path, event, env, ["-X", "importtime"])
    rows = []
    for line in stderr.splitlines():
        m = IMPORTTIME.match(line)
        if m:
            rows.append(
                {"module": m[4], "self_us": int(m[1]), "cumulative_us": int(m[2]), "depth": len(m[3]) // 2}
            )
    by_package: dict[str, int] = defaultdict(int)
    for r in rows:
        by_package[r["module"].split(".")[0]] += r["self_us"]
    total = sum(r["self_us"] for r in rows)
    return {
        "modules": len(rows),
        "total_self_ms": total / 1000,
        "top_self": sorted(rows, key=lambda r: -r["self_us"])[:TOP],
        "top_cumulative": sorted(rows, key=lambda r: -r["cumulative_us"])[:TOP],
        "by_package_ms": dict(
            sorted(((k, v / 1000) for k, v in by_package.items()), key=lambda kv: -kv[1])[:TOP]
        ),
    }


# --- report ------------------------------------------------------------------------------------


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"voldash cold start of the deployed artifact | {m['platform']} | {m['cpu_count']} CPUs | "
        f"Python {m['python']} | {m['date_utc']}",
        f"load average (1/5/15 min) at start {results['load_start']}, at end {results['load_end']}",
        f"each: fresh `python -I -S -B`, artifact first on sys.path, import the handler, then "
        f"GET /api/v1/tasks?{QUERY} against DynamoDB Local ({results['tasks']} seed_demo tasks); "
        f"median of {results['runs']} runs, shuffled per round",
        "",
        f"  {'':<48}{'import':>9}{'1st req':>9}{'sum':>9}{'CPU':>9}{'wall':>9}{'RSS MB':>9}{'modules':>9}",
    ]
    cold = results["cold"]
    for mode, mode_label in MODES.items():
        for app in APPS:
            c = cold[f"{app}/{mode}"]
            label = f"{LABELS[app]}, {mode_label}"
            lines.append(
                f"  {label:<48}{c['median_import_ms']:>9.0f}{c['median_first_request_ms']:>9.0f}"
                f"{c['median_sum_ms']:>9.0f}{c['median_cpu_ms']:>9.0f}{c['median_process_wall_ms']:>9.0f}"
                f"{c['median_maxrss_mb']:>9.1f}"
                f"{c['median_modules']:>9.0f}"
            )
    lines.append(
        "  (ms; sum = import + first request; CPU = user + system CPU time of the same span, less "
        "sensitive to the machine's load; wall = the whole process, interpreter start included)"
    )
    lines.append("")
    for mode, mode_label in MODES.items():
        r = results["ratios"][mode]
        lines.append(
            f"  voldash / reference, {mode_label}: {r['sum']:.2f}x (import + first request), "
            f"{r['cpu']:.2f}x (its CPU time), {r['wall']:.2f}x (process wall)"
        )
    target = results["ratios"]["pyc"]["sum"]
    verdict = "PASS" if target <= TARGET else "MISS"
    goal = "met" if target <= GOAL else "not met"
    lines.append(f"  target: with bytecode <= {TARGET}x the reference: {verdict} (goal {GOAL}x: {goal})")
    lines += ["", "Artifact sizes (MB; zipped as package_lambda.zip_dir does)"]
    for key, s in results["sizes"].items():
        lines.append(
            f"  {key:<16} unzipped {s['unzipped_bytes'] / 1e6:6.1f}  zipped {s['zipped_bytes'] / 1e6:6.1f}  "
            f"files {s['files']:>5}  .pyc {s['pyc_files']:>5}"
        )
    it = results["importtime"]
    lines += [
        "",
        f"voldash with bytecode, -X importtime: {it['modules']} modules, {it['total_self_ms']:.0f} ms "
        "of self time in all",
        f"  top {TOP} by self time (ms self / cumulative):",
    ]
    lines += [
        f"    {r['module']:<56}{r['self_us'] / 1000:8.1f}{r['cumulative_us'] / 1000:9.1f}"
        for r in it["top_self"]
    ]
    lines.append(f"  top {TOP} by cumulative time (ms self / cumulative):")
    lines += [
        f"    {'  ' * min(r['depth'], 6)}{r['module']:<{56 - 2 * min(r['depth'], 6)}}"
        f"{r['self_us'] / 1000:8.1f}{r['cumulative_us'] / 1000:9.1f}"
        for r in it["top_cumulative"]
    ]
    lines.append(f"  self time by top-level package (ms), top {TOP}:")
    lines += [f"    {k:<56}{v:8.1f}" for k, v in it["by_package_ms"].items()]
    lines += ["", f"Total time: {results['elapsed_s']:.0f} s"]
    return "\n".join(lines)


def load_average() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per variant (default 7)")
    parser.add_argument("--tasks", type=int, default=1000, help="seed_demo tasks (default 1000)")
    parser.add_argument("--artifact", type=Path, default=None, help="use this make-package output")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench-cold", help="build directory")
    parser.add_argument("--reuse", action="store_true", help="reuse the reference's earlier build")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write results here")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if sys.version_info[:2] != (3, 11):
        print(
            "bench_cold.py runs the artifacts with this interpreter: it must be 3.11 (Lambda's)",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    load_start = load_average()
    packager = load_packager()
    args.work.mkdir(parents=True, exist_ok=True)
    try:
        with time_limit(TIME_LIMIT_S):
            voldash = args.artifact.resolve() if args.artifact else build_voldash(args.work)
            reference = build_reference(packager, args.work, args.reuse)
            progress("laying out the four variants (sources only / bytecode)")
            paths = variants(packager, {"voldash": voldash, "reference": reference}, args.work)
            size = sizes(packager, paths, args.work)
            with dynamodb_local() as endpoint:
                progress(f"seeding {args.tasks} tasks (seed_demo)")
                seed(endpoint, args.tasks)
                env = child_env(endpoint)
                event = json.dumps(br.make_event("/api/v1/tasks", QUERY))
                for key, path in paths.items():  # DynamoDB Local's own warm-up, and a check of each
                    run_child(key[0], path, event, env, [])
                cold = cold_runs(paths, event, env, args.runs)
                progress("voldash (bytecode) under -X importtime")
                imports = importtime(paths[("voldash", "pyc")], event, env)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    ratios = {
        mode: {
            "sum": cold[f"voldash/{mode}"]["median_sum_ms"] / cold[f"reference/{mode}"]["median_sum_ms"],
            "cpu": cold[f"voldash/{mode}"]["median_cpu_ms"] / cold[f"reference/{mode}"]["median_cpu_ms"],
            "wall": cold[f"voldash/{mode}"]["median_process_wall_ms"]
            / cold[f"reference/{mode}"]["median_process_wall_ms"],
        }
        for mode in MODES
    }
    results = {
        "machine": machine(),
        "load_start": load_start,
        "load_end": load_average(),
        "runs": args.runs,
        "tasks": args.tasks,
        "request": f"GET /api/v1/tasks?{QUERY}",
        "cold": cold,
        "ratios": ratios,
        "sizes": size,
        "importtime": imports,
        "elapsed_s": time.perf_counter() - started,
    }
    print(render(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        progress(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
