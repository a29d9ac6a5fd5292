"""Delivering a problem report's outbox messages (kinds ``report.*``).

The outbox worker picks a sender per channel; ``ByAction`` sends ``report.*`` messages to the
senders here and every other message to the channel's usual sender, so the outbox itself
needs no change. Each message has a fixed id (``{report}-create``, ``{report}-slack``...), so
it is queued once, and each sender is safe to run again after a timeout:

- ``report.create_task``: a retry first looks in the Problem Reports list for a task carrying
  the report's marker (``voldash report: r...``) before creating one: the description's last
  line, matched whole and exactly (tasks/clickup_text.py), never a substring.
- ``report.links``: writes the description and the Slack/Discourse link fields from the report
  as stored (setting the same values twice changes nothing).
- ``report.close``: sets the list's closed status and archives the task (unless the report
  was restored meanwhile).
- ``report.reopen``: a restored spam mark: unarchives the task and sets the list's open status.
- ``report.slack`` / ``report.topic``: post, then record the link (once) and queue
  ``report.links``. The forum topic is idempotent by ``external_id``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from integrations.http import IntegrationError
from integrations.outbox.domain import OutboxMessage
from tasks.domain import TaskStatus

from .domain import ProblemReport, ReportState, description, report_id_in, slack_permalink, task_name
from .use_cases import ATTACH_PHOTOS, CLOSE_TASK, CREATE_TASK, REOPEN_TASK, WRITE_LINKS

logger = logging.getLogger("voldash.reports.delivery")
LOOKBACK_MS = 10 * 60 * 1000  # a retry looks at tasks updated since the report, less this margin
MAX_LOOKUP_PAGES = 5


class ByAction:
    """A channel's sender that hands ``report.*`` messages to ``reports``."""

    def __init__(self, default: Any, reports: Any) -> None:
        self.default = default
        self.reports = reports

    @property
    def configured(self) -> bool:
        return bool(self.default.configured)

    def send(self, message: OutboxMessage) -> str:
        target = self.reports if message.action.startswith("report.") else self.default
        return target.send(message)


def _report_of(reports: Any, message: OutboxMessage) -> ProblemReport:
    """The report a message is about; a message whose report is gone can never be sent."""
    report_id = message.payload["report_id"]
    report = reports.get(report_id)
    if report is None:
        raise IntegrationError("voldash", f"problem report {report_id} does not exist", permanent=True)
    return report


class ReportClickUpSender:
    def __init__(
        self,
        client: Any,
        *,
        reports: Any,
        mapping: Any,
        on_created: Callable[[dict[str, Any]], Any],
        photos: Any = None,
    ) -> None:
        self.client = client
        self.photos = photos  # S3Photos, or None when photos are off
        self.reports = reports
        self.mapping = mapping
        self.on_created = on_created  # applies the new task's snapshot (which adopts the report)
        self._fields: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.client.configured)

    def send(self, message: OutboxMessage) -> str:
        report = _report_of(self.reports, message)
        if message.action == CREATE_TASK:
            return self._create(message, report)
        if message.action == WRITE_LINKS:
            return self._links(message, report)
        if message.action == CLOSE_TASK:
            if report.state is not ReportState.SPAM:
                return "restored before delivery: not closed"
            return self._close(message.task_id, message.payload.get("list_id"))
        if message.action == REOPEN_TASK:
            if report.state is ReportState.SPAM:
                return "marked as spam again before delivery: not reopened"
            return self._reopen(message.task_id, message.payload.get("list_id"))
        if message.action == ATTACH_PHOTOS:
            return self._attach(report)
        raise IntegrationError("voldash", f"unknown action {message.action}", permanent=True)

    # -- fields ---------------------------------------------------------------------------

    def fields(self, list_id: str) -> dict[str, dict[str, Any]]:
        """The list's custom fields by id (read once per process)."""
        with self._lock:
            known = self._fields.get(list_id)
        if known is None:
            known = {str(f.get("id")): f for f in self.client.list_fields(list_id)}
            with self._lock:
                self._fields[list_id] = known
        return known

    def _option_id(self, list_id: str, key: str, name: str) -> str | None:
        field_id = self.mapping.fields.get(key)
        definition = self.fields(list_id).get(field_id or "")
        if definition is None:
            return None
        for option in (definition.get("type_config") or {}).get("options") or []:
            if str(option.get("name", "")).casefold() == name.casefold():
                return option.get("id")
        return None

    # -- actions --------------------------------------------------------------------------

    def _create(self, message: OutboxMessage, report: Any) -> str:
        if report.state is ReportState.SPAM:
            return "marked as spam: no task created"
        if report.clickup_task_id:
            return f"already in ClickUp as {report.clickup_task_id}"
        list_id = str(message.payload["list_id"])
        raw = None
        if message.attempts > 0:  # an earlier try may have created it before timing out
            raw = self._find(list_id, report.id, int(message.payload["created_ms"]))
        found = raw is not None
        if raw is None:
            raw = self.client.create_task(list_id, self._body(list_id, report))
        self.on_created(raw)
        task_id = str(raw.get("id"))
        fresh = self.reports.get(report.id)
        if fresh is not None and fresh.state is ReportState.SPAM and fresh.clickup_task_id is None:
            self._close(task_id, list_id)  # marked as spam while we were creating it
            return f"created {task_id}, closed (spam)"
        logger.info("report.clickup.created", extra={"report_id": report.id, "task_id": task_id})
        return f"{'found' if found else 'created'} {task_id}"

    def _body(self, list_id: str, report: Any) -> dict[str, Any]:
        custom: list[dict[str, Any]] = []
        for key, name in (("workspace", report.area), ("problem_type", report.problem_type)):
            option = self._option_id(list_id, key, name)
            if option:
                custom.append({"id": self.mapping.fields[key], "value": option})
        contact_field = self.mapping.fields.get("contact_details")
        if report.contact and contact_field in self.fields(list_id):
            custom.append({"id": contact_field, "value": report.contact})
        return {
            "name": task_name(report)[:500],
            "description": description(report),
            "custom_fields": custom,
        }

    def _find(self, list_id: str, report_id: str, created_ms: int) -> dict[str, Any] | None:
        for page in range(MAX_LOOKUP_PAGES):
            tasks, last_page = self.client.list_tasks(
                list_id, page=page, updated_after_ms=created_ms - LOOKBACK_MS
            )
            for raw in tasks:
                if report_id in (report_id_in(raw.get("description")), report_id_in(raw.get("text_content"))):
                    return raw
            if last_page:
                break
        return None

    def _links(self, message: OutboxMessage, report: Any) -> str:
        task_id = report.clickup_task_id or message.task_id
        list_id = self.mapping_list()
        self.client.update_task(task_id, {"description": description(report)})
        done = ["description"]
        present = self.fields(list_id)
        for key, url in (("slack_post", report.slack_url), ("discourse_post", report.discourse_url)):
            field_id = self.mapping.fields.get(key)
            if url and field_id in present:
                self.client.set_field(task_id, field_id, url)
                done.append(key)
        return "wrote " + ", ".join(done)

    def _attach(self, report: Any) -> str:
        """Attach the uploaded photos; a retry skips the ones ClickUp already lists."""
        if report.state is ReportState.SPAM or not report.clickup_task_id:
            return "nothing to attach"
        if self.photos is None or not self.photos.configured:
            raise IntegrationError("s3", "UPLOADS_BUCKET is not configured", permanent=True)
        task = self.client.get_task(report.clickup_task_id) or {}
        present = {str(a.get("title")) for a in task.get("attachments") or []}
        done = []
        for key in report.photos:
            name = key.rsplit("/", 1)[-1]
            if name in present:
                continue
            found = self.photos.fetch(key)
            if found is None:
                continue  # never uploaded (or refused): nothing to attach
            data, content_type = found
            self.client.attach(report.clickup_task_id, name, data, content_type)
            done.append(name)
        return f"attached {len(done)} of {len(report.photos)}"

    def _close(self, task_id: str, list_id: str | None) -> str:
        lm = self.mapping.list_for(list_id or self.mapping_list())
        status = lm.write_back.get(TaskStatus.DONE) if lm else None
        body: dict[str, Any] = {"archived": True}
        if status:
            body["status"] = status
        self.client.update_task(task_id, body)
        return f"closed and archived {task_id}"

    def _reopen(self, task_id: str, list_id: str | None) -> str:
        lm = self.mapping.list_for(list_id or self.mapping_list())
        status = lm.write_back.get(TaskStatus.OPEN) if lm else None
        body: dict[str, Any] = {"archived": False}
        if status:
            body["status"] = status
        self.client.update_task(task_id, body)
        return f"reopened and unarchived {task_id}"

    def mapping_list(self) -> str:
        return next((lid for lid, lm in self.mapping.lists.items() if lm.task_type.value == "problem"), "")


class ReportSlackSender:
    def __init__(
        self, client: Any, *, reports: Any, workspace_url: str, on_link: Callable[[str, str, str], Any]
    ) -> None:
        self.client = client
        self.reports = reports
        self.workspace_url = workspace_url
        self.on_link = on_link  # (report_id, kind, url)

    @property
    def configured(self) -> bool:
        return bool(self.client.configured)

    def send(self, message: OutboxMessage) -> str:
        p = message.payload
        report = _report_of(self.reports, message)
        if report.state is ReportState.SPAM:
            return "marked as spam: not posted"
        body = self.client.post_message(
            channel=p["channel"], text=p["text"], username="Problem Reporter Bot", icon_emoji=":warning:"
        )
        if p.get("link"):
            url = slack_permalink(
                self.workspace_url, str(body.get("channel") or p["channel"]), str(body.get("ts"))
            )
            self.on_link(report.id, "slack", url)
        return f"posted ts={body.get('ts')} channel={body.get('channel')}"


class ReportDiscourseSender:
    def __init__(
        self,
        client: Any,
        *,
        reports: Any,
        on_link: Callable[[str, str, str], Any],
        on_topic: Callable[[str, str], Any],
    ) -> None:
        self.client = client
        self.reports = reports
        self.on_link = on_link
        self.on_topic = on_topic  # (task_id, url): the task shows the topic too

    @property
    def configured(self) -> bool:
        return bool(self.client.configured)

    def send(self, message: OutboxMessage) -> str:
        p = message.payload
        report = _report_of(self.reports, message)
        if report.state is ReportState.SPAM:
            return "marked as spam: no topic"
        url = self.client.create_topic(
            title=p["title"], raw=p["raw"], category=p.get("category"), external_id=p["external_id"]
        )
        self.on_topic(message.task_id, url)
        self.on_link(report.id, "discourse", url)
        return f"topic {url}"
