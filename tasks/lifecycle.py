"""Claim, release and complete: each one DynamoDB transaction (the task with a condition, a
history item, the volunteer's counters and records, outbox messages). Concurrency is decided
by those conditions; Python only explains a refusal."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from integrations.outbox.domain import Channel, OutboxMessage
from shops.domain import CertificationRule, Shop
from voldash_site.errors import Conflict, Forbidden, InvalidInput, NotFound, SessionEnded, WriteRefused
from volunteers import badges
from volunteers.domain import MAKERSPACE_TZ, Claim, HoursEntry, HoursStatus, Volunteer

from .domain import (
    MAX_HOURS_PER_TASK,
    Assignee,
    HistoryAction,
    HistoryEntry,
    HistorySource,
    Refusal,
    Task,
    TaskStatus,
    claim_eligibility,
)

MAX_NOTE_LENGTH = 2000
CONFLICT_RETRIES = 3
# A completion also retries when another completion or approval of the same person moved their
# recognition counters first (each retry reads again; concurrent completions of one person are rare).
BADGE_RETRIES = 6


class UnitOfWork(Protocol):
    def load(self, *loads: Any) -> list[Any]: ...

    def commit(self, writes: Any, *, idempotency_token: str | None = None, witness: Any = None) -> None: ...


class ShopLookup(Protocol):
    def get(self, slug: str) -> Shop | None: ...


@dataclass
class LifecycleDeps:
    tasks: Any  # TaskRepository
    volunteers: Any  # VolunteerRepository
    outbox: Any  # OutboxRepository
    shops: ShopLookup
    uow: UnitOfWork
    clock: Callable[[], datetime]
    claim_limit: int = 3
    # The session epoch of the signed-in actor (the API's task actions): checked against the
    # profile read with the task, instead of a read of its own before the action (issue 26).
    session_epoch: int | None = None


@dataclass(frozen=True)
class ActionResult:
    task: Task
    actor: Volunteer
    actor_open_claims: int


def _load(deps: LifecycleDeps, task_id: str, actor_id: str) -> tuple[Task, Volunteer]:
    task, actor = deps.uow.load(deps.tasks.load(task_id), deps.volunteers.load(actor_id))
    if deps.session_epoch is not None and (actor is None or actor.session_epoch != deps.session_epoch):
        raise SessionEnded("Log in first.")
    if task is None or task.deleted:
        raise NotFound(f"No task with id {task_id!r}.", detail={"id": task_id})
    if actor is None:
        raise Forbidden("We have no profile for you; log in again.", code="profile_missing")
    return task, actor


def _write_back(
    task: Task,
    action: str,
    actor: Volunteer,
    shop: Shop | None,
    previous: Assignee | None,
    now: datetime,
    text: str,
) -> list[OutboxMessage]:
    """ClickUp status/assignee write-back and a Slack note to the shop's channel."""
    assignee = task.assignee
    clickup = OutboxMessage(
        channel=Channel.CLICKUP,
        action=action,
        task_id=task.id,
        created_at=now,
        payload={
            "list_id": task.list_id,
            "status": task.status.value,
            "assignee": _person(assignee),
            "previous_assignee": _person(previous),
            "actor": {"neon_id": actor.neon_id, "name": actor.name, "clickup_user_id": actor.clickup_user_id},
            "comment": text,
        },
    )
    slack = OutboxMessage(
        channel=Channel.SLACK,
        action=action,
        task_id=task.id,
        created_at=now,
        payload={
            "shop": task.shop,
            "channel": shop.slack_channel if shop else None,
            "text": text,
            "task_title": task.title,
            "task_url": task.clickup_url,
        },
    )
    return [clickup, slack]


def _person(who: Assignee | None) -> dict[str, Any] | None:
    if who is None:
        return None
    return {"neon_id": who.neon_id, "name": who.name, "clickup_user_id": who.clickup_user_id}


def _history(
    task: Task,
    action: HistoryAction,
    actor: Volunteer,
    source: HistorySource,
    now: datetime,
    to: Task,
    **extra: Any,
) -> HistoryEntry:
    return HistoryEntry(
        task_id=task.id,
        at=now,
        action=action,
        source=source,
        actor_id=actor.neon_id,
        actor_name=actor.name,
        from_status=task.status,
        to_status=to.status,
        assignee_id=to.assignee.neon_id
        if to.assignee
        else (task.assignee.neon_id if task.assignee else None),
        assignee_name=to.assignee.name if to.assignee else (task.assignee.name if task.assignee else None),
        event_id=uuid.uuid4().hex[:12],
        task_title=task.title,
        shop=task.shop,
        **extra,
    )


def _witness(writes: list) -> Any:
    """The history entry: a new item under a unique key, written only by this transaction, so
    its presence proves the transaction was applied when DynamoDB's answer is lost (a timeout)."""
    return next(w for w in writes if getattr(w, "tag", "") == "history")


def _commit(deps: LifecycleDeps, writes: list, *, on_task: str, last: bool = True) -> bool | None:
    """Commit a release or completion. False: the holder's claim record was not as assumed
    (``held_claim`` refused) and the caller should build the writes again the other way.
    None: the holder's recognition counters moved meanwhile (another completion or approval of
    theirs: ``progress`` or ``badge`` refused); the caller reads again and judges the badges anew."""
    try:
        deps.uow.commit(writes, witness=_witness(writes))
    except WriteRefused as refused:
        if "task" in refused.tags or (refused.conflict and not refused.tags):
            raise Conflict(on_task, code="task_changed") from refused
        if "held_claim" in refused.tags and not last:
            return False
        if refused.tags & {"progress", "badge"} and not last:
            return None
        raise
    return True


def _badge_history(
    deps: LifecycleDeps, entry: HoursEntry, holder: Volunteer | None, earned: tuple, source: HistorySource
) -> list:
    """One public activity entry per badge earned ("Alex earned the Fixer badge"), in the task's
    (or the self-reported entry's) history, written in the transaction that earned it; ``at``
    is the entry's ``completed_at`` (the caller passes the moment of the completion or approval)."""
    if holder is None:
        return []
    return [
        deps.tasks.history_write(
            HistoryEntry(
                task_id=entry.task_id,
                at=entry.completed_at + timedelta(microseconds=n),  # listed after what earned it
                action=HistoryAction.BADGE_EARNED,
                source=source,
                actor_id=holder.neon_id,
                actor_name=holder.name,
                assignee_id=holder.neon_id,
                assignee_name=holder.name,
                note=badge.name,
                event_id=uuid.uuid4().hex[:12],
                task_title=entry.task_title,
                shop=entry.shop,
            )
        )
        for n, badge in enumerate(earned, 1)
    ]


def claim_task(
    *, task_id: str, actor_id: str, deps: LifecycleDeps, source: HistorySource = HistorySource.API
) -> ActionResult:
    recorded = False  # a claim record for this task exists already (only left by older data)
    for attempt in range(CONFLICT_RETRIES):
        task, actor = _load(deps, task_id, actor_id)
        shop = deps.shops.get(task.shop)
        missing = tuple(c.name for c in shop.missing_certifications(actor.certifications)) if shop else ()
        verdict = claim_eligibility(
            task=task,
            membership_active=actor.membership_active,
            missing_certifications=missing,
            open_claims=actor.open_claims,
            claim_limit=deps.claim_limit,
        )
        if not verdict.can_claim:
            if verdict.reason and verdict.reason.value == "task_not_open":
                raise Conflict(
                    "This task is not open: someone holds it, or it is on hold or done.",
                    code="task_not_open",
                    detail={"status": task.status.value},
                )
            raise Forbidden(
                verdict.message or "You cannot claim this task.",
                code=verdict.reason.value,
                detail={"missing_certifications": list(verdict.missing_certifications)},
            )
        now = deps.clock()
        assignee = Assignee(actor.neon_id, actor.name, actor.clickup_user_id)
        claimed = task.with_changes(status=TaskStatus.IN_PROGRESS, assignee=assignee, updated_at=now)
        text = f"{actor.name} claimed \u201c{task.title}\u201d ({task.shop}) on the Volunteer Dashboard."
        writes = [
            *deps.tasks.transition_writes(task, to_status=claimed.status, assignee=assignee, at=now),
            deps.tasks.history_write(_history(task, HistoryAction.CLAIMED, actor, source, now, claimed)),
            *deps.volunteers.claim_writes(
                actor,
                Claim(actor.neon_id, task.id, task.title, task.shop, now, task.due_at),
                limit=deps.claim_limit,
                required=tuple(c.neon_field_id for c in shop.required_certifications) if shop else (),
                require_all=bool(shop and shop.certification_rule is CertificationRule.ALL),
                recorded=recorded,
            ),
            *deps.outbox.enqueue_writes(_write_back(claimed, "task.claimed", actor, shop, None, now, text)),
        ]
        try:
            deps.uow.commit(writes, witness=_witness(writes))
        except WriteRefused as refused:
            if "task" in refused.tags:
                raise Conflict("Someone else claimed this task first.", code="task_not_open") from refused
            if "claim_record" in refused.tags and attempt + 1 < CONFLICT_RETRIES:
                recorded = not recorded  # the record's existence was not what we assumed: look again
                continue
            if refused.conflict and not refused.tags and attempt + 1 < CONFLICT_RETRIES:
                continue  # a concurrent transaction touched the same items: look again
            if refused.conflict and not refused.tags:
                raise Conflict(
                    "This task is being changed right now; try again.", code="task_changed"
                ) from refused
            # The volunteer's condition failed: their profile changed since we read it.
            raise Forbidden(
                "Your membership, certifications or open claims changed; refresh and try again.",
                code="eligibility_changed",
            ) from refused
        return ActionResult(
            task=claimed, actor=actor, actor_open_claims=actor.open_claims + (0 if recorded else 1)
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _require_holder_or_lead(task: Task, actor: Volunteer, verb: str) -> Assignee:
    if task.status not in (TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD) or task.assignee is None:
        raise Conflict(
            f"Only a claimed task can be {verb}.",
            code="task_not_claimed",
            detail={"status": task.status.value},
        )
    if task.assignee.neon_id != actor.neon_id and not actor.leads_shop(task.shop):
        raise Forbidden(
            f"Only the volunteer holding this task or a lead of its shop can mark it {verb}.",
            code="not_your_task",
        )
    return task.assignee


@dataclass(frozen=True)
class AutoRelease:
    """A release voldash makes itself (tasks/upkeep): the claim of ``holder_id`` on a task that
    has not changed since ``quiet_since``; ``notices(task, holder, now)`` adds messages (the
    notice to the holder) to the same transaction; ``text`` is the shop channel's note."""

    holder_id: str
    quiet_since: datetime
    text: str
    notices: Callable[[Task, Assignee, datetime], list[OutboxMessage]] = lambda task, holder, now: []


def release_task(
    *,
    task_id: str,
    actor_id: str,
    deps: LifecycleDeps,
    reason: str | None = None,
    source: HistorySource = HistorySource.API,
    auto: AutoRelease | None = None,
) -> ActionResult:
    if reason is not None and len(reason) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"reason is longer than {MAX_NOTE_LENGTH} characters", field="reason")
    held = True  # the holder's claim record exists (as it must); flipped if DynamoDB says otherwise
    for attempt in range(CONFLICT_RETRIES):
        task, actor = _load(deps, task_id, actor_id)
        holder = _require_holder_or_lead(task, actor, "released")
        if auto is not None and (holder.neon_id != auto.holder_id or task.updated_at > auto.quiet_since):
            raise Conflict("This claim moved since it was found quiet; it stays.", code="task_changed")
        shop = deps.shops.get(task.shop)
        now = deps.clock()
        released = task.with_changes(status=TaskStatus.OPEN, assignee=None, updated_at=now)
        by = "" if holder.neon_id == actor.neon_id else f" (released by {actor.name})"
        text = f"{holder.name} released \u201c{task.title}\u201d ({task.shop}){by}; it is open again."
        history = _history(task, HistoryAction.RELEASED, actor, source, now, released, note=reason)
        if auto is not None:  # voldash acts, not the holder; only if the task is still as quiet
            text = auto.text
            history = replace(history, actor_id=None, actor_name="voldash")
        writes = [
            *deps.tasks.transition_writes(
                task,
                to_status=TaskStatus.OPEN,
                assignee=None,
                at=now,
                **({"unchanged_since": auto.quiet_since} if auto is not None else {}),
            ),
            deps.tasks.history_write(history),
            *deps.volunteers.unclaim_writes(holder.neon_id, task.id, recorded=held),
            *deps.outbox.enqueue_writes(
                _write_back(released, "task.released", actor, shop, holder, now, text)
                + (auto.notices(task, holder, now) if auto is not None else [])
            ),
        ]
        if _commit(
            deps,
            writes,
            on_task="This task changed while you were releasing it; refresh and try again.",
            last=attempt + 1 == CONFLICT_RETRIES,
        ):
            return _handed_back(released, actor, holder, freed=held)
        held = not held
    raise AssertionError("unreachable")  # pragma: no cover


def _handed_back(task: Task, actor: Volunteer, holder: Assignee, *, freed: bool = True) -> ActionResult:
    """The result of a release or completion: the holder's claim is freed, so the actor has
    one claim fewer when they were the holder (and a claim record was there to free)."""
    own = holder.neon_id == actor.neon_id and freed
    return ActionResult(
        task=task, actor=actor, actor_open_claims=max(0, actor.open_claims - (1 if own else 0))
    )


def complete_task(
    *,
    task_id: str,
    actor_id: str,
    hours: float,
    deps: LifecycleDeps,
    note: str | None = None,
    source: HistorySource = HistorySource.API,
) -> ActionResult:
    if not 0 < hours <= MAX_HOURS_PER_TASK:
        raise InvalidInput(
            f"hours must be more than 0 and at most {MAX_HOURS_PER_TASK}, got {hours}", field="hours"
        )
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"note is longer than {MAX_NOTE_LENGTH} characters", field="note")
    held = True  # the holder's claim record exists (as it must); flipped if DynamoDB says otherwise
    for attempt in range(BADGE_RETRIES):
        task, actor = _load(deps, task_id, actor_id)
        holder = _require_holder_or_lead(task, actor, "complete")
        shop = deps.shops.get(task.shop)
        now = deps.clock()
        # The holder's recognition counters as read: the badges this completion earns.
        [profile] = (
            [actor]
            if holder.neon_id == actor.neon_id
            else deps.uow.load(deps.volunteers.load(holder.neon_id))
        )
        progress = badges.on_completion(profile, now.astimezone(MAKERSPACE_TZ).date()) if profile else None
        done = task.with_changes(status=TaskStatus.DONE, updated_at=now)
        credited = round(float(hours), 2)
        entry = HoursEntry(
            neon_id=holder.neon_id,
            task_id=task.id,
            task_title=task.title,
            shop=task.shop,
            hours=credited,
            points=task.points,
            completed_at=now,
            note=note,
        )
        text = f"{holder.name} completed \u201c{task.title}\u201d ({task.shop}) in {credited:g} h. Thank you!"
        writes = [
            *deps.tasks.transition_writes(task, to_status=TaskStatus.DONE, assignee=holder, at=now),
            deps.tasks.history_write(
                _history(task, HistoryAction.COMPLETED, actor, source, now, done, note=note, hours=credited)
            ),
            *deps.volunteers.complete_writes(
                holder.neon_id,
                holder.name,
                entry,
                recorded=held,
                progress=progress,
                seen_rev=profile.progress_rev if profile else None,
            ),
            *_badge_history(deps, entry, profile, progress.badges if progress else (), source),
            *deps.outbox.enqueue_writes(_write_back(done, "task.completed", actor, shop, holder, now, text)),
        ]
        outcome = _commit(
            deps,
            writes,
            on_task="This task changed while you were completing it; refresh and try again.",
            last=attempt + 1 == BADGE_RETRIES,
        )
        if outcome:
            return _handed_back(done, actor, holder, freed=held)
        if outcome is False:
            held = not held
    raise AssertionError("unreachable")  # pragma: no cover


def _third_person(verdict: Any, person: Any, claim_limit: int) -> str:
    """Why ``person`` (not the lead reading it) may not take a task."""
    if verdict.reason is Refusal.MISSING_CERTIFICATIONS:
        return f"{person.name} is missing {', '.join(verdict.missing_certifications)}."
    if verdict.reason is Refusal.NOT_A_MEMBER:
        return f"{person.name}'s Asmbly membership is not active."
    if verdict.reason is Refusal.CLAIM_LIMIT:
        return f"{person.name} already holds {person.open_claims} tasks (the limit is {claim_limit})."
    return verdict.message


def reassign_task(
    *,
    task_id: str,
    actor_id: str,
    new_assignee_id: str,
    deps: LifecycleDeps,
    reason: str | None = None,
    override: bool = False,
    source: HistorySource = HistorySource.STAFF,
) -> ActionResult:
    """A shop lead gives a task to someone. The new assignee must be eligible like any claim,
    unless the lead overrides, which needs a reason (recorded in the history)."""
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"reason is longer than {MAX_NOTE_LENGTH} characters", field="reason")
    task, actor, new = deps.uow.load(
        deps.tasks.load(task_id), deps.volunteers.load(actor_id), deps.volunteers.load(new_assignee_id)
    )
    if task is None or task.deleted:
        raise NotFound(f"No task with id {task_id!r}.", detail={"id": task_id})
    if actor is None or not actor.leads_shop(task.shop):
        raise Forbidden("Only a lead of this task's shop (or staff) can reassign it.", code="not_a_lead")
    if new is None:
        raise NotFound(f"No volunteer {new_assignee_id!r}.", detail={"neon_id": new_assignee_id})
    if task.status is TaskStatus.DONE:
        raise Conflict("A finished task cannot be reassigned.", code="task_done")
    if task.assignee is not None and task.assignee.neon_id == new.neon_id:
        raise Conflict(f"{new.name} already holds this task.", code="already_assigned")
    shop = deps.shops.get(task.shop)
    missing = tuple(c.name for c in shop.missing_certifications(new.certifications)) if shop else ()
    open_task = task.with_changes(status=TaskStatus.OPEN, assignee=None)  # judge the person, not the task
    verdict = claim_eligibility(
        task=open_task,
        membership_active=new.membership_active,
        missing_certifications=missing,
        open_claims=new.open_claims,
        claim_limit=deps.claim_limit,
    )
    if not verdict.can_claim and not override:
        raise Forbidden(
            f"{new.name} cannot take this task: {_third_person(verdict, new, deps.claim_limit)}",
            code=verdict.reason.value if verdict.reason else "not_eligible",
            detail={
                "missing_certifications": list(verdict.missing_certifications),
                "override": "a lead may override with a reason",
            },
        )
    if override and not verdict.can_claim and not reason:
        raise InvalidInput(
            "An override needs a reason (it is recorded in the task's history).", field="reason"
        )
    now = deps.clock()
    previous = task.assignee
    assignee = Assignee(new.neon_id, new.name, new.clickup_user_id)
    to_status = task.status if task.status is TaskStatus.ON_HOLD else TaskStatus.IN_PROGRESS
    moved = task.with_changes(status=to_status, assignee=assignee, updated_at=now)
    note = reason
    if override and not verdict.can_claim:
        note = f"override ({verdict.reason.value if verdict.reason else 'not eligible'}): {reason}"
    text = f"{actor.name} assigned \u201c{task.title}\u201d ({task.shop}) to {new.name}."
    # Whether the previous holder's and the new assignee's claim records exist: as they must
    # (yes, no), flipped when DynamoDB's conditions say otherwise (older data).
    held, recorded = True, False
    for attempt in range(CONFLICT_RETRIES):
        writes = [
            *deps.tasks.transition_writes(task, to_status=to_status, assignee=assignee, at=now),
            deps.tasks.history_write(
                _history(
                    task,
                    HistoryAction.REASSIGNED,
                    actor,
                    source,
                    now,
                    moved,
                    note=note,
                    previous_assignee_id=previous.neon_id if previous else None,
                )
            ),
            *(deps.volunteers.unclaim_writes(previous.neon_id, task.id, recorded=held) if previous else []),
            *deps.volunteers.claim_writes(
                new,
                Claim(new.neon_id, task.id, task.title, task.shop, now, task.due_at),
                limit=deps.claim_limit,
                required=tuple(c.neon_field_id for c in shop.required_certifications) if shop else (),
                require_all=bool(shop and shop.certification_rule is CertificationRule.ALL),
                enforce=verdict.can_claim,
                recorded=recorded,
            ),
            *deps.outbox.enqueue_writes(
                _write_back(moved, "task.reassigned", actor, shop, previous, now, text)
            ),
        ]
        try:
            deps.uow.commit(writes, witness=_witness(writes))
        except WriteRefused as refused:
            if "task" in refused.tags or refused.conflict:
                raise Conflict(
                    "This task changed meanwhile; refresh and try again.", code="task_changed"
                ) from refused
            flips = {"held_claim", "claim_record"} & refused.tags
            if flips and attempt + 1 < CONFLICT_RETRIES:
                held ^= "held_claim" in flips
                recorded ^= "claim_record" in flips
                continue
            raise Forbidden(
                f"{new.name}'s membership, certifications or claims changed; refresh and try again.",
                code="eligibility_changed",
            ) from refused
        break
    return ActionResult(task=moved, actor=actor, actor_open_claims=actor.open_claims)


def review_hours(
    *, neon_id: str, key: str, actor_id: str, approve: bool, deps: LifecycleDeps, reason: str | None = None
) -> HoursEntry:
    """A lead of the task's shop (or staff) approves or rejects pending hours; the decision is
    written to the task's history in the same transaction."""
    for attempt in range(BADGE_RETRIES):
        entry, actor, person = deps.uow.load(
            deps.volunteers.load_hours(neon_id, key),
            deps.volunteers.load(actor_id),
            deps.volunteers.load(neon_id),
        )
        try:
            return _review_once(entry, actor, person, neon_id, key, approve, deps, reason)
        except WriteRefused as refused:
            again = refused.tags & {"progress", "badge"} and "hours" not in refused.tags
            if again and attempt + 1 < BADGE_RETRIES:
                continue  # another completion or approval of this person came first: judge again
            if again:
                raise Conflict("This person's hours changed meanwhile; try again.") from refused
            raise Conflict("These hours were reviewed meanwhile.", code="already_reviewed") from refused
    raise AssertionError("unreachable")  # pragma: no cover


def _review_once(
    entry: HoursEntry | None,
    actor: Volunteer | None,
    person: Volunteer | None,
    neon_id: str,
    key: str,
    approve: bool,
    deps: LifecycleDeps,
    reason: str | None,
) -> HoursEntry:
    if entry is None:
        raise NotFound("No such hours entry.", detail={"neon_id": neon_id, "key": key})
    if actor is None or not actor.leads_shop(entry.shop):
        raise Forbidden("Only a lead of this shop (or staff) can review these hours.", code="not_a_lead")
    if actor.neon_id == entry.neon_id:
        raise Forbidden(
            "Nobody reviews their own hours: another lead of the shop or staff must.", code="own_hours"
        )
    if entry.status is not HoursStatus.PENDING:
        raise Conflict(f"These hours were already {entry.status.value.lower()}.", code="already_reviewed")
    if not approve and not (reason or "").strip():
        raise InvalidInput(
            "Rejecting hours needs a reason (the volunteer will see it in the history).", field="reason"
        )
    now = deps.clock()
    history = HistoryEntry(
        task_id=entry.task_id,
        at=now,
        action=HistoryAction.HOURS_APPROVED if approve else HistoryAction.HOURS_REJECTED,
        source=HistorySource.STAFF,
        actor_id=actor.neon_id,
        actor_name=actor.name,
        assignee_id=entry.neon_id,
        note=(reason or "").strip() or None,
        hours=entry.hours,
        event_id=uuid.uuid4().hex[:12],
        task_title=entry.task_title,
        shop=entry.shop,
    )
    earned = badges.on_approval(person, entry.hours) if approve and person else ()
    writes = [
        *deps.volunteers.review_writes(
            entry,
            approve=approve,
            reviewer=actor.name,
            badges=earned,
            seen_rev=person.progress_rev if approve and person else None,
            at=now,
        ),
        deps.tasks.history_write(history),
        *_badge_history(deps, replace(entry, completed_at=now), person, earned, HistorySource.STAFF),
    ]
    deps.uow.commit(writes, witness=_witness(writes))
    return entry
