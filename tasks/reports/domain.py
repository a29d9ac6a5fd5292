"""Problem reports: what a member (or anyone, from a QR code on a machine) tells us is broken.

The intake that replaces Asmbly's Google Form (reference/asmbly.md section 2.6): the ClickUp task
it becomes keeps today's name ``"{asset} - {summary}"``, today's description line prefixes (other
tools parse them) and today's custom fields. Pure Python: no Django, no PynamoDB.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from tasks.clickup_text import quote_outside, report_id_in, report_marker
from tasks.domain import TaskStatus

__all__ = ["report_id_in"]  # re-exported: adoption reads the marker by the one rule

# The ClickUp "Workspace" drop-down's options (reference/asmbly.md 2.4), building areas included.
AREAS: tuple[str, ...] = (
    "3D Printing",
    "Electronics",
    "Textiles",
    "Lasers",
    "Woodshop",
    "Metal-Shop",
    "Ceramics",
    "Multi-Purpose Room",
    "Lobby",
    "Studios",
    "Hallway",
    "Bathrooms",
    "HVAC",
    "Education / Classes",
    "General Areas",
)
# The ClickUp "Problem Type" drop-down's options (reference/asmbly.md 2.4).
PROBLEM_TYPES: tuple[str, ...] = ("Equipment", "Facilities", "Supplies", "Cleaning", "Other")
# A shop slug (from a QR code URL) -> the area it pre-selects.
SHOP_AREAS: dict[str, str] = {
    "woodshop": "Woodshop",
    "metal-shop": "Metal-Shop",
    "electronics": "Electronics",
    "lasers": "Lasers",
    "3d-printing": "3D Printing",
    "textiles": "Textiles",
    "ceramics": "Ceramics",
    "general": "General Areas",
}

MAX_SUMMARY = 120
MAX_DETAILS = 4000
MAX_ASSET = 120
MAX_CONTACT = 200
MAX_PHOTOS = 4
# An uploaded photo's S3 key (tasks/reports/photos.py makes them).
PHOTO_KEY = re.compile(r"^reports/uploads/[0-9a-f]{32}\.(jpg|png|webp|heic)$")
OPTED_OUT = "Opted Out. Slack notification Only."
PENDING_LINK = "(pending)"
PROVISIONAL_PREFIX = "report-"
AWAITING_CLICKUP = "awaiting-clickup"
DISCLAIMER = (
    "This task was created from a problem report sent through the Asmbly Volunteer Dashboard. "
    "The reporter's words are shown as they wrote them; contact details are for shop leads only."
)


class ReportState(StrEnum):
    RECEIVED = "RECEIVED"  # stored; the ClickUp task is on its way
    IN_CLICKUP = "IN_CLICKUP"  # the ClickUp task exists and is linked
    SPAM = "SPAM"  # staff marked it as spam: out of the feeds, ClickUp task closed


class PublicStatus(StrEnum):
    """What the reporter sees on the status URL."""

    RECEIVED = "received"
    IN_CLICKUP = "in_clickup"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"
    CLOSED = "closed"  # not acted on (marked as spam)


@dataclass(frozen=True)
class ProblemReport:
    id: str  # "r" + 16 hex digits: unguessable, so a status URL does not enumerate others
    problem_type: str
    area: str  # one of AREAS
    shop: str  # canonical shop slug the area maps to
    summary: str
    created_at: datetime
    asset: str = ""
    details: str = ""
    contact: str = ""  # name and phone/e-mail: shop leads only, never the public API
    forum: bool = False  # also open a Discourse topic
    reporter_id: str | None = None  # Neon account id when a member was logged in
    reporter_name: str | None = None
    state: ReportState = ReportState.RECEIVED
    clickup_task_id: str | None = None
    task_status: TaskStatus = TaskStatus.OPEN  # mirrored from the task on every task write
    slack_url: str | None = None
    discourse_url: str | None = None
    photos: tuple[str, ...] = field(default_factory=tuple)  # S3 keys
    spam_at: datetime | None = None  # when staff marked it as spam (a restore is offered for a while)
    spam_by: str | None = None  # who marked it

    @property
    def provisional_task_id(self) -> str:
        return f"{PROVISIONAL_PREFIX}{self.id}"

    @property
    def task_id(self) -> str:
        """The voldash task that shows this report now."""
        return self.clickup_task_id or self.provisional_task_id

    @property
    def public_status(self) -> PublicStatus:
        if self.state is ReportState.SPAM:
            return PublicStatus.CLOSED
        if self.clickup_task_id is None:
            return PublicStatus.RECEIVED
        if self.task_status is TaskStatus.DONE:
            return PublicStatus.FIXED
        if self.task_status in (TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD):
            return PublicStatus.IN_PROGRESS
        return PublicStatus.IN_CLICKUP

    def with_changes(self, **changes: object) -> ProblemReport:
        return replace(self, **changes)


# -- text from outside: cleaned once on the way in, escaped for each destination -----------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """NFC, no control or bidi-override characters, trimmed; newlines kept only if multiline."""
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not multiline:
        text = " ".join(text.split())
    else:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def task_name(report: ProblemReport) -> str:
    """Today's name: ``"{asset} - {summary}"`` (the summary alone when no asset is named)."""
    return f"{report.asset} - {report.summary}" if report.asset else report.summary


def description(report: ProblemReport) -> str:
    """Today's description, line prefix for line prefix (APR's parse-description.js reads them),
    then a disclaimer and, as the last line, the marker that lets a retry find the task instead
    of making another. The reporter's words pass the one rule of tasks/clickup_text.py, so they
    can hold no line that a parser (or our adoption) would take for one of ours."""
    one_line = lambda s: quote_outside(" ".join((s or "").split()))  # noqa: E731 - a prefix line stays one line
    discourse = report.discourse_url or (PENDING_LINK if report.forum else OPTED_OUT)
    return (
        f"Problem Type: {report.problem_type}\n"
        f"Workspace:  {report.area}\n"
        f"Asset:  {one_line(report.asset)}\n"
        f"Summary:  {one_line(report.summary)}\n"
        f"Additional Info:  {quote_outside(report.details)}\n"
        f"\n"
        f"Discourse Link: {discourse}\n"
        f"Slack Post: {report.slack_url or PENDING_LINK}\n"
        f"\n"
        f"{DISCLAIMER}\n"
        f"{report_marker(report.id)}"
    )


def slack_escape(text: str) -> str:
    """Slack mrkdwn: &, < and > are control characters (links, mentions such as <!channel>)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")


def discourse_escape(text: str) -> str:
    """Markdown: backslash-escape the syntax characters; defuse @mentions and HTML."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return escaped.replace("@", "@\u200b").replace("&", "&amp;")


def slack_text(report: ProblemReport, *, clickup_url: str, shop_name: str) -> str:
    lines = [
        f":warning: *New problem report* in {slack_escape(shop_name)} ({slack_escape(report.area)})",
        f"*{slack_escape(task_name(report))}*",
        f"Type: {slack_escape(report.problem_type)}",
    ]
    if report.details:
        lines.append("> " + slack_escape(report.details[:1500]).replace("\n", "\n> "))
    lines.append(f"<{clickup_url}|Open in ClickUp> {clickup_url}")
    return "\n".join(lines)


def discourse_title(report: ProblemReport, *, local_time: datetime) -> str:
    """Today's title: ``"{timestamp} - {workspace} - {asset}"`` (e.g. 9/10/2026 1802 - Woodshop - ...)."""
    stamp = f"{local_time.month}/{local_time.day}/{local_time.year} {local_time:%H%M}"
    title = f"{stamp} - {report.area} - {report.asset or report.summary}"
    return title[:250]


def discourse_raw(report: ProblemReport, *, clickup_url: str) -> str:
    details = discourse_escape(report.details) if report.details else "_No details were given._"
    return (
        f"**{discourse_escape(task_name(report))}**\n\n"
        f"Problem type: {discourse_escape(report.problem_type)} · Area: {discourse_escape(report.area)}\n\n"
        f"{details}\n\n"
        f"Tracked in ClickUp: {clickup_url}\n\n"
        f"_Reported through the Asmbly Volunteer Dashboard._"
    )


def slack_permalink(workspace_url: str, channel: str, ts: str) -> str:
    """``{workspace}/archives/{channel}/p{ts without dot}`` (FAC common/slack.py)."""
    return f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
