"""pytest fixtures: fakes of ClickUp, Slack and Discourse on 127.0.0.1, with the app's settings
pointed at them (loaded for every test directory by tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.fakes.clickup import FakeClickUp
from tests.fakes.discourse import FakeDiscourse
from tests.fakes.slack import FakeSlack
from tests.integrations.helpers import add_asmbly_lists
from voldash_site.container import set_container


@pytest.fixture
def clickup(settings):
    with FakeClickUp() as fake:
        add_asmbly_lists(fake)
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
