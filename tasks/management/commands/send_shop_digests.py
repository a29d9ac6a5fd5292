"""Queue this week's Slack digest of each shop (overdue and due-soon PM, critical repairs)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from tasks.upkeep.use_cases import send_shop_digests
from voldash_site.container import get_container


class Command(BaseCommand):
    help = (
        "Queue one Slack message per shop channel with its overdue and due-soon PM tasks and its "
        "critical open repairs, once per week (a second run queues nothing). Run deliver_outbox to send."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", action="append", help="only this shop (repeatable)")

    def handle(self, *args, shop: list[str] | None = None, **options) -> str:
        container = get_container()
        shops = [s for s in container.shops.list_all() if not shop or s.slug in shop]
        report = send_shop_digests(container.upkeep(), shops)
        self.stdout.write(
            f"{report.shops} shops: {report.sent} digests queued ({report.tasks} tasks), "
            f"{report.already_sent} already sent this week, {report.empty} with nothing due."
        )
        return ""
