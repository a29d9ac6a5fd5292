"""Test wiring: a real DynamoDB Local (in memory, on a free port) for the whole run.

Set TEST_DYNAMODB_ENDPOINT_URL to reuse an already running DynamoDB Local instead.
Each test starts from an empty table (``table`` fixture), built from infra/dynamodb.yaml.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from voldash_site.dynamodb.connection import TableConfig

pytest_plugins = ["tests.fakes.fixtures", "tests.aws_recorder", "tests.browser_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
TEST_TABLE = "voldash-test"


def _load_launcher():
    spec = importlib.util.spec_from_file_location("dynamodb_local", ROOT / "scripts" / "dynamodb_local.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    given = os.environ.get("TEST_DYNAMODB_ENDPOINT_URL")
    if given:
        yield given
        return
    launcher = _load_launcher()
    port = launcher.free_port()
    proc = launcher.start(port, db_path=None)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        launcher.stop(proc)


@pytest.fixture(scope="session")
def table_config(dynamodb_endpoint: str, django_settings_session) -> TableConfig:
    from voldash_site.dynamodb import items
    from voldash_site.dynamodb.provision import ensure_table

    config = TableConfig(table_name=TEST_TABLE, region="us-east-1", endpoint_url=dynamodb_endpoint)
    ensure_table(config)
    items.configure(config)
    return config


@pytest.fixture(scope="session")
def django_settings_session():
    """Session-wide settings so that commands (which read settings) hit the test table."""
    from django.conf import settings

    return settings


@pytest.fixture(scope="session")
def ddb_client(table_config: TableConfig):
    return table_config.boto3_client()


def _truncate(client, table_name: str) -> None:
    # Scan is fine here: test code emptying a test table (production code never scans).
    paginator = client.get_paginator("scan")
    keys = [
        {"PK": item["PK"], "SK": item["SK"]}
        for page in paginator.paginate(TableName=table_name, ProjectionExpression="PK, SK")
        for item in page["Items"]
    ]
    for i in range(0, len(keys), 25):
        client.batch_write_item(
            RequestItems={table_name: [{"DeleteRequest": {"Key": k}} for k in keys[i : i + 25]]}
        )


@pytest.fixture
def table(table_config: TableConfig, ddb_client, settings) -> Iterator[TableConfig]:
    """An empty table, with settings and the container pointed at it."""
    from voldash_site.container import set_container

    settings.DYNAMODB_TABLE = table_config.table_name
    settings.DYNAMODB_ENDPOINT_URL = table_config.endpoint_url
    settings.AWS_REGION = table_config.region
    _truncate(ddb_client, table_config.table_name)
    set_container(None)
    yield table_config
    set_container(None)


# --- the named cast ----------------------------------------------------------------------


@pytest.fixture
def cast(table):
    """Asmbly's shops and the demo cast (see voldash_site/demo/data.py):
    1001 Alex Rivera (member; Woodshop Safety, Small Lasers), 1002 Priya (metal shop),
    1003 Sam Okafor (member, no certifications), 1004 Jordan Lee (woodshop lead),
    1005 Morgan Chen (staff), 1006 Casey Brooks (lapsed member), 1007 Riley Garcia (lasers and
    3D printing lead), 1008 Dana Whitfield (ceramics)."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from shops.catalog import ASMBLY_SHOPS
    from voldash_site.container import get_container
    from voldash_site.demo.data import demo_volunteers

    container = get_container()
    now = datetime.now(UTC)
    people = {v.neon_id: v for v in demo_volunteers(now.date(), now)}
    leads: dict[str, tuple[str, ...]] = {}
    for v in people.values():
        for shop in v.lead_of:
            leads[shop] = (*leads.get(shop, ()), v.neon_id)
    for shop in ASMBLY_SHOPS:
        container.shops.save(replace(shop, leads=leads.get(shop.slug, ())))
    for v in people.values():
        container.volunteers.save(v)
    return people


def login(client, neon_id: str) -> None:
    """Log ``client`` in through the (local/test only) dev login."""
    from django.test import Client

    response = Client.post(client, "/auth/dev-login", {"neon_id": neon_id})  # a form post, as a browser
    assert response.status_code == 302, response.content
