"""The Asmbly ClickUp mapping is data, validated with errors that name the bad entry."""

from __future__ import annotations

import copy

import pytest
import yaml

from integrations.clickup.mapping import (
    MAPPING_FILE,
    MappingError,
    dropdown_name,
    load_mapping,
    parse_mapping,
)

RAW = yaml.safe_load(MAPPING_FILE.read_text())


def test_the_checked_in_mapping_is_valid_and_uses_asmblys_ids():
    mapping = load_mapping()
    assert set(mapping.lists) == {"901310067725", "901310894771"}
    assert mapping.fields["workspace"] == "f4923783-74db-42ca-bda3-82bbca58abfe"
    assert mapping.shop_for("Metal-Shop") == mapping.shop_for("Metal Shop") == "metal-shop"
    assert mapping.shop_for("HVAC") == "general"
    assert mapping.lists["901310067725"].write_back[
        mapping.lists["901310067725"].statuses["in progress"]
    ] == ("in progress")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("lists", "901310067725", "statuses", "in progress"),
            "WORKING",
            "lists.901310067725.statuses['in progress']: 'WORKING' is not one of",
        ),
        (("workspaces", "Woodshop"), "wood", "workspaces['Woodshop']: 'wood' is not a shop"),
        (
            ("fields", "workspace"),
            "not-a-uuid",
            "fields.workspace: 'not-a-uuid' is not a ClickUp custom field id",
        ),
        (("priorities", "urgent"), "asap", "priorities['urgent']: 'asap' is not an urgency"),
        (("default_shop",), "basement", "default_shop: 'basement' is not a shop"),
    ],
)
def test_a_bad_entry_is_named(path, value, message):
    raw = copy.deepcopy(RAW)
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(
        MappingError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")
    ):
        parse_mapping(raw, source="asmbly.yaml")


def test_a_list_must_map_open_in_progress_and_done():
    raw = copy.deepcopy(RAW)
    raw["lists"]["901310067725"]["statuses"] = {"Open": "OPEN"}
    with pytest.raises(MappingError, match="no ClickUp status maps to IN_PROGRESS"):
        parse_mapping(raw)


def test_dropdowns_resolve_by_uuid_or_orderindex():
    field = {
        "value": 2,
        "type_config": {
            "options": [
                {"id": "a-1", "name": "3D Printing", "orderindex": 0},
                {"id": "b-2", "name": "Electronics", "orderindex": 1},
                {"id": "c-3", "name": "Textiles", "orderindex": 2},
            ]
        },
    }
    assert dropdown_name(field) == "Textiles"
    assert dropdown_name({**field, "value": "b-2"}) == "Electronics"
    assert dropdown_name({**field, "value": None}) is None
    assert dropdown_name({"type_config": {}}) is None
