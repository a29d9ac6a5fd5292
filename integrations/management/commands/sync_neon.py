"""Refresh every known volunteer's profile from Neon CRM."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from integrations.neon.sync import sync_neon
from voldash_site.container import get_container


class Command(BaseCommand):
    help = "Refresh every known volunteer from Neon (membership, roles, certifications), one at a time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, no_progress: bool, **options) -> str:
        container = get_container()
        bar = tqdm(desc="Neon accounts", unit="account", disable=no_progress, file=self.stderr._out)
        try:
            report = sync_neon(container.neon_sync(), progress=bar.update)
        finally:
            bar.close()
        self.stdout.write(
            f"Refreshed {report.refreshed}, gone from Neon {report.gone}, failed {len(report.failed)}."
        )
        for line in report.failed[:20]:
            self.stderr.write(f"  {line}")
        return ""
