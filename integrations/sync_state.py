"""What the sync knows about itself: last event, last sweep, counts, drift, sweep runs.

  PK=SYNC#{service}  SK=STATE          counters (ADD) and timestamps
  PK=SYNC#{service}  SK=RUN#{started}  one sweep: what it fetched and changed
Staff pages read both with one Query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from voldash_site.dynamodb.items import TableItem, ensure_configured, query_page, stamp, storage_errors

KEEP_RUNS_DAYS = 90


@dataclass(frozen=True)
class SyncState:
    service: str
    last_event_at: datetime | None = None
    events_processed: int = 0
    events_failed: int = 0
    last_sweep_at: datetime | None = None
    sweep_watermark_ms: int | None = None  # ClickUp date_updated the next sweep starts from
    last_full_sweep_at: datetime | None = None
    drift: dict[str, Any] = field(default_factory=dict)
    # ClickUp webhooks registered by `manage.py clickup_webhooks`: {id, list_id, endpoint,
    # status, fail_count, checked_at, secret}. The secret verifies X-Signature; never shown.
    webhooks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SweepRun:
    service: str
    started_at: datetime
    full: bool
    finished_at: datetime | None = None
    stats: dict[str, Any] = field(default_factory=dict)


class _StateItem(TableItem, discriminator="SyncState"):
    service = UnicodeAttribute()
    last_event_at = UTCDateTimeAttribute(null=True)
    events_processed = NumberAttribute(null=True)
    events_failed = NumberAttribute(null=True)
    last_sweep_at = UTCDateTimeAttribute(null=True)
    sweep_watermark_ms = NumberAttribute(null=True)
    last_full_sweep_at = UTCDateTimeAttribute(null=True)
    drift = JSONAttribute(null=True)
    webhooks = JSONAttribute(null=True)


class _RunItem(TableItem, discriminator="SweepRun"):
    service = UnicodeAttribute()
    started_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    full = NumberAttribute(default=0)
    stats = JSONAttribute(null=True)


class SyncStateRepository:
    def __init__(self) -> None:
        ensure_configured()

    def _state_key(self, service: str) -> _StateItem:
        return _StateItem(pk=f"SYNC#{service}", sk="STATE")

    def _upsert(self, service: str, actions: list[Any]) -> None:
        actions = [_StateItem.item_type.set(_StateItem), _StateItem.service.set(service), *actions]
        with storage_errors():
            self._state_key(service).update(actions=actions)

    def record_event(self, service: str, at: datetime, *, ok: bool) -> None:
        counter = _StateItem.events_processed if ok else _StateItem.events_failed
        self._upsert(service, [_StateItem.last_event_at.set(at), counter.add(1)])

    def record_sweep(
        self, service: str, run: SweepRun, *, watermark_ms: int | None, drift: dict | None
    ) -> None:
        actions: list[Any] = [_StateItem.last_sweep_at.set(run.finished_at or run.started_at)]
        if watermark_ms is not None:
            actions.append(_StateItem.sweep_watermark_ms.set(watermark_ms))
        if run.full:
            actions += [
                _StateItem.last_full_sweep_at.set(run.finished_at or run.started_at),
                _StateItem.drift.set(drift or {}),
            ]
        self._upsert(service, actions)
        item = _RunItem(
            pk=f"SYNC#{service}",
            sk=f"RUN#{stamp(run.started_at)}",
            service=service,
            started_at=run.started_at,
            finished_at=run.finished_at,
            full=1 if run.full else 0,
            stats=run.stats,
            expires_at=int((run.started_at + timedelta(days=KEEP_RUNS_DAYS)).timestamp()),
        )
        with storage_errors():
            item.save()

    def record_webhooks(self, service: str, webhooks: list[dict[str, Any]]) -> None:
        self._upsert(service, [_StateItem.webhooks.set(webhooks)])

    def get(self, service: str) -> SyncState:
        with storage_errors():
            try:
                item = _StateItem.get(f"SYNC#{service}", "STATE", consistent_read=True)
            except _StateItem.DoesNotExist:
                return SyncState(service)
        return SyncState(
            service=service,
            last_event_at=item.last_event_at,
            events_processed=int(item.events_processed or 0),
            events_failed=int(item.events_failed or 0),
            last_sweep_at=item.last_sweep_at,
            sweep_watermark_ms=int(item.sweep_watermark_ms) if item.sweep_watermark_ms is not None else None,
            last_full_sweep_at=item.last_full_sweep_at,
            drift=dict(item.drift or {}),
            webhooks=list(item.webhooks or []),
        )

    def runs(self, service: str, *, limit: int = 20) -> list[SweepRun]:
        page = query_page(
            _RunItem,
            f"SYNC#{service}",
            range_key_condition=_RunItem.sk.startswith("RUN#"),
            newest_first=True,
            limit=limit,
        )
        return [
            SweepRun(
                service=r.service,
                started_at=r.started_at,
                full=bool(r.full),
                finished_at=r.finished_at,
                stats=dict(r.stats or {}),
            )
            for r in page.items
        ]
