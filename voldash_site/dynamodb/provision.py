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
    added_indexes: list[str] = field(default_factory=list)


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
    added = _add_missing_indexes(client, config.table_name, expected, actual)
    if added:
        actual = client.describe_table(TableName=config.table_name)["Table"]
    result = ProvisionResult(config.table_name, created=False, drift=describe_drift(expected, actual))
    result.added_indexes = added
    return result


def _add_missing_indexes(
    client: Any, table: str, expected: dict[str, Any], actual: dict[str, Any]
) -> list[str]:
    """A new access pattern adds an index: create the ones the file has and the table lacks
    (one UpdateTable each, as DynamoDB requires), waiting for each to become active."""
    have = {ix["IndexName"] for ix in actual.get("GlobalSecondaryIndexes") or []}
    attr_types = {a["AttributeName"]: a["AttributeType"] for a in expected["AttributeDefinitions"]}
    added = []
    for index in expected.get("GlobalSecondaryIndexes") or []:
        if index["IndexName"] in have:
            continue
        names = [k["AttributeName"] for k in index["KeySchema"]]
        client.update_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": attr_types[n]} for n in names],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        _wait_for_index(client, table, index["IndexName"])
        added.append(index["IndexName"])
    return added


def _wait_for_index(client: Any, table: str, name: str, timeout: float = 120) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = client.describe_table(TableName=table)["Table"]
        status = {
            ix["IndexName"]: ix.get("IndexStatus") for ix in described.get("GlobalSecondaryIndexes", [])
        }
        if status.get(name) == "ACTIVE" and described.get("TableStatus") == "ACTIVE":
            return
        time.sleep(0.5)
    raise TimeoutError(f"index {name} of {table} did not become ACTIVE within {timeout:.0f} s")
