"""Process stored webhook events: pending ones, and failed ones whose retry time has come."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from integrations.inbox.processing import process_inbox
from voldash_site.container import get_container


class Command(BaseCommand):
    help = (
        "Process pending and retryable webhook events (ClickUp, Neon). Idempotent; the cloud runs the same."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="events per batch (default 100)")

    def handle(self, *args, limit: int, **options) -> str:
        container = get_container()
        report = process_inbox(
            inbox=container.inbox, handlers=container.inbox_handlers(), clock=container.clock, limit=limit
        )
        self.stdout.write(
            f"Processed {report.processed}: {report.done} applied, {report.ignored} ignored, "
            f"{report.failed} failed (will retry), {report.busy} busy elsewhere."
        )
        for line in report.errors[:20]:
            self.stderr.write(f"  {line}")
        return ""
