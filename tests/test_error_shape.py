"""One error shape under /api/ (README: API v1, Error codes).

The walk reads every operation of ``infra/openapi.yaml`` and sends it bad input: a body whose
every property has the wrong type, query values outside their lists, path ids outside their
pattern; then a method the path does not take. Every answer must be JSON
``{code, message, detail}``; a ``validation_error`` must carry ``detail.fields`` naming only
fields the client sent. Then the answers Django makes on its own (404, trailing slash, 413,
CSRF) and the one rule for case and spaces in list filters.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from django.test import Client

from tests.conftest import login

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("get", "post", "put", "patch", "delete")


def openapi() -> dict:
    return yaml.safe_load((ROOT / "infra" / "openapi.yaml").read_text())


def resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        node: object = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]  # type: ignore[index]
        schema = node  # type: ignore[assignment]
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, ()):
            if resolve(doc, option).get("type") == "object":
                return resolve(doc, option)
    return schema


def wrong_value(schema: dict) -> object:
    """A value no schema of ours accepts for a field: an object where a scalar or list is
    expected, a number where an object is."""
    return 12345 if schema.get("type") == "object" else {"not": ["this"]}


def bad_request(doc: dict, path: str, method: str, op: dict) -> tuple[str, dict, object, set[str]]:
    """(url, query, body, names the client sends) for ``op`` with bad input everywhere."""
    names: set[str] = set()
    url = path
    query: dict[str, str] = {}
    for param in op.get("parameters", ()):
        name, where = param["name"], param["in"]
        names.add(name)
        if where == "path":
            url = url.replace("{" + name + "}", "bad%20id!")
        elif where == "query":
            schema = resolve(doc, param.get("schema", {}))
            if schema.get("type") == "string" and not (schema.get("enum") or schema.get("pattern")):
                query[name] = "x" * 5000  # over any max_length
            else:
                query[name] = "not-a-valid-value"
    body: object = None
    content = op.get("requestBody", {}).get("content", {})
    if content:
        schema = resolve(doc, next(iter(content.values()))["schema"])
        properties = schema.get("properties", {})
        body = {name: wrong_value(resolve(doc, s)) for name, s in properties.items()}
        names |= set(properties) | {"body"}
    return url, query, body, names


def assert_shape(response, where: str) -> dict:
    assert response.status_code >= 400, where
    assert response["Content-Type"].startswith("application/json"), (where, response["Content-Type"])
    body = response.json()
    assert set(body) == {"code", "message", "detail"}, (where, body)
    assert isinstance(body["code"], str) and isinstance(body["message"], str) and body["message"], where
    assert body["detail"] is None or isinstance(body["detail"], dict), (where, body)
    if body["code"] in ("validation_error", "invalid_cursor"):
        fields = body["detail"]["fields"]
        assert fields, (where, body)
        for f in fields:
            assert set(f) == {"field", "code", "message"}, (where, f)
    return body


@pytest.fixture
def member(cast) -> Client:
    client = Client()
    login(client, "1005")  # Morgan, staff: every operation is open to them
    return client


def test_every_operation_answers_bad_input_in_the_one_shape(member):
    doc = openapi()
    walked = spoiled = 0
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            url, query, body, names = bad_request(doc, path, method, op)
            walked += 1
            if not names:  # nothing to spoil (GET /me, /health): the wrong method below covers it
                continue
            send = getattr(member, method)
            if body is None:
                response = send(url, query) if method == "get" else send(url + _qs(query))
            else:
                response = send(url + _qs(query), json.dumps(body), content_type="application/json")
            where = f"{method.upper()} {path}"
            answer = assert_shape(response, where)
            if answer["code"] == "validation_error":
                sent = {f["field"].split(".")[0] for f in answer["detail"]["fields"]}
                assert sent <= names, (where, sent, names)
            spoiled += 1
        other = next(m for m in ("put", "delete", "patch", "post", "get") if m not in item)
        url = path.replace("{", "").replace("}", "")
        response = getattr(member, other)(url)
        answer = assert_shape(response, f"{other.upper()} {path}")
        if response.status_code == 405:
            assert answer["code"] == "method_not_allowed" and answer["detail"]["allowed"], path
    print(f"\nerror shape: {walked} operations walked, {spoiled} with input to spoil")
    assert walked == sum(1 for item in doc["paths"].values() for m in item if m in METHODS) >= 25


def _qs(query: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode(query) if query else ""


def test_django_made_answers_under_api_are_json_too(cast, settings):
    settings.DEBUG = True  # local mode: Django's technical 404 page would be HTML
    client = Client()
    for url in ("/api/v1/nothing-here", "/api/v1/tasks/", "/api/v2/tasks", "/api/"):
        body = assert_shape(client.get(url), url)
        assert body["code"] == "not_found", url
    refused = client.get("/api/v1/tasks/86abc/claim")
    body = assert_shape(refused, "GET on an action")
    assert refused.status_code == 405 and body["code"] == "method_not_allowed"
    assert body["detail"]["allowed"] == ["POST"]
    big = client.post("/api/v1/problem-reports", b"{" + b" " * (1024 * 1024 + 10) + b"}", "application/json")
    assert big.status_code == 413 and assert_shape(big, "413")["code"] == "too_large"
    plain = Client()
    login(plain, "1001")
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = plain.cookies
    csrf = strict.post("/api/v1/tasks/86abc/claim")
    assert csrf.status_code == 403 and assert_shape(csrf, "csrf")["code"] == "csrf_failed"


def test_field_errors_name_the_fields_the_client_sent(cast):
    client = Client()
    login(client, "1001")
    complete = client.post("/api/v1/tasks/86abc/complete", {"hours": "lots"}, content_type="application/json")
    assert complete.status_code == 422
    assert [f["field"] for f in complete.json()["detail"]["fields"]] == ["hours"]
    listing = client.get("/api/v1/tasks", {"limit": "0", "sort": "random"})
    assert sorted(f["field"] for f in listing.json()["detail"]["fields"]) == ["limit", "sort"]
    # A rule of the use case refuses with the same code and shape as the schema.
    from datetime import date, timedelta

    future = (date.today() + timedelta(days=3)).isoformat()
    hours = client.post(
        "/api/v1/me/hours",
        {"kind": "general", "date": future, "hours": 1, "shop": "woodshop", "description": "x"},
        content_type="application/json",
    )
    body = hours.json()
    assert hours.status_code == 422 and body["code"] == "validation_error", body
    assert body["detail"]["fields"][0]["field"] == "date"
    assert "Austin date" in body["message"]
    comment = client.post("/api/v1/tasks/86abc/comments", {"text": "  "}, content_type="application/json")
    assert comment.status_code in (404, 422)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": " Problem"}, None),
        ({"urgency": "CRITICAL"}, None),
        ({"status": "done "}, None),
        ({"status": "In-Progress"}, None),
        ({"sort": "Oldest"}, None),
        ({"shop": "Woodshop "}, None),
        ({"time": "LESS_30"}, None),
        ({"type": "problems"}, "type"),
        ({"shop": "wood shop"}, "shop"),
        ({"sort": "old est"}, "sort"),
    ],
)
def test_one_rule_for_case_and_spaces_in_list_filters(cast, params, field):
    response = Client().get("/api/v1/tasks", params)
    if field is None:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 422
        assert [f["field"] for f in response.json()["detail"]["fields"]] == [field]


def test_the_same_rule_on_the_other_list_filters(cast):
    assert Client().get("/api/v1/announcements", {"shop": " WoodShop"}).status_code == 200
    assert Client().get("/api/v1/announcements", {"shop": "moon"}).status_code == 422
    client = Client()
    login(client, "1001")
    assert client.get("/api/v1/me/hours", {"status": "pending ", "format": "JSON"}).status_code == 200
    assert client.get("/api/v1/me/hours", {"status": "maybe"}).status_code == 422
