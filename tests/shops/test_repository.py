"""Contract tests of the shop repository against DynamoDB Local."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shops.catalog import ASMBLY_SHOPS
from shops.domain import CertificationRule
from shops.repository import DynamoShopRepository
from shops.use_cases import install_default_shops, list_shops
from tasks.domain import TaskStatus
from tasks.repository import DynamoTaskRepository
from tests.builders import a_task
from voldash_site.dynamodb.metrics import count_calls


@pytest.fixture
def shops(table) -> DynamoShopRepository:
    return DynamoShopRepository()


def test_default_shops_are_the_eight_asmbly_shops_with_channels_and_certifications(shops):
    assert install_default_shops(shops=shops) == [s.slug for s in ASMBLY_SHOPS]
    stored = {s.slug: s for s in list_shops(shops=shops)}
    assert list(stored) == [
        "woodshop",
        "metal-shop",
        "electronics",
        "lasers",
        "3d-printing",
        "textiles",
        "ceramics",
        "general",
    ]
    assert stored["woodshop"].slack_channel == "woodshop"
    assert stored["general"].slack_channel == "stewards"
    assert [c.neon_field_id for c in stored["woodshop"].required_certifications] == ["84"]
    assert stored["lasers"].certification_rule is CertificationRule.ANY
    assert {c.name for c in stored["lasers"].required_certifications} == {"Big Lasers", "Small Lasers"}
    assert "Metal-Shop" in stored["metal-shop"].clickup_workspace_options


def test_installing_defaults_twice_adds_nothing_and_keeps_edits(shops):
    install_default_shops(shops=shops)
    woodshop = next(s for s in shops.list_all() if s.slug == "woodshop")
    shops.save(replace(woodshop, slack_channel="C0WOOD", leads=("1004",)))
    assert install_default_shops(shops=shops) == []
    again = shops.get("woodshop")
    assert again.slack_channel == "C0WOOD" and again.leads == ("1004",)


def test_all_shops_with_counts_is_one_query(shops):
    install_default_shops(shops=shops)
    tasks = DynamoTaskRepository(cursor_secret="s")
    tasks.upsert(a_task(shop="lasers"))
    tasks.upsert(a_task(shop="lasers"))
    tasks.upsert(a_task(shop="lasers", status=TaskStatus.DONE))
    with count_calls() as calls:
        listed = {s.slug: s for s in shops.list_all()}
    assert calls.by_operation == {"Query": 1}
    assert listed["lasers"].open_tasks == 2
    assert listed["lasers"].task_counts["DONE"] == 1
    assert listed["woodshop"].open_tasks == 0


def test_saving_a_shop_never_clobbers_its_counters(shops):
    install_default_shops(shops=shops)
    DynamoTaskRepository(cursor_secret="s").upsert(a_task(shop="ceramics"))
    ceramics = shops.get("ceramics")
    shops.save(replace(ceramics, name="Clay Studio"))
    again = shops.get("ceramics")
    assert again.name == "Clay Studio" and again.open_tasks == 1


def test_missing_certifications_any_of_and_all_of():
    lasers = next(s for s in ASMBLY_SHOPS if s.slug == "lasers")
    assert lasers.missing_certifications(frozenset({"680"})) == ()
    assert len(lasers.missing_certifications(frozenset())) == 2
    strict = replace(lasers, certification_rule=CertificationRule.ALL)
    assert [c.name for c in strict.missing_certifications(frozenset({"680"}))] == ["Big Lasers"]
    general = next(s for s in ASMBLY_SHOPS if s.slug == "general")
    assert general.missing_certifications(frozenset()) == ()
