"""Problem-report storage.

  report        PK=REPORT#{id}            SK=REPORT       GSI2PK=REPORTS / GSI2SK={created}#{id}
  rate window   PK=RATE#{scope}#{hash}    SK=W#{window}   count, expires_at (TTL)

The report is written in the same TransactWriteItems as its provisional task, the shop counters,
the rate-limit counters and its outbox message. The report's ``task_status`` mirrors its task's
status (written with every task write), so the status URL is one GetItem.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from tasks.domain import TaskStatus
from voldash_site.dynamodb import rate_limit
from voldash_site.dynamodb.items import TableItem, ensure_configured, query_page, stamp, storage_errors
from voldash_site.dynamodb.unit_of_work import Write, put, update

from .domain import ProblemReport, ReportState

RECENT_PK = "REPORTS"


class _ReportItem(TableItem, discriminator="ProblemReport"):
    report_id = UnicodeAttribute(attr_name="id")
    problem_type = UnicodeAttribute()
    area = UnicodeAttribute()
    shop = UnicodeAttribute()
    summary = UnicodeAttribute()
    asset = UnicodeAttribute(default="")
    details = UnicodeAttribute(default="")
    contact = UnicodeAttribute(default="")
    forum = BooleanAttribute(default=False)
    reporter_id = UnicodeAttribute(null=True)
    reporter_name = UnicodeAttribute(null=True)
    state = UnicodeAttribute()
    clickup_task_id = UnicodeAttribute(null=True)
    task_status = UnicodeAttribute(default=TaskStatus.OPEN.value)
    slack_url = UnicodeAttribute(null=True)
    discourse_url = UnicodeAttribute(null=True)
    photos = ListAttribute(of=UnicodeAttribute, null=True)
    created_at = UTCDateTimeAttribute()
    spam_at = UTCDateTimeAttribute(null=True)
    spam_by = UnicodeAttribute(null=True)

    @classmethod
    def from_report(cls, r: ProblemReport) -> _ReportItem:
        return cls(
            pk=f"REPORT#{r.id}",
            sk="REPORT",
            gsi2pk=RECENT_PK,
            gsi2sk=f"{stamp(r.created_at)}#{r.id}",
            report_id=r.id,
            problem_type=r.problem_type,
            area=r.area,
            shop=r.shop,
            summary=r.summary,
            asset=r.asset,
            details=r.details,
            contact=r.contact,
            forum=r.forum,
            reporter_id=r.reporter_id,
            reporter_name=r.reporter_name,
            state=r.state.value,
            clickup_task_id=r.clickup_task_id,
            task_status=r.task_status.value,
            slack_url=r.slack_url,
            discourse_url=r.discourse_url,
            photos=list(r.photos) or None,
            created_at=r.created_at,
            spam_at=r.spam_at,
            spam_by=r.spam_by,
        )

    def to_report(self) -> ProblemReport:
        return ProblemReport(
            id=self.report_id,
            problem_type=self.problem_type,
            area=self.area,
            shop=self.shop,
            summary=self.summary,
            asset=self.asset or "",
            details=self.details or "",
            contact=self.contact or "",
            forum=bool(self.forum),
            reporter_id=self.reporter_id,
            reporter_name=self.reporter_name,
            state=ReportState(self.state),
            clickup_task_id=self.clickup_task_id,
            task_status=TaskStatus(self.task_status or TaskStatus.OPEN.value),
            slack_url=self.slack_url,
            discourse_url=self.discourse_url,
            photos=tuple(self.photos or ()),
            created_at=self.created_at,
            spam_at=self.spam_at,
            spam_by=self.spam_by,
        )


def _key(report_id: str) -> _ReportItem:
    return _ReportItem(pk=f"REPORT#{report_id}", sk="REPORT")


def report_status_write(report_id: str, status: TaskStatus) -> Write:
    """Mirror a task's status onto its report (in the task write's own transaction)."""
    return update(_key(report_id), [_ReportItem.task_status.set(status.value)], tag="report-mirror")


class ReportRepository(Protocol):
    def get(self, report_id: str) -> ProblemReport | None: ...

    def recent(self, *, limit: int = 50) -> list[ProblemReport]: ...

    def create_write(self, report: ProblemReport) -> Write: ...

    def rate_write(self, scope: str, key_hash: str, *, window: int, limit: int, expires_at: int) -> Write: ...

    def rates_full(self, counters: list[tuple[str, str, int]], *, window: int) -> set[str]: ...

    def link_write(self, report_id: str, *, clickup_task_id: str, task_status: TaskStatus) -> Write: ...

    def set_link_write(self, report_id: str, *, kind: str, url: str) -> Write: ...

    def spam_write(self, report_id: str, *, at: datetime | None = None, by: str | None = None) -> Write: ...

    def restore_write(self, report_id: str, *, linked: bool) -> Write: ...


class DynamoReportRepository:
    def __init__(self) -> None:
        ensure_configured()

    def get(self, report_id: str) -> ProblemReport | None:
        """One consistent GetItem."""
        with storage_errors():
            try:
                return _ReportItem.get(f"REPORT#{report_id}", "REPORT", consistent_read=True).to_report()
            except _ReportItem.DoesNotExist:
                return None

    def recent(self, *, limit: int = 50) -> list[ProblemReport]:
        """The newest reports (staff page): one Query on GSI2."""
        page = query_page(_ReportItem, RECENT_PK, index="GSI2", limit=limit, newest_first=True)
        return [i.to_report() for i in page.items]

    def create_write(self, report: ProblemReport) -> Write:
        return put(_ReportItem.from_report(report), condition=_ReportItem.pk.does_not_exist(), tag="report")

    def rate_write(self, scope: str, key_hash: str, *, window: int, limit: int, expires_at: int) -> Write:
        """Count one more in this window unless the limit is reached (the condition refuses)."""
        return rate_limit.count_write(
            scope, key_hash, window=window, max_hits=limit, expires_at=expires_at, tag=f"rate:{scope}"
        )

    def rates_full(self, counters: list[tuple[str, str, int]], *, window: int) -> set[str]:
        """Which of the ``(scope, key hash, limit)`` counters are already at their limit (one read)."""
        return rate_limit.full(counters, window=window)

    def link_write(self, report_id: str, *, clickup_task_id: str, task_status: TaskStatus) -> Write:
        """Link the report to its ClickUp task, once: a second, different task is refused."""
        return update(
            _key(report_id),
            [
                _ReportItem.clickup_task_id.set(clickup_task_id),
                _ReportItem.state.set(ReportState.IN_CLICKUP.value),
                _ReportItem.task_status.set(task_status.value),
            ],
            condition=(_ReportItem.state == ReportState.RECEIVED.value)
            & _ReportItem.clickup_task_id.does_not_exist(),
            tag="report",
        )

    def set_link_write(self, report_id: str, *, kind: str, url: str) -> Write:
        """Record the Slack post's or forum topic's URL, once."""
        attribute = {"slack": _ReportItem.slack_url, "discourse": _ReportItem.discourse_url}[kind]
        return update(
            _key(report_id),
            [attribute.set(url)],
            condition=_ReportItem.pk.exists() & attribute.does_not_exist(),
            tag=f"link:{kind}",
        )

    def spam_write(self, report_id: str, *, at: datetime | None = None, by: str | None = None) -> Write:
        actions = [_ReportItem.state.set(ReportState.SPAM.value)]
        if at is not None:
            actions.append(_ReportItem.spam_at.set(at))
        if by:
            actions.append(_ReportItem.spam_by.set(by))
        return update(
            _key(report_id),
            actions,
            condition=_ReportItem.pk.exists() & (_ReportItem.state != ReportState.SPAM.value),
            tag="report",
        )

    def restore_write(self, report_id: str, *, linked: bool) -> Write:
        """Undo a spam mark: back to IN_CLICKUP (a task exists) or RECEIVED; only from SPAM."""
        state = ReportState.IN_CLICKUP if linked else ReportState.RECEIVED
        return update(
            _key(report_id),
            [_ReportItem.state.set(state.value), _ReportItem.spam_at.remove(), _ReportItem.spam_by.remove()],
            condition=_ReportItem.pk.exists() & (_ReportItem.state == ReportState.SPAM.value),
            tag="report",
        )
