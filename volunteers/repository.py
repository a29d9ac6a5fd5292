"""Volunteer storage: the profile, current claims, hours log and monthly totals share the
volunteer's partition, so "my stats" is one Query.

  PK=VOLUNTEER#{id}  SK=PROFILE         profile (from Neon) + lifetime counters
                                        GSI1PK=VOLUNTEERS GSI1SK={name lower}#{id} (staff search)
  PK=VOLUNTEER#{id}  SK=CLAIM#{task}    a task they hold now
  PK=VOLUNTEER#{id}  SK=HOURS#{at}#{task}  hours logged for a completed task, or self-reported
                                        (then {task} is the entry's own id, SR-...); the log
                                        page is one Query: SK between the month's bounds, newest
                                        first, search and status as a filter on ``search_text``
                                        GSI2PK=HOURS#PENDING GSI2SK={shop}#{at} while pending
  PK=VOLUNTEER#{id}  SK=MONTH#{YYYY-MM} monthly totals (logged, approved and pending hours,
                                        approved entries per kind, entries)
                                        GSI3PK=LEADERBOARD#{YYYY-MM} GSI3SK=points (number)
  PK=VOLUNTEER#{id}  SK=BADGE#{badge}   a badge, put only if absent (awarded once)
  PK=CONFIG          SK=REWARDS         the rewards configuration staff edit

Profile fields that come from Neon are written with SET, so a refresh never clobbers the
counters that claims and completions move atomically with ADD.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.condition import Condition

from voldash_site.dynamodb import cursor as cursors
from voldash_site.dynamodb.items import (
    INDEX_KEYS,
    TableItem,
    conditional_update,
    ensure_configured,
    query_page,
    stamp,
    storage_errors,
)
from voldash_site.dynamodb.unit_of_work import Load, Write, check, delete, put, update

from .badges import Badge, CompletionProgress
from .domain import (
    KIND_LABELS,
    MAKERSPACE_TZ,
    Claim,
    EarnedBadge,
    HoursEntry,
    HoursKind,
    HoursStatus,
    LeaderboardRow,
    MonthTotals,
    NoticeChannel,
    NoticeKind,
    NoticeMode,
    NoticePrefs,
    Preferences,
    ProfileCounters,
    Role,
    Volunteer,
)
from .rewards import RewardsConfig, config_from_json

PROFILE_SK = "PROFILE"
REWARDS_KEY = ("CONFIG", "REWARDS")
# A search or status filter drops entries after DynamoDB read them: read this many times the
# page in the same single request, so a filtered page is rarely short.
HOURS_FILTER_READ_AHEAD = 4
# "My stats" reads the profile, the monthly totals and the newest hours entries in one Query.
STATS_READ_LIMIT = 400


@dataclass(frozen=True)
class VolunteerPage:
    items: list[Volunteer]
    next_cursor: str | None


@dataclass(frozen=True)
class HoursPage:
    items: list[HoursEntry]
    next_cursor: str | None


def _oldest_first(entries: list[HoursEntry]) -> list[HoursEntry]:
    return sorted(entries, key=lambda e: e.completed_at)


@dataclass(frozen=True)
class VolunteerRecord:
    """Everything in the volunteer's partition that "my stats" needs."""

    volunteer: Volunteer | None
    lifetime_points: int
    lifetime_hours: float
    pending_hours: float
    tasks_completed: int
    months: dict[str, MonthTotals]
    recent_hours: list[HoursEntry]


class VolunteerRepository(Protocol):
    def get(self, neon_id: str) -> Volunteer | None: ...

    def save(self, volunteer: Volunteer) -> None: ...

    def end_sessions(self, neon_id: str) -> int: ...

    def leadership_writes(self, volunteer: Volunteer) -> Write: ...

    def list_by_name(
        self, *, prefix: str = "", limit: int = 50, cursor: str | None = None
    ) -> VolunteerPage: ...

    def load(self, neon_id: str) -> Load: ...

    def claim_writes(
        self,
        volunteer: Volunteer,
        claim: Claim,
        *,
        limit: int,
        required: tuple[str, ...],
        require_all: bool,
        enforce: bool = True,
        recorded: bool = False,
    ) -> list[Write]: ...

    def unclaim_writes(self, neon_id: str, task_id: str, *, recorded: bool = True) -> list[Write]: ...

    def active_member_check(self, neon_id: str) -> Write: ...

    def complete_writes(
        self,
        holder_id: str,
        holder_name: str,
        entry: HoursEntry,
        *,
        recorded: bool = True,
        progress: CompletionProgress | None = None,
        seen_rev: int | None = None,
    ) -> list[Write]: ...

    def report_writes(self, volunteer: Volunteer, entry: HoursEntry) -> list[Write]: ...

    def claims(self, neon_id: str) -> list[Claim]: ...

    def hours(
        self,
        neon_id: str,
        *,
        month: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        search: str | None = None,
        status: HoursStatus | None = None,
    ) -> HoursPage: ...

    def load_counters(self, neon_id: str) -> Load: ...

    def load_month(self, neon_id: str, month: str) -> Load: ...

    def load_rewards(self) -> Load: ...

    def rewards(self) -> RewardsConfig: ...

    def save_rewards(self, config: RewardsConfig, *, by: str, at: datetime) -> None: ...

    def record(self, neon_id: str) -> VolunteerRecord: ...

    def leaderboard(self, month: str, *, limit: int = 20) -> list[LeaderboardRow]: ...

    def pending_hours(
        self, *, shops: list[str] | None, limit: int = 100, cursor: str | None = None
    ) -> HoursPage: ...

    def load_hours(self, neon_id: str, key: str) -> Load: ...

    def review_writes(
        self,
        entry: HoursEntry,
        *,
        approve: bool,
        reviewer: str,
        badges: tuple[Badge, ...] = (),
        seen_rev: int | None = None,
        at: datetime | None = None,
    ) -> list[Write]: ...

    def set_preferences(
        self,
        neon_id: str,
        preferences: Preferences,
        *,
        watch: Sequence[str] = (),
        unwatch: Sequence[str] = (),
    ) -> bool: ...

    def get_many(self, neon_ids: Sequence[str]) -> dict[str, Volunteer]: ...

    def shop_watchers(self, shop: str) -> list[str]: ...

    def dismiss_announcement(self, neon_id: str, announcement_id: str) -> bool: ...


class _VolunteerItem(TableItem, discriminator="Volunteer"):
    neon_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    membership_active = BooleanAttribute(default=False)
    membership_expires = UnicodeAttribute(null=True)  # ISO date
    roles = ListAttribute(of=UnicodeAttribute, default=list)
    lead_of = ListAttribute(of=UnicodeAttribute, default=list)
    certifications = ListAttribute(of=UnicodeAttribute, default=list)
    clickup_user_id = NumberAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    # Counters, moved only with ADD inside transactions.
    open_claims = NumberAttribute(null=True)
    tasks_completed = NumberAttribute(null=True)
    points_lifetime = NumberAttribute(null=True)
    hours_lifetime = NumberAttribute(null=True)
    hours_pending = NumberAttribute(null=True)
    # Chosen by the member (never written by the Neon refresh).
    pref_slack_dm = BooleanAttribute(null=True)
    pref_interest_shops = ListAttribute(of=UnicodeAttribute, null=True)
    pref_notice_kinds = ListAttribute(of=UnicodeAttribute, null=True)  # absent: the defaults
    pref_notice_channel = UnicodeAttribute(null=True)
    pref_notice_mode = UnicodeAttribute(null=True)
    pref_notice_changed_at = UTCDateTimeAttribute(null=True)
    dismissed_announcements = UnicodeSetAttribute(null=True)
    # Moved only with ADD (logout, "sign out everywhere"); ``save`` never touches it.
    session_epoch = NumberAttribute(null=True)
    # Recognition, moved only by completions and approvals (each conditioned on progress_rev).
    hours_approved = NumberAttribute(null=True)
    hours_entries = NumberAttribute(null=True)
    streak_days = NumberAttribute(null=True)
    streak_last_day = UnicodeAttribute(null=True)  # ISO date, Austin time
    progress_rev = NumberAttribute(null=True)
    badges = UnicodeSetAttribute(null=True)  # "{badge id}|{earned at, ISO}"

    def to_volunteer(self) -> Volunteer:
        return Volunteer(
            neon_id=self.neon_id,
            name=self.name,
            email=self.email,
            membership_active=bool(self.membership_active),
            membership_expires=date.fromisoformat(self.membership_expires)
            if self.membership_expires
            else None,
            roles=frozenset(Role(r) for r in self.roles or ()),
            lead_of=tuple(self.lead_of or ()),
            certifications=frozenset(self.certifications or ()),
            clickup_user_id=int(self.clickup_user_id) if self.clickup_user_id is not None else None,
            open_claims=max(0, int(self.open_claims or 0)),
            updated_at=self.updated_at,
            preferences=Preferences(
                slack_direct_messages=True if self.pref_slack_dm is None else bool(self.pref_slack_dm),
                interest_shops=tuple(self.pref_interest_shops or ()),
                notices=self._notice_prefs(),
            ),
            dismissed_announcements=frozenset(self.dismissed_announcements or ()),
            session_epoch=int(self.session_epoch or 0),
            tasks_completed=int(self.tasks_completed or 0),
            hours_approved=round(float(self.hours_approved or 0), 2),
            streak_days=int(self.streak_days or 0),
            streak_last_day=date.fromisoformat(self.streak_last_day) if self.streak_last_day else None,
            progress_rev=int(self.progress_rev or 0),
            badges=_badges(self.badges),
        )

    def _notice_prefs(self) -> NoticePrefs:
        known = set(NoticeKind)
        kinds = (
            frozenset(NoticeKind(k) for k in self.pref_notice_kinds if k in known)
            if self.pref_notice_kinds is not None
            else NoticePrefs().kinds
        )
        return NoticePrefs(
            kinds=kinds,
            channel=NoticeChannel(self.pref_notice_channel or NoticeChannel.SLACK.value),
            mode=NoticeMode(self.pref_notice_mode or NoticeMode.IMMEDIATE.value),
            changed_at=self.pref_notice_changed_at,
        )

    def to_counters(self) -> ProfileCounters:
        return ProfileCounters(
            tasks_completed=int(self.tasks_completed or 0),
            hours_approved=round(float(self.hours_approved or 0), 2),
            hours_pending=round(max(0.0, float(self.hours_pending or 0)), 2),
            hours_logged=round(float(self.hours_lifetime or 0), 2),
            entries=int(self.hours_entries or 0),
        )


def _badges(raw: set[str] | None) -> tuple[EarnedBadge, ...]:
    out = []
    for value in raw or ():
        badge_id, _, at = value.partition("|")
        try:
            out.append(EarnedBadge(badge_id, datetime.fromisoformat(at)))
        except ValueError:
            continue
    return tuple(sorted(out, key=lambda b: (b.earned_at, b.badge_id)))


class _WatchItem(TableItem, discriminator="ShopWatch"):
    """PK=SHOPWATCH#{shop} SK=VOLUNTEER#{neon_id}: the member hears about new urgent repairs
    in this shop (while they hold its certifications, checked when one is announced)."""

    neon_id = UnicodeAttribute()


class _ClaimItem(TableItem, discriminator="VolunteerClaim"):
    neon_id = UnicodeAttribute()
    task_id = UnicodeAttribute()
    task_title = UnicodeAttribute()
    shop = UnicodeAttribute()
    claimed_at = UTCDateTimeAttribute()
    due_at = UTCDateTimeAttribute(null=True)

    def to_claim(self) -> Claim:
        return Claim(self.neon_id, self.task_id, self.task_title, self.shop, self.claimed_at, self.due_at)


class _HoursItem(TableItem, discriminator="HoursEntry"):
    neon_id = UnicodeAttribute()
    task_id = UnicodeAttribute()
    task_title = UnicodeAttribute()
    shop = UnicodeAttribute()
    hours = NumberAttribute()
    points = NumberAttribute()
    completed_at = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)  # absent: a task (entries written before kinds existed)
    search_text = UnicodeAttribute(null=True)  # lowercased title, note, shop, kind: the log's search

    @classmethod
    def from_entry(cls, e: HoursEntry) -> _HoursItem:
        item = cls(
            pk=f"VOLUNTEER#{e.neon_id}",
            sk=f"HOURS#{stamp(e.completed_at)}#{e.task_id}",
            neon_id=e.neon_id,
            task_id=e.task_id,
            task_title=e.task_title,
            shop=e.shop,
            hours=e.hours,
            points=e.points,
            completed_at=e.completed_at,
            status=e.status.value,
            note=e.note,
            reviewed_by=e.reviewed_by,
            kind=e.kind.value,
            search_text=search_text(e),
        )
        if e.status is HoursStatus.PENDING:
            item.gsi2pk = "HOURS#PENDING"
            item.gsi2sk = f"{e.shop}#{stamp(e.completed_at)}#{e.neon_id}"
        elif e.status is HoursStatus.APPROVED:
            item.gsi2pk = f"HOURS#APPROVED#{e.month}"
            item.gsi2sk = f"{e.shop}#{stamp(e.completed_at)}#{e.neon_id}"
        return item

    def to_entry(self) -> HoursEntry:
        return HoursEntry(
            key=self.sk.removeprefix("HOURS#"),
            neon_id=self.neon_id,
            task_id=self.task_id,
            task_title=self.task_title,
            shop=self.shop,
            hours=float(self.hours),
            points=int(self.points),
            completed_at=self.completed_at,
            status=HoursStatus(self.status),
            note=self.note,
            reviewed_by=self.reviewed_by,
            kind=HoursKind(self.kind) if self.kind else HoursKind.TASK,
        )


def search_text(e: HoursEntry) -> str:
    parts = [e.task_title, e.note or "", e.shop, KIND_LABELS[e.kind], e.task_id]
    return " ".join(p for p in parts if p).lower()[:3000]


class _MonthItem(TableItem, discriminator="VolunteerMonth"):
    neon_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    month = UnicodeAttribute(null=True)
    points = NumberAttribute(null=True)
    hours = NumberAttribute(null=True)
    tasks = NumberAttribute(null=True)
    hours_approved = NumberAttribute(null=True)
    hours_pending = NumberAttribute(null=True)
    entries = NumberAttribute(null=True)  # hours log entries of the month (the log's total)
    # Approved entries per kind (a reward's session requirement, e.g. one CSI session).
    approved_task = NumberAttribute(null=True)
    approved_general = NumberAttribute(null=True)
    approved_class = NumberAttribute(null=True)
    approved_on_duty = NumberAttribute(null=True)
    approved_csi_session = NumberAttribute(null=True)

    def to_totals(self) -> MonthTotals:
        by_kind = {k: int(getattr(self, f"approved_{k.value}") or 0) for k in HoursKind}
        return MonthTotals(
            month=self.month or "",
            points=int(self.points or 0),
            hours=float(self.hours or 0),
            tasks=int(self.tasks or 0),
            hours_approved=round(float(self.hours_approved or 0), 2),
            hours_pending=round(max(0.0, float(self.hours_pending or 0)), 2),
            entries=int(self.entries or 0),
            approved_by_kind={k: n for k, n in by_kind.items() if n},
        )


class _BadgeItem(TableItem, discriminator="Badge"):
    neon_id = UnicodeAttribute()
    badge_id = UnicodeAttribute()
    earned_at = UTCDateTimeAttribute()
    earned_by = UnicodeAttribute(null=True)  # the task or hours entry whose transaction earned it


class _RewardsItem(TableItem, discriminator="RewardsConfig"):
    config = JSONAttribute()
    updated_by = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)


def month_bounds(month: str) -> tuple[str, str]:
    """The UTC stamps of the first and the last moment of ``month`` (YYYY-MM) in Austin time:
    a month's entries are those whose UTC-stamped sort key falls between them."""
    year, mon = int(month[:4]), int(month[5:7])
    start = datetime(year, mon, 1, tzinfo=MAKERSPACE_TZ)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=MAKERSPACE_TZ)
    return stamp(start), stamp(end - timedelta(microseconds=1))


def _progress_condition(seen_rev: int) -> Any:
    """The profile's recognition counters are as read (no other completion or approval of this
    person committed meanwhile), so the badges judged on them are exactly the ones earned."""
    if seen_rev == 0:
        return _VolunteerItem.progress_rev.does_not_exist()
    return _VolunteerItem.progress_rev == seen_rev


def _badge_writes(neon_id: str, badges: tuple[Badge, ...], at: datetime, earned_by: str) -> list[Write]:
    return [
        put(
            _BadgeItem(
                pk=f"VOLUNTEER#{neon_id}",
                sk=f"BADGE#{b.id}",
                neon_id=neon_id,
                badge_id=b.id,
                earned_at=at,
                earned_by=earned_by,
            ),
            condition=_BadgeItem.pk.does_not_exist(),
            tag="badge",
        )
        for b in badges
    ]


def _certification_condition(required: tuple[str, ...], require_all: bool) -> Condition | None:
    if not required:
        return None
    parts = [_VolunteerItem.certifications.contains(cert_id) for cert_id in required]
    combined = parts[0]
    for part in parts[1:]:
        combined = (combined & part) if require_all else (combined | part)
    return combined


class DynamoVolunteerRepository:
    def __init__(self, *, cursor_secret: str | Sequence[str]) -> None:
        ensure_configured()
        self._secret = cursor_secret

    # -- profile ----------------------------------------------------------------------------

    def get(self, neon_id: str) -> Volunteer | None:
        with storage_errors():
            try:
                return _VolunteerItem.get(f"VOLUNTEER#{neon_id}", PROFILE_SK).to_volunteer()
            except _VolunteerItem.DoesNotExist:
                return None

    def load(self, neon_id: str) -> Load:
        return Load(pk=f"VOLUNTEER#{neon_id}", sk=PROFILE_SK, parse=lambda item: item.to_volunteer())

    def save(self, volunteer: Volunteer) -> None:
        """Create or refresh the profile fields; counters are left as they are."""
        v = volunteer
        key = _VolunteerItem(pk=f"VOLUNTEER#{v.neon_id}", sk=PROFILE_SK)
        actions = [
            _VolunteerItem.item_type.set(_VolunteerItem),
            _VolunteerItem.gsi1pk.set("VOLUNTEERS"),
            _VolunteerItem.gsi1sk.set(f"{v.name.lower()}#{v.neon_id}"),
            _VolunteerItem.neon_id.set(v.neon_id),
            _VolunteerItem.name.set(v.name),
            _VolunteerItem.membership_active.set(v.membership_active),
            _VolunteerItem.roles.set(sorted(r.value for r in v.roles)),
            _VolunteerItem.lead_of.set(list(v.lead_of)),
            _VolunteerItem.certifications.set(sorted(v.certifications)),
            _VolunteerItem.open_claims.set(_VolunteerItem.open_claims | 0),
        ]
        # GSI2 EMAIL#{e-mail}: a Slack user's e-mail finds their profile (one Query, no Scan).
        if v.email:
            actions += [
                _VolunteerItem.gsi2pk.set(f"EMAIL#{v.email.strip().lower()}"),
                _VolunteerItem.gsi2sk.set(f"VOLUNTEER#{v.neon_id}"),
            ]
        else:
            actions += [_VolunteerItem.gsi2pk.remove(), _VolunteerItem.gsi2sk.remove()]
        for attr, value in (
            (_VolunteerItem.email, v.email),
            (
                _VolunteerItem.membership_expires,
                v.membership_expires.isoformat() if v.membership_expires else None,
            ),
            (_VolunteerItem.clickup_user_id, v.clickup_user_id),
            (_VolunteerItem.updated_at, v.updated_at),
        ):
            actions.append(attr.set(value) if value is not None else attr.remove())
        with storage_errors():
            key.update(actions=actions)

    def set_preferences(
        self,
        neon_id: str,
        preferences: Preferences,
        *,
        watch: Sequence[str] = (),
        unwatch: Sequence[str] = (),
    ) -> bool:
        """The profile's preferences (one conditional UpdateItem) and, in the same transaction,
        the member's watch items of the shops whose new urgent repairs they asked to hear about
        (``SHOPWATCH#{shop}``, one item per member: the fan-out is one Query per shop). False
        when there is no profile."""
        from voldash_site.dynamodb.unit_of_work import DynamoUnitOfWork
        from voldash_site.errors import WriteRefused

        notices = preferences.notices
        key = _VolunteerItem(pk=f"VOLUNTEER#{neon_id}", sk=PROFILE_SK)
        actions = [
            _VolunteerItem.pref_slack_dm.set(preferences.slack_direct_messages),
            _VolunteerItem.pref_interest_shops.set(list(preferences.interest_shops)),
            _VolunteerItem.pref_notice_kinds.set(sorted(k.value for k in notices.kinds)),
            _VolunteerItem.pref_notice_channel.set(notices.channel.value),
            _VolunteerItem.pref_notice_mode.set(notices.mode.value),
        ]
        if notices.changed_at is not None:
            actions.append(_VolunteerItem.pref_notice_changed_at.set(notices.changed_at))
        writes = [
            update(key, actions, condition=_VolunteerItem.pk.exists(), tag="profile"),
            *(
                put(_WatchItem(pk=f"SHOPWATCH#{shop}", sk=f"VOLUNTEER#{neon_id}", neon_id=neon_id))
                for shop in watch
            ),
            *(delete(_WatchItem(pk=f"SHOPWATCH#{shop}", sk=f"VOLUNTEER#{neon_id}")) for shop in unwatch),
        ]
        try:
            DynamoUnitOfWork().commit(writes)
        except WriteRefused as refused:
            if "profile" in refused.tags:
                return False
            raise
        return True

    def get_many(self, neon_ids: Sequence[str]) -> dict[str, Volunteer]:
        """Profiles by id: one BatchGetItem per 100 (eventually consistent: preferences and
        certifications as of a moment ago are good enough for a notice)."""
        keys = [(f"VOLUNTEER#{n}", PROFILE_SK) for n in dict.fromkeys(neon_ids)]
        with storage_errors():
            return {item.neon_id: item.to_volunteer() for item in _VolunteerItem.batch_get(keys)}

    def shop_watchers(self, shop: str) -> list[str]:
        """Who asked to hear about new urgent repairs in ``shop``: one Query per 1 MB page."""
        out: list[str] = []
        start: dict[str, Any] | None = None
        while True:
            page = query_page(_WatchItem, f"SHOPWATCH#{shop}", limit=1000, start_key=start)
            out += [i.neon_id for i in page.items]
            start = page.last_key
            if not start:
                return out

    def dismiss_announcement(self, neon_id: str, announcement_id: str) -> bool:
        """ADD the id to the profile's set (idempotent); False when there is no profile."""
        key = _VolunteerItem(pk=f"VOLUNTEER#{neon_id}", sk=PROFILE_SK)
        return conditional_update(
            key, [_VolunteerItem.dismissed_announcements.add({announcement_id})], _VolunteerItem.pk.exists()
        )

    def leadership_writes(self, volunteer: Volunteer) -> Write:
        """Set the profile's ``roles`` and ``lead_of`` (an existing profile only), for a
        transaction with the shop edit that changed them."""
        return update(
            _VolunteerItem(pk=f"VOLUNTEER#{volunteer.neon_id}", sk=PROFILE_SK),
            [
                _VolunteerItem.roles.set(sorted(r.value for r in volunteer.roles)),
                _VolunteerItem.lead_of.set(list(volunteer.lead_of)),
            ],
            condition=_VolunteerItem.pk.exists(),
            tag=f"profile:{volunteer.neon_id}",
        )

    def end_sessions(self, neon_id: str) -> int:
        """Move the profile's session epoch on (every session started before ends); the new epoch."""
        key = _VolunteerItem(pk=f"VOLUNTEER#{neon_id}", sk=PROFILE_SK)
        if not conditional_update(key, [_VolunteerItem.session_epoch.add(1)], _VolunteerItem.pk.exists()):
            return 0  # no profile: no session of theirs can be valid anyway
        return int(key.session_epoch or 0)

    def list_by_name(self, *, prefix: str = "", limit: int = 50, cursor: str | None = None) -> VolunteerPage:
        prefix = prefix.strip().lower()
        scope = f"volunteers|{prefix}"
        start = cursors.decode(cursor, scope=scope, secret=self._secret, allowed_keys=INDEX_KEYS["GSI1"])
        page = query_page(
            _VolunteerItem,
            "VOLUNTEERS",
            index="GSI1",
            range_key_condition=_VolunteerItem.gsi1sk.startswith(prefix) if prefix else None,
            start_key=start,
            limit=limit,
        )
        return VolunteerPage(
            items=[i.to_volunteer() for i in page.items],
            next_cursor=cursors.encode(page.last_key, scope=scope, secret=self._secret),
        )

    # -- conditional writes for the task lifecycle ------------------------------------------
    # The counter ``open_claims`` moves only together with a claim record, under a condition on
    # that record, so the counter always equals the number of records and no slot is freed twice.

    def claim_writes(
        self,
        volunteer: Volunteer,
        claim: Claim,
        *,
        limit: int,
        required: tuple[str, ...],
        require_all: bool,
        enforce: bool = True,
        recorded: bool = False,
    ) -> list[Write]:
        """Take one of the volunteer's claim slots, only if they are still an active member with
        the shop's certifications and under the limit: decided by DynamoDB, not by Python.
        ``enforce=False`` (a lead's recorded override) only requires the profile to exist.

        The record is created on condition that it does not exist yet (tag ``claim_record``).
        ``recorded=True`` is the repair of a record left without its task (older data): the
        record is rewritten, on condition that it exists, and the counter, which already counts
        it, does not move; the eligibility is checked all the same."""
        key = _VolunteerItem(pk=f"VOLUNTEER#{volunteer.neon_id}", sk=PROFILE_SK)
        condition = _VolunteerItem.pk.exists()
        if enforce:
            room = limit + 1 if recorded else limit
            condition = (_VolunteerItem.membership_active == True) & (  # noqa: E712 - pynamodb condition
                _VolunteerItem.open_claims.does_not_exist() | (_VolunteerItem.open_claims < room)
            )
            certs = _certification_condition(required, require_all)
            if certs is not None:
                condition &= certs
        record = _ClaimItem(
            pk=f"VOLUNTEER#{claim.neon_id}",
            sk=f"CLAIM#{claim.task_id}",
            neon_id=claim.neon_id,
            task_id=claim.task_id,
            task_title=claim.task_title,
            shop=claim.shop,
            claimed_at=claim.claimed_at,
            due_at=claim.due_at,
        )
        if recorded:
            return [
                check(key, condition, tag="volunteer"),
                put(record, condition=_ClaimItem.pk.exists(), tag="claim_record"),
            ]
        return [
            update(key, [_VolunteerItem.open_claims.add(1)], condition=condition, tag="volunteer"),
            put(record, condition=_ClaimItem.pk.does_not_exist(), tag="claim_record"),
        ]

    def active_member_check(self, neon_id: str) -> Write:
        """The profile exists and its membership is active now (tag ``member``): decided by
        DynamoDB in the caller's transaction, not by the session's snapshot."""
        key = _VolunteerItem(pk=f"VOLUNTEER#{neon_id}", sk=PROFILE_SK)
        condition = _VolunteerItem.pk.exists() & (_VolunteerItem.membership_active == True)  # noqa: E712
        return check(key, condition, tag="member")

    def unclaim_writes(self, neon_id: str, task_id: str, *, recorded: bool = True) -> list[Write]:
        """Free the claim slot of ``task_id``: the record is deleted on condition that it exists
        (tag ``held_claim``) and the counter moves with it. ``recorded=False`` (a holder without
        a record, left by older data) moves nothing and checks that there is still no record."""
        record = _ClaimItem(pk=f"VOLUNTEER#{neon_id}", sk=f"CLAIM#{task_id}")
        if not recorded:
            return [check(record, _ClaimItem.pk.does_not_exist(), tag="held_claim")]
        key = _VolunteerItem(pk=f"VOLUNTEER#{neon_id}", sk=PROFILE_SK)
        return [
            update(key, [_VolunteerItem.open_claims.add(-1)]),
            delete(record, condition=_ClaimItem.pk.exists(), tag="held_claim"),
        ]

    def complete_writes(
        self,
        holder_id: str,
        holder_name: str,
        entry: HoursEntry,
        *,
        recorded: bool = True,
        progress: CompletionProgress | None = None,
        seen_rev: int | None = None,
    ) -> list[Write]:
        """Free the claim slot (as ``unclaim_writes``), log the (pending) hours and credit the
        points, lifetime and for the month's leaderboard, in the caller's transaction.

        With ``progress`` (judged on the profile as read at ``seen_rev``): the streak moves, the
        badges it names are put (each only if absent, tag ``badge``) and the profile update is
        conditioned on ``progress_rev`` still being ``seen_rev`` (tag ``progress``)."""
        profile = _VolunteerItem(pk=f"VOLUNTEER#{holder_id}", sk=PROFILE_SK)
        profile_actions = [
            _VolunteerItem.tasks_completed.add(1),
            _VolunteerItem.points_lifetime.add(entry.points),
            _VolunteerItem.hours_lifetime.add(entry.hours),
            _VolunteerItem.hours_pending.add(entry.hours),
            _VolunteerItem.hours_entries.add(1),
        ]
        condition = None
        extra: list[Write] = []
        if progress is not None and seen_rev is not None:
            profile_actions += [
                _VolunteerItem.progress_rev.add(1),
                _VolunteerItem.streak_days.set(progress.streak_days),
                _VolunteerItem.streak_last_day.set(progress.streak_last_day.isoformat()),
            ]
            if progress.badges:
                at = entry.completed_at.isoformat()
                profile_actions.append(_VolunteerItem.badges.add({f"{b.id}|{at}" for b in progress.badges}))
            condition = _progress_condition(seen_rev)
            extra = _badge_writes(holder_id, progress.badges, entry.completed_at, entry.task_id)
        claim = _ClaimItem(pk=f"VOLUNTEER#{holder_id}", sk=f"CLAIM#{entry.task_id}")
        if recorded:
            profile_actions.insert(0, _VolunteerItem.open_claims.add(-1))
            claim_write = delete(claim, condition=_ClaimItem.pk.exists(), tag="held_claim")
        else:
            claim_write = check(claim, _ClaimItem.pk.does_not_exist(), tag="held_claim")
        hours = _HoursItem.from_entry(entry)
        return [
            update(
                profile,
                profile_actions,
                condition=condition,
                tag="progress" if condition is not None else "",
            ),
            claim_write,
            put(hours, condition=_HoursItem.pk.does_not_exist(), tag="hours"),
            self._month_logged(holder_id, holder_name, entry, tasks=1),
            *extra,
        ]

    def _month_logged(self, neon_id: str, name: str, entry: HoursEntry, *, tasks: int) -> Write:
        month = _MonthItem(pk=f"VOLUNTEER#{neon_id}", sk=f"MONTH#{entry.month}")
        actions = [
            _MonthItem.item_type.set(_MonthItem),
            _MonthItem.neon_id.set(neon_id),
            _MonthItem.name.set(name),
            _MonthItem.month.set(entry.month),
            _MonthItem.gsi3pk.set(f"LEADERBOARD#{entry.month}"),
            _MonthItem.gsi3sk.add(entry.points),
            _MonthItem.points.add(entry.points),
            _MonthItem.hours.add(entry.hours),
            _MonthItem.hours_pending.add(entry.hours),
            _MonthItem.entries.add(1),
        ]
        if tasks:
            actions.append(_MonthItem.tasks.add(tasks))
        return update(month, actions)

    def report_writes(self, volunteer: Volunteer, entry: HoursEntry) -> list[Write]:
        """Self-reported hours, pending: the entry (a new key), the profile's and the month's
        counters; only while the member's membership is active (tag ``volunteer``)."""
        profile = _VolunteerItem(pk=f"VOLUNTEER#{volunteer.neon_id}", sk=PROFILE_SK)
        return [
            update(
                profile,
                [
                    _VolunteerItem.hours_lifetime.add(entry.hours),
                    _VolunteerItem.hours_pending.add(entry.hours),
                    _VolunteerItem.hours_entries.add(1),
                ],
                condition=_VolunteerItem.membership_active == True,  # noqa: E712 - pynamodb condition
                tag="volunteer",
            ),
            put(_HoursItem.from_entry(entry), condition=_HoursItem.pk.does_not_exist(), tag="hours"),
            self._month_logged(volunteer.neon_id, volunteer.name, entry, tasks=0),
        ]

    # -- reads for the volunteer's own pages ------------------------------------------------

    def claims(self, neon_id: str) -> list[Claim]:
        page = query_page(
            _ClaimItem,
            f"VOLUNTEER#{neon_id}",
            range_key_condition=_ClaimItem.sk.startswith("CLAIM#"),
            limit=100,
        )
        return sorted((i.to_claim() for i in page.items), key=lambda c: c.claimed_at, reverse=True)

    def hours(
        self,
        neon_id: str,
        *,
        month: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        search: str | None = None,
        status: HoursStatus | None = None,
    ) -> HoursPage:
        """One Query a page, newest first: the month as a sort-key range (its bounds in Austin
        time), search and status as a filter (the request reads ahead, so a filtered page is
        rarely short; a short page still carries a cursor when more may follow)."""
        search = (search or "").strip().lower() or None
        scope = f"hours|{neon_id}|{month or '*'}|{search or ''}|{status.value if status else ''}"
        start = cursors.decode(cursor, scope=scope, secret=self._secret, allowed_keys=INDEX_KEYS[None])
        if month:
            low, high = month_bounds(month)
            key_condition = _HoursItem.sk.between(f"HOURS#{low}", f"HOURS#{high}~")
        else:
            key_condition = _HoursItem.sk.startswith("HOURS#")
        filters = None
        if search:
            filters = _HoursItem.search_text.contains(search)
        if status is not None:
            by_status = _HoursItem.status == status.value
            filters = by_status if filters is None else filters & by_status
        page = query_page(
            _HoursItem,
            f"VOLUNTEER#{neon_id}",
            range_key_condition=key_condition,
            filter_condition=filters,
            read_ahead=HOURS_FILTER_READ_AHEAD if filters is not None else 1,
            newest_first=True,
            start_key=start,
            limit=limit,
        )
        return HoursPage(
            items=[i.to_entry() for i in page.items],
            next_cursor=cursors.encode(page.last_key, scope=scope, secret=self._secret),
        )

    def load_counters(self, neon_id: str) -> Load:
        return Load(pk=f"VOLUNTEER#{neon_id}", sk=PROFILE_SK, parse=lambda item: item.to_counters())

    def load_month(self, neon_id: str, month: str) -> Load:
        return Load(pk=f"VOLUNTEER#{neon_id}", sk=f"MONTH#{month}", parse=lambda item: item.to_totals())

    def load_rewards(self) -> Load:
        return Load(pk=REWARDS_KEY[0], sk=REWARDS_KEY[1], parse=lambda item: config_from_json(item.config))

    def rewards(self) -> RewardsConfig:
        with storage_errors():
            try:
                return config_from_json(_RewardsItem.get(*REWARDS_KEY).config)
            except _RewardsItem.DoesNotExist:
                return RewardsConfig()

    def save_rewards(self, config: RewardsConfig, *, by: str, at: datetime) -> None:
        item = _RewardsItem(
            pk=REWARDS_KEY[0], sk=REWARDS_KEY[1], config=config.to_json(), updated_by=by, updated_at=at
        )
        with storage_errors():
            item.save()

    def badge_ids(self, neon_id: str) -> list[str]:
        """The badge items of one person (tests, staff): one Query."""
        page = query_page(
            _BadgeItem,
            f"VOLUNTEER#{neon_id}",
            range_key_condition=_BadgeItem.sk.startswith("BADGE#"),
            limit=100,
        )
        return sorted(i.badge_id for i in page.items)

    def record(self, neon_id: str) -> VolunteerRecord:
        """One Query, newest first from the top of the partition: PROFILE, MONTH#..., HOURS#..."""
        page = query_page(
            TableItem,
            f"VOLUNTEER#{neon_id}",
            range_key_condition=TableItem.sk >= "HOURS#",
            newest_first=True,
            limit=STATS_READ_LIMIT,
        )
        profile = next((i for i in page.items if isinstance(i, _VolunteerItem)), None)
        months = {m.month: m.to_totals() for m in page.items if isinstance(m, _MonthItem) and m.month}
        recent = [h.to_entry() for h in page.items if isinstance(h, _HoursItem)]
        return VolunteerRecord(
            volunteer=profile.to_volunteer() if profile else None,
            lifetime_points=int(profile.points_lifetime or 0) if profile else 0,
            lifetime_hours=float(profile.hours_lifetime or 0) if profile else 0.0,
            pending_hours=float(profile.hours_pending or 0) if profile else 0.0,
            tasks_completed=int(profile.tasks_completed or 0) if profile else 0,
            months=months,
            recent_hours=recent,
        )

    def leaderboard(self, month: str, *, limit: int = 20) -> list[LeaderboardRow]:
        page = query_page(_MonthItem, f"LEADERBOARD#{month}", index="GSI3", newest_first=True, limit=limit)
        return [
            LeaderboardRow(
                rank=i,
                neon_id=m.neon_id or "",
                name=m.name or "",
                points=int(m.points or 0),
                hours=float(m.hours or 0),
                tasks=int(m.tasks or 0),
            )
            for i, m in enumerate(page.items, 1)
        ]

    # -- hours review (shop leads) ----------------------------------------------------------

    def pending_hours(
        self, *, shops: list[str] | None, limit: int = 100, cursor: str | None = None
    ) -> HoursPage:
        """A page of pending hours: one Query per page (all shops, in shop order), or for a lead
        one shop's queue after the other (a page that ends one shop goes on with the next).
        The cursor is ``{shop number}:{that Query's own signed cursor}``; each page is oldest first."""
        scopes: list[str | None] = [None] if shops is None else list(shops)
        index, inner = 0, None
        if cursor:
            head, _, rest = cursor.partition(":")
            if not head.isdigit() or int(head) >= len(scopes):
                raise cursors.InvalidCursor(
                    "This page link is no longer valid; start again from the first page."
                )
            index, inner = int(head), rest or None
        out: list[HoursEntry] = []
        while True:
            shop = scopes[index]
            scope = f"pending-hours|{shop or '*'}"
            start = cursors.decode(inner, scope=scope, secret=self._secret, allowed_keys=INDEX_KEYS["GSI2"])
            page = query_page(
                _HoursItem,
                "HOURS#PENDING",
                index="GSI2",
                limit=limit - len(out),
                range_key_condition=_HoursItem.gsi2sk.startswith(f"{shop}#") if shop else None,
                start_key=start,
            )
            out += [i.to_entry() for i in page.items]
            following = cursors.encode(page.last_key, scope=scope, secret=self._secret)
            if following:
                return HoursPage(items=_oldest_first(out), next_cursor=f"{index}:{following}")
            if index + 1 >= len(scopes):
                return HoursPage(items=_oldest_first(out), next_cursor=None)
            index, inner = index + 1, None
            if len(out) >= limit:
                return HoursPage(items=_oldest_first(out), next_cursor=f"{index}:")

    def approved_hours(
        self, month: str, *, shop: str | None = None, limit: int = 500, cursor: str | None = None
    ) -> HoursPage:
        """Approved hours completed in ``month`` (YYYY-MM), one shop or all: one Query a page."""
        scope = f"approved-hours|{month}|{shop or '*'}"
        start = cursors.decode(cursor, scope=scope, secret=self._secret, allowed_keys=INDEX_KEYS["GSI2"])
        page = query_page(
            _HoursItem,
            f"HOURS#APPROVED#{month}",
            index="GSI2",
            range_key_condition=_HoursItem.gsi2sk.startswith(f"{shop}#") if shop else None,
            start_key=start,
            limit=limit,
        )
        return HoursPage(
            items=[i.to_entry() for i in page.items],
            next_cursor=cursors.encode(page.last_key, scope=scope, secret=self._secret),
        )

    def load_hours(self, neon_id: str, key: str) -> Load:
        return Load(pk=f"VOLUNTEER#{neon_id}", sk=f"HOURS#{key}", parse=lambda item: item.to_entry())

    def review_writes(
        self,
        entry: HoursEntry,
        *,
        approve: bool,
        reviewer: str,
        badges: tuple[Badge, ...] = (),
        seen_rev: int | None = None,
        at: datetime | None = None,
    ) -> list[Write]:
        """Approve or reject pending hours: only if still pending. Rejected hours leave the
        volunteer's totals (the points stay: they were for the repair, not the hours). Approved
        hours move the approved counters (lifetime, and the entry's month with its kind); with
        ``seen_rev`` the profile is conditioned on it (tag ``progress``) and ``badges`` are
        put, each only if absent (tag ``badge``)."""
        status = HoursStatus.APPROVED if approve else HoursStatus.REJECTED
        item = _HoursItem(pk=f"VOLUNTEER#{entry.neon_id}", sk=f"HOURS#{entry.key}")
        hours_actions = [_HoursItem.status.set(status.value), _HoursItem.reviewed_by.set(reviewer)]
        if approve:  # approved hours are listed per month (exports for Asmbly's board reports)
            hours_actions += [
                _HoursItem.gsi2pk.set(f"HOURS#APPROVED#{entry.month}"),
                _HoursItem.gsi2sk.set(f"{entry.shop}#{stamp(entry.completed_at)}#{entry.neon_id}"),
            ]
        else:
            hours_actions += [_HoursItem.gsi2pk.remove(), _HoursItem.gsi2sk.remove()]
        profile_actions = [_VolunteerItem.hours_pending.add(-entry.hours)]
        month = _MonthItem(pk=f"VOLUNTEER#{entry.neon_id}", sk=f"MONTH#{entry.month}")
        month_actions = [_MonthItem.hours_pending.add(-entry.hours)]
        condition = None
        extra: list[Write] = []
        if approve:
            profile_actions.append(_VolunteerItem.hours_approved.add(entry.hours))
            month_actions += [
                _MonthItem.hours_approved.add(entry.hours),
                getattr(_MonthItem, f"approved_{entry.kind.value}").add(1),
            ]
            if seen_rev is not None:
                when = at or datetime.now(UTC)
                profile_actions.append(_VolunteerItem.progress_rev.add(1))
                if badges:
                    profile_actions.append(
                        _VolunteerItem.badges.add({f"{b.id}|{when.isoformat()}" for b in badges})
                    )
                condition = _progress_condition(seen_rev)
                extra = _badge_writes(entry.neon_id, badges, when, entry.task_id)
        else:
            profile_actions.append(_VolunteerItem.hours_lifetime.add(-entry.hours))
            month_actions.append(_MonthItem.hours.add(-entry.hours))
        return [
            update(
                item, hours_actions, condition=_HoursItem.status == HoursStatus.PENDING.value, tag="hours"
            ),
            update(
                _VolunteerItem(pk=f"VOLUNTEER#{entry.neon_id}", sk=PROFILE_SK),
                profile_actions,
                condition=condition,
                tag="progress" if condition is not None else "",
            ),
            update(month, month_actions),
            *extra,
        ]
