"""The task list as the screens use it (reference/asmbly.md 1.5): filters, sorts, facet counts.

Pure Python (no Django, no PynamoDB). Three things live here, so the repository, the counters
and the tests agree on them:

* what a task is for the screens: its ``FeedType`` (preventative, problem, facilities) and its
  ``TimeBucket`` (the four "time needed" buckets);
* the facet cells: every task that is in the feeds is counted in exactly one cell per shop,
  named by its status, type, urgency, time bucket and whether it has a due date. The cells are
  numbers on the shop's counter item (``PK=SHOPS SK=SHOP#{slug}#COUNTS``), moved with ADD in the
  same transaction as the task (``cell_moves``), so totals and facet counts for any combination
  of filters are sums of a few hundred numbers read in one Query, never a count of tasks;
* the plan of a page: which index and key serve a ``FeedQuery`` and which filters remain for a
  DynamoDB filter expression (``plan``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from .domain import Task, TaskStatus, TaskType, Urgency


class FeedType(StrEnum):
    PREVENTATIVE = "preventative"  # the PM Schedule list
    PROBLEM = "problem"  # problem reports about equipment, supplies, other
    FACILITIES = "facilities"  # problem reports whose Problem Type is "Facilities"


class TimeBucket(StrEnum):
    """Time needed, from ClickUp's time estimate: < 30m, 30m-1h, 1h-3h, 3h+, or none (no
    estimate)."""

    LESS_30 = "less_30"  # 0 < minutes < 30
    FROM_30_TO_60 = "30_60"  # 30 <= minutes <= 60
    FROM_60_TO_180 = "60_180"  # 60 < minutes <= 180
    MORE_180 = "more_180"  # minutes > 180
    NONE = "none"


class FeedSort(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    URGENCY = "urgency"  # critical first, newest first within an urgency
    DUE = "due"  # soonest due first (overdue first); only tasks with a due date


URGENCY_RANK: dict[Urgency, int] = {Urgency.CRITICAL: 4, Urgency.HIGH: 3, Urgency.MEDIUM: 2, Urgency.LOW: 1}


def feed_type(task_type: TaskType, problem_type: str | None) -> FeedType:
    if task_type is TaskType.PREVENTATIVE:
        return FeedType.PREVENTATIVE
    if problem_type and problem_type.strip().lower() == "facilities":
        return FeedType.FACILITIES
    return FeedType.PROBLEM


def time_bucket(estimate_minutes: int | None) -> TimeBucket:
    if not estimate_minutes or estimate_minutes <= 0:
        return TimeBucket.NONE
    if estimate_minutes < 30:
        return TimeBucket.LESS_30
    if estimate_minutes <= 60:
        return TimeBucket.FROM_30_TO_60
    if estimate_minutes <= 180:
        return TimeBucket.FROM_60_TO_180
    return TimeBucket.MORE_180


# -- facet cells -------------------------------------------------------------------------------

_STATUS_CODE = {
    TaskStatus.OPEN: "O",
    TaskStatus.IN_PROGRESS: "I",
    TaskStatus.ON_HOLD: "H",
    TaskStatus.DONE: "D",
}
_TYPE_CODE = {FeedType.PREVENTATIVE: "p", FeedType.PROBLEM: "r", FeedType.FACILITIES: "f"}
_URGENCY_CODE = {Urgency.CRITICAL: "c", Urgency.HIGH: "h", Urgency.MEDIUM: "m", Urgency.LOW: "l"}
_TIME_CODE = {
    TimeBucket.NONE: "0",
    TimeBucket.LESS_30: "1",
    TimeBucket.FROM_30_TO_60: "2",
    TimeBucket.FROM_60_TO_180: "3",
    TimeBucket.MORE_180: "4",
}
_DUE_CODE = {True: "d", False: "n"}
CELL_PATTERN = re.compile(r"^f([OIHD])([prf])([chml])([0-4])([dn])$")
_DECODE = (
    {v: k for k, v in _STATUS_CODE.items()},
    {v: k for k, v in _TYPE_CODE.items()},
    {v: k for k, v in _URGENCY_CODE.items()},
    {v: k for k, v in _TIME_CODE.items()},
    {v: k for k, v in _DUE_CODE.items()},
)


@dataclass(frozen=True)
class FacetKey:
    """Where a task is counted: its shop's counter item, and the cell on it."""

    shop: str
    status: TaskStatus
    type: FeedType
    urgency: Urgency
    time: TimeBucket
    due: bool

    @property
    def cell(self) -> str:
        return (
            f"f{_STATUS_CODE[self.status]}{_TYPE_CODE[self.type]}{_URGENCY_CODE[self.urgency]}"
            f"{_TIME_CODE[self.time]}{_DUE_CODE[self.due]}"
        )


def facet_key(task: Task | None, *, status: TaskStatus | None = None) -> FacetKey | None:
    """The cell ``task`` is counted in (with ``status`` instead of its own, for a move), or None
    when it is not counted at all (absent or deleted)."""
    if task is None or task.deleted:
        return None
    return FacetKey(
        shop=task.shop,
        status=status or task.status,
        type=feed_type(task.task_type, task.problem_type),
        urgency=task.urgency,
        time=time_bucket(task.estimate_minutes),
        due=task.due_at is not None,
    )


def cell_moves(before: FacetKey | None, after: FacetKey | None) -> dict[str, dict[str, int]]:
    """shop -> {cell: delta} taking one task from ``before`` to ``after`` (None: not counted)."""
    moves: dict[str, dict[str, int]] = {}
    if before == after:
        return moves
    for key, delta in ((before, -1), (after, 1)):
        if key is not None:
            cells = moves.setdefault(key.shop, {})
            cells[key.cell] = cells.get(key.cell, 0) + delta
    return {shop: {c: d for c, d in cells.items() if d} for shop, cells in moves.items()}


@functools.lru_cache(maxsize=1024)  # 960 cells exist: decoded once per process
def decode_cell(name: str) -> tuple[TaskStatus, FeedType, Urgency, TimeBucket, bool] | None:
    match = CELL_PATTERN.match(name)
    if match is None:
        return None
    s, t, u, b, d = (table[g] for table, g in zip(_DECODE, match.groups(), strict=True))
    return s, t, u, b, d  # type: ignore[return-value]


# Every cell name there is (4 x 3 x 4 x 5 x 2 = 480), decoded once at import.
_Decoded = tuple[TaskStatus, FeedType, Urgency, TimeBucket, bool]
_DECODED: dict[str, _Decoded] = {
    f"f{s}{t}{u}{b}{d}": (_DECODE[0][s], _DECODE[1][t], _DECODE[2][u], _DECODE[3][b], _DECODE[4][d])
    for s in _DECODE[0]
    for t in _DECODE[1]
    for u in _DECODE[2]
    for b in _DECODE[3]
    for d in _DECODE[4]
}


@functools.lru_cache(maxsize=16)
def _cells_of(statuses: frozenset[TaskStatus]) -> dict[str, _Decoded]:
    """The cells of these statuses, decoded."""
    return {name: decoded for name, decoded in _DECODED.items() if decoded[0] in statuses}


def is_cell(name: str) -> bool:
    """Whether ``name`` is a facet cell's attribute name."""
    return name in _DECODED


# -- queries -----------------------------------------------------------------------------------

MAX_SEARCH = 100


@dataclass(frozen=True)
class FeedQuery:
    """A page request. The scope rule (README: The task list): ``status`` None means OPEN, for
    every combination of filters and sorts; ``status`` names the one status listed instead. No
    other filter or sort changes which statuses come back, and the facets count that scope."""

    shop: str | None = None
    status: TaskStatus | None = None
    type: FeedType | None = None
    urgency: Urgency | None = None
    time: TimeBucket | None = None
    search: str | None = None
    sort: FeedSort = FeedSort.NEWEST

    @property
    def statuses(self) -> tuple[TaskStatus, ...]:
        return (self.status or TaskStatus.OPEN,)

    @property
    def is_plain(self) -> bool:
        """No filter or sort beyond what the list always took (shop, status, urgency, newest)."""
        return self.type is None and self.time is None and not self.search and self.sort is FeedSort.NEWEST

    def scope(self) -> str:
        """What a cursor is bound to (a cursor from another query is refused)."""
        return "|".join(
            str(v or "*")
            for v in (self.shop, self.status, self.type, self.urgency, self.time, self.search, self.sort)
        )


@dataclass(frozen=True)
class Plan:
    """One Query: ``index``/``hash_key``, optionally ``prefix`` (begins_with on the sort key),
    ``forward`` (ascending), and the filters the key does not serve."""

    index: str
    hash_key: str
    prefix: str | None
    forward: bool
    filters: frozenset[str] = field(default_factory=frozenset)

    @property
    def keyed(self) -> bool:
        return not self.filters


def plan(q: FeedQuery) -> Plan:
    """Pick the index that serves the most of ``q`` with its key; the rest are filters.

    Keyed (full pages): the open feed or one status, newest or oldest (GSI2); a shop (GSI1);
    an urgency, alone or with a shop (GSI4/GSI7, whose sort key starts with the urgency rank);
    a type (GSI5); sort by urgency, alone or with a shop (GSI4/GSI7); sort by due date (GSI6).
    Anything else adds a filter expression on top of the best of those."""
    forward = q.sort is FeedSort.OLDEST
    s = (q.status or TaskStatus.OPEN).value
    rest = {n for n, v in (("type", q.type), ("time", q.time), ("search", q.search)) if v}
    if q.sort is FeedSort.DUE:
        rest |= {n for n, v in (("shop", q.shop), ("urgency", q.urgency)) if v}
        return Plan("GSI6", f"DUE#{s}", None, True, frozenset(rest))
    rank = f"{URGENCY_RANK[q.urgency]}#" if q.urgency else None
    if q.sort is FeedSort.URGENCY or q.urgency is not None:
        if q.shop:
            return Plan("GSI7", f"SHOPURGENCY#{q.shop}#{s}", rank, forward, frozenset(rest))
        return Plan("GSI4", f"URGENCY#{s}", rank, forward, frozenset(rest))
    if q.shop:
        return Plan("GSI1", f"SHOP#{q.shop}", f"{s}#", forward, frozenset(rest))
    if q.type is not None:
        return Plan("GSI5", f"TYPE#{q.type.value}#{s}", None, forward, frozenset(rest - {"type"}))
    return Plan("GSI2", f"STATUS#{s}", None, forward, frozenset(rest))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The index keys of a task in the feeds, by attribute name. GSI1/GSI2 are the original feeds;
# GSI4..GSI7 serve the screens' filters and sorts (README: The table).
STATUS_KEYED = ("GSI1SK", "GSI2PK", "GSI4PK", "GSI5PK", "GSI6PK", "GSI7PK")
FEED_KEY_ATTRIBUTES = (
    "GSI1PK",
    "GSI1SK",
    "GSI2PK",
    "GSI2SK",
    "GSI4PK",
    "GSI4SK",
    "GSI5PK",
    "GSI5SK",
    "GSI6PK",
    "GSI6SK",
    "GSI7PK",
    "GSI7SK",
)


def feed_keys(task: Task, status: TaskStatus | None = None) -> dict[str, str]:
    """Every index key of ``task`` (with ``status`` instead of its own, for a move)."""
    s = (status or task.status).value
    created = _stamp(task.created_at)
    rank = URGENCY_RANK[task.urgency]
    keys = {
        "GSI1PK": f"SHOP#{task.shop}",
        "GSI1SK": f"{s}#{created}#{task.id}",
        "GSI2PK": f"STATUS#{s}",
        "GSI2SK": f"{created}#{task.id}",
        "GSI4PK": f"URGENCY#{s}",
        "GSI4SK": f"{rank}#{created}#{task.id}",
        "GSI5PK": f"TYPE#{feed_type(task.task_type, task.problem_type).value}#{s}",
        "GSI5SK": f"{created}#{task.id}",
        "GSI7PK": f"SHOPURGENCY#{task.shop}#{s}",
        "GSI7SK": f"{rank}#{created}#{task.id}",
    }
    if task.due_at is not None:
        keys["GSI6PK"] = f"DUE#{s}"
        keys["GSI6SK"] = f"{_stamp(task.due_at)}#{task.id}"
    return keys


# -- counts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    total: int
    shop: dict[str, int]
    type: dict[str, int]
    urgency: dict[str, int]
    time: dict[str, int]


def count(q: FeedQuery, cells: Iterable[tuple[str, str, int]], shops: Iterable[str]) -> Counts:
    """Total and facet counts for ``q`` from the counter cells ``(shop, cell, value)``. A facet
    counts what the other filters leave (choosing a shop does not zero the other shops). The
    search text is not counted (no counter knows it): the caller leaves the total out then.

    On every ``counts=true`` page, over up to a few thousand cells: one dict lookup per cell
    decodes it and drops it when it has another status (issue 26)."""
    wanted = _cells_of(frozenset(q.statuses))
    due_only = q.sort is FeedSort.DUE
    q_shop, q_type, q_urgency, q_time = q.shop, q.type, q.urgency, q.time
    total = 0
    by_shop: dict[str, int] = dict.fromkeys(shops, 0)
    by_type: dict[FeedType, int] = dict.fromkeys(FeedType, 0)
    by_urgency: dict[Urgency, int] = dict.fromkeys(Urgency, 0)
    by_time: dict[TimeBucket, int] = dict.fromkeys(TimeBucket, 0)
    for shop, cell, value in cells:
        decoded = wanted.get(cell)
        if decoded is None or not value:
            continue
        _, ftype, urgency, bucket, due = decoded
        if due_only and not due:
            continue
        miss_shop = q_shop is not None and shop != q_shop
        miss_type = q_type is not None and ftype is not q_type
        miss_urgency = q_urgency is not None and urgency is not q_urgency
        miss_time = q_time is not None and bucket is not q_time
        misses = miss_shop + miss_type + miss_urgency + miss_time
        if misses > 1:
            continue
        if misses == 0:
            total += value
        if not (miss_type or miss_urgency or miss_time):
            by_shop[shop] = by_shop.get(shop, 0) + value
        if not (miss_shop or miss_urgency or miss_time):
            by_type[ftype] += value
        if not (miss_shop or miss_type or miss_time):
            by_urgency[urgency] += value
        if not (miss_shop or miss_type or miss_urgency):
            by_time[bucket] += value
    return Counts(
        total=total,
        shop=by_shop,
        type={k.value: v for k, v in by_type.items()},
        urgency={k.value: v for k, v in by_urgency.items()},
        time={k.value: v for k, v in by_time.items()},
    )


def counter_cells(items: Iterable[Mapping[str, object]]) -> list[tuple[str, str, int]]:
    """``(shop, cell, value)`` of every cell on the given counter items (name -> number). (The
    API's read takes the cells from DynamoDB's attribute values directly: the repository's
    ``_raw_counter_cells``.)"""
    out: list[tuple[str, str, int]] = []
    for item in items:
        shop = item.get("slug")
        if not isinstance(shop, str):
            continue
        for name, value in item.items():
            if len(name) == 6 and name[0] == "f" and isinstance(value, int) and decode_cell(name):
                out.append((shop, name, value))
    return out
