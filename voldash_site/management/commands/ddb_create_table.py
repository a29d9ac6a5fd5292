"""Create the DynamoDB table from infra/dynamodb.yaml (idempotent) and the default shops."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shops.use_cases import install_default_shops
from voldash_site.container import get_container
from voldash_site.dynamodb.connection import config_from_settings
from voldash_site.dynamodb.provision import ensure_table


class Command(BaseCommand):
    help = (
        "Create the table defined in infra/dynamodb.yaml if it does not exist (otherwise report "
        "drift), then add Asmbly's default shops that are missing. Safe to run repeatedly."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-shops", action="store_true", help="Do not install default shops")
        parser.add_argument(
            "--shops-only",
            action="store_true",
            help="Only add the default shops that are missing (the way to seed the cloud table)",
        )

    def handle(self, *args, no_shops: bool = False, shops_only: bool = False, **options) -> str:
        config = config_from_settings()
        if shops_only:
            added = install_default_shops(shops=get_container().shops)
            self.stdout.write(f"Default shops added: {', '.join(added) if added else 'none missing'}")
            return ""
        if not config.endpoint_url:
            # The cloud table belongs to CloudFormation (template.yaml nests infra/dynamodb.yaml):
            # creating or altering it here would drift from the stack.
            raise CommandError(
                f"Refusing to create or change {config.table_name} in AWS {config.region}: that table "
                "is CloudFormation's (deploy template.yaml). Set DYNAMODB_ENDPOINT_URL for a local "
                "DynamoDB, or use --shops-only to add the default shops to the cloud table."
            )
        where = config.endpoint_url
        try:
            result = ensure_table(config)
        except Exception as exc:  # botocore raises many types; the operator needs the message
            raise CommandError(f"Could not reach DynamoDB at {where}: {exc}") from exc
        verb = "Created" if result.created else "Table already exists:"
        self.stdout.write(f"{verb} {result.table_name} ({where})")
        for name in result.added_indexes:
            self.stdout.write(f"Added index {name} (new in infra/dynamodb.yaml)")
        for line in result.drift:
            self.stderr.write(self.style.WARNING(f"drift: {line}"))
        if not no_shops:
            added = install_default_shops(shops=get_container().shops)
            self.stdout.write(f"Default shops added: {', '.join(added) if added else 'none missing'}")
        if result.drift:
            raise CommandError("The existing table differs from infra/dynamodb.yaml (see drift above)")
        return ""
