"""Write demo data (shops, a cast of volunteers, N tasks). Deterministic for a given seed.

Three ways to run it:
- ``seed_demo``: write everything, updating demo items in place (tests and benchmarks);
- ``seed_demo --once`` (``make run``): seed a fresh table and record that it was seeded; on any
  later run do nothing, so a restart keeps local state exactly;
- ``seed_demo --missing-only`` (``make seed``): add the demo items that are missing, never
  touching a task that exists (re-seeding must not undo claims, completions or hours).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shops.catalog import ASMBLY_SHOPS
from voldash_site.container import get_container
from voldash_site.demo.data import build_demo_data
from voldash_site.demo.marker import mark_seeded, seeded_at
from volunteers.rewards import ASMBLY_DEFAULTS, RewardsConfig


class Command(BaseCommand):
    help = "Seed the table with Asmbly demo data (deterministic for a seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tasks", type=int, default=60, help="How many tasks (default 60)")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1)")
        parser.add_argument(
            "--anchor",
            type=datetime.fromisoformat,
            default=None,
            help="Timestamps are spread over the 90 days before this moment (default: today 00:00 UTC)",
        )
        parser.add_argument(
            "--activity",
            action="store_true",
            help="Also claims, completions, hours, comments, extras and announcements (make run)",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--once",
            action="store_true",
            help="Seed only a table that was never seeded; otherwise change nothing (make run)",
        )
        mode.add_argument(
            "--missing-only",
            action="store_true",
            help="Add missing demo shops, people and tasks; never overwrite an existing one (make seed)",
        )

    def handle(
        self,
        *args,
        tasks: int,
        seed: int,
        anchor: datetime | None,
        once: bool = False,
        missing_only: bool = False,
        activity: bool = False,
        **options,
    ) -> str:
        if tasks < 0:
            raise CommandError("--tasks must be zero or more")
        if once:
            first = seeded_at()
            if first:
                self.stdout.write(
                    f"Demo data was seeded on {first}; keeping the table as it is "
                    "(make seed adds missing demo items, make reset starts over)."
                )
                return ""
        now = anchor or datetime.combine(datetime.now(UTC).date(), time(0), tzinfo=UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        data = build_demo_data(tasks=tasks, seed=seed, now=now)
        container = get_container()
        kept = 0
        for shop in ASMBLY_SHOPS:
            if missing_only and container.shops.get(shop.slug) is not None:
                continue
            container.shops.save(replace(shop, leads=data.shop_leads.get(shop.slug, ())))
        for volunteer in data.volunteers:
            if missing_only and container.volunteers.get(volunteer.neon_id) is not None:
                continue
            container.volunteers.save(volunteer)
        if not missing_only or container.volunteers.rewards() == RewardsConfig():
            # Asmbly's steward rewards and monthly goal; staff change them on /staff/rewards/.
            container.volunteers.save_rewards(ASMBLY_DEFAULTS, by="seed_demo", at=datetime.now(UTC))
        for i, task in enumerate(data.tasks, 1):
            if missing_only and container.tasks.get(task.id) is not None:
                kept += 1
                continue
            container.tasks.upsert(task)
            if i % 500 == 0:
                self.stdout.write(f"  {i} tasks...")
        if activity and not missing_only:
            from voldash_site.demo.activity import seed_activity

            written = seed_activity(container, data.tasks, datetime.now(UTC))
            self.stdout.write("Demo activity: " + ", ".join(f"{n} {k}" for k, n in written.items()))
        mark_seeded(datetime.now(UTC), seed=seed, tasks=tasks)
        if missing_only:
            self.stdout.write(
                f"Added the missing demo data: {len(data.tasks) - kept} new tasks; "
                f"{kept} existing tasks left as they are."
            )
        else:
            self.stdout.write(
                f"Seeded {len(ASMBLY_SHOPS)} shops, {len(data.volunteers)} volunteers and "
                f"{len(data.tasks)} tasks (seed {seed})."
            )
        return ""
