"""Fast unit tests of the security checks (no database): what the mutation run
(`make mutation`) relies on to kill mutants of the webhook checks, escaping and cursors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.test import RequestFactory

from integrations.clickup.webhooks import _secret_ok, signature_ok
from integrations.neon.webhooks import credentials_ok, find_account_id
from integrations.webhook_common import MAX_WEBHOOK_BYTES, too_large
from voldash_site.dynamodb import cursor as cursors
from voldash_site.errors import InvalidCursor
from voldash_site.escaping import discourse_text


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_neon_credentials_need_both_parts_right():
    assert credentials_ok(basic("neon", "s3cret"), "neon", "s3cret")
    assert credentials_ok("Basic  " + basic("neon", "s3cret")[6:] + " ", "neon", "s3cret")
    assert credentials_ok(basic("neon", "pa:ss"), "neon", "pa:ss")  # a colon in the password
    assert not credentials_ok(basic("neon", "wrong"), "neon", "s3cret")
    assert not credentials_ok(basic("other", "s3cret"), "neon", "s3cret")
    assert not credentials_ok(basic("neon", "s3cret" + "x"), "neon", "s3cret")
    assert not credentials_ok(basic("neon", "s3cre"), "neon", "s3cret")
    assert not credentials_ok(basic("neons", "s3cret"), "neon", "s3cret")
    assert not credentials_ok(basic("neon", ""), "neon", "s3cret")
    assert not credentials_ok(basic("", "s3cret"), "neon", "s3cret")


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Basic",
        "Basic ",
        "Bearer " + basic("neon", "s3cret")[6:],
        "basic" + basic("neon", "s3cret")[5:],
        "Basic !!!",
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Basic \xff\xff",
    ],
)
def test_neon_credentials_refuse_malformed_headers(header):
    assert not credentials_ok(header, "neon", "s3cret")


def test_neon_credentials_are_refused_when_not_configured():
    assert not credentials_ok(basic("", ""), "", "")
    assert not credentials_ok(basic("neon", ""), "neon", "")
    assert not credentials_ok(basic("", "s3cret"), "", "s3cret")


def test_the_automation_secret_must_match_and_be_configured():
    assert _secret_ok("automation-secret", "automation-secret")
    assert not _secret_ok("automation-secre", "automation-secret")
    assert not _secret_ok("automation-secretx", "automation-secret")
    assert not _secret_ok("", "")
    assert not _secret_ok("x", "")


def test_the_clickup_signature_is_the_full_hmac_of_the_body():
    body, secret = b'{"event": "taskCreated"}', "whsec_test"
    good = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert signature_ok(body, good, secret)
    assert signature_ok(body, good.upper(), secret)
    assert signature_ok(body, f"  {good}\n", secret)
    assert not signature_ok(body + b" ", good, secret)
    assert not signature_ok(body, good, secret + "x")
    for i in (0, 31, 63):
        flipped = good[:i] + ("0" if good[i] != "0" else "1") + good[i + 1 :]
        assert not signature_ok(body, flipped, secret), i
    assert not signature_ok(body, good[:8], secret) and not signature_ok(body, good + "00", secret)
    assert not signature_ok(body, "é" * 64, secret)


@pytest.mark.parametrize(
    ("length", "refused"),
    [
        (None, False),
        ("0", False),
        (str(MAX_WEBHOOK_BYTES), False),
        (str(MAX_WEBHOOK_BYTES + 1), True),
        ("-1", True),
        ("abc", True),
        ("1e3", True),
    ],
)
def test_webhook_bodies_are_bounded(length, refused):
    extra = {} if length is None else {"CONTENT_LENGTH": length}
    request = RequestFactory().post("/webhooks/neon", **extra)
    if length is None:
        request.META.pop("CONTENT_LENGTH", None)
    assert too_large(request) is refused


def test_the_neon_account_id_is_found_breadth_first():
    assert find_account_id({"data": {"individualAccount": {"accountId": "42"}}}) == "42"
    assert find_account_id({"accountId": 7}) == "7"
    assert find_account_id({"a": {"b": {"accountId": "deep"}}, "account_id": "top"}) == "top"
    assert find_account_id([{"x": 1}, {"individualAccountId": " 9 "}]) == "9"
    assert find_account_id({"accountId": "  "}) is None
    assert find_account_id({}) is None


def test_neon_credentials_refuse_base64_with_junk_characters():
    # Lenient base64 decoding would skip the junk and accept the credentials.
    assert not credentials_ok(basic("neon", "s3cret") + "*", "neon", "s3cret")
    assert not credentials_ok("Basic " + "*" + basic("neon", "s3cret")[6:], "neon", "s3cret")


def test_discourse_text_escapes_ampersands_and_angle_brackets():
    assert discourse_text("a & b < c > d") == "a &amp; b &lt; c &gt; d"


def test_cursor_edge_cases_are_refused_with_a_clear_message():
    key = {"PK": "TASK#x", "SK": "TASK"}
    allowed = ("PK", "SK")
    assert cursors.encode(None, scope="s", secret="k" * 50) is None
    assert cursors.encode({}, scope="s", secret="k" * 50) is None
    assert cursors.decode(None, scope="s", secret="k" * 50, allowed_keys=allowed) is None
    assert cursors.decode("", scope="s", secret="k" * 50, allowed_keys=allowed) is None
    good = cursors.encode(key, scope="s", secret="k" * 50)
    assert "." in good and ":" not in good and " " not in good  # compact and URL-friendly
    assert len(good) < 120
    malformed = "The cursor is malformed; use the next_cursor of a previous page."
    for bad in ("nodot", "a.b.c", "x" * (cursors.MAX_CURSOR_LENGTH + 1), good + "." + good):
        with pytest.raises(InvalidCursor) as refused:
            cursors.decode(bad, scope="s", secret="k" * 50, allowed_keys=allowed)
        assert refused.value.message == malformed
    body, sig = good.split(".")
    with pytest.raises(InvalidCursor) as altered:
        cursors.decode(body + "x." + sig, scope="s", secret="k" * 50, allowed_keys=allowed)
    assert altered.value.message.startswith("The cursor does not belong to this query")
    # Signed by us, but not a key of this query: refused too.
    for payload in ({"PK": "x", "GSI1PK": "y"}, ["PK"]):
        signed = cursors._signer("k" * 50, "s").sign(cursors._b64(json.dumps(payload).encode()))
        with pytest.raises(InvalidCursor) as wrong:
            cursors.decode(signed, scope="s", secret="k" * 50, allowed_keys=allowed)
        assert wrong.value.message == "The cursor is malformed."
    assert cursors.decode(good, scope="s", secret=["k" * 50], allowed_keys=allowed) == key
    assert cursors._unb64(cursors._b64(b"\xff\x00ab")) == b"\xff\x00ab"
    assert "=" not in cursors._b64(b"ab")


def test_a_cursor_of_exactly_the_maximum_length_is_checked_not_refused_as_too_long():
    at_limit = "x" * (cursors.MAX_CURSOR_LENGTH - 1) + "."
    with pytest.raises(InvalidCursor) as refused:
        cursors.decode(at_limit, scope="s", secret="k" * 50, allowed_keys=("PK",))
    assert refused.value.message.startswith("The cursor does not belong to this query")
