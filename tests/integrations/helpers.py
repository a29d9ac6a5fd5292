"""Helpers for the sync tests: Asmbly's list and field ids, posting signed webhooks, processing.
The fake-server fixtures (clickup, slack, discourse) are in tests/fakes/fixtures.py."""

from __future__ import annotations

import json

from django.test import Client

from tests.fakes.clickup import FakeClickUp
from voldash_site.container import get_container

PROBLEMS = "901310067725"
PM = "901310894771"
PURCHASES = "901310302436"  # a list voldash does not sync
WORKSPACE = "f4923783-74db-42ca-bda3-82bbca58abfe"
PROBLEM_TYPE = "34389c82-a2cf-423f-ace3-8d352a771f09"
CONTACT = "2ed17517-4b05-46cc-a112-74c0a691b0df"
FREQUENCY = "b0d864da-9018-4935-ae65-7a9103bf70d2"
FREQUENCY_OPTIONS = ["Regular", "Monthly", "Quarterly", "Semi-Annual", "Annual"]
WORKSPACE_OPTIONS = [
    "3D Printing",
    "Electronics",
    "Textiles",
    "Lasers",
    "Woodshop",
    "Metal-Shop",
    "Ceramics",
    "Multi-Purpose Room",
    "Lobby",
    "Studios",
    "Hallway",
    "Bathrooms",
    "HVAC",
    "Education / Classes",
    "General Areas",
]
WOODSHOP, LASERS, METAL = 4, 3, 5  # option orderindexes


def add_asmbly_lists(fake: FakeClickUp, *, with_purchases: bool = True) -> None:
    """Asmbly's synced lists (and, for "not ours" cases, Purchase Requests) with their statuses,
    and the Workspace, Problem Type and Contact Details custom fields (reference/asmbly.md 2)."""
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
    if with_purchases:
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
    fake.add_field(
        {
            "id": FREQUENCY,
            "name": "Frequency",
            "type": "drop_down",
            "type_config": {"options": [{"name": n} for n in FREQUENCY_OPTIONS]},
        }
    )


def post_webhook(
    fake: FakeClickUp,
    event: str,
    task_id: str,
    *,
    client: Client | None = None,
    body: bytes | None = None,
    signature: str | None = None,
):
    body = body if body is not None else fake.webhook_body(event, task_id)
    return (client or Client()).post(
        "/webhooks/clickup",
        body,
        content_type="application/json",
        HTTP_X_SIGNATURE=signature if signature is not None else fake.sign(body),
    )


def process() -> object:
    from integrations.inbox.processing import process_inbox

    c = get_container()
    return process_inbox(inbox=c.inbox, handlers=c.inbox_handlers(), clock=c.clock)


def deliver() -> object:
    from integrations.outbox.delivery import deliver_due

    c = get_container()
    return deliver_due(outbox=c.outbox, senders=c.senders(), clock=c.clock)


def add_problem(
    fake: FakeClickUp,
    task_id: str,
    *,
    shop: int = WOODSHOP,
    status: str = "Open",
    priority: int | None = 3,
    name: str = "Table Saw 2 - Blade is dull",
    estimate_min: int | None = 60,
    **kw,
):
    return fake.add_task(
        task_id,
        list_id=PROBLEMS,
        name=name,
        status=status,
        priority=priority,
        description=kw.pop("description", "Problem Type: Equipment\nAsset:  Table Saw 2"),
        time_estimate_ms=estimate_min * 60000 if estimate_min else None,
        custom_fields={WORKSPACE: shop, **kw.pop("custom_fields", {})},
        **kw,
    )


def loads(response) -> dict:
    return json.loads(response.content)
