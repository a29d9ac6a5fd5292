"""Create the table described by ``infra/dynamodb.yaml`` (idempotently) and check for drift."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .connection import TableConfig
from .schema import create_table_kwargs, ttl_attribute


@dataclass
class ProvisionResult:
    table_name: str
    created: bool
    drift: list[str] = field(default_factory=list)


def _index_shape(indexes: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        ix["IndexName"]: (
            [(k["AttributeName"], k["KeyType"]) for k in ix["KeySchema"]],
            ix["Projection"]["ProjectionType"],
        )
        for ix in indexes or []
    }


def describe_drift(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Differences between the definition and an existing table, in words."""
    drift: list[str] = []
    exp_keys = [(k["AttributeName"], k["KeyType"]) for k in expected["KeySchema"]]
    act_keys = [(k["AttributeName"], k["KeyType"]) for k in actual["KeySchema"]]
    if exp_keys != act_keys:
        drift.append(f"key schema is {act_keys}, expected {exp_keys}")
    exp_ix = _index_shape(expected.get("GlobalSecondaryIndexes"))
    act_ix = _index_shape(actual.get("GlobalSecondaryIndexes"))
    for name in sorted(set(exp_ix) | set(act_ix)):
        if name not in act_ix:
            drift.append(f"index {name} is missing")
        elif name not in exp_ix:
            drift.append(f"index {name} is not in infra/dynamodb.yaml")
        elif exp_ix[name] != act_ix[name]:
            drift.append(f"index {name} is {act_ix[name]}, expected {exp_ix[name]}")
    stream = actual.get("StreamSpecification") or {}
    exp_stream = expected.get("StreamSpecification") or {}
    if exp_stream and stream.get("StreamViewType") != exp_stream["StreamViewType"]:
        drift.append(f"stream is {stream or 'off'}, expected {exp_stream['StreamViewType']}")
    return drift


def ensure_table(config: TableConfig, client: Any | None = None) -> ProvisionResult:
    """Create the table if it does not exist; otherwise report how it differs from the file."""
    client = client or config.boto3_client()
    expected = create_table_kwargs(config.table_name)
    try:
        actual = client.describe_table(TableName=config.table_name)["Table"]
    except client.exceptions.ResourceNotFoundException:
        client.create_table(**expected)
        client.get_waiter("table_exists").wait(
            TableName=config.table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        ttl = ttl_attribute()
        if ttl:
            client.update_time_to_live(
                TableName=config.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl},
            )
        return ProvisionResult(config.table_name, created=True)
    return ProvisionResult(config.table_name, created=False, drift=describe_drift(expected, actual))
