"""What the benchmarks share: DynamoDB Local for the run, progress lines, the machine, a time
limit, and the child-process script that measures peak memory."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import platform
import signal
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Run with `python -c CODE EVENTS N [PATH]` after replacing IMPORT_HANDLER with an import of
# `handler`: serve N requests cycling through EVENTS, then report peak RSS (ru_maxrss, and
# Linux's VmHWM from /proc as a cross-check). PATH, when given, goes first on sys.path.
RSS_CODE = """
import json, os, resource, sys
if len(sys.argv) > 3:
    sys.path.insert(0, sys.argv[3])
def peaks():
    vmhwm = None
    if os.path.exists("/proc/self/status"):
        with open("/proc/self/status") as fh:
            vmhwm = next((int(l.split()[1]) for l in fh if l.startswith("VmHWM:")), None)
    return {"maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "vmhwm_kib": vmhwm}
IMPORT_HANDLER
events, n = json.loads(sys.argv[1]), int(sys.argv[2])
after_import = peaks()
statuses = {}
for i in range(n):
    code = handler(events[i % len(events)], None)["statusCode"]
    statuses[str(code)] = statuses.get(str(code), 0) + 1
print(json.dumps({"after_import": after_import, "after_requests": peaks(), "statuses": statuses}))
"""
VOLDASH_HANDLER = "from voldash_site.lambda_handler import handler"


class BenchError(RuntimeError):
    pass


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def load_launcher() -> ModuleType:
    """scripts/dynamodb_local.py is not a package module: load it by path, as tests/conftest.py does."""
    spec = importlib.util.spec_from_file_location("dynamodb_local", ROOT / "scripts" / "dynamodb_local.py")
    if spec is None or spec.loader is None:
        raise BenchError("cannot load scripts/dynamodb_local.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def dynamodb_local() -> Iterator[str]:
    """A fresh in-memory DynamoDB Local for the run; yields its endpoint URL, stops it after."""
    launcher = load_launcher()
    port = launcher.free_port()
    progress(f"starting DynamoDB Local on 127.0.0.1:{port}")
    proc = launcher.start(port, db_path=None)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        launcher.stop(proc)


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Abort with BenchError if the run takes longer than ``seconds`` (SIGALRM, main thread)."""

    def expired(_signum: int, _frame: FrameType | None) -> None:
        raise BenchError(f"gave up after {seconds} s (time limit)")

    if not hasattr(signal, "SIGALRM"):
        yield
        return
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
