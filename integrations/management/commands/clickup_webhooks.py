"""Register, check and reactivate the ClickUp webhooks (one per synced list)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.clickup.webhook_admin import not_active
from integrations.http import IntegrationError
from voldash_site.container import get_container


class Command(BaseCommand):
    help = (
        "register: create the missing webhooks (one per list of the mapping, the events the sync "
        "needs) and store their secrets; status: ClickUp's health and fail_count; reactivate: "
        "set failing/suspended webhooks active again. Needs CLICKUP_TEAM_ID and PUBLIC_BASE_URL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["register", "status", "reactivate"])

    def handle(self, *args, action: str, **options) -> str:
        if not settings.CLICKUP_TEAM_ID:
            raise CommandError("CLICKUP_TEAM_ID is not set (the Workspace id, from ClickUp's URL)")
        if not settings.PUBLIC_BASE_URL.startswith("https://"):
            raise CommandError("PUBLIC_BASE_URL must be the site's https:// address (ClickUp calls it)")
        admin = get_container().clickup_webhooks()
        try:
            if action == "register":
                changed, entries = admin.register()
                self.stdout.write(f"Created webhooks for lists: {', '.join(changed) or 'none missing'}")
            elif action == "reactivate":
                changed, entries = admin.reactivate()
                self.stdout.write(f"Reactivated webhooks of lists: {', '.join(changed) or 'none needed it'}")
            else:
                entries = admin.status()
        except IntegrationError as exc:
            raise CommandError(f"ClickUp refused: {exc}") from exc
        self.stdout.write(f"Endpoint {admin.endpoint}")
        for e in entries:
            fails = e.get("fail_count", 0)
            hook = e.get("id") or ""
            self.stdout.write(f"  list {e['list_id']}: {e['status']} (fail_count {fails}) {hook}")
        bad = not_active(entries)
        self.stdout.write(f"{bad} not active" if bad else "All active.")
        return ""
