"""Webhooks (under /webhooks/). Loaded on the first webhook: API reads never import them."""

from django.urls import path

from integrations.clickup.webhooks import clickup_webhook
from integrations.neon.webhooks import neon_webhook
from integrations.slack.interactivity import slack_interactivity

urlpatterns = [
    path("clickup", clickup_webhook, name="webhook-clickup"),
    path("neon", neon_webhook, name="webhook-neon"),
    path("slack/interactivity", slack_interactivity, name="webhook-slack-interactivity"),
]
