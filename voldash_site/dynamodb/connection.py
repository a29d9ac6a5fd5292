"""Where the table lives: one place that turns settings into endpoint, region and credentials."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TableConfig:
    table_name: str
    region: str
    endpoint_url: str | None = None

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None

    def credentials(self) -> dict[str, str]:
        """DynamoDB Local accepts any credentials but botocore insists on having some."""
        if self.is_local and not os.environ.get("AWS_ACCESS_KEY_ID"):
            return {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
        return {}

    def boto3_client(self) -> Any:
        import boto3  # deferred: boto3 is only needed by operator commands and tests

        return boto3.client(
            "dynamodb",
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            **self.credentials(),
        )


def config_from_settings() -> TableConfig:
    from django.conf import settings

    return TableConfig(
        table_name=settings.DYNAMODB_TABLE,
        region=settings.AWS_REGION,
        endpoint_url=settings.DYNAMODB_ENDPOINT_URL or None,
    )
