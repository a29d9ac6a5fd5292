"""One sweep run with its bookkeeping (the command and the scheduled Lambda share it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.sync_state import SweepRun

from .sync import SweepReport, sweep


def run_sweep(container: Any, *, full: bool, progress: Callable[[int], None] | None = None) -> SweepReport:
    state = container.sync_state.get("clickup")
    started = container.clock()
    deps = container.clickup_sync()
    list_ids = set(deps.mapping.lists)

    def known() -> set[str]:
        shops = [s.slug for s in container.shop_directory.all()]
        return {t.id for t in container.tasks.all_in_shops(shops) if t.list_id in list_ids}

    report = sweep(
        deps, since_ms=state.sweep_watermark_ms, full=full, known_task_ids=known, progress=progress
    )
    run = SweepRun(
        service="clickup",
        started_at=started,
        full=full,
        finished_at=container.clock(),
        stats=report.as_stats(),
    )
    drift = {k: v[:200] for k, v in report.drift.items()} if full else None
    container.sync_state.record_sweep("clickup", run, watermark_ms=report.watermark_ms, drift=drift)
    return report
