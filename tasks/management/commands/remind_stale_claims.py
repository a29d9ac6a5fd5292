"""Remind holders of quiet claims; release the claims that stayed quiet too long."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tasks.upkeep.use_cases import remind_stale_claims
from voldash_site.container import get_container


class Command(BaseCommand):
    help = (
        "Remind holders whose claim shows no progress for STALE_CLAIM_REMIND_DAYS (once per quiet "
        "period) and release claims quiet for STALE_CLAIM_RELEASE_DAYS (per-shop: STALE_CLAIM_SHOP_DAYS). "
        "Messages go through the outbox (run deliver_outbox)."
    )

    def handle(self, *args, **options) -> str:
        report = remind_stale_claims(get_container().upkeep())
        self.stdout.write(
            f"Examined {report.examined} quiet claims: {report.reminded} reminded, {report.released} "
            f"released, {report.already_sent} already reminded, {report.moved_meanwhile} moved meanwhile."
        )
        return ""
