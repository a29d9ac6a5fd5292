"""Tell the shops' watchers of PM tasks nobody holds that fall due within a day (once each)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tasks.upkeep.use_cases import announce_pm_due
from voldash_site.container import get_container


class Command(BaseCommand):
    help = (
        "Queue a notice for the watchers of each shop (members who asked for 'pm_due' notices) about "
        "each PM task nobody holds that is due within a day or overdue, once per task and due date. "
        "Run deliver_outbox to send."
    )

    def handle(self, *args, **options) -> str:
        container = get_container()
        report = announce_pm_due(container.upkeep(), container.shops.list_all())
        self.stdout.write(
            f"{report.shops} shops: {report.announced} PM tasks announced, "
            f"{report.already_announced} already announced."
        )
        return ""
