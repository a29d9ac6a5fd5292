"""Log in by e-mail (a single-use magic link, 15 minutes) against a fake Neon on 127.0.0.1,
with Django's in-memory mailbox; and the SES backend against moto's SES."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client

from tests.fakes.neon import FakeNeon
from voldash_site.container import get_container, set_container

LINK = re.compile(r"http://testserver(/auth/magic-link/[A-Za-z0-9_-]+)")


@pytest.fixture
def neon(cast, settings):
    with FakeNeon() as fake:
        settings.NEON_API_URL = fake.api_url
        settings.NEON_ORG_ID = "asmbly"
        settings.NEON_API_KEY = "neon-test-key"
        set_container(None)
        today = datetime.now(UTC).date()
        fake.add_account(
            "2042",
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.org",
            individual_types=["Volunteer"],
            memberships=[
                FakeNeon.membership(start=today - timedelta(days=30), end=today + timedelta(days=300))
            ],
        )
        fake.add_account("2050", first_name="Twin", last_name="One", email="shared@example.org")
        fake.add_account("2051", first_name="Twin", last_name="Two", email="shared@example.org")
        yield fake
        set_container(None)


def ask(client: Client, email: str, **extra):
    return client.post("/auth/magic-link", {"email": email, **extra}, content_type="application/json")


def the_link() -> str:
    assert len(mail.outbox) == 1, [m.to for m in mail.outbox]
    found = LINK.search(mail.outbox[0].body)
    assert found, mail.outbox[0].body
    return found.group(1)


def test_a_known_address_gets_a_link_that_logs_in_once(neon):
    client = Client()
    answer = ask(client, "Ada@Example.org", next="/dashboard")
    assert answer.status_code == 202 and answer.json()["status"] == "sent_if_known"
    assert mail.outbox[0].to == ["Ada@example.org"]
    path = the_link()

    page = client.get(path)  # a mail scanner opening the link spends nothing
    assert page.status_code == 200 and b"Log in" in page.content
    done = client.post(path)
    assert done.status_code == 302 and done["Location"] == "/dashboard"
    me = client.get("/api/v1/me").json()
    assert me["neon_id"] == "2042" and me["name"] == "Ada Lovelace" and me["membership_active"] is True

    again = Client().post(path)
    assert again["Location"] == "/?login_error=invalid_link"


def test_unknown_and_ambiguous_addresses_get_the_same_answer_and_no_mail(neon):
    known = ask(Client(), "ada@example.org")
    mail.outbox.clear()
    for address in ("nobody@example.org", "shared@example.org"):
        answer = ask(Client(), address)
        assert (answer.status_code, answer.json()) == (known.status_code, known.json())
    assert mail.outbox == []


def test_a_link_expires_after_15_minutes(neon):
    client = Client()
    ask(client, "ada@example.org")
    path = the_link()
    container = get_container()
    later = datetime.now(UTC) + timedelta(minutes=15, seconds=5)
    container.clock = lambda: later
    assert client.post(path)["Location"] == "/?login_error=invalid_link"
    assert client.get("/api/v1/me").status_code == 401


def test_a_made_up_token_is_refused(neon):
    response = Client().post("/auth/magic-link/not-a-real-token")
    assert response.status_code == 302 and response["Location"] == "/?login_error=invalid_link"


def test_requests_are_limited_per_address_and_per_client(neon):
    for _ in range(3):
        assert ask(Client(), "ada@example.org").status_code == 202
    limited = ask(Client(), "ada@example.org")
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0
    assert len(mail.outbox) == 3

    other_client = Client(REMOTE_ADDR="198.51.100.7")
    answers = [ask(other_client, f"someone{i}@example.org").status_code for i in range(11)]
    assert answers == [202] * 10 + [429]  # unknown addresses count the same: nothing leaks


def test_bad_input_is_a_4xx_and_needs_csrf(neon):
    bad = ask(Client(), "not-an-address")
    assert bad.status_code == 422 and bad.json()["message"].startswith("email:")
    assert bad.json()["detail"]["fields"][0]["field"] == "email"
    assert Client().post("/auth/magic-link", b"[1]", content_type="application/json").status_code == 400
    strict = Client(enforce_csrf_checks=True)
    assert ask(strict, "ada@example.org").status_code == 403
    assert mail.outbox == []


def test_neon_down_is_a_503_and_sends_nothing(neon):
    neon.fail_next("/v2/accounts/search", 500, times=5)
    answer = ask(Client(), "ada@example.org")
    assert answer.status_code == 503 and answer.json()["code"] == "neon_unavailable"
    assert mail.outbox == []


def test_the_ses_backend_sends_what_django_built(settings, monkeypatch):
    """moto's SES (in process) receives the raw MIME message Django built."""
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    settings.EMAIL_BACKEND = "integrations.email.ses.SESEmailBackend"
    settings.AWS_REGION = "us-east-1"
    settings.EMAIL_FROM = "volunteers@asmbly.org"
    with mock_aws():
        import boto3
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        boto3.client("ses", region_name="us-east-1").verify_email_identity(
            EmailAddress="volunteers@asmbly.org"
        )
        from integrations.email.mailer import DjangoMailer

        DjangoMailer().send(to="ada@example.org", subject="Your login link", body="Open https://x/1")
        sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
        assert len(sent) == 1
        assert "ada@example.org" in str(sent[0].destinations)
        assert "Your login link" in sent[0].raw_data and "Open https://x/1" in sent[0].raw_data
