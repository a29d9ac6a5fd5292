"""Read the table definition from ``infra/dynamodb.yaml``, the single source of truth.

The file is a CloudFormation template (nested by the SAM stack). Local runs and tests create
their table from the same resource, so key schema, indexes, stream and TTL cannot drift.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

TABLE_FILE = Path(__file__).resolve().parents[2] / "infra" / "dynamodb.yaml"
TABLE_RESOURCE = "VoldashTable"


class _CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that keeps CloudFormation short-form tags (``!Ref``, ``!Sub``...) as data."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {f"Fn::{tag_suffix}" if tag_suffix != "Ref" else "Ref": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TABLE_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader subclass


@lru_cache(maxsize=4)
def table_properties(path: Path = TABLE_FILE) -> dict[str, Any]:
    template = load_template(path)
    return template["Resources"][TABLE_RESOURCE]["Properties"]


def create_table_kwargs(table_name: str, path: Path = TABLE_FILE) -> dict[str, Any]:
    """boto3 ``create_table`` arguments for ``table_name`` built from the template (a fresh
    copy each call: callers may change it without touching the cached definition)."""
    props = copy.deepcopy(table_properties(path))
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    stream = props.get("StreamSpecification")
    if stream:
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    return kwargs


def ttl_attribute(path: Path = TABLE_FILE) -> str | None:
    spec = table_properties(path).get("TimeToLiveSpecification") or {}
    return spec.get("AttributeName") if spec.get("Enabled") else None
