"""pytest fixtures: fakes of ClickUp, Slack and Discourse on 127.0.0.1, with the app's settings
pointed at them (loaded for every test directory by tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.fakes.clickup import FakeClickUp
from tests.fakes.discourse import FakeDiscourse
from tests.fakes.slack import FakeSlack
from tests.integrations.helpers import (
    CONTACT,
    PM,
    PROBLEM_TYPE,
    PROBLEMS,
    PURCHASES,
    WORKSPACE,
    WORKSPACE_OPTIONS,
)
from voldash_site.container import set_container


@pytest.fixture
def clickup(settings):
    with FakeClickUp() as fake:
        fake.add_list(
            PROBLEMS,
            name="Problem Reports",
            statuses=[
                ("Open", "open"),
                ("in progress", "custom"),
                ("parts ordered", "custom"),
                ("Closed", "closed"),
            ],
        )
        fake.add_list(
            PM,
            name="PM Schedule",
            statuses=[("to do", "open"), ("in progress", "custom"), ("complete", "closed")],
        )
        fake.add_list(
            PURCHASES, name="Purchase Requests", statuses=[("in review", "open"), ("Closed", "closed")]
        )
        fake.add_field(
            {
                "id": WORKSPACE,
                "name": "Workspace",
                "type": "drop_down",
                "type_config": {"options": [{"name": n} for n in WORKSPACE_OPTIONS]},
            }
        )
        fake.add_field(
            {
                "id": PROBLEM_TYPE,
                "name": "Problem Type",
                "type": "drop_down",
                "type_config": {"options": [{"name": n} for n in ("Equipment", "Facilities", "Supplies")]},
            }
        )
        fake.add_field({"id": CONTACT, "name": "Contact Details", "type": "short_text", "type_config": {}})
        settings.CLICKUP_API_URL = fake.api_url
        settings.CLICKUP_API_TOKEN = fake.token
        settings.CLICKUP_WEBHOOK_SECRET = fake.webhook_secret
        settings.CLICKUP_AUTOMATION_SECRET = "automation-secret"
        settings.CLICKUP_REQUESTS_PER_MINUTE = 60000
        set_container(None)
        yield fake
        set_container(None)


@pytest.fixture
def slack(settings):
    with FakeSlack() as fake:
        settings.SLACK_API_URL = fake.api_url
        settings.SLACK_BOT_TOKEN = fake.token
        set_container(None)
        yield fake
        set_container(None)


@pytest.fixture
def discourse(settings):
    with FakeDiscourse() as fake:
        settings.DISCOURSE_URL = fake.base_url
        settings.DISCOURSE_API_KEY = fake.api_key
        settings.DISCOURSE_API_USERNAME = fake.api_username
        set_container(None)
        yield fake
        set_container(None)
