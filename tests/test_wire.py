"""Query items reach voldash as DynamoDB sent them, without botocore's per-value parse (issue 15),
and nothing changes in what the repositories return."""

from __future__ import annotations

from botocore import parsers

from tests.builders import a_task
from voldash_site.container import get_container
from voldash_site.dynamodb.items import low_level_connection


def _count_parsed_structures(monkeypatch) -> list[int]:
    seen = [0]
    original = parsers.BaseJSONParser._handle_structure

    def counting(self, shape, value):
        seen[0] += 1
        return original(self, shape, value)

    monkeypatch.setattr(parsers.BaseJSONParser, "_handle_structure", counting)
    return seen


def test_a_task_page_is_not_parsed_value_by_value_by_botocore(table, monkeypatch):
    repo = get_container().tasks
    for n in range(5):
        repo.upsert(a_task(id=f"wire{n}", shop="woodshop"))
    seen = _count_parsed_structures(monkeypatch)
    page = repo.list_by_shop("woodshop", limit=10)
    assert sorted(t.id for t in page.items) == [f"wire{n}" for n in range(5)]
    # Only the response envelope goes through botocore's parser, not 5 items x ~20 attributes.
    assert seen[0] < 5


def test_binary_values_still_go_through_botocore(table):
    conn = low_level_connection()
    client = conn.connection.client
    client.put_item(
        TableName=table.table_name,
        Item={"PK": {"S": "WIRE#b"}, "SK": {"S": "X"}, "blob": {"B": b"\x00\x01"}, "n": {"N": "7"}},
    )
    result = client.query(
        TableName=table.table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "WIRE#b"}},
    )
    assert result["Items"] == [
        {"PK": {"S": "WIRE#b"}, "SK": {"S": "X"}, "blob": {"B": b"\x00\x01"}, "n": {"N": "7"}}
    ]


def test_items_as_sent_equal_botocores_parse(table):
    conn = low_level_connection()
    client = conn.connection.client
    item = {
        "PK": {"S": "WIRE#m"},
        "SK": {"S": "X"},
        "m": {"M": {"a": {"L": [{"N": "1.50"}, {"BOOL": True}, {"NULL": True}]}, "s": {"SS": ["x", "y"]}}},
        "ns": {"NS": ["1", "2"]},
        "u": {"S": "héllo ✓"},
    }
    client.put_item(TableName=table.table_name, Item=item)
    result = client.query(
        TableName=table.table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "WIRE#m"}},
        ReturnConsumedCapacity="TOTAL",
    )
    got = result["Items"][0]
    assert {k: v for k, v in got.items() if k not in ("m", "ns")} == {
        k: v for k, v in item.items() if k not in ("m", "ns")
    }
    assert got["m"]["M"]["a"] == item["m"]["M"]["a"]
    assert sorted(got["m"]["M"]["s"]["SS"]) == ["x", "y"] and sorted(got["ns"]["NS"]) == ["1", "2"]
    assert result["Count"] == 1 and "ConsumedCapacity" in result  # the envelope is still botocore's
