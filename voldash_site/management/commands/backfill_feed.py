"""Give tasks stored before the task list's indexes (GSI4..GSI7) and facet cells existed their
keys and count them in their cell (README: The table). Idempotent; safe while the app runs."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from shops.catalog import SHOP_SLUGS
from voldash_site.container import get_container
from voldash_site.errors import WriteRefused


class Command(BaseCommand):
    help = "Add the task list's index keys and facet counts to tasks stored before them."

    def handle(self, *args: object, **options: object) -> str:
        container = get_container()
        done = skipped = 0
        for task in container.tasks.all_in_shops(list(SHOP_SLUGS)):
            for _ in range(5):
                writes = container.tasks.backfill_feed_writes(task.id)
                if not writes:
                    skipped += 1
                    break
                try:
                    container.uow.commit(writes)
                    done += 1
                    break
                except WriteRefused:
                    continue  # the task changed meanwhile (and may have its cell now): read again
        self.stdout.write(f"Backfilled {done} tasks; {skipped} had their feed keys already.")
        return ""
