"""The SPA's local development setups the README documents: a dev-server proxy in front of
the API (Host kept, or rewritten with CSRF_TRUSTED_ORIGINS), and no CORS for other origins."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import login

DEV_SERVER = "http://localhost:5173"


@pytest.fixture
def member(cast) -> Client:
    """Alex, logged in, in a client that enforces CSRF like a browser would."""
    plain = Client()
    login(plain, "1001")
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = plain.cookies
    return strict


def _claim_unknown_task(client: Client, *, host: str, origin: str | None, token: str | None):
    headers = {"HTTP_HOST": host}
    if origin:
        headers["HTTP_ORIGIN"] = origin
    if token:
        headers["HTTP_X_CSRFTOKEN"] = token
    return client.post("/api/v1/tasks/no-such-task/claim", content_type="application/json", **headers)


def _token(client: Client, host: str) -> str:
    return client.get("/api/v1/csrf", HTTP_HOST=host).json()["csrf_token"]


def test_a_proxy_that_keeps_the_host_passes_csrf(member):
    token = _token(member, "localhost:5173")
    response = _claim_unknown_task(member, host="localhost:5173", origin=DEV_SERVER, token=token)
    assert response.status_code == 404 and response.json()["code"] == "not_found"  # past CSRF


def test_a_proxy_that_rewrites_the_host_needs_the_dev_origin_trusted(member, settings):
    token = _token(member, "127.0.0.1:8000")
    refused = _claim_unknown_task(member, host="127.0.0.1:8000", origin=DEV_SERVER, token=token)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"

    settings.CSRF_TRUSTED_ORIGINS = [DEV_SERVER]
    allowed = _claim_unknown_task(member, host="127.0.0.1:8000", origin=DEV_SERVER, token=token)
    assert allowed.status_code == 404 and allowed.json()["code"] == "not_found"


def test_without_the_token_even_the_same_origin_is_refused(member):
    response = _claim_unknown_task(member, host="localhost:5173", origin=DEV_SERVER, token=None)
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


def test_other_origins_get_no_cors_headers(cast):
    client = Client()
    preflight = client.options(
        "/api/v1/tasks",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    read = client.get("/api/v1/tasks", HTTP_ORIGIN="https://evil.example")
    for response in (preflight, read):
        assert not any(h.lower().startswith("access-control-allow") for h in response.headers)
