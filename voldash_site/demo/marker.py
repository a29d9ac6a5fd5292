"""The one item that says "this table has been seeded with demo data" (local runs only).

``make run`` seeds a fresh local table once and leaves it alone on every later start, so what
you did locally (claims, completions, hours) survives a restart. The marker is a plain item
``PK=DEMO, SK=SEEDED`` written with a condition, so two starts racing still seed once.
"""

from __future__ import annotations

from datetime import datetime

from voldash_site.dynamodb.items import ensure_configured

MARKER_KEY = {"PK": {"S": "DEMO"}, "SK": {"S": "SEEDED"}}


def seeded_at() -> str | None:
    """When demo data was first written to this table, or None for a table never seeded."""
    config = ensure_configured()
    found = config.boto3_client().get_item(TableName=config.table_name, Key=MARKER_KEY, ConsistentRead=True)
    item = found.get("Item")
    return item["seeded_at"]["S"] if item else None


def mark_seeded(at: datetime, *, seed: int, tasks: int) -> bool:
    """Record the first seeding; False when another run recorded it first."""
    config = ensure_configured()
    client = config.boto3_client()
    try:
        client.put_item(
            TableName=config.table_name,
            Item={
                **MARKER_KEY,
                "type": {"S": "demo_marker"},
                "seeded_at": {"S": at.isoformat()},
                "seed": {"N": str(seed)},
                "tasks": {"N": str(tasks)},
            },
            ConditionExpression="attribute_not_exists(PK)",
        )
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True
