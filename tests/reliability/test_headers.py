"""Security headers: CSP per kind of page, Permissions-Policy, no-store on personal responses,
and CloudFront's response headers policy on the API paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


def signed_in(neon_id: str) -> Client:
    client = Client()
    login(client, neon_id)
    return client


def csp_of(response) -> dict[str, str]:
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    }


@pytest.mark.parametrize("path", ["/staff/", "/staff/tasks/", "/staff/sync/", "/staff/volunteers/1001/"])
def test_staff_pages_run_only_their_own_script_and_are_never_stored(cast, path):
    response = signed_in("1005").get(path)
    assert response.status_code == 200
    csp = csp_of(response)
    assert csp["default-src"] == "'none'" and csp["script-src"] == "'self'"  # staff.js only
    assert "<script>" not in response.content.decode()  # no inline code anywhere
    assert csp["frame-ancestors"] == "'none'" and csp["form-action"] == "'self'"
    assert "no-store" in response["Cache-Control"]
    assert "camera=()" in response["Permissions-Policy"]


def test_the_staff_login_page_is_never_stored(table):
    response = Client().get("/staff/login")
    assert "no-store" in response["Cache-Control"] and csp_of(response)["default-src"] == "'none'"


def test_the_api_docs_allow_only_their_own_scripts(table):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    csp = csp_of(response)
    assert csp["script-src"] == "'self'" and csp["connect-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/me/tasks", "/api/v1/me/hours", "/api/v1/tasks"])
def test_personal_api_responses_are_never_stored(cast, path):
    response = signed_in("1001").get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert csp_of(response)["default-src"] == "'none'"
    assert "geolocation=()" in response["Permissions-Policy"]


def test_public_anonymous_reads_may_be_cached_and_csrf_and_logout_may_not(cast):
    public = Client().get("/api/v1/tasks")
    assert "no-store" not in public.get("Cache-Control", "")
    assert "no-store" in Client().get("/api/v1/csrf")["Cache-Control"]
    assert "no-store" in signed_in("1001").post("/auth/logout")["Cache-Control"]


def test_cloudfront_adds_security_headers_on_the_api_paths():
    from voldash_site.dynamodb.schema import load_template

    template = load_template(ROOT / "template.yaml")
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    for path in ("/api/*", "/auth/*", "/staff/*", "/webhooks/*"):
        ref = behaviors[path]["ResponseHeadersPolicyId"]
        policy = template["Resources"][ref["Ref"] if isinstance(ref, dict) else ref]
        assert policy["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    assert "default-src 'none'" in security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert any(h["Header"] == "Permissions-Policy" for h in headers["CustomHeadersConfig"]["Items"])


@pytest.mark.parametrize("path", ["/report/", "/auth/magic-link/some-token"])
def test_public_pages_post_their_forms_here_and_run_no_script(table, path):
    response = Client().get(path)
    assert response.status_code == 200
    csp = csp_of(response)
    assert csp["form-action"] == "'self'" and "script-src" not in csp and csp["default-src"] == "'none'"
