"""Issue 23, findings 3 and 4: who counts as one address for the per-address limits.

From the outside: problem reports sent through HTTP with the headers an attacker controls.
IPv6 counts by its /64 and the port never counts (CloudFront-Viewer-Address is ``ip:port``, IPv6
without brackets); the configured header is believed only while the origin secret turns away
requests that went around CloudFront; a combined header counts by its last value."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from tests.reliability.test_settings_fail_closed import CLOUD, refused, started
from tests.test_deploy_templates import template
from voldash_site.client_ip import client_address, normalize
from voldash_site.container import set_container

SECRET = "fake-origin-secret"
HEADER = "CloudFront-Viewer-Address"
REPORT = {"problem_type": "Equipment", "area": "Woodshop", "summary": "Fence will not lock"}


@pytest.fixture
def limited(cast, settings):
    """Two reports an hour per address; devices are not what is counted here."""
    settings.REPORT_LIMIT_PER_ADDRESS = 2
    settings.REPORT_LIMIT_PER_DEVICE = 1000
    settings.CLIENT_IP_HEADER = HEADER
    settings.ORIGIN_VERIFY_SECRET = SECRET
    set_container(None)
    return settings


def report(viewer_address: str | None, *, remote: str = "192.0.2.1", origin: str | None = SECRET) -> int:
    headers = {}
    if viewer_address is not None:
        headers["HTTP_CLOUDFRONT_VIEWER_ADDRESS"] = viewer_address
    if origin is not None:
        headers["HTTP_X_ORIGIN_VERIFY"] = origin
    response = Client(REMOTE_ADDR=remote).post(
        "/api/v1/problem-reports", REPORT, content_type="application/json", **headers
    )
    assert response.status_code in (201, 429), response.content
    if response.status_code == 429:
        assert response.json()["code"] == "rate_limited"
    return response.status_code


def test_ipv6_counts_by_its_64_whatever_the_port_and_the_host_part(limited):
    # One subscriber: a new port per connection and a new address inside their /64 every time.
    sent = [report(f"2001:db8:aa:bb:{i:x}:{i:x}::{i:x}:{40000 + i}") for i in range(1, 6)]
    assert sent == [201, 201, 429, 429, 429]
    assert report("2001:db8:aa:cc::1:40000") == 201  # another /64 is someone else


def test_an_ipv4_port_is_not_part_of_the_address(limited):
    assert [report(f"203.0.113.7:{5000 + i}") for i in range(4)] == [201, 201, 429, 429]
    assert report("[2001:db8:dd:ee::5]:443") == 201  # the bracketed form is read too
    assert report("[2001:db8:dd:ee::6]:444") == 201
    assert report("[2001:db8:dd:ee::7]:445") == 429


def test_a_combined_header_counts_by_its_last_value(limited):
    # The client writes the first values; the last one is what the edge saw.
    sent = [report(f"198.51.100.{i}, 10.9.8.{i}, 203.0.113.50:{6000 + i}") for i in range(4)]
    assert sent == [201, 201, 429, 429]


def test_without_the_origin_secret_the_header_is_not_believed(limited):
    limited.ORIGIN_VERIFY_SECRET = ""
    # Straight to the API Gateway URL, naming a new address each time: the connection counts.
    sent = [report(f"203.0.113.{i}:443", remote="198.51.100.77", origin=None) for i in range(4)]
    assert sent == [201, 201, 429, 429]


def test_with_the_origin_secret_a_request_around_cloudfront_is_refused(limited):
    response = Client().post(
        "/api/v1/problem-reports",
        REPORT,
        content_type="application/json",
        HTTP_CLOUDFRONT_VIEWER_ADDRESS="1.2.3.4:1",
    )
    assert response.status_code == 403


def test_the_connections_ipv6_address_counts_by_its_64_too(cast, settings):
    settings.REPORT_LIMIT_PER_ADDRESS = 2
    settings.REPORT_LIMIT_PER_DEVICE = 1000
    settings.CLIENT_IP_HEADER = ""
    set_container(None)
    sent = [report(None, remote=f"2001:db8:77:1::{i:x}", origin=None) for i in range(1, 5)]
    assert sent == [201, 201, 429, 429]


# --- the settings refuse the header without the secret (outside local and test) ---------------


def test_the_cloud_refuses_a_client_address_header_without_the_origin_secret():
    cloud = {**CLOUD, "VOLDASH_ENV": "prod", "CLIENT_IP_HEADER": HEADER}
    assert "ORIGIN_VERIFY_SECRET is empty" in refused(cloud)
    assert started({**cloud, "ORIGIN_VERIFY_SECRET": SECRET})["env"] == "prod"
    assert started({**CLOUD, "VOLDASH_ENV": "prod"})["env"] == "prod"  # no header: no secret needed
    # The workers serve no requests: they start (and wait for their secrets) either way.
    assert started({**cloud, "VOLDASH_WAIT_FOR_SECRETS": "true"})["env"] == "prod"


def test_the_template_sets_the_header_only_with_the_origin_secret():
    env = template()["Globals"]["Function"]["Environment"]["Variables"]
    assert env["CLIENT_IP_HEADER"] == {"Fn::If": ["HasOriginSecret", HEADER, ""]}


# --- the rules, one by one (also what the mutation run checks) --------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("203.0.113.7:443", "203.0.113.7"),
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7:1 ", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6:65535", "2001:db8:1:2::/64"),  # CloudFront's form: port after the last colon
        ("2001:db8:1:2::9:1024", "2001:db8:1:2::/64"),
        ("[2001:db8:1:2::9]:1024", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::9", "2001:db8:1:2::/64"),  # no port
        ("::ffff:203.0.113.9:80", "203.0.113.9"),  # IPv4-mapped: its IPv4 address
        ("a, b, 203.0.113.8:9", "203.0.113.8"),
        ("198.51.100.1,203.0.113.8", "203.0.113.8"),  # no spaces after the commas
        ("203.0.113.8:9, nonsense", "192.0.2.44"),  # the last value is no address: the connection
        ("not-an-address", "192.0.2.44"),
        ("[2001:db8::1", "192.0.2.44"),
        ("", "192.0.2.44"),
    ],
)
def test_the_address_read_from_the_header(settings, value, expected):
    settings.CLIENT_IP_HEADER, settings.ORIGIN_VERIFY_SECRET = HEADER, SECRET
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.44", HTTP_CLOUDFRONT_VIEWER_ADDRESS=value)
    assert client_address(request) == expected


def test_the_connections_address(settings):
    settings.CLIENT_IP_HEADER, settings.ORIGIN_VERIFY_SECRET = HEADER, ""
    factory = RequestFactory()
    assert client_address(factory.get("/", REMOTE_ADDR="2001:db8:5:6:7::8")) == "2001:db8:5:6::/64"
    ignored = factory.get("/", REMOTE_ADDR="192.0.2.9", HTTP_CLOUDFRONT_VIEWER_ADDRESS="1.1.1.1")
    assert client_address(ignored) == "192.0.2.9"  # no origin secret: the header is not read
    assert client_address(factory.get("/", REMOTE_ADDR="")) == "unknown"
    assert normalize("2001:db8:5:6:ffff:ffff:ffff:ffff") == "2001:db8:5:6::/64"
    assert normalize("10.0.0.300") is None
