"""Query results as DynamoDB sent them: botocore's shape parser is skipped for ``Items``.

botocore parses every attribute value of every item against the service model (a structure of
ten members per value, recursively): on a 50-task page that is most of the request's CPU, more
than the round trip to DynamoDB Local (issue 15's profile). The wire format is already what the
low-level client returns for strings, numbers (as strings), booleans, nulls, maps, lists and
string/number sets, so for a successful Query the items are taken from the JSON body as they are,
and botocore parses the rest (``Count``, ``LastEvaluatedKey``, ``ConsumedCapacity``). A body with
binary values (``B``/``BS``, which botocore decodes from base64) goes through botocore untouched.
"""

from __future__ import annotations

import json
from typing import Any

HANDLER_ID = "voldash-query-items-as-sent"
_installed: set[int] = set()


def items_as_sent(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    """botocore ``before-parse.dynamodb.Query`` handler (see the module docstring)."""
    if response_dict.get("status_code") != 200:
        return
    body = response_dict.get("body")
    if not isinstance(body, bytes | bytearray) or b'"B"' in body or b'"BS"' in body:
        return
    data = json.loads(body)
    items = data.pop("Items", None)
    if not isinstance(items, list):
        return
    customized_response_dict["Items"] = items
    response_dict["body"] = json.dumps(data).encode()


def install(client: Any) -> None:
    """Register on a botocore DynamoDB client once (cheap to call on every use)."""
    if id(client) in _installed:
        return
    client.meta.events.register("before-parse.dynamodb.Query", items_as_sent, unique_id=HANDLER_ID)
    _installed.add(id(client))
