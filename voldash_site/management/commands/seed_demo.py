"""Write demo data (shops, a cast of volunteers, N tasks). Idempotent for a given seed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandParser

from shops.catalog import ASMBLY_SHOPS
from voldash_site.container import get_container
from voldash_site.demo.data import build_demo_data


class Command(BaseCommand):
    help = "Seed the table with Asmbly demo data (deterministic for a seed; re-running updates in place)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tasks", type=int, default=60, help="How many tasks (default 60)")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1)")
        parser.add_argument(
            "--anchor",
            type=datetime.fromisoformat,
            default=None,
            help="Timestamps are spread over the 90 days before this moment (default: today 00:00 UTC)",
        )

    def handle(self, *args, tasks: int, seed: int, anchor: datetime | None, **options) -> str:
        if tasks < 0:
            self.stderr.write("--tasks must be zero or more")
            return ""
        now = anchor or datetime.combine(datetime.now(UTC).date(), time(0), tzinfo=UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        data = build_demo_data(tasks=tasks, seed=seed, now=now)
        container = get_container()
        for shop in ASMBLY_SHOPS:
            container.shops.save(replace(shop, leads=data.shop_leads.get(shop.slug, ())))
        for volunteer in data.volunteers:
            container.volunteers.save(volunteer)
        for i, task in enumerate(data.tasks, 1):
            container.tasks.upsert(task)
            if i % 500 == 0:
                self.stdout.write(f"  {i} tasks...")
        self.stdout.write(
            f"Seeded {len(ASMBLY_SHOPS)} shops, {len(data.volunteers)} volunteers and "
            f"{len(data.tasks)} tasks (seed {seed})."
        )
        return ""
