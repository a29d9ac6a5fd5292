"""Problem-report use cases: take a report in, adopt the ClickUp task made for it, record the
Slack and forum links, mark spam. No HTTP, no DynamoDB: repositories come in as arguments."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from integrations.outbox.domain import Channel, OutboxMessage
from tasks.domain import (
    AWAITING_CLICKUP,
    HistoryAction,
    HistoryEntry,
    HistorySource,
    Task,
    TaskStatus,
    TaskType,
    Urgency,
)
from voldash_site.errors import DomainError, NotFound, WriteRefused

from .domain import (
    AREAS,
    MAX_ASSET,
    MAX_CONTACT,
    MAX_DETAILS,
    MAX_PHOTOS,
    MAX_SUMMARY,
    PHOTO_KEY,
    PROBLEM_TYPES,
    ProblemReport,
    ReportState,
    clean_text,
    description,
    discourse_raw,
    discourse_title,
    report_id_in,
    slack_text,
    task_name,
)

if TYPE_CHECKING:
    from integrations.outbox.repository import OutboxRepository
    from tasks.repository import TaskRepository

    from .repository import ReportRepository

logger = logging.getLogger("voldash.reports")

CREATE_TASK = "report.create_task"
WRITE_LINKS = "report.links"
CLOSE_TASK = "report.close"
REOPEN_TASK = "report.reopen"
ATTACH_PHOTOS = "report.photos"
SLACK_POST = "report.slack"
FORUM_TOPIC = "report.topic"


# Reports in the same shop share the counters item: a simultaneous one cancels the transaction
# (nothing written), and it is sent again.
COMMIT_ATTEMPTS = 5


class RateLimited(DomainError):
    code = "rate_limited"


class InvalidReport(DomainError):
    """A field of the report is wrong (422, like the API's schema errors); ``detail`` names it."""

    code = "validation_error"


@dataclass(frozen=True)
class RateLimits:
    per_address: int = 20
    per_device: int = 6
    window_seconds: int = 3600


@dataclass
class ReportDeps:
    reports: ReportRepository
    tasks: TaskRepository
    outbox: OutboxRepository
    uow: Any
    shops: Any  # ShopDirectory: get(slug) -> Shop | None
    clock: Callable[[], datetime]
    shop_for_area: Callable[[str], str | None]
    list_id: str = "901310067725"
    limits: RateLimits = RateLimits()
    secret: str = ""  # keys the hashes of client addresses and device ids (no raw ones stored)
    slack_channel: str = "C063LH7MB45"  # Asmbly's problem-report channel
    discourse_category: int | None = 59
    local_tz: tzinfo | None = None


@dataclass(frozen=True)
class ReportForm:
    problem_type: str
    area: str
    summary: str
    asset: str = ""
    details: str = ""
    contact: str = ""
    forum: bool = False
    honeypot: str = ""  # a field people never see; bots fill it
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reporter:
    neon_id: str
    name: str
    contact: str = ""  # e-mail or phone from the profile


def _invalid(field: str, message: str) -> InvalidReport:
    return InvalidReport(f"{field}: {message}", detail=[{"loc": [field], "msg": message}])


def validate_form(form: ReportForm) -> ReportForm:
    """Clean the text and check every field; the error names the field."""
    problem_type = clean_text(form.problem_type)
    if problem_type not in PROBLEM_TYPES:
        raise _invalid("problem_type", f"must be one of {', '.join(PROBLEM_TYPES)}")
    area = clean_text(form.area)
    if area not in AREAS:
        raise _invalid("area", f"must be one of {', '.join(AREAS)}")
    summary = clean_text(form.summary)
    if len(summary) < 3:
        raise _invalid("summary", "say in a few words what is wrong (3 characters at least)")
    if len(summary) > MAX_SUMMARY:
        raise _invalid("summary", f"{MAX_SUMMARY} characters at most")
    fields = {
        "asset": (clean_text(form.asset), MAX_ASSET),
        "details": (clean_text(form.details, multiline=True), MAX_DETAILS),
        "contact": (clean_text(form.contact), MAX_CONTACT),
    }
    for name, (value, limit) in fields.items():
        if len(value) > limit:
            raise _invalid(name, f"{limit} characters at most")
    photos = tuple(dict.fromkeys(form.photos))
    if len(photos) > MAX_PHOTOS:
        raise _invalid("photos", f"{MAX_PHOTOS} photos at most")
    if any(not PHOTO_KEY.match(key) for key in photos):
        raise _invalid("photos", "give the keys that the upload endpoint returned")
    return ReportForm(
        problem_type=problem_type,
        area=area,
        summary=summary,
        asset=fields["asset"][0],
        details=fields["details"][0],
        contact=fields["contact"][0],
        forum=bool(form.forum),
        photos=photos,
    )


def new_report_id() -> str:
    return "r" + secrets.token_hex(8)


def _hash(secret: str, scope: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{scope}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def provisional_task(report: ProblemReport, *, list_id: str) -> Task:
    """Shown in the shop feed and the open feed at once, marked as awaiting ClickUp."""
    return Task(
        id=report.provisional_task_id,
        title=task_name(report),
        description=description(report),
        shop=report.shop,
        status=TaskStatus.OPEN,
        urgency=Urgency.MEDIUM,
        created_at=report.created_at,
        updated_at=report.created_at,
        task_type=TaskType.PROBLEM,
        problem_type=report.problem_type,
        asset=report.asset or None,
        list_id=list_id,
        contact_details=report.contact or None,
        tags=(AWAITING_CLICKUP,),
        report_id=report.id,
    )


def submit_report(
    *,
    form: ReportForm,
    reporter: Reporter | None,
    client_address: str,
    device_id: str,
    deps: ReportDeps,
) -> ProblemReport:
    """Store the report, its provisional task, the shop counters, the rate-limit counters and
    the ClickUp outbox message in one TransactWriteItems.

    The counters are read first (one BatchGetItem): past the limit, a flood is refused with
    that one read and never reaches the transaction, so it writes nothing and cannot contend
    for the shop's counter item with the claims and reports of everyone else. The
    transaction's conditions stay the exact limit (two requests can both read "one left")."""
    now = deps.clock()
    if form.honeypot.strip():
        # A bot: answer as if accepted (so it learns nothing), store nothing.
        logger.info("report.honeypot")
        return ProblemReport(
            id=new_report_id(),
            problem_type="Other",
            area="General Areas",
            shop="general",
            summary="",
            created_at=now,
        )
    form = validate_form(form)
    shop = deps.shop_for_area(form.area) or "general"
    contact = form.contact
    if reporter is not None and not contact:
        contact = " ".join(p for p in (reporter.name, reporter.contact) if p)[:MAX_CONTACT]
    report = ProblemReport(
        id=new_report_id(),
        problem_type=form.problem_type,
        area=form.area,
        shop=shop,
        summary=form.summary,
        asset=form.asset,
        details=form.details,
        contact=contact,
        forum=form.forum,
        reporter_id=reporter.neon_id if reporter else None,
        reporter_name=reporter.name if reporter else None,
        created_at=now,
        photos=form.photos,
    )
    task = provisional_task(report, list_id=deps.list_id)
    entry = HistoryEntry(
        task_id=task.id,
        at=now,
        action=HistoryAction.CREATED,
        source=HistorySource.API,
        actor_id=report.reporter_id,
        actor_name=report.reporter_name or "Problem report",
        to_status=TaskStatus.OPEN,
        note="problem report received; on its way to ClickUp",
        event_id=uuid.uuid4().hex[:12],
        task_title=task.title,
        shop=task.shop,
    )
    create = OutboxMessage(
        channel=Channel.CLICKUP,
        action=CREATE_TASK,
        task_id=report.id,
        created_at=now,
        payload={"report_id": report.id, "list_id": deps.list_id, "created_ms": int(now.timestamp() * 1000)},
        id=f"{report.id}-create",
    )
    window = int(now.timestamp()) // deps.limits.window_seconds
    expires = (window + 2) * deps.limits.window_seconds
    # One counter per client address and, when the browser has one, per device cookie.
    counted = [
        (scope, _hash(deps.secret, scope, key), limit)
        for scope, key, limit in (
            ("addr", client_address, deps.limits.per_address),
            ("device", device_id, deps.limits.per_device),
        )
        if key
    ]
    full = deps.reports.rates_full(counted, window=window)
    if full:
        raise _rate_limited(sorted(full), deps.limits, expires - int(now.timestamp()))
    writes = [
        deps.reports.create_write(report),
        *deps.tasks.snapshot_writes(task, previous=None),
        deps.tasks.history_write(entry),
        *deps.outbox.enqueue_writes([create]),
    ]
    writes += [
        deps.reports.rate_write(scope, key_hash, window=window, limit=limit, expires_at=expires)
        for scope, key_hash, limit in counted
    ]
    for attempt in range(COMMIT_ATTEMPTS):
        try:
            deps.uow.commit(writes)
            break
        except WriteRefused as refused:
            limited = sorted(t.removeprefix("rate:") for t in refused.tags if t.startswith("rate:"))
            if limited:
                raise _rate_limited(limited, deps.limits, expires - int(now.timestamp())) from refused
            if not refused.tags and refused.conflict and attempt + 1 < COMMIT_ATTEMPTS:
                continue  # another report moved the same counters at the same moment: nothing written
            raise
    logger.info("report.received", extra={"report_id": report.id, "shop": shop})
    return report


def allow_photo_upload(*, client_address: str, deps: ReportDeps, hit: Callable[..., bool]) -> None:
    """Count one presigned upload for this address: at most MAX_PHOTOS per report it may send
    in the window (one conditional UpdateItem; ``hit`` is the container's rate limiter)."""
    if not client_address:
        return
    allowed = hit(
        scope="report-photo-addr",
        key=_hash(deps.secret, "photo", client_address),
        max_hits=deps.limits.per_address * MAX_PHOTOS,
        window_seconds=deps.limits.window_seconds,
    )
    if not allowed:
        raise _rate_limited(["addr"], deps.limits, deps.limits.window_seconds)


def _rate_limited(limited: list[str], limits: RateLimits, retry_after: int) -> RateLimited:
    return RateLimited(
        f"Too many reports from this {' and '.join(limited)}; "
        f"try again within {limits.window_seconds // 60} minutes.",
        detail={"limited": limited, "retry_after_seconds": retry_after},
    )


def get_report(*, report_id: str, deps: ReportDeps) -> ProblemReport:
    report = deps.reports.get(report_id)
    if report is None:
        raise NotFound(f"No problem report with id {report_id!r}.", detail={"id": report_id})
    return report


# -- delivery side -------------------------------------------------------------------------


def follow_up_messages(
    report: ProblemReport, task: Task, deps: ReportDeps, now: datetime
) -> list[OutboxMessage]:
    """Once the ClickUp task exists: Slack (the problem-report channel, whose post's link is
    written back to ClickUp, and the shop's channel) and, when asked, a forum topic."""
    clickup_url = task.clickup_url or f"https://app.clickup.com/t/{task.id}"
    shop = deps.shops.get(report.shop)
    shop_name = shop.name if shop else report.shop
    text = slack_text(report, clickup_url=clickup_url, shop_name=shop_name)
    messages = [
        OutboxMessage(
            channel=Channel.SLACK,
            action=SLACK_POST,
            task_id=task.id,
            created_at=now,
            payload={"report_id": report.id, "channel": deps.slack_channel, "text": text, "link": True},
            id=f"{report.id}-slack",
        )
    ]
    if shop is not None and shop.slack_channel and shop.slack_channel != deps.slack_channel:
        messages.append(
            OutboxMessage(
                channel=Channel.SLACK,
                action=SLACK_POST,
                task_id=task.id,
                created_at=now,
                payload={"report_id": report.id, "channel": shop.slack_channel, "text": text, "link": False},
                id=f"{report.id}-slack-shop",
            )
        )
    if report.photos:
        messages.append(
            OutboxMessage(
                channel=Channel.CLICKUP,
                action=ATTACH_PHOTOS,
                task_id=task.id,
                created_at=now,
                payload={"report_id": report.id},
                id=f"{report.id}-photos",
            )
        )
    if report.forum:
        local = now.astimezone(deps.local_tz) if deps.local_tz else now
        messages.append(
            OutboxMessage(
                channel=Channel.DISCOURSE,
                action=FORUM_TOPIC,
                task_id=task.id,
                created_at=now,
                payload={
                    "report_id": report.id,
                    "title": discourse_title(report, local_time=local),
                    "raw": discourse_raw(report, clickup_url=clickup_url),
                    "category": deps.discourse_category,
                    "external_id": f"voldash-report-{report.id}",
                },
                id=f"{report.id}-topic",
            )
        )
    return messages


def adopt_clickup_task(task: Task, now: datetime, deps: ReportDeps) -> tuple[Task, list[Any], Task | None]:
    """A ClickUp task new to voldash that carries a report's marker becomes that report's task:
    the provisional task leaves the feeds, the report is linked (once: the condition refuses a
    second, different task) and the Slack/forum messages are queued. Called by the sync for
    the first snapshot of the task, whether it came from our own create or from the webhook."""
    report_id = report_id_in(task.description)
    if report_id is None:
        return task, [], None
    report = deps.reports.get(report_id)
    if report is None or report.state is not ReportState.RECEIVED or report.clickup_task_id:
        return task, [], None
    adopted = task.with_changes(
        report_id=report.id, contact_details=task.contact_details or report.contact or None
    )
    writes: list[Any] = [deps.reports.link_write(report.id, clickup_task_id=task.id, task_status=task.status)]
    stored = deps.tasks.get_stored(report.provisional_task_id)
    counted = None
    if stored is not None and not stored.task.deleted:
        # The new task takes over the provisional one's place in the shop counters.
        writes += deps.tasks.retire_writes(stored.task, at=now, tag="report", counters=False)
        counted = stored.task
    writes += deps.outbox.enqueue_writes(follow_up_messages(report, adopted, deps, now))
    logger.info("report.adopted", extra={"report_id": report.id, "task_id": task.id})
    return adopted, writes, counted


def record_link(*, report_id: str, kind: str, url: str, deps: ReportDeps) -> bool:
    """Save the Slack post's or forum topic's URL on the report and queue the write-back of the
    links to the ClickUp task (description and custom fields), once."""
    report = deps.reports.get(report_id)
    if report is None or not report.clickup_task_id:
        return False
    message = OutboxMessage(
        channel=Channel.CLICKUP,
        action=WRITE_LINKS,
        task_id=report.clickup_task_id,
        created_at=deps.clock(),
        payload={"report_id": report_id},
        id=f"{report_id}-links-{kind}",
    )
    try:
        deps.uow.commit(
            [
                deps.reports.set_link_write(report_id, kind=kind, url=url),
                *deps.outbox.enqueue_writes([message]),
            ]
        )
    except WriteRefused:
        return False  # already recorded (a retried delivery)
    return True


SPAM_RESTORE_WINDOW = timedelta(days=7)  # a spam mark can be undone this long


@dataclass(frozen=True)
class TriageResult:
    """What a spam mark or a restore did at once, and what it queued (said apart to the lead)."""

    report: ProblemReport
    done: tuple[str, ...]
    queued: tuple[str, ...]


def restorable_until(report: ProblemReport) -> datetime | None:
    """Until when a spam mark may be undone (None: not spam, or marked before this was kept)."""
    if report.state is not ReportState.SPAM or report.spam_at is None:
        return None
    return report.spam_at + SPAM_RESTORE_WINDOW


def _history(
    task: Task, now: datetime, action: HistoryAction, note: str, actor_id: str, actor_name: str
) -> Any:
    return HistoryEntry(
        task_id=task.id,
        at=now,
        action=action,
        source=HistorySource.STAFF,
        actor_id=actor_id,
        actor_name=actor_name,
        from_status=task.status,
        to_status=task.status if action is HistoryAction.REOPENED else None,
        note=note,
        event_id=uuid.uuid4().hex[:12],
        task_title=task.title,
        shop=task.shop,
    )


def mark_spam(*, report_id: str, actor_id: str, actor_name: str, deps: ReportDeps) -> TriageResult:
    """Staff: the report leaves the feeds at once; closing its ClickUp task (if made) is queued;
    a ClickUp task still on its way is not created (or closed as soon as it is)."""
    report = get_report(report_id=report_id, deps=deps)
    if report.state is ReportState.SPAM:
        return TriageResult(report, ("it was already marked as spam",), ())
    now = deps.clock()
    writes: list[Any] = [deps.reports.spam_write(report.id, at=now, by=actor_name)]
    done = ["marked as spam", "taken out of the feeds"]
    queued: list[str] = []
    stored = deps.tasks.get_stored(report.task_id)
    if stored is not None and not stored.task.deleted:
        writes += deps.tasks.retire_writes(stored.task, at=now, tag="task")
        writes.append(
            deps.tasks.history_write(
                _history(stored.task, now, HistoryAction.DELETED, "marked as spam", actor_id, actor_name)
            )
        )
    if report.clickup_task_id:
        writes += deps.outbox.enqueue_writes(
            [
                OutboxMessage(
                    channel=Channel.CLICKUP,
                    action=CLOSE_TASK,
                    task_id=report.clickup_task_id,
                    created_at=now,
                    payload={"report_id": report.id, "list_id": deps.list_id},
                    id=f"{report.id}-close-{int(now.timestamp() * 1000)}",
                )
            ]
        )
        queued.append(f"closing ClickUp task {report.clickup_task_id} is queued")
    else:
        done.append("no ClickUp task had been created yet; none will be")
    deps.uow.commit(writes)
    logger.info("report.spam", extra={"report_id": report.id})
    return TriageResult(report.with_changes(state=ReportState.SPAM, spam_at=now), tuple(done), tuple(queued))


def restore_report(*, report_id: str, actor_id: str, actor_name: str, deps: ReportDeps) -> TriageResult:
    """Undo a spam mark within SPAM_RESTORE_WINDOW: the report and its task are back in the
    feeds at once; reopening the ClickUp task (or creating it, when the create was skipped
    as spam) goes through the outbox."""
    report = get_report(report_id=report_id, deps=deps)
    if report.state is not ReportState.SPAM:
        raise DomainError("This report is not marked as spam; nothing to restore.", code="conflict")
    now = deps.clock()
    until = restorable_until(report)
    if until is None or now > until:
        raise DomainError(
            f"A spam mark can be undone for {SPAM_RESTORE_WINDOW.days} days; this one is older. "
            "Ask the reporter to send it again.",
            code="conflict",
        )
    linked = bool(report.clickup_task_id)
    writes: list[Any] = [deps.reports.restore_write(report.id, linked=linked)]
    done = ["restored", "back in the feeds"]
    queued: list[str] = []
    stored = deps.tasks.get_stored(report.task_id)
    if stored is not None and stored.task.deleted:
        task = stored.task.with_changes(deleted=False, updated_at=now)
        # The task write would also mirror its status onto the report, which restore_write
        # updates already: one transaction may touch an item once, so that mirror is left out
        # (the status it would write is the report's unchanged task_status).
        writes += [w for w in deps.tasks.snapshot_writes(task, previous=stored) if w.tag != "report-mirror"]
        writes.append(
            deps.tasks.history_write(
                _history(task, now, HistoryAction.REOPENED, "restored: not spam", actor_id, actor_name)
            )
        )
    messages: list[OutboxMessage] = []
    stamp_ms = int(now.timestamp() * 1000)
    if linked:
        messages.append(
            OutboxMessage(
                channel=Channel.CLICKUP,
                action=REOPEN_TASK,
                task_id=report.clickup_task_id or "",
                created_at=now,
                payload={"report_id": report.id, "list_id": deps.list_id},
                id=f"{report.id}-reopen-{stamp_ms}",
            )
        )
        queued.append(f"reopening ClickUp task {report.clickup_task_id} is queued")
    else:
        create = deps.outbox.get(f"{report.id}-create")
        if create is None or create.status.value == "SENT":
            # the first create was skipped as spam (or is gone): ask again
            messages.append(
                OutboxMessage(
                    channel=Channel.CLICKUP,
                    action=CREATE_TASK,
                    task_id=report.id,
                    created_at=now,
                    payload={"report_id": report.id, "list_id": deps.list_id, "created_ms": stamp_ms},
                    id=f"{report.id}-create-{stamp_ms}",
                )
            )
        queued.append("creating its ClickUp task is queued")
    writes += deps.outbox.enqueue_writes(messages)
    deps.uow.commit(writes)
    logger.info("report.restored", extra={"report_id": report.id})
    restored = report.with_changes(
        state=ReportState.IN_CLICKUP if linked else ReportState.RECEIVED, spam_at=None, spam_by=None
    )
    return TriageResult(restored, tuple(done), tuple(queued))
