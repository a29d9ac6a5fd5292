"""Operator commands in the deployed stack: template.yaml's OpsFunction.

    sam remote invoke OpsFunction --stack-name asmbly-backend-prod \\
        --parameter InvocationType=Event \\
        --event '{"command": "sync_clickup", "args": ["--full"]}'
    sam logs -n OpsFunction --stack-name asmbly-backend-prod --tail

Long commands are invoked asynchronously (``InvocationType=Event``): a synchronous
``sam remote invoke`` gives up after 60 s and invokes again. Either way, one command runs at a
time: a second one, or a retried invocation, is refused while the lock item
(``voldash_site.ops_lock``) is held, and says which command holds it. The output and the
``ops.command.*`` lines are in the OpsFunction's log group (``/aws/lambda/<function name>``).

Only the commands and arguments in ``ALLOWED`` run (the same ``manage.py`` commands an operator
runs from a laptop, minus the ones that are local-only); anything else is refused before
anything runs. Each run is logged (``ops.command.start``/``ops.command.done`` with the command,
its arguments and the Lambda request id) and answers ``{"command", "args", "ok", "output"}``
with the command's last output lines. The function's role reaches the table and the secret only.
"""

from __future__ import annotations

import io
import logging
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voldash_site.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.management.base import CommandError  # noqa: E402

from voldash_site import ops_lock  # noqa: E402
from voldash_site.log_context import bind, lambda_request_id  # noqa: E402

logger = logging.getLogger("voldash.ops")

OUTPUT_LIMIT = 8000  # characters of output returned (the log has the run's own lines)


def _positive_int(value: str) -> bool:
    return value.isdigit() and 0 < int(value) <= 10_000


# command -> {flag: None (a switch) or a validator of its value}
ALLOWED: dict[str, dict[str, Callable[[str], bool] | None]] = {
    "sync_clickup": {"--full": None},
    "process_inbox": {"--limit": _positive_int},
    "sync_neon": {},
    "deliver_outbox": {"--limit": _positive_int},
    "ddb_create_table": {"--shops-only": None},
    "backfill_feed": {},  # once after GSI4..GSI7 reach an existing table (README: The task list)
    "clickup_webhooks": {"status": None, "register": None, "reactivate": None},
    "remind_stale_claims": {},
    "send_shop_digests": {},
    "announce_pm_due": {},
}
# Not behind the one-at-a-time lock: creating the table runs before there is a table to lock in
# (and is idempotent).
UNLOCKED = frozenset({"ddb_create_table"})
# Always added: the cloud has no terminal for a progress bar.
QUIET = {"sync_clickup": ["--no-progress"], "sync_neon": ["--no-progress"]}


class BadRequest(ValueError):
    pass


def parse(event: Any) -> tuple[str, list[str]]:
    """The command and its arguments, or BadRequest saying what is wrong."""
    if not isinstance(event, dict):
        raise BadRequest('the event must be a JSON object like {"command": "sync_clickup", "args": []}')
    command = event.get("command")
    args = event.get("args", [])
    if not isinstance(command, str) or command not in ALLOWED:
        raise BadRequest(f"command must be one of {', '.join(sorted(ALLOWED))}")
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise BadRequest("args must be a list of strings")
    allowed = ALLOWED[command]
    i = 0
    while i < len(args):
        flag = args[i]
        if flag not in allowed:
            names = ", ".join(sorted(allowed)) or "none"
            raise BadRequest(f"{command} does not take {flag!r} here (allowed: {names})")
        check = allowed[flag]
        if check is not None:
            if i + 1 >= len(args) or not check(args[i + 1]):
                raise BadRequest(f"{flag} needs a value (a whole number from 1 to 10000)")
            i += 1
        i += 1
    if command == "clickup_webhooks" and len(args) != 1:
        raise BadRequest("clickup_webhooks takes exactly one of status, register, reactivate")
    return command, args


def handler(event: Any, context: Any) -> dict[str, Any]:
    with bind(ops=True, aws_request_id=lambda_request_id(context)):
        try:
            command, args = parse(event)
        except BadRequest as exc:
            logger.warning("ops.command.refused", extra={"reason": str(exc)})
            return {"command": None, "args": None, "ok": False, "output": str(exc)}
        holder = lambda_request_id(context) or uuid.uuid4().hex
        if command not in UNLOCKED:
            busy = ops_lock.acquire(holder, " ".join([command, *args]))
            if busy is not None:
                since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(busy.started_at))
                message = (
                    f"refused: another ops command is running ({busy.command!r}, request {busy.holder}, "
                    f"since {since}); its log is in the OpsFunction's log group. One at a time."
                )
                logger.warning("ops.command.busy", extra={"command": command, "running": busy.command})
                return {"command": command, "args": args, "ok": False, "output": message}
        logger.info("ops.command.start", extra={"command": command, "command_args": args})
        out = io.StringIO()
        started = time.monotonic()
        ok = True
        try:
            call_command(command, *args, *QUIET.get(command, []), stdout=out, stderr=out)
        except CommandError as exc:
            ok = False
            out.write(f"\nerror: {exc}\n")
        finally:
            if command not in UNLOCKED:
                ops_lock.release(holder)
        duration = round(time.monotonic() - started, 1)
        logger.info(
            "ops.command.done",
            extra={"command": command, "command_args": args, "ok": ok, "duration_s": duration},
        )
        output = out.getvalue()
        return {"command": command, "args": args, "ok": ok, "output": output[-OUTPUT_LIMIT:]}
