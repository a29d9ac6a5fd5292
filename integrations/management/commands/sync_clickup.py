"""Reconcile with ClickUp: pull what changed since the last sweep (or everything with --full)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from integrations.clickup.sweep_run import run_sweep
from integrations.http import IntegrationError
from voldash_site.container import get_container


class Command(BaseCommand):
    help = (
        "Pull ClickUp tasks updated since the last sweep (with a 5-minute overlap) and apply them. "
        "--full pulls every task, marks tasks ClickUp no longer has as deleted and reports drift. "
        "Stays under CLICKUP_REQUESTS_PER_MINUTE and waits out 429s."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="everything, with deletions and drift")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, full: bool, no_progress: bool, **options) -> str:
        container = get_container()
        bar = tqdm(desc="ClickUp tasks", unit="task", disable=no_progress, file=self.stderr._out)
        try:
            report = run_sweep(container, full=full, progress=bar.update)
        except IntegrationError as exc:
            raise CommandError(f"ClickUp sweep stopped: {exc}") from exc
        finally:
            bar.close()
        unchanged = report.unchanged + report.touched
        self.stdout.write(
            f"{'Full' if full else 'Incremental'} sweep: fetched {report.fetched}, created {report.created}, "
            f"updated {report.updated}, deleted {report.deleted}, unchanged {unchanged}, "
            f"errors {len(report.errors)}, {report.requests} ClickUp requests."
        )
        for kind, ids in report.drift.items():
            self.stdout.write(
                f"  drift {kind}: {len(ids)}: {', '.join(ids[:10])}{' ...' if len(ids) > 10 else ''}"
            )
        for line in report.errors[:20]:
            self.stderr.write(f"  {line}")
        return ""
