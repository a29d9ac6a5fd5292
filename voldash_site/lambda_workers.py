"""Lambda entry points of the background work (template.yaml wires them):

- ``outbox_handler``: the table's stream, filtered to new outbox items (delivers exactly
  those), and a schedule (delivers whatever is due: retries, leftovers);
- ``inbox_handler``: the stream filtered to new inbox events, and a schedule (retries);
- ``reconcile_handler``: the scheduled ClickUp sweep (``{"full": true}`` for a full one).

Each calls the same use case as its ``manage.py`` command.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import django
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voldash_site.settings")
django.setup()

from integrations.apps import check_clickup_mapping  # noqa: E402

# Every worker uses the ClickUp mapping: a bad one stops the container at init, named.
_mapping_errors = check_clickup_mapping()
if _mapping_errors:
    raise ImproperlyConfigured("; ".join(e.msg for e in _mapping_errors))

from integrations.clickup.sweep_run import run_sweep  # noqa: E402
from integrations.inbox.processing import process_inbox  # noqa: E402
from integrations.outbox.delivery import deliver_due, deliver_ids  # noqa: E402
from voldash_site.container import get_container  # noqa: E402

logger = logging.getLogger("voldash.workers")


def _stream_ids(event: dict[str, Any], prefix: str) -> list[str]:
    ids = []
    for record in event.get("Records") or []:
        if record.get("eventName") not in ("INSERT", "MODIFY"):
            continue
        pk = ((record.get("dynamodb") or {}).get("Keys") or {}).get("PK", {}).get("S", "")
        if pk.startswith(prefix):
            ids.append(pk[len(prefix) :])
    return ids


def outbox_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    container = get_container()
    ids = _stream_ids(event, "OUTBOX#")
    if ids:
        report = deliver_ids(ids, outbox=container.outbox, senders=container.senders(), clock=container.clock)
    else:
        report = deliver_due(outbox=container.outbox, senders=container.senders(), clock=container.clock)
    result = {
        "sent": report.sent,
        "skipped": report.skipped,
        "retrying": report.retrying,
        "failed": report.failed,
    }
    logger.info("worker.outbox.done", extra=result)
    return result


def inbox_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    container = get_container()
    report = process_inbox(inbox=container.inbox, handlers=container.inbox_handlers(), clock=container.clock)
    result = {"done": report.done, "ignored": report.ignored, "failed": report.failed}
    logger.info("worker.inbox.done", extra=result)
    return result


def reconcile_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = run_sweep(get_container(), full=bool((event or {}).get("full")))
    result = report.as_stats()
    logger.info("worker.reconcile.done", extra={f"sweep_{k}": v for k, v in result.items() if k != "errors"})
    return result
