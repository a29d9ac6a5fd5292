"""voldash_site.lambda_handler.handler serves API Gateway REST (v1), HTTP API (v2) and ALB events."""

from __future__ import annotations

import base64
import json

import pytest

from shops.repository import DynamoShopRepository
from shops.use_cases import install_default_shops
from tests.builders import a_task
from voldash_site.container import get_container
from voldash_site.lambda_handler import handler


def v1_event(
    method: str,
    path: str,
    query: dict[str, list[str]] | None = None,
    headers=None,
    body: bytes | None = None,
    alb: bool = False,
) -> dict:
    headers = {"Host": "api.voldash.test", "X-Forwarded-Proto": "https", **(headers or {})}
    event = {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in (query or {}).items()} or None,
        "multiValueQueryStringParameters": query or None,
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:tg"}}
        if alb
        else {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "stage": "prod",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "body": base64.b64encode(body).decode() if body is not None else None,
        "isBase64Encoded": body is not None,
    }
    if not alb:
        event["version"] = "1.0"
    return event


def v2_event(
    method: str,
    path: str,
    raw_query: str = "",
    headers=None,
    body: bytes | None = None,
    cookies: list[str] | None = None,
) -> dict:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "cookies": cookies or [],
        "headers": {
            "host": "api.voldash.test",
            "x-forwarded-proto": "https",
            "x-forwarded-for": "198.51.100.7",
            **(headers or {}),
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.voldash.test",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": "pytest",
            },
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "26/Nov/2026:04:00:00 +0000",
            "timeEpoch": 1795665600000,
        },
        "body": base64.b64encode(body).decode() if body is not None else None,
        "isBase64Encoded": body is not None,
    }


def decode(response: dict) -> dict:
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return json.loads(body)


def header(response: dict, name: str) -> str:
    if "multiValueHeaders" in response:
        return {k.lower(): v[0] for k, v in response["multiValueHeaders"].items()}[name]
    return {k.lower(): v for k, v in response["headers"].items()}[name]


@pytest.fixture
def seeded(table, settings):
    settings.ALLOWED_HOSTS = ["api.voldash.test"]
    install_default_shops(shops=DynamoShopRepository())
    task = a_task(shop="lasers")
    get_container().tasks.upsert(task)
    return task


@pytest.fixture
def echo_urls(settings):
    settings.ROOT_URLCONF = "tests.lambda_urls"
    settings.ALLOWED_HOSTS = ["api.voldash.test"]


EVENT_KINDS = ["v1", "v2", "alb"]


def get_event(kind: str, path: str, query: dict[str, list[str]]):
    if kind == "v2":
        raw = "&".join(f"{k}={v}" for k, vs in query.items() for v in vs)
        return v2_event("GET", path, raw)
    return v1_event("GET", path, query, alb=kind == "alb")


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_the_task_list_through_each_event_kind(seeded, kind):
    response = handler(get_event(kind, "/api/v1/tasks", {"shop": ["lasers"], "limit": ["5"]}), None)
    assert response["statusCode"] == 200
    assert [t["id"] for t in decode(response)["items"]] == [seeded.id]
    assert header(response, "content-type") == "application/json; charset=utf-8"


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_task_detail_and_404_through_each_event_kind(seeded, kind):
    ok = handler(get_event(kind, f"/api/v1/tasks/{seeded.id}", {}), None)
    assert decode(ok)["shop"] == "lasers"
    missing = handler(get_event(kind, "/api/v1/tasks/zzz", {}), None)
    assert missing["statusCode"] == 404 and decode(missing)["code"] == "not_found"


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_a_bad_query_is_a_4xx_through_each_event_kind(seeded, kind):
    response = handler(get_event(kind, "/api/v1/tasks", {"limit": ["500"]}), None)
    assert response["statusCode"] == 422
    assert "limit" in decode(response)["message"]


RAW = b'{"event":"taskUpdated","task_id":"86abc","note":"caf\xc3\xa9 \xe2\x9c\x93"}'


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_base64_bodies_headers_and_query_strings_arrive_byte_exact(echo_urls, table, kind):
    headers = {"Content-Type": "application/json", "X-Signature": "abc123"}
    if kind == "v2":
        event = v2_event(
            "POST",
            "/__echo",
            "a=1&a=2&b=x%20y",
            headers={k.lower(): v for k, v in headers.items()},
            body=RAW,
            cookies=["sessionid=s1", "other=2"],
        )
    else:
        event = v1_event(
            "POST",
            "/__echo",
            {"a": ["1", "2"], "b": ["x y"]},
            headers={**headers, "Cookie": "sessionid=s1; other=2"},
            body=RAW,
            alb=kind == "alb",
        )
    response = handler(event, None)
    assert response["statusCode"] == 200
    echoed = decode(response)
    assert echoed["body"].encode("utf-8") == RAW
    assert echoed["x_signature"] == "abc123"
    assert echoed["content_type"] == "application/json"
    assert echoed["query"] == {"a": ["1", "2"], "b": ["x y"]}
    assert echoed["cookie"] == "s1"
    assert echoed["secure"] is True


def test_the_keep_warm_ping_is_answered_without_django_or_dynamodb(table):
    from voldash_site.dynamodb.metrics import count_calls
    from voldash_site.lambda_handler import KEEP_WARM_EVENT

    with count_calls() as log:
        assert handler(dict(KEEP_WARM_EVENT), None) == {"warm": True}
    assert log.total == 0
    with pytest.raises(KeyError):  # anything else is apig-wsgi's, which wants an HTTP event
        handler({"voldash_keep_warm": "yes"}, None)
