"""Deliver due outbox messages to ClickUp, Slack and Discourse."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from integrations.outbox.delivery import deliver_due
from voldash_site.container import get_container


class Command(BaseCommand):
    help = "Deliver due outbox messages (ClickUp write-back, Slack, Discourse) with retries and backoff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="messages per batch (default 100)")

    def handle(self, *args, limit: int, **options) -> str:
        container = get_container()
        report = deliver_due(
            outbox=container.outbox, senders=container.senders(), clock=container.clock, limit=limit
        )
        self.stdout.write(
            f"Sent {report.sent}, skipped {report.skipped} (no credentials), "
            f"{report.retrying} will retry, {report.failed} failed for good, {report.busy} busy."
        )
        for line in report.errors[:20]:
            self.stderr.write(f"  {line}")
        return ""
