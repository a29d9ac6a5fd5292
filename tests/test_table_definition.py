"""The table is defined once, in infra/dynamodb.yaml, and created from that file."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import CommandError, call_command

from voldash_site.dynamodb.connection import TableConfig
from voldash_site.dynamodb.provision import describe_drift, ensure_table
from voldash_site.dynamodb.schema import create_table_kwargs, table_properties


def test_the_definition_has_what_the_design_requires():
    props = table_properties()
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["PK", "SK"]
    assert {ix["IndexName"] for ix in props["GlobalSecondaryIndexes"]} == {f"GSI{n}" for n in range(1, 8)}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


@pytest.fixture
def fresh_table(table_config, ddb_client, settings):
    name = f"voldash-create-{uuid.uuid4().hex[:8]}"
    settings.DYNAMODB_TABLE = name
    settings.DYNAMODB_ENDPOINT_URL = table_config.endpoint_url
    settings.AWS_REGION = table_config.region
    yield name
    ddb_client.delete_table(TableName=name)
    from voldash_site.container import set_container
    from voldash_site.dynamodb import items

    items.configure(table_config)
    set_container(None)


def test_ddb_create_table_creates_the_defined_table_once(fresh_table, ddb_client, capsys):
    from voldash_site.container import set_container
    from voldash_site.dynamodb import items

    items.configure(TableConfig(fresh_table, "us-east-1", ddb_client.meta.endpoint_url))
    set_container(None)
    call_command("ddb_create_table")
    out = capsys.readouterr().out
    assert f"Created {fresh_table}" in out
    assert "woodshop" in out  # default shops installed
    actual = ddb_client.describe_table(TableName=fresh_table)["Table"]
    assert describe_drift(create_table_kwargs(fresh_table), actual) == []
    ttl = ddb_client.describe_time_to_live(TableName=fresh_table)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"

    call_command("ddb_create_table")
    again = capsys.readouterr().out
    assert "already exists" in again and "none missing" in again


def test_an_index_added_to_the_file_is_added_to_an_existing_table(table_config, ddb_client):
    name = f"voldash-older-{uuid.uuid4().hex[:8]}"
    kwargs = create_table_kwargs(name)
    kwargs["GlobalSecondaryIndexes"] = [
        ix for ix in kwargs["GlobalSecondaryIndexes"] if ix["IndexName"] != "GSI3"
    ]
    kwargs["AttributeDefinitions"] = [
        a for a in kwargs["AttributeDefinitions"] if not a["AttributeName"].startswith("GSI3")
    ]
    ddb_client.create_table(**kwargs)
    try:
        result = ensure_table(TableConfig(name, "us-east-1", table_config.endpoint_url), client=ddb_client)
        assert result.created is False
        assert result.added_indexes == ["GSI3"]
        assert result.drift == []
        names = {
            ix["IndexName"]
            for ix in ddb_client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
        }
        assert names == {f"GSI{n}" for n in range(1, 8)}
    finally:
        ddb_client.delete_table(TableName=name)


def test_drift_is_reported_in_words(table_config, ddb_client):
    name = f"voldash-drift-{uuid.uuid4().hex[:8]}"
    kwargs = create_table_kwargs(name)
    kwargs["GlobalSecondaryIndexes"][0] = {
        **kwargs["GlobalSecondaryIndexes"][0],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }
    ddb_client.create_table(**kwargs)
    try:
        result = ensure_table(TableConfig(name, "us-east-1", table_config.endpoint_url), client=ddb_client)
        assert result.drift == [
            "index GSI1 is ([('GSI1PK', 'HASH'), ('GSI1SK', 'RANGE')], 'KEYS_ONLY'), "
            "expected ([('GSI1PK', 'HASH'), ('GSI1SK', 'RANGE')], 'ALL')"
        ]
    finally:
        ddb_client.delete_table(TableName=name)


def test_an_unreachable_database_is_a_clear_command_error(settings):
    settings.DYNAMODB_ENDPOINT_URL = "http://127.0.0.1:9"
    with pytest.raises(CommandError, match=r"Could not reach DynamoDB at http://127\.0\.0\.1:9"):
        call_command("ddb_create_table", "--no-shops")


def test_no_relational_database(settings):
    # DATABASES = {} in settings; Django fills in its "dummy" backend, which refuses every query.
    engines = {db["ENGINE"] for db in settings.DATABASES.values()}
    assert engines <= {"django.db.backends.dummy"}
