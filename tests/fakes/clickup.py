"""A fake ClickUp API v2 served over real HTTP on 127.0.0.1, for tests.

It reproduces the contracts in ``shared/reference/external-apis.md`` §1 and ``asmbly.md`` §2:

- Everything under ``/api/v2`` with a personal token: ``Authorization: <token>`` (raw, no "Bearer");
  errors are ``{"err": ..., "ECODE": ...}``.
- ``GET /api/v2/task/{id}`` (the Get Task shape: epoch-ms strings, priority object, custom fields with
  a ``value`` only when set, drop-down values as the option's ``orderindex``), ``PUT /api/v2/task/{id}``
  (name, description, status, priority, time_estimate, archived, assignees add/rem),
  ``POST /api/v2/task/{id}/comment``, ``POST /api/v2/task/{id}/field/{field_id}``.
- ``GET /api/v2/list/{id}/task`` (0-based pages of 100, ``last_page``; closed tasks only with
  ``include_closed=true``; archived only with ``archived=true``; ``date_updated_gt/lt``,
  ``date_created_gt/lt``, ``statuses[]``, ``assignees[]``, ``order_by``, ``reverse``),
  ``POST /api/v2/list/{id}/task`` and ``GET /api/v2/list/{id}/field``; ``POST /api/v2/task/{id}/attachment``
  (multipart/form-data, the file in the ``attachment`` part; Get Task then lists it in ``attachments``).
- Optional per-token rate limit with ``X-RateLimit-Limit/Remaining/Reset`` (Reset in Unix seconds).
- Webhook bodies (``webhook_body``) with realistic ``history_items``, their ``X-Signature`` (``sign``),
  and Automation "Call webhook" bodies (``automation_body``).
- Webhook management (external-apis.md 1.3, 1.6): ``POST /api/v2/team/{team_id}/webhook`` (``endpoint``,
  ``events`` required; one of ``list_id``/``folder_id``/``space_id``/``task_id``) answering
  ``{"id", "webhook": {id, userid, team_id, endpoint, client_id, events, task_id, list_id, folder_id,
  space_id, health: {status, fail_count}, secret}}``; ``GET /api/v2/team/{team_id}/webhook`` ->
  ``{"webhooks": [...]}`` (with ``health`` and ``secret``); ``PUT /api/v2/webhook/{id}`` (``endpoint``,
  ``events``, ``status`` "active"/"inactive") -> ``{"id", "webhook": {...}}``; an unknown team is
  401 ``TEAM_025``, an unknown webhook 404. ``set_webhook_health`` is the test hook that plays
  ClickUp's failing/suspended transitions.

Choices where ClickUp's behaviour is not documented: tasks are listed newest first by default and
``reverse=true`` lists oldest first; ``archived=true`` lists archived tasks along with the others; the
rate limit uses a fixed 60-second window per token that starts at its first request and counts only
authenticated requests (401s carry no rate-limit headers); a PUT always bumps ``date_updated``;
``date_closed``/``date_done`` are set when a task enters a status of type ``closed``.

Test hooks beyond ClickUp: ``add_list``/``add_field``/``add_user``/``add_task``/``update_task``/
``delete_task``/``restore_task`` set up state; ``clock`` (seconds) drives ``date_updated`` and the
limiter; ``requests``, ``comments(task_id)`` and ``max_requests_in_any_minute`` show what
happened; ``fail_next`` and ``delay_next`` inject errors and slowness; ``before_list_page``
changes tasks between two page requests and ``newest_first_by_default`` flips the listing order.

Usage::

    with FakeClickUp() as clickup:
        clickup.add_list("901310067725", name="Problem Reports",
                         statuses=[("Open", "open"), ("in progress", "custom"), ("Closed", "closed")])
        clickup.add_task("86abc", list_id="901310067725", name="Table saw", status="Open")
        httpx.get(f"{clickup.api_url}/task/86abc", headers={"Authorization": clickup.token})
"""

from __future__ import annotations

import copy
import datetime as dt
import email.parser
import email.policy
import hashlib
import hmac
import itertools
import json
import math
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote

from tests.fakes._server import FakeServer, RecordedRequest, Response, json_response, reason

PAGE_SIZE: Final = 100
RATE_WINDOW_SECONDS: Final = 60.0

# Priority id -> (name, color); ids and orderindexes are strings in the API.
PRIORITIES: Final[dict[int, tuple[str, str]]] = {
    1: ("urgent", "#f50000"),
    2: ("high", "#ffcc00"),
    3: ("normal", "#6fddff"),
    4: ("low", "#d8d8d8"),
}
_STATUS_COLORS: Final[dict[str, str]] = {"open": "#d3d3d3", "closed": "#6bc950"}
_CUSTOM_STATUS_COLORS: Final = ("#4194f6", "#ff7800", "#a875ff", "#f9d900", "#1bbc9c")
_USER_COLORS: Final = ("#7b68ee", "#ff7fab", "#0ab4ff", "#e84393", "#2ea52c")
_TASK_KEYWORDS: Final = frozenset(
    {
        "list_id",
        "name",
        "status",
        "description",
        "priority",
        "time_estimate_ms",
        "custom_fields",
        "assignees",
        "date_created_ms",
        "archived",
        "due_date_ms",
    }
)
_ORDER_KEYS: Final = frozenset({"created", "updated", "id", "due_date"})
_TASK_EVENTS: Final = frozenset(
    {
        "taskCreated",
        "taskUpdated",
        "taskDeleted",
        "taskPriorityUpdated",
        "taskStatusUpdated",
        "taskAssigneeUpdated",
        "taskDueDateUpdated",
        "taskTagUpdated",
        "taskMoved",
        "taskCommentPosted",
        "taskCommentUpdated",
        "taskTimeEstimateUpdated",
        "taskTimeTrackedUpdated",
    }
)

BOT_USER_ID: Final = 81942673


class _ApiError(Exception):
    """A ClickUp error answer."""

    def __init__(self, status: int, err: str, ecode: str) -> None:
        super().__init__(err)
        self.status, self.err, self.ecode = status, err, ecode


@dataclass
class _List:
    list_id: str
    name: str
    statuses: list[tuple[str, str]]
    folder_id: str
    folder_name: str
    space_id: str


@dataclass
class _Task:
    task_id: str
    list_id: str
    name: str
    description: str
    status: str  # the list's spelling of the status name
    priority: int | None
    time_estimate: int | None
    custom_fields: dict[str, Any]  # field id -> stored value (drop_down: option orderindex)
    assignees: list[int]
    creator: int
    orderindex: str
    date_created: int
    date_updated: int
    date_closed: int | None = None
    archived: bool = False
    deleted: bool = False
    due_date: int | None = None  # epoch ms
    attachments: list[dict[str, Any]] = field(default_factory=list)
    checklists: list[dict[str, Any]] = field(default_factory=list)  # the Get Task shape
    tags: list[str] = field(default_factory=list)
    # What the last change replaced, for realistic webhook history items.
    previous: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Window:
    started: float
    count: int = 0


def _status_history(name: str | None, color: str, orderindex: int, type_: str) -> dict[str, Any]:
    return {"status": name, "color": color, "orderindex": orderindex, "type": type_}


def _int_param(query: dict[str, list[str]], name: str) -> int | None:
    values = query.get(name)
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError:
        raise _ApiError(400, f"{name} must be an integer", "INPUT_002") from None


def _bool_param(query: dict[str, list[str]], name: str) -> bool:
    values = query.get(name)
    return bool(values) and values[0].strip().lower() == "true"


def _list_param(query: dict[str, list[str]], name: str) -> list[str]:
    return [*query.get(f"{name}[]", []), *query.get(name, [])]


class FakeClickUp(FakeServer):
    """ClickUp API v2 (tasks, lists, comments, custom fields), in memory, behind a real HTTP server."""

    thread_name = "fake-clickup"

    def __init__(
        self,
        *,
        token: str = "pk_test_token",  # noqa: S107 - a test credential
        webhook_secret: str = "whsec_test",  # noqa: S107 - a test credential
        team_id: str = "9013000000",
        rate_limit_per_minute: int | None = None,
    ) -> None:
        super().__init__()
        if rate_limit_per_minute is not None and rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be at least 1")
        self.token = token
        self.webhook_secret = webhook_secret
        self.team_id = team_id
        self.rate_limit_per_minute = rate_limit_per_minute
        self.webhook_id = str(uuid.uuid4())
        self.clock: Callable[[], float] = time.time
        # Test hook: called with (list_id, page) before a Get Tasks page is served, with the
        # fake's lock held, so a test can change tasks between two page requests.
        self.before_list_page: Callable[[str, int], None] | None = None
        # ClickUp does not document which way ``reverse`` sorts; a test can flip it.
        self.newest_first_by_default = True
        self.max_requests_in_any_minute = 0
        self._lists: dict[str, _List] = {}
        self._fields: dict[str, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._tasks: dict[str, _Task] = {}
        self._comments: dict[str, list[dict[str, Any]]] = {}
        self._windows: dict[str, _Window] = {}
        self._recent: dict[str, deque[float]] = {}
        self._last_clock_ms = 0
        self._last_stamp = 0
        self._history_ids = itertools.count(2800763136717140857)
        self._comment_ids = itertools.count(90130001000)
        self._task_ids = itertools.count(1)
        self._orderindexes = itertools.count(1)
        self._webhooks: dict[str, dict[str, Any]] = {}
        self.add_user(BOT_USER_ID, "Maintenance Bot", "facilities@asmbly.org")

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v2"

    # -- test set-up -------------------------------------------------------------------------------

    def add_list(
        self,
        list_id: str,
        *,
        name: str,
        statuses: list[tuple[str, str]],
        folder_id: str = "90131000001",
        folder_name: str = "Facilities",
        space_id: str = "90132000001",
    ) -> None:
        """A List with its statuses in order: ``(name, type)``, type one of open/custom/closed/done."""
        if not statuses:
            raise ValueError("a list needs at least one status")
        names = [status.casefold() for status, _ in statuses]
        if len(set(names)) != len(names):
            raise ValueError("status names must be unique (case-insensitively)")
        with self._lock:
            if list_id in self._lists:
                raise ValueError(f"list {list_id} already exists")
            self._lists[list_id] = _List(list_id, name, list(statuses), folder_id, folder_name, space_id)

    def add_field(self, field: dict[str, Any]) -> None:
        """A custom field definition, shared by every list (e.g. the Workspace drop-down)."""
        if "id" not in field or "name" not in field or "type" not in field:
            raise ValueError("a field needs id, name and type")
        definition: dict[str, Any] = {
            "id": field["id"],
            "name": field["name"],
            "type": field["type"],
            "type_config": copy.deepcopy(field.get("type_config", {})),
            "date_created": str(field.get("date_created", "1700000000000")),
            "hide_from_guests": field.get("hide_from_guests", False),
            "required": field.get("required", False),
        }
        options = definition["type_config"].get("options")
        if isinstance(options, list):
            for index, option in enumerate(options):
                option.setdefault("id", str(uuid.uuid5(uuid.NAMESPACE_URL, f"{field['id']}/{index}")))
                option.setdefault("orderindex", index)
                option.setdefault("color", None)
        with self._lock:
            self._fields[str(field["id"])] = definition

    def add_user(self, user_id: int, username: str, email: str) -> dict[str, Any]:
        """A Workspace member who can be assigned; returns the user object."""
        initials = "".join(part[0] for part in username.split()[:2]).upper() or "?"
        user = {
            "id": int(user_id),
            "username": username,
            "color": _USER_COLORS[int(user_id) % len(_USER_COLORS)],
            "initials": initials,
            "email": email,
            "profilePicture": None,
        }
        with self._lock:
            self._users[int(user_id)] = user
        return copy.deepcopy(user)

    def add_task(
        self,
        task_id: str,
        *,
        list_id: str,
        name: str,
        status: str,
        description: str = "",
        priority: int | None = None,
        time_estimate_ms: int | None = None,
        custom_fields: dict[str, object] | None = None,
        assignees: list[dict[str, Any]] | None = None,
        date_created_ms: int | None = None,
        archived: bool = False,
        due_date_ms: int | None = None,
        tags: list[str] | None = None,
        creator_id: int | None = None,
    ) -> dict[str, Any]:
        """Create a task (``date_updated`` = now); returns it in the Get Task shape. ``creator_id``
        names a user added with ``add_user`` (default: the bot that files form reports)."""
        with self._lock:
            if task_id in self._tasks and not self._tasks[task_id].deleted:
                raise ValueError(f"task {task_id} already exists")
            lst = self._list(list_id)
            stamp = self._stamp()
            task = _Task(
                task_id=task_id,
                list_id=list_id,
                name=name,
                description=description,
                status=self._status_name(lst, status),
                priority=self._check_priority(priority),
                time_estimate=time_estimate_ms,
                custom_fields={},
                assignees=[self._register_user(user) for user in assignees or []],
                creator=creator_id if creator_id in self._users else BOT_USER_ID,
                orderindex=f"{next(self._orderindexes)}.00000000000000000000000000000000",
                date_created=date_created_ms if date_created_ms is not None else stamp,
                date_updated=stamp,
                archived=archived,
                due_date=due_date_ms,
                tags=list(tags or []),
            )
            self._set_custom_fields(task, custom_fields or {})
            if self._status_type(lst, task.status) in ("closed", "done"):
                task.date_closed = stamp
            self._tasks[task_id] = task
            self._comments[task_id] = []
            return self._task_json(task)

    def update_task(self, task_id: str, **changes: Any) -> dict[str, Any]:
        """Change a task (add_task's keywords; ``list_id`` moves it); bumps ``date_updated``."""
        unknown = set(changes) - _TASK_KEYWORDS
        if unknown:
            raise TypeError(f"update_task() got unexpected keywords: {sorted(unknown)}")
        with self._lock:
            task = self._live_task(task_id)
            if task is None:
                raise KeyError(f"no task {task_id}")
            if "list_id" in changes and changes["list_id"] != task.list_id:
                self._move(task, self._list(changes["list_id"]))
            lst = self._lists[task.list_id]
            if "status" in changes:
                self._set_status(task, self._status_name(lst, changes["status"]))
            for name in ("name", "description", "archived"):
                if name in changes:
                    task.previous[name] = getattr(task, name)
                    setattr(task, name, changes[name])
                    if name != "archived":
                        task.previous.pop("custom_field", None)
            if "priority" in changes:
                task.previous["priority"] = task.priority
                task.priority = self._check_priority(changes["priority"])
            if "time_estimate_ms" in changes:
                task.previous["time_estimate"] = task.time_estimate
                task.time_estimate = changes["time_estimate_ms"]
            if changes.get("custom_fields"):
                self._set_custom_fields(task, changes["custom_fields"])
                last = list(changes["custom_fields"])[-1]
                task.previous["custom_field"] = self._field_definition(last)["id"]
            if "assignees" in changes:
                old = set(task.assignees)
                task.assignees = [self._register_user(user) for user in changes["assignees"] or []]
                task.previous["assignee_add"] = [u for u in task.assignees if u not in old]
                task.previous["assignee_rem"] = [u for u in old if u not in task.assignees]
            if "date_created_ms" in changes:
                task.date_created = changes["date_created_ms"]
            if "due_date_ms" in changes:
                task.previous["due_date"] = task.due_date
                task.due_date = changes["due_date_ms"]
            task.date_updated = self._stamp()
            return self._task_json(task)

    def delete_task(self, task_id: str) -> None:
        with self._lock:
            task = self._live_task(task_id)
            if task is None:
                raise KeyError(f"no task {task_id}")
            task.deleted = True

    def restore_task(self, task_id: str) -> dict[str, Any]:
        """Bring a deleted task back from ClickUp's trash as it was (bumps ``date_updated``)."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or not task.deleted:
                raise KeyError(f"no deleted task {task_id}")
            task.deleted = False
            task.date_updated = self._stamp()
            return self._task_json(task)

    def task(self, task_id: str) -> dict[str, Any]:
        """The current task in the Get Task shape (a copy)."""
        with self._lock:
            task = self._live_task(task_id)
            if task is None:
                raise KeyError(f"no task {task_id}")
            return self._task_json(task)

    def list_task_ids(self, list_id: str) -> list[str]:
        """Ids of the live tasks in a list (creation order)."""
        with self._lock:
            return [t.task_id for t in self._tasks.values() if t.list_id == list_id and not t.deleted]

    def comments(self, task_id: str) -> list[dict[str, Any]]:
        """Comments posted on a task: ``{id, hist_id, comment_text, notify_all, date, user}``."""
        with self._lock:
            return copy.deepcopy(self._comments.get(task_id, []))

    def add_comment(self, task_id: str, text: str, *, user_id: int) -> dict[str, Any]:
        """Someone comments in ClickUp itself (``user_id`` from ``add_user``); returns the comment."""
        with self._lock:
            self._found_task(task_id)
            comment = {
                "id": str(next(self._comment_ids)),
                "hist_id": str(next(self._history_ids)),
                "comment_text": text,
                "notify_all": False,
                "date": int(self.clock() * 1000),
                "user": copy.deepcopy(self._users[user_id]),
            }
            self._comments[task_id].append(comment)
            return copy.deepcopy(comment)

    def add_checklist(self, task_id: str, name: str, items: list[str]) -> dict[str, Any]:
        """A checklist with unticked items on a task (bumps ``date_updated``); returns it in the
        Get Task shape: ``{id, task_id, name, date_created, orderindex, creator, resolved,
        unresolved, items: [{id, name, orderindex, assignee, group_assignee, resolved, parent,
        date_created, children}]}``."""
        with self._lock:
            task = self._found_task(task_id)
            stamp = self._stamp()
            checklist = {
                "id": str(uuid.uuid4()),
                "task_id": task_id,
                "name": name,
                "date_created": str(stamp),
                "orderindex": len(task.checklists),
                "creator": BOT_USER_ID,
                "resolved": 0,
                "unresolved": len(items),
                "items": [
                    {
                        "id": str(uuid.uuid4()),
                        "name": item,
                        "orderindex": index,
                        "assignee": None,
                        "group_assignee": None,
                        "resolved": False,
                        "parent": None,
                        "date_created": str(stamp),
                        "children": [],
                    }
                    for index, item in enumerate(items)
                ],
            }
            task.checklists.append(checklist)
            task.date_updated = stamp
            return copy.deepcopy(checklist)

    def set_checklist_item(self, task_id: str, item_id: str, *, resolved: bool) -> None:
        """Someone ticks a step in ClickUp itself (bumps ``date_updated``)."""
        with self._lock:
            task = self._found_task(task_id)
            self._tick(task, item_id, resolved)

    def checklist_item(self, task_id: str, item_id: str) -> dict[str, Any]:
        with self._lock:
            for checklist in self._found_task(task_id).checklists:
                for item in checklist["items"]:
                    if item["id"] == item_id:
                        return copy.deepcopy(item)
        raise KeyError(item_id)

    def _tick(self, task: _Task, item_id: str, resolved: bool) -> dict[str, Any]:
        for checklist in task.checklists:
            for item in checklist["items"]:
                if item["id"] == item_id:
                    item["resolved"] = resolved
                    done = sum(1 for i in checklist["items"] if i["resolved"])
                    checklist["resolved"], checklist["unresolved"] = done, len(checklist["items"]) - done
                    task.date_updated = self._stamp()
                    return checklist
        raise _ApiError(404, "Checklist item not found", "CHECK_005")

    # -- webhooks ----------------------------------------------------------------------------------

    def registered_webhooks(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._webhooks.values()))

    def set_webhook_health(self, webhook_id: str, status: str, fail_count: int) -> None:
        """What ClickUp does on its own: ``failing`` after failed deliveries, ``suspended`` at 100."""
        if status not in ("active", "failing", "suspended", "inactive"):
            raise ValueError(f"unknown webhook status {status!r}")
        with self._lock:
            self._webhooks[webhook_id]["health"] = {"status": status, "fail_count": fail_count}

    def webhook_body(
        self, event: str, task_id: str, *, history_items: list[dict[str, Any]] | None = None
    ) -> bytes:
        """The exact bytes ClickUp would POST for ``event`` (``taskDeleted`` has no history items)."""
        if event not in _TASK_EVENTS:
            raise ValueError(f"unknown task event: {event}")
        body: dict[str, Any] = {"event": event, "task_id": task_id, "webhook_id": self.webhook_id}
        if event != "taskDeleted":
            if history_items is None:
                with self._lock:
                    task = self._tasks.get(task_id)
                    if task is None:
                        raise KeyError(f"no task {task_id}")
                    history_items = self._history_items(event, task)
                    if event == "taskTimeTrackedUpdated":
                        body["data"] = {"description": "Time Tracking Created", "interval_id": "4208"}
            body["history_items"] = history_items
        return json.dumps(body).encode()

    def sign(self, body: bytes) -> str:
        """The ``X-Signature`` header: hex HMAC-SHA256 of the raw body, keyed with the webhook secret."""
        return hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()

    def automation_body(self, task_id: str, *, trigger_id: str | None = "trig-1") -> bytes:
        """An Automation "Call webhook" body; ``trigger_id=None`` leaves it out (a test ping)."""
        auto_id = str(uuid.uuid4())
        moment = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        body: dict[str, Any] = {"auto_id": auto_id, "id": f"{auto_id}:main"}
        if trigger_id is not None:
            body["trigger_id"] = trigger_id
        body["date"] = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        body["payload"] = self.task(task_id)
        return json.dumps(body).encode()

    # -- request handling --------------------------------------------------------------------------

    def _error_body(self, status: int) -> object:
        return {"err": reason(status), "ECODE": f"FAKE_{status}"}

    def _route(self, request: RecordedRequest) -> Response:
        if request.path != "/api/v2" and not request.path.startswith("/api/v2/"):
            return json_response(404, {"err": "Route not found", "ECODE": "APP_001"})
        token = request.headers.get("authorization", "")
        if not token or not hmac.compare_digest(token.encode(), self.token.encode()):
            return json_response(401, {"err": "Token invalid", "ECODE": "OAUTH_025"})
        limited, limit_headers = self._count(token)
        if limited:
            response = json_response(429, {"err": "Rate limit reached", "ECODE": "APP_002"})
        else:
            try:
                response = self._api(request)
            except _ApiError as error:
                response = json_response(error.status, {"err": error.err, "ECODE": error.ecode})
        response.headers.update(limit_headers)
        return response

    def _count(self, token: str) -> tuple[bool, dict[str, str]]:
        now = self.clock()
        recent = self._recent.setdefault(token, deque())
        recent.append(now)
        while recent and recent[0] <= now - RATE_WINDOW_SECONDS:
            recent.popleft()
        self.max_requests_in_any_minute = max(self.max_requests_in_any_minute, len(recent))
        limit = self.rate_limit_per_minute
        if limit is None:
            return False, {}
        window = self._windows.get(token)
        if window is None or now >= window.started + RATE_WINDOW_SECONDS:
            window = self._windows[token] = _Window(started=now)
        window.count += 1
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - window.count)),
            "X-RateLimit-Reset": str(math.ceil(window.started + RATE_WINDOW_SECONDS)),
        }
        return window.count > limit, headers

    def _api(self, request: RecordedRequest) -> Response:
        segments = [unquote(segment) for segment in request.path.split("/")[3:]]
        match request.method, segments:
            case "GET", ["task", task_id]:
                return json_response(200, self._task_json(self._found_task(task_id)))
            case "PUT", ["task", task_id]:
                return self._put_task(task_id, self._json_body(request))
            case "POST", ["task", task_id, "comment"]:
                return self._post_comment(task_id, self._json_body(request))
            case "GET", ["task", task_id, "comment"]:
                self._found_task(task_id)
                return json_response(200, {"comments": self._comments_json(task_id)})
            case "PUT", ["checklist", checklist_id, "checklist_item", item_id]:
                return self._put_checklist_item(checklist_id, item_id, self._json_body(request))
            case "POST", ["task", task_id, "attachment"]:
                return self._post_attachment(task_id, request)
            case "POST", ["task", task_id, "field", field_id]:
                return self._set_field(task_id, field_id, self._json_body(request))
            case "GET", ["list", list_id, "task"]:
                return self._get_tasks(self._found_list(list_id), request.query)
            case "POST", ["list", list_id, "task"]:
                return self._create_task(self._found_list(list_id), self._json_body(request))
            case "POST", ["team", team_id, "webhook"]:
                return self._create_webhook(team_id, self._json_body(request))
            case "GET", ["team", team_id, "webhook"]:
                self._check_team(team_id)
                return json_response(200, {"webhooks": copy.deepcopy(list(self._webhooks.values()))})
            case "PUT", ["webhook", webhook_id]:
                return self._update_webhook(webhook_id, self._json_body(request))
            case "GET", ["list", list_id, "field"]:
                self._found_list(list_id)
                return json_response(200, {"fields": copy.deepcopy(list(self._fields.values()))})
            case _:
                return json_response(404, {"err": "Route not found", "ECODE": "APP_001"})

    def _check_team(self, team_id: str) -> None:
        if team_id != self.team_id:
            raise _ApiError(401, "Team not authorized", "TEAM_025")

    def _create_webhook(self, team_id: str, body: dict[str, Any]) -> Response:
        self._check_team(team_id)
        endpoint, events = body.get("endpoint"), body.get("events")
        if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
            raise _ApiError(400, "Endpoint must be a valid URL", "WH_001")
        known = _TASK_EVENTS | {"*"}
        if not isinstance(events, list) or not events or not all(e in known for e in events):
            raise _ApiError(400, "Events must be a list of valid events", "WH_002")
        locations = {k: body.get(k) for k in ("list_id", "folder_id", "space_id", "task_id")}
        if sum(v is not None for v in locations.values()) > 1:
            raise _ApiError(400, "Only one location may be given", "WH_003")
        if locations["list_id"] is not None and str(locations["list_id"]) not in self._lists:
            raise _ApiError(404, "List not found", "ITEM_015")
        webhook_id = str(uuid.uuid4())
        hook = {
            "id": webhook_id,
            "userid": BOT_USER_ID,
            "team_id": int(self.team_id),
            "endpoint": endpoint,
            "client_id": uuid.uuid4().hex[:32].upper(),
            "events": list(events),
            "task_id": locations["task_id"],
            "list_id": int(locations["list_id"]) if locations["list_id"] is not None else None,
            "folder_id": locations["folder_id"],
            "space_id": locations["space_id"],
            "health": {"status": "active", "fail_count": 0},
            "secret": hashlib.sha256(webhook_id.encode()).hexdigest()[:32].upper(),
        }
        self._webhooks[webhook_id] = hook
        return json_response(200, {"id": webhook_id, "webhook": copy.deepcopy(hook)})

    def _update_webhook(self, webhook_id: str, body: dict[str, Any]) -> Response:
        hook = self._webhooks.get(webhook_id)
        if hook is None:
            raise _ApiError(404, "Webhook not found", "WH_404")
        if "status" in body:
            if body["status"] not in ("active", "inactive"):
                raise _ApiError(400, "Status must be active or inactive", "WH_004")
            # Setting a failing or suspended webhook active resets its health.
            hook["health"] = {"status": body["status"], "fail_count": 0}
        if "endpoint" in body:
            hook["endpoint"] = body["endpoint"]
        if "events" in body:
            hook["events"] = list(body["events"])
        return json_response(200, {"id": webhook_id, "webhook": copy.deepcopy(hook)})

    def _json_body(self, request: RecordedRequest) -> dict[str, Any]:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise _ApiError(400, "Invalid JSON body", "INPUT_001") from None
        if not isinstance(body, dict):
            raise _ApiError(400, "Invalid JSON body", "INPUT_001")
        return body

    def _found_task(self, task_id: str) -> _Task:
        task = self._live_task(task_id)
        if task is None:
            raise _ApiError(404, "Task not found, deleted", "ITEM_013")
        return task

    def _found_list(self, list_id: str) -> _List:
        lst = self._lists.get(list_id)
        if lst is None:
            raise _ApiError(404, "List not found", "LIST_001")
        return lst

    def _get_tasks(self, lst: _List, query: dict[str, list[str]]) -> Response:
        page = _int_param(query, "page") or 0
        if page < 0:
            raise _ApiError(400, "page must be 0 or more", "INPUT_002")
        if self.before_list_page is not None:
            self.before_list_page(lst.list_id, page)
        order_by = (query.get("order_by") or ["created"])[0]
        if order_by not in _ORDER_KEYS:
            raise _ApiError(400, f"Invalid order_by: {order_by}", "INPUT_002")
        bounds = {
            name: _int_param(query, name)
            for name in ("date_updated_gt", "date_updated_lt", "date_created_gt", "date_created_lt")
        }
        include_closed = _bool_param(query, "include_closed")
        include_archived = _bool_param(query, "archived")
        statuses = {status.casefold() for status in _list_param(query, "statuses")}
        try:
            assignees = {int(value) for value in _list_param(query, "assignees")}
        except ValueError:
            raise _ApiError(400, "assignees must be user ids", "INPUT_002") from None

        def wanted(task: _Task) -> bool:
            checks = (
                task.list_id == lst.list_id and not task.deleted,
                include_archived or not task.archived,
                include_closed or self._status_type(lst, task.status) not in ("closed", "done"),
                not statuses or task.status.casefold() in statuses,
                not assignees or bool(assignees & set(task.assignees)),
                bounds["date_updated_gt"] is None or task.date_updated > bounds["date_updated_gt"],
                bounds["date_updated_lt"] is None or task.date_updated < bounds["date_updated_lt"],
                bounds["date_created_gt"] is None or task.date_created > bounds["date_created_gt"],
                bounds["date_created_lt"] is None or task.date_created < bounds["date_created_lt"],
            )
            return all(checks)

        def key(task: _Task) -> tuple[int, str]:
            if order_by == "updated":
                return (task.date_updated, task.task_id)
            if order_by == "id":
                return (0, task.task_id)
            return (task.date_created, task.task_id)  # created; due dates are never set here

        # Newest first by default; reverse=true lists oldest first (or the other way round when a
        # test sets ``newest_first_by_default`` False).
        newest_first = _bool_param(query, "reverse") != self.newest_first_by_default
        matches = sorted(filter(wanted, self._tasks.values()), key=key, reverse=newest_first)
        start = page * PAGE_SIZE
        tasks = [self._task_json(task) for task in matches[start : start + PAGE_SIZE]]
        return json_response(200, {"tasks": tasks, "last_page": start + PAGE_SIZE >= len(matches)})

    def _put_task(self, task_id: str, body: dict[str, Any]) -> Response:
        task = self._found_task(task_id)
        lst = self._lists[task.list_id]
        changes: dict[str, Any] = {}  # validate everything before changing anything
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"].strip():
                raise _ApiError(400, "Task name invalid", "INPUT_005")
            changes["name"] = body["name"]
        if "description" in body:
            if not isinstance(body["description"], str):
                raise _ApiError(400, "Description invalid", "INPUT_006")
            changes["description"] = "" if body["description"] == " " else body["description"]
        if "status" in body:
            status = body["status"]
            names = {name.casefold(): name for name, _ in lst.statuses}
            if not isinstance(status, str) or status.strip().casefold() not in names:
                raise _ApiError(400, "Status not found", "CRTSK_001")
            changes["status"] = names[status.strip().casefold()]
        if "priority" in body:
            changes["priority"] = self._api_priority(body["priority"])
        if "time_estimate" in body:
            estimate = body["time_estimate"]
            if estimate is not None and (isinstance(estimate, bool) or not isinstance(estimate, int)):
                raise _ApiError(400, "Time estimate invalid", "INPUT_007")
            changes["time_estimate"] = estimate
        if "archived" in body:
            if not isinstance(body["archived"], bool):
                raise _ApiError(400, "Archived must be a boolean", "INPUT_008")
            changes["archived"] = body["archived"]
        added: list[int] = []
        removed: list[int] = []
        if "assignees" in body:
            added, removed = self._assignee_changes(body["assignees"])
        # Apply.
        if "status" in changes:
            self._set_status(task, changes.pop("status"))
        for name, value in changes.items():
            task.previous[name] = getattr(task, name)
            setattr(task, name, value)
            if name in ("name", "description"):
                task.previous.pop("custom_field", None)
        if "assignees" in body:
            task.assignees = [u for u in task.assignees if u not in removed]
            task.assignees += [u for u in dict.fromkeys(added) if u not in task.assignees]
            task.previous["assignee_add"], task.previous["assignee_rem"] = added, removed
        task.date_updated = self._stamp()
        return json_response(200, self._task_json(task))

    def _create_task(self, lst: _List, body: dict[str, Any]) -> Response:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _ApiError(400, "Task name invalid", "INPUT_005")
        status = body.get("status", lst.statuses[0][0])
        names = {status_name.casefold(): status_name for status_name, _ in lst.statuses}
        if not isinstance(status, str) or status.strip().casefold() not in names:
            raise _ApiError(400, "Status not found", "CRTSK_001")
        priority = self._api_priority(body.get("priority"))
        assignees = body.get("assignees", [])
        if not isinstance(assignees, list) or any(
            isinstance(u, bool) or not isinstance(u, int) or u not in self._users for u in assignees
        ):
            raise _ApiError(400, "Assignee not found", "ASSIGN_001")
        fields: dict[str, Any] = {}
        for entry in body.get("custom_fields", []):
            if not isinstance(entry, dict) or entry.get("id") not in self._fields:
                raise _ApiError(400, "Custom field not found", "FIELD_001")
            fields[entry["id"]] = self._api_field_value(self._fields[entry["id"]], entry.get("value"))
        task_id = f"86b{next(self._task_ids):04x}"
        while task_id in self._tasks:
            task_id = f"86b{next(self._task_ids):04x}"
        stamp = self._stamp()
        description = body.get("description", "")
        task = _Task(
            task_id=task_id,
            list_id=lst.list_id,
            name=name,
            description=description if isinstance(description, str) else "",
            status=names[status.strip().casefold()],
            priority=priority,
            time_estimate=body.get("time_estimate"),
            custom_fields=fields,
            assignees=list(dict.fromkeys(assignees)),
            creator=BOT_USER_ID,
            orderindex=f"{next(self._orderindexes)}.00000000000000000000000000000000",
            date_created=stamp,
            date_updated=stamp,
        )
        if self._status_type(lst, task.status) in ("closed", "done"):
            task.date_closed = stamp
        self._tasks[task_id] = task
        self._comments[task_id] = []
        return json_response(200, self._task_json(task))

    def _comments_json(self, task_id: str) -> list[dict[str, Any]]:
        """Get Task Comments: newest first, ``date`` a string of epoch ms, the text both as
        ``comment_text`` and as the rich ``comment`` array."""
        return [
            {
                "id": c["id"],
                "comment": [{"text": c["comment_text"]}],
                "comment_text": c["comment_text"],
                "user": copy.deepcopy(c["user"]),
                "resolved": False,
                "assignee": None,
                "assigned_by": None,
                "reactions": [],
                "date": str(c["date"]),
            }
            for c in reversed(self._comments[task_id])
        ]

    def _put_checklist_item(self, checklist_id: str, item_id: str, body: dict[str, Any]) -> Response:
        """Edit Checklist Item: ``name``, ``assignee``, ``resolved``, ``parent``; answers
        ``{"checklist": {...}}`` (the whole checklist)."""
        if "resolved" in body and not isinstance(body["resolved"], bool):
            raise _ApiError(400, "resolved must be a boolean", "INPUT_005")
        for task in self._tasks.values():
            if task.deleted:
                continue
            for checklist in task.checklists:
                if checklist["id"] == checklist_id:
                    if "resolved" in body:
                        self._tick(task, item_id, body["resolved"])
                    elif not any(i["id"] == item_id for i in checklist["items"]):
                        raise _ApiError(404, "Checklist item not found", "CHECK_005")
                    return json_response(200, {"checklist": copy.deepcopy(checklist)})
        raise _ApiError(404, "Checklist not found", "CHECK_004")

    def _post_comment(self, task_id: str, body: dict[str, Any]) -> Response:
        self._found_task(task_id)
        text = body.get("comment_text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Comment text required", "COMM_002")
        date = int(self.clock() * 1000)
        comment = {
            "id": str(next(self._comment_ids)),
            "hist_id": str(next(self._history_ids)),
            "comment_text": text,
            "notify_all": bool(body.get("notify_all", False)),
            "date": date,
            "user": copy.deepcopy(self._users[BOT_USER_ID]),
        }
        self._comments[task_id].append(comment)
        return json_response(200, {"id": comment["id"], "hist_id": comment["hist_id"], "date": date})

    def _post_attachment(self, task_id: str, request: RecordedRequest) -> Response:
        """Create Task Attachment: multipart/form-data with the file in the ``attachment`` part."""
        task = self._found_task(task_id)
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            raise _ApiError(400, "Attachment must be multipart/form-data", "UPLOAD_002")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
        )
        part = next(
            (
                p
                for p in message.iter_parts()
                if p.get_param("name", header="content-disposition") == "attachment"
            ),
            None,
        )
        if part is None or not part.get_filename():
            raise _ApiError(400, "No attachment", "UPLOAD_001")
        data = part.get_payload(decode=True) or b""
        title = part.get_filename()
        attachment = {
            "id": f"{uuid.uuid4()}.{title.rsplit('.', 1)[-1]}",
            "version": "0",
            "date": int(self.clock() * 1000),
            "title": title,
            "extension": title.rsplit(".", 1)[-1] if "." in title else "",
            "mimetype": part.get_content_type(),
            "size": len(data),
            "thumbnail_small": None,
            "thumbnail_large": None,
            "url": f"https://t{self.team_id}.p.clickup-attachments.com/t{self.team_id}/{uuid.uuid4()}/{title}",
        }
        task.attachments.append(attachment)
        task.date_updated = self._stamp()
        return json_response(
            200,
            {
                k: attachment[k]
                for k in (
                    "id",
                    "version",
                    "date",
                    "title",
                    "extension",
                    "thumbnail_small",
                    "thumbnail_large",
                    "url",
                )
            },
        )

    def attachments(self, task_id: str) -> list[dict[str, Any]]:
        """Attachments of a task (with ``size`` and ``mimetype`` for tests)."""
        with self._lock:
            task = self._live_task(task_id)
            return copy.deepcopy(task.attachments if task else [])

    def _set_field(self, task_id: str, field_id: str, body: dict[str, Any]) -> Response:
        task = self._found_task(task_id)
        definition = self._fields.get(field_id)
        if definition is None:
            raise _ApiError(400, "Custom field not found", "FIELD_001")
        if "value" not in body:
            raise _ApiError(400, "Value must be provided", "FIELD_002")
        task.previous["custom_field"] = field_id
        task.custom_fields[field_id] = self._api_field_value(definition, body["value"])
        task.date_updated = self._stamp()
        return json_response(200, {})

    def _api_priority(self, value: object) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value not in PRIORITIES:
            raise _ApiError(400, "Priority invalid", "INPUT_003")
        return value

    def _assignee_changes(self, raw: object) -> tuple[list[int], list[int]]:
        if not isinstance(raw, dict):
            raise _ApiError(400, "Assignees must be an object with add and rem", "INPUT_004")
        lists: list[list[int]] = []
        for key in ("add", "rem"):
            ids = raw.get(key, [])
            if not isinstance(ids, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
                raise _ApiError(400, f"assignees.{key} must be a list of user ids", "INPUT_004")
            if any(i not in self._users for i in ids):
                raise _ApiError(400, "Assignee not found", "ASSIGN_001")
            lists.append(list(ids))
        return lists[0], lists[1]

    def _api_field_value(self, definition: dict[str, Any], value: object) -> Any:
        """A value sent over the API: drop-downs take the option's UUID (stored as its orderindex)."""
        if definition["type"] == "drop_down" and value is not None:
            for option in definition["type_config"].get("options", []):
                if option["id"] == value:
                    return option["orderindex"]
            raise _ApiError(400, "Value is not a valid option", "FIELD_011")
        return copy.deepcopy(value)

    # -- helpers (called with the lock held) -------------------------------------------------------

    def _stamp(self) -> int:
        """Now in ms, strictly increasing unless ``clock`` was deliberately set back."""
        now = int(self.clock() * 1000)
        stamp = now if now < self._last_clock_ms or now > self._last_stamp else self._last_stamp + 1
        self._last_clock_ms, self._last_stamp = now, stamp
        return stamp

    def _live_task(self, task_id: str) -> _Task | None:
        task = self._tasks.get(task_id)
        return None if task is None or task.deleted else task

    def _list(self, list_id: str) -> _List:
        lst = self._lists.get(list_id)
        if lst is None:
            raise KeyError(f"no list {list_id}; call add_list() first")
        return lst

    def _status_name(self, lst: _List, status: str) -> str:
        for name, _ in lst.statuses:
            if name.casefold() == status.strip().casefold():
                return name
        raise ValueError(f"list {lst.list_id} has no status {status!r}")

    def _status_type(self, lst: _List, status: str) -> str:
        for name, type_ in lst.statuses:
            if name.casefold() == status.casefold():
                return type_
        return "custom"

    def _status_color(self, lst: _List, status: str) -> tuple[str, int, str]:
        """(color, orderindex, type) of a status in a list."""
        custom = 0
        for index, (name, type_) in enumerate(lst.statuses):
            color = _STATUS_COLORS.get(type_, _CUSTOM_STATUS_COLORS[custom % len(_CUSTOM_STATUS_COLORS)])
            if name.casefold() == status.casefold():
                return color, index, type_
            custom += type_ not in _STATUS_COLORS
        return _CUSTOM_STATUS_COLORS[0], len(lst.statuses), "custom"

    def _set_status(self, task: _Task, status: str) -> None:
        if status == task.status:
            return
        lst = self._lists[task.list_id]
        task.previous["status"] = task.status
        closed = self._status_type(lst, status) in ("closed", "done")
        if closed and task.date_closed is None:
            task.date_closed = int(self.clock() * 1000)
        elif not closed:
            task.date_closed = None
        task.status = status

    def _move(self, task: _Task, target: _List) -> None:
        task.previous["list_id"] = task.list_id
        old_type = self._status_type(self._lists[task.list_id], task.status)
        task.list_id = target.list_id
        if all(name.casefold() != task.status.casefold() for name, _ in target.statuses):
            same_type = [name for name, type_ in target.statuses if type_ == old_type]
            task.status = same_type[0] if same_type else target.statuses[0][0]
        else:
            task.status = self._status_name(target, task.status)

    def _check_priority(self, priority: int | None) -> int | None:
        if priority is not None and priority not in PRIORITIES:
            raise ValueError("priority must be 1 (urgent), 2 (high), 3 (normal), 4 (low) or None")
        return priority

    def _register_user(self, user: dict[str, Any]) -> int:
        user_id = int(user["id"])
        known = self._users.get(user_id)
        if known is None:
            username = user.get("username", f"user{user_id}")
            self.add_user(user_id, username, user.get("email", f"user{user_id}@example.org"))
            known = self._users[user_id]
        known.update({key: value for key, value in user.items() if key in known and key != "id"})
        return user_id

    def _set_custom_fields(self, task: _Task, values: dict[str, object]) -> None:
        for key, value in values.items():
            definition = self._field_definition(key)
            field_id = definition["id"]
            if value is None:
                task.custom_fields.pop(field_id, None)
            elif definition["type"] == "drop_down":
                task.custom_fields[field_id] = self._option(definition, value)["orderindex"]
            else:
                task.custom_fields[field_id] = copy.deepcopy(value)

    def _field_definition(self, key: str) -> dict[str, Any]:
        """A custom field by id or name."""
        definition = self._fields.get(key) or next(
            (f for f in self._fields.values() if f["name"].casefold() == str(key).casefold()), None
        )
        if definition is None:
            raise ValueError(f"no custom field {key!r}; call add_field() first")
        return definition

    def _option(self, definition: dict[str, Any], value: object) -> dict[str, Any]:
        """A drop-down option by orderindex (int), UUID or name."""
        for option in definition["type_config"].get("options", []):
            if isinstance(value, int) and not isinstance(value, bool):
                if option["orderindex"] == value:
                    return option
            elif isinstance(value, str) and value.casefold() in (option["id"], option["name"].casefold()):
                return option
        raise ValueError(f"field {definition['name']!r} has no option {value!r}")

    def _user_json(self, user_id: int, *, initials: bool = True) -> dict[str, Any]:
        user = copy.deepcopy(self._users[user_id])
        if not initials:
            user.pop("initials")
        return user

    def _priority_json(self, priority: int | None) -> dict[str, str] | None:
        if priority is None:
            return None
        name, color = PRIORITIES[priority]
        return {"id": str(priority), "priority": name, "color": color, "orderindex": str(priority)}

    def _custom_fields_json(self, task: _Task) -> list[dict[str, Any]]:
        fields = []
        for field_id, definition in self._fields.items():
            entry = copy.deepcopy(definition)
            if field_id in task.custom_fields:
                entry["value"] = copy.deepcopy(task.custom_fields[field_id])
            fields.append(entry)
        return fields

    def _task_json(self, task: _Task) -> dict[str, Any]:
        lst = self._lists[task.list_id]
        color, orderindex, type_ = self._status_color(lst, task.status)
        closed = task.date_closed is not None
        return {
            "id": task.task_id,
            "custom_id": None,
            "custom_item_id": None,
            "name": task.name,
            "text_content": task.description,
            "description": task.description,
            "status": {
                "id": f"sc{lst.list_id}_{orderindex}",
                "status": task.status,
                "color": color,
                "orderindex": orderindex,
                "type": type_,
            },
            "orderindex": task.orderindex,
            "date_created": str(task.date_created),
            "date_updated": str(task.date_updated),
            "date_closed": str(task.date_closed) if closed else None,
            "date_done": str(task.date_closed) if closed else None,
            "archived": task.archived,
            "creator": self._user_json(task.creator, initials=False),
            "assignees": [self._user_json(user_id) for user_id in task.assignees],
            "group_assignees": [],
            "watchers": [],
            "checklists": copy.deepcopy(task.checklists),
            "tags": [
                {"name": t, "tag_fg": "#ffffff", "tag_bg": "#e50000", "creator": BOT_USER_ID}
                for t in task.tags
            ],
            "parent": None,
            "top_level_parent": None,
            "priority": self._priority_json(task.priority),
            "due_date": str(task.due_date) if task.due_date is not None else None,
            "start_date": None,
            "points": None,
            "time_estimate": task.time_estimate,
            "time_spent": None,
            "custom_fields": self._custom_fields_json(task),
            "attachments": [
                {
                    k: a[k]
                    for k in (
                        "id",
                        "version",
                        "date",
                        "title",
                        "extension",
                        "mimetype",
                        "thumbnail_small",
                        "thumbnail_large",
                        "url",
                    )
                }
                for a in task.attachments
            ],
            "dependencies": [],
            "linked_tasks": [],
            "locations": [],
            "team_id": self.team_id,
            "url": f"https://app.clickup.com/t/{task.task_id}",
            "permission_level": "create",
            "list": {"id": lst.list_id, "name": lst.name, "access": True},
            "project": {"id": lst.folder_id, "name": lst.folder_name, "hidden": False, "access": True},
            "folder": {"id": lst.folder_id, "name": lst.folder_name, "hidden": False, "access": True},
            "space": {"id": lst.space_id},
        }

    # -- webhook history items (called with the lock held) ----------------------------------------

    def _history_item(
        self, task: _Task, field: str, *, data: dict[str, Any], before: Any, after: Any, date: int
    ) -> dict[str, Any]:
        return {
            "id": str(next(self._history_ids)),
            "type": 1,
            "date": str(date),
            "field": field,
            "parent_id": task.list_id,
            "data": data,
            "source": None,
            "user": self._user_json(BOT_USER_ID),
            "before": before,
            "after": after,
        }

    def _status_history_json(self, task: _Task, status: str | None) -> dict[str, Any]:
        if status is None:
            return _status_history(None, "#000000", -1, "removed")
        color, orderindex, type_ = self._status_color(self._lists[task.list_id], status)
        return _status_history(status, color, orderindex, type_)

    def _list_history_json(self, list_id: str) -> dict[str, Any]:
        lst = self._lists[list_id]
        return {
            "id": lst.list_id,
            "name": lst.name,
            "category": {"id": lst.folder_id, "name": lst.folder_name, "hidden": False},
            "project": {"id": lst.space_id, "name": "Asmbly"},
        }

    def _history_items(self, event: str, task: _Task) -> list[dict[str, Any]]:
        date = task.date_updated
        item = self._history_item
        previous = task.previous
        if event == "taskCreated":
            current = self._status_history_json(task, task.status)
            return [
                item(
                    task,
                    "status",
                    data={"status_type": current["type"]},
                    before=self._status_history_json(task, None),
                    after=current,
                    date=task.date_created,
                ),
                item(task, "task_creation", data={}, before=None, after=None, date=task.date_created),
            ]
        if event == "taskStatusUpdated":
            current = self._status_history_json(task, task.status)
            before = self._status_history_json(task, previous.get("status"))
            return [
                item(
                    task,
                    "status",
                    data={"status_type": current["type"]},
                    before=before,
                    after=current,
                    date=date,
                )
            ]
        if event == "taskMoved":
            old_list = previous.get("list_id", task.list_id)
            return [
                item(
                    task,
                    "section_moved",
                    data={"mute_notifications": True},
                    before=self._list_history_json(old_list),
                    after=self._list_history_json(task.list_id),
                    date=date,
                )
            ]
        if event == "taskPriorityUpdated":
            return [
                item(
                    task,
                    "priority",
                    data={},
                    before=self._priority_json(previous.get("priority")),
                    after=self._priority_json(task.priority),
                    date=date,
                )
            ]
        if event == "taskAssigneeUpdated":
            removed = previous.get("assignee_rem") or []
            added = previous.get("assignee_add") or ([] if removed else task.assignees[-1:])
            items = [
                item(task, "assignee_add", data={}, before=None, after=self._user_json(u), date=date)
                for u in added
            ]
            items += [
                item(task, "assignee_rem", data={}, before=self._user_json(u), after=None, date=date)
                for u in removed
            ]
            for entry in items:
                if entry["field"] == "assignee_add":
                    del entry["before"]  # as in ClickUp's example
            return items
        if event == "taskTimeEstimateUpdated":
            before_ms, after_ms = previous.get("time_estimate"), task.time_estimate
            return [
                item(
                    task,
                    "time_estimate",
                    data={"time_estimate_string": None, "old_time_estimate_string": None},
                    before=None if before_ms is None else str(before_ms),
                    after=None if after_ms is None else str(after_ms),
                    date=date,
                )
            ]
        if event == "taskDueDateUpdated":
            data = {"due_date_time": False, "old_due_date_time": False}
            return [item(task, "due_date", data=data, before=None, after=None, date=date)]
        if event == "taskTagUpdated":
            return [item(task, "tag", data={}, before=None, after=[], date=date)]
        if event in ("taskCommentPosted", "taskCommentUpdated"):
            comments = self._comments.get(task.task_id) or []
            if not comments:
                raise ValueError(f"task {task.task_id} has no comment for {event}")
            last = comments[-1]
            entry = item(task, "comment", data={}, before=None, after=last["id"], date=last["date"])
            entry["comment"] = {
                "id": last["id"],
                "date": str(last["date"]),
                "parent": task.task_id,
                "type": 1,
                "text_content": last["comment_text"],
                "comment": [{"text": last["comment_text"]}],
                "user": copy.deepcopy(last["user"]),
                "reactions": [],
                "emails": [],
            }
            return [entry]
        if event == "taskTimeTrackedUpdated":
            return [item(task, "time_spent", data={"total_time": "0"}, before=None, after="0", date=date)]
        # taskUpdated: a content change unless a custom field was the last thing set.
        field_id = previous.get("custom_field")
        if field_id in self._fields:
            definition = self._fields[field_id]
            value = task.custom_fields.get(field_id)
            if definition["type"] == "drop_down" and value is not None:
                value = self._option(definition, value)["id"]  # history items carry the option UUID
            entry = item(task, "custom_field", data={}, before=None, after=value, date=date)
            entry["custom_field"] = copy.deepcopy(definition)
            return [entry]
        delta = json.dumps({"ops": [{"insert": f"{task.description}\n"}]})
        return [item(task, "content", data={}, before=None, after=delta, date=date)]
