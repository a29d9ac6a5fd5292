"""Lambda entry points of the background work (template.yaml wires them):

- ``outbox_handler``: the table's stream, filtered to new outbox items (delivers exactly
  those), and a schedule (delivers whatever is due: retries, leftovers);
- ``inbox_handler``: the stream filtered to new inbox events, and a schedule (retries);
- ``reconcile_handler``: the scheduled ClickUp sweep (``{"full": true}`` for a full one), and the
  scheduled upkeep jobs (``{"job": "remind_stale_claims"}``, ``{"job": "send_shop_digests"}``,
  ``{"job": "announce_pm_due"}``).

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

from django.conf import settings  # noqa: E402

from integrations.apps import check_clickup_mapping  # noqa: E402

# Every worker uses the ClickUp mapping: a bad one stops the container at init, named.
_mapping_errors = check_clickup_mapping()
if _mapping_errors:
    raise ImproperlyConfigured("; ".join(e.msg for e in _mapping_errors))

from integrations.clickup.sweep_run import run_sweep  # noqa: E402
from integrations.inbox.processing import process_inbox  # noqa: E402
from integrations.outbox.delivery import deliver_due, deliver_ids  # noqa: E402
from voldash_site import cloud_metrics  # noqa: E402
from voldash_site.container import get_container  # noqa: E402
from voldash_site.log_context import bind, lambda_request_id  # noqa: E402

logger = logging.getLogger("voldash.workers")

# Settings that mirror a secret under another name.
_SETTING_FOR = {"DJANGO_SECRET_KEY": "SECRET_KEY"}


def secrets_ready() -> bool:
    """False while required secrets are missing (the stack was deployed, the secret not yet
    filled in): the caller then does nothing. Each call reads the secret again, so filling it
    in takes effect at the next run without a redeploy; one warning line and one metric
    (``WorkersWaitingForSecrets``) per run say why nothing happens."""
    if not settings.SECRETS_MISSING:
        return True
    from voldash_site import cloud_secrets

    for key in cloud_secrets.reload_secrets():
        setattr(settings, _SETTING_FOR.get(key, key), os.environ[key])
    settings.SECRETS_MISSING = cloud_secrets.missing_required()
    if settings.SECRETS_MISSING:
        logger.warning("worker.waiting_for_secrets", extra={"missing": settings.SECRETS_MISSING})
        cloud_metrics.emit("WorkersWaitingForSecrets", 1)
        return False
    logger.info("worker.secrets_filled_in")
    return True


_WAITING = {"status": "waiting_for_secrets"}


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
    with bind(worker="outbox", aws_request_id=lambda_request_id(context)):
        return _outbox(event)


def _outbox(event: dict[str, Any]) -> dict[str, Any]:
    if not secrets_ready():
        return _WAITING
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
    # Parked as FAILED (permanent, or out of attempts): a person must look (template.yaml alarm).
    cloud_metrics.emit("OutboxMessagesFailed", report.failed)
    logger.info("worker.outbox.done", extra=result)
    return result


def inbox_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with bind(worker="inbox", aws_request_id=lambda_request_id(context)):
        if not secrets_ready():
            return _WAITING
        return _inbox()


def _inbox() -> dict[str, Any]:
    container = get_container()
    report = process_inbox(inbox=container.inbox, handlers=container.inbox_handlers(), clock=container.clock)
    result = {"done": report.done, "ignored": report.ignored, "failed": report.failed}
    # Events that ended FAILED with no retry left: a person must replay them (template.yaml alarm).
    cloud_metrics.emit("InboxEventsFailed", report.gave_up)
    logger.info("worker.inbox.done", extra=result)
    return result


def reconcile_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with bind(worker="reconcile", aws_request_id=lambda_request_id(context)):
        if not secrets_ready():
            return _WAITING
        return _reconcile(event)


def check_webhooks(container: Any) -> int | None:
    """Ask ClickUp for its webhooks' health, store it (staff dashboard) and put the number not
    active in the ``ClickUpWebhooksNotActive`` metric (template.yaml alarms on it). None when
    it cannot be checked (no CLICKUP_TEAM_ID, or ClickUp did not answer): logged, never fatal."""
    from integrations.clickup.webhook_admin import not_active, public
    from integrations.http import IntegrationError

    if not settings.CLICKUP_TEAM_ID or not settings.PUBLIC_BASE_URL:
        logger.warning(
            "clickup.webhooks.unchecked", extra={"reason": "CLICKUP_TEAM_ID or PUBLIC_BASE_URL unset"}
        )
        return None
    try:
        entries = container.clickup_webhooks().status()
    except IntegrationError as exc:
        logger.warning("clickup.webhooks.unchecked", extra={"reason": str(exc)[:200]})
        return None
    bad = not_active(entries)
    cloud_metrics.emit("ClickUpWebhooksNotActive", bad)
    log = logger.warning if bad else logger.info
    log("clickup.webhooks.health", extra={"not_active": bad, "webhooks": [public(e) for e in entries]})
    return bad


UPKEEP_JOBS = ("remind_stale_claims", "send_shop_digests", "announce_pm_due")


def _upkeep(job: str) -> dict[str, Any]:
    """Quiet-claim reminders or the weekly shop digests (tasks/upkeep), as their commands do."""
    from dataclasses import asdict

    from tasks.upkeep.use_cases import announce_pm_due, remind_stale_claims, send_shop_digests

    container = get_container()
    if job == "remind_stale_claims":
        result = asdict(remind_stale_claims(container.upkeep()))
    elif job == "announce_pm_due":
        result = asdict(announce_pm_due(container.upkeep(), container.shops.list_all()))
    else:
        result = asdict(send_shop_digests(container.upkeep(), container.shops.list_all()))
    logger.info(f"worker.{job}.done", extra={k: v for k, v in result.items() if k != "errors"})
    return result


def _reconcile(event: dict[str, Any]) -> dict[str, Any]:
    job = (event or {}).get("job")
    if job is not None:
        if job not in UPKEEP_JOBS:
            raise ValueError(f"unknown job {job!r}; one of {', '.join(UPKEEP_JOBS)}")
        return _upkeep(job)
    check_webhooks(get_container())
    report = run_sweep(get_container(), full=bool((event or {}).get("full")))
    result = report.as_stats()
    logger.info("worker.reconcile.done", extra={f"sweep_{k}": v for k, v in result.items() if k != "errors"})
    return result
