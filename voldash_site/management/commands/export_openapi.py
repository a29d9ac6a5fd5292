"""Write the API contract the app serves to infra/openapi.yaml (or check it is current)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

OPENAPI_FILE = Path(settings.BASE_DIR) / "infra" / "openapi.yaml"


def render_openapi() -> str:
    from voldash_site.api import api

    # Through JSON, exactly as /api/v1/openapi.json serves it (status codes become strings).
    schema = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1")))
    header = (
        "# The voldash API contract. Generated from the code by `make openapi`\n"
        "# (python manage.py export_openapi); a test fails when it is stale.\n"
    )
    return header + yaml.safe_dump(schema, sort_keys=False, allow_unicode=True, width=100)


class Command(BaseCommand):
    help = "Regenerate infra/openapi.yaml from the API (use --check to only compare)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Fail if the file is out of date")
        parser.add_argument("--output", type=Path, default=OPENAPI_FILE)

    def handle(self, *args, check: bool, output: Path, **options) -> str:
        rendered = render_openapi()
        if check:
            if not output.exists() or output.read_text(encoding="utf-8") != rendered:
                raise CommandError(f"{output} is out of date: run `make openapi`")
            self.stdout.write(f"{output} is up to date")
            return ""
        output.write_text(rendered, encoding="utf-8")
        self.stdout.write(f"Wrote {output}")
        return ""
