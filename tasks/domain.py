"""Task: a repair or maintenance job mirrored from ClickUp. Pure Python."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit


class TaskStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    ON_HOLD = "ON_HOLD"  # e.g. parts ordered
    DONE = "DONE"


class Urgency(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class TaskType(StrEnum):
    PROBLEM = "problem"  # a problem report (ClickUp "Facilities - Problem Reports")
    PREVENTATIVE = "preventative"  # scheduled maintenance (ClickUp "CMMS - PM Schedule")


# Points shown before a task is claimed (DESIGN.md section 5):
#   points = URGENCY_BASE_POINTS[urgency] + POINTS_PER_HOUR * hours
# where hours is the ClickUp time estimate rounded up to the hour, at least 1 (no estimate
# counts as 1 hour) and at most MAX_CREDITED_HOURS, so one huge estimate cannot dominate the
# leaderboard. Examples: low 15 min -> 20; medium 1 h -> 30; high 2 h 30 -> 60; critical 6 h -> 110.
URGENCY_BASE_POINTS: dict[Urgency, int] = {
    Urgency.CRITICAL: 50,
    Urgency.HIGH: 30,
    Urgency.MEDIUM: 20,
    Urgency.LOW: 10,
}
POINTS_PER_HOUR = 10
MAX_CREDITED_HOURS = 8


def task_points(urgency: Urgency, estimate_minutes: int | None) -> int:
    hours = 1 if not estimate_minutes or estimate_minutes <= 0 else math.ceil(estimate_minutes / 60)
    return URGENCY_BASE_POINTS[urgency] + POINTS_PER_HOUR * min(hours, MAX_CREDITED_HOURS)


# Links that come from outside (ClickUp fields) are rendered as hrefs and returned by the API:
# only https: URLs are kept (javascript:, data:, http: and anything odd are dropped).
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f\\<>\"'`]")
MAX_URL_LENGTH = 2048
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})  # http allowed there (no remote content)
# Where each link may point: ClickUp's app, Slack workspaces (<workspace>.slack.com), any
# https Discourse (Asmbly's forum, or a test server).
LINK_HOSTS: dict[str, str | None] = {
    "clickup_url": "clickup.com",
    "slack_url": "slack.com",
    "discourse_url": None,
}


def https_url(value: object, *, host_suffix: str | None = None) -> str | None:
    """``value`` when it is a plain https URL (on ``host_suffix`` or a subdomain of it), else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_LENGTH or _URL_UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    loopback = scheme == "http" and host in _LOOPBACK and host_suffix is None  # a local forum
    if (scheme != "https" and not loopback) or not host or "@" in parts.netloc:
        return None
    if host_suffix and host != host_suffix and not host.endswith("." + host_suffix):
        return None
    return url


class DueState(StrEnum):
    OVERDUE = "overdue"  # the due date has passed and the task is not done
    DUE_SOON = "due_soon"  # due within DUE_SOON


DUE_SOON = timedelta(days=7)  # "due this week"


@dataclass(frozen=True)
class Assignee:
    neon_id: str
    name: str
    clickup_user_id: int | None = None  # most volunteers have no ClickUp seat


@dataclass(frozen=True)
class Task:
    id: str  # the ClickUp task id
    title: str
    shop: str  # canonical shop slug
    status: TaskStatus
    urgency: Urgency
    created_at: datetime
    updated_at: datetime
    description: str = ""
    task_type: TaskType = TaskType.PROBLEM
    problem_type: str | None = None
    asset: str | None = None
    estimate_minutes: int | None = None
    assignee: Assignee | None = None
    clickup_url: str | None = None
    discourse_url: str | None = None
    slack_url: str | None = None
    list_id: str | None = None
    # The reporter's name/phone from the problem form: shop leads only, never the public API.
    contact_details: str | None = None
    # ClickUp's date_updated (epoch ms) of the snapshot we hold; sync writes only newer ones.
    source_updated_ms: int | None = None
    deleted: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)
    # The problem report this task came from (tasks/reports): set when voldash adopts the
    # ClickUp task it created for the report, kept by every later sync.
    report_id: str | None = None
    # Preventive maintenance (ClickUp's due_date and the PM Schedule's Frequency drop-down).
    due_at: datetime | None = None
    frequency: str | None = None  # Regular, Monthly, Quarterly, Semi-Annual, Annual

    def __post_init__(self) -> None:
        # Whatever built it (ClickUp's snapshot, an item stored before this rule), a Task never
        # holds a link that is not https on its expected host.
        for name, host_suffix in LINK_HOSTS.items():
            value = getattr(self, name)
            if value is not None and https_url(value, host_suffix=host_suffix) != value:
                object.__setattr__(self, name, https_url(value, host_suffix=host_suffix))

    @property
    def points(self) -> int:
        return task_points(self.urgency, self.estimate_minutes)

    @property
    def report_summary(self) -> str | None:
        """A problem report's "Summary:" line (the form's own words, README: Problem reports),
        or None when the description has none (PM tasks, tasks made in ClickUp by hand)."""
        return report_line(self.description, "Summary") if self.task_type is TaskType.PROBLEM else None

    @property
    def report_details(self) -> str | None:
        """A problem report's "Additional Info:" line, or None."""
        return (
            report_line(self.description, "Additional Info") if self.task_type is TaskType.PROBLEM else None
        )

    def due_state(self, now: datetime) -> DueState | None:
        """Overdue or due within DUE_SOON of ``now``; None when done, undated or later."""
        if self.due_at is None or self.status is TaskStatus.DONE or self.deleted:
            return None
        if self.due_at < now:
            return DueState.OVERDUE
        return DueState.DUE_SOON if self.due_at <= now + DUE_SOON else None

    @property
    def is_open(self) -> bool:
        return self.status is TaskStatus.OPEN and not self.deleted

    def with_changes(self, **changes: object) -> Task:
        return replace(self, **changes)


class HistorySource(StrEnum):
    API = "api"  # a volunteer through the dashboard
    STAFF = "staff"  # a shop lead or staff member on the staff pages
    CLICKUP = "clickup"  # a change that came from ClickUp (webhook or sweep)
    SYSTEM = "system"  # voldash itself (e.g. seeding, maintenance)
    SLACK = "slack"  # a button in a Slack message (the digest, a reminder)


class HistoryAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    CLAIMED = "claimed"
    RELEASED = "released"
    COMPLETED = "completed"
    REASSIGNED = "reassigned"
    REOPENED = "reopened"
    DELETED = "deleted"
    RESYNCED = "resynced"  # staff asked for a fresh read from ClickUp
    HOURS_APPROVED = "hours_approved"
    HOURS_REJECTED = "hours_rejected"
    STEP_CHECKED = "step_checked"  # the holder ticked a checklist step (note: the step)
    STEP_UNCHECKED = "step_unchecked"
    BADGE_EARNED = "badge_earned"  # note: the badge's name; written with the completion or approval
    STILL_ON_IT = "still_on_it"  # the holder answered a reminder: the quiet period starts again


@dataclass(frozen=True)
class HistoryEntry:
    """One change of a task: who, when, what, from where."""

    task_id: str
    at: datetime
    action: HistoryAction
    source: HistorySource
    actor_id: str | None = None  # Neon account id (None for ClickUp/system)
    actor_name: str | None = None
    from_status: TaskStatus | None = None
    to_status: TaskStatus | None = None
    assignee_id: str | None = None
    assignee_name: str | None = None
    note: str | None = None
    hours: float | None = None
    event_id: str = ""
    task_title: str = ""
    shop: str = ""
    previous_assignee_id: str | None = None  # a reassignment: who held the task before

    @property
    def is_public_activity(self) -> bool:
        """Claims, completions and badges show up in the makerspace-wide activity feed."""
        return self.action in (HistoryAction.CLAIMED, HistoryAction.COMPLETED, HistoryAction.BADGE_EARNED)


@dataclass(frozen=True)
class HistoryVisibility:
    """Which of a history entry's private fields a reader may see (README: Who sees what)."""

    note: bool
    hours: bool


def history_visibility(
    entry: HistoryEntry, *, reader_id: str | None, reader_leads_shop: bool
) -> HistoryVisibility:
    """Anonymous readers see no note, no hours and no Neon id. Signed-in readers see hours and
    notes written by ClickUp or voldash itself. A note a person wrote (a completion note, a
    release, reassign or rejection reason) is for the person the entry is about (its actor or
    assignee), the leads of the task's shop and staff."""
    if reader_id is None:
        return HistoryVisibility(note=False, hours=False)
    if reader_leads_shop or reader_id in (entry.actor_id, entry.assignee_id):
        return HistoryVisibility(note=True, hours=True)
    machine_note = entry.source in (HistorySource.CLICKUP, HistorySource.SYSTEM)
    return HistoryVisibility(note=machine_note, hours=True)


@dataclass(frozen=True)
class TaskDetail:
    task: Task
    history: tuple[HistoryEntry, ...] = ()
    raw_snapshot: dict | None = None  # the ClickUp task as last read (staff pages only)
    snapshot_at: datetime | None = None
    extras: TaskExtras | None = None
    # History entries and comments mixed, newest first (the first page of the activity feed).
    activity: tuple[HistoryEntry | Comment, ...] = ()
    activity_cursor: str | None = None


class Refusal(StrEnum):
    """Why a volunteer cannot claim a task (stable codes the frontend switches on)."""

    NOT_A_MEMBER = "membership_inactive"
    MISSING_CERTIFICATIONS = "missing_certifications"
    CLAIM_LIMIT = "claim_limit_reached"
    NOT_OPEN = "task_not_open"


@dataclass(frozen=True)
class Eligibility:
    can_claim: bool
    reason: Refusal | None = None
    message: str | None = None
    missing_certifications: tuple[str, ...] = ()


DEFAULT_CLAIM_LIMIT = 3
# The tag of a problem report's provisional task (shown at once, not claimable until ClickUp has it).
AWAITING_CLICKUP = "awaiting-clickup"


def claim_eligibility(
    *,
    task: Task,
    membership_active: bool,
    missing_certifications: tuple[str, ...],
    open_claims: int,
    claim_limit: int = DEFAULT_CLAIM_LIMIT,
) -> Eligibility:
    """Whether someone may claim ``task``. Order matters: the first failing rule is reported."""
    if not task.is_open or task.assignee is not None:
        return Eligibility(False, Refusal.NOT_OPEN, "This task is not open for claiming.")
    if AWAITING_CLICKUP in task.tags:
        return Eligibility(
            False, Refusal.NOT_OPEN, "This report is on its way to ClickUp; it can be claimed in a minute."
        )
    if not membership_active:
        return Eligibility(False, Refusal.NOT_A_MEMBER, "Claiming needs an active Asmbly membership.")
    if missing_certifications:
        names = ", ".join(missing_certifications)
        return Eligibility(
            False,
            Refusal.MISSING_CERTIFICATIONS,
            f"This shop needs a certification you do not have yet: {names}.",
            tuple(missing_certifications),
        )
    if open_claims >= claim_limit:
        return Eligibility(
            False,
            Refusal.CLAIM_LIMIT,
            f"You already hold {open_claims} tasks (the limit is {claim_limit}); "
            "finish or release one first.",
        )
    return Eligibility(True)


MAX_HOURS_PER_TASK = 12


# -- what the task detail screen adds (issue 14 item 2) --------------------------------------

# Attachments are shown as links and images: only https URLs on ClickUp's attachment hosts
# (t<workspace>.p.clickup-attachments.com, or clickup.com itself) are kept.
ATTACHMENT_HOSTS = ("clickup-attachments.com", "clickup.com")
IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "heic", "bmp"})
MAX_ATTACHMENTS = 50
MAX_CHECKLIST_STEPS = 200
MAX_COMMENT_LENGTH = 4000


def attachment_url(value: object) -> str | None:
    for host in ATTACHMENT_HOSTS:
        url = https_url(value, host_suffix=host)
        if url is not None:
            return url
    return None


@dataclass(frozen=True)
class Attachment:
    title: str
    url: str  # https, on ATTACHMENT_HOSTS (checked when built)
    is_image: bool = False
    thumbnail_url: str | None = None


@dataclass(frozen=True)
class ChecklistStep:
    """One item of a ClickUp checklist, as ClickUp last said."""

    id: str  # ClickUp checklist item id
    checklist_id: str
    checklist_name: str
    name: str
    resolved: bool


@dataclass(frozen=True)
class StepTick:
    """A holder's tick in voldash: wins over ClickUp's state until ClickUp says something newer."""

    item_id: str
    resolved: bool
    at_ms: int
    by_name: str = ""


@dataclass(frozen=True)
class Reporter:
    name: str
    role: str | None = None


@dataclass(frozen=True)
class TaskExtras:
    """What the detail shows beyond the feed's fields, from the last ClickUp snapshot."""

    reporter: Reporter | None = None
    attachments: tuple[Attachment, ...] = ()
    checklist: tuple[ChecklistStep, ...] = ()
    source_updated_ms: int | None = None  # ClickUp's date_updated of the snapshot these came from
    ticks: tuple[StepTick, ...] = ()  # our own ticks (kept apart from ClickUp's state)

    def steps(self) -> tuple[ChecklistStep, ...]:
        """The checklist with our ticks applied where they are newer than ClickUp's snapshot."""
        newer = {
            t.item_id: t
            for t in self.ticks
            if self.source_updated_ms is None or t.at_ms > self.source_updated_ms
        }
        return tuple(
            replace(s, resolved=newer[s.id].resolved) if s.id in newer else s for s in self.checklist
        )


class CommentSource(StrEnum):
    API = "api"  # a member through the dashboard
    CLICKUP = "clickup"  # someone in ClickUp


@dataclass(frozen=True)
class Comment:
    task_id: str
    at: datetime
    author_name: str
    text: str  # plain text; whoever displays it escapes it
    source: CommentSource
    event_id: str
    author_id: str | None = None  # Neon id (dashboard comments)
    clickup_comment_id: str | None = None


def clean_comment(text: str) -> str:
    """Plain text, as stored: control characters (except newlines and tabs) dropped, trimmed."""
    kept = "".join(ch for ch in text if ch in "\n\t" or (ch >= " " and ch != "\x7f"))
    return kept.strip()


# -- tags and the safety warning ---------------------------------------------------------------
# The rule (README "Task detail"): a ClickUp tag naming a safety concern (SAFETY_TAGS, compared
# case- and punctuation-insensitively) makes the task "Safety Critical" with the lock-out
# warning; otherwise a critical *problem* (a repair, not scheduled maintenance) warns not to
# use the equipment. Tags shown: the kind of task (info), the urgency when high or critical
# (warning), "Safety Critical" (warning), then ClickUp's other tags (info).
SAFETY_TAGS = frozenset({"safety", "safety critical", "loto", "lockout", "lock out", "hazard", "danger"})
SAFETY_WARNING = (
    "Safety critical: do not use this equipment until the task is resolved. "
    "Lock out and tag out the machine before working on it."
)
CRITICAL_WARNING = "Critical for safe operation. Do not use the machine until resolved."
_TYPE_LABELS = {"problem": "Repair", "preventative": "Maintenance", "facilities": "Facilities"}


def _fold_tag(tag: str) -> str:
    return re.sub(r"[\s\-_]+", " ", tag.strip().lower())


def is_safety_critical(task: Task) -> bool:
    return any(_fold_tag(t) in SAFETY_TAGS for t in task.tags)


def safety_warning(task: Task) -> str | None:
    if is_safety_critical(task):
        return SAFETY_WARNING
    if task.urgency is Urgency.CRITICAL and task.task_type is TaskType.PROBLEM:
        return CRITICAL_WARNING
    return None


def display_tags(task: Task) -> list[tuple[str, str]]:
    """``(label, kind)`` pairs, kind ``warning`` or ``info``."""
    value = task.task_type.value
    tags = [(_TYPE_LABELS.get(value, value.title()), "info")]
    if task.urgency is Urgency.CRITICAL:
        tags.append(("Critical", "warning"))
    elif task.urgency is Urgency.HIGH:
        tags.append(("High Priority", "warning"))
    if is_safety_critical(task):
        tags.append(("Safety Critical", "warning"))
    if AWAITING_CLICKUP in task.tags:
        tags.append(("Awaiting ClickUp", "info"))  # anyone may see that it is not claimable yet
    for t in task.tags:
        if t != AWAITING_CLICKUP and _fold_tag(t) not in SAFETY_TAGS:
            tags.append((t[:50], "info"))
    return tags


_REPORT_LINE = re.compile(
    r"^(Problem Type|Workspace|Asset|Summary|Additional Info):[ \t]*(.*?)[ \t]*$", re.MULTILINE
)


def report_line(description: str, name: str) -> str | None:
    """The value of one of the problem-report form's prefixed lines ("Summary:  ..."), or None
    when missing or empty."""
    for match in _REPORT_LINE.finditer(description or ""):
        if match.group(1) == name:
            return match.group(2) or None
    return None
