"""Log in by e-mail: a single-use link, valid for 15 minutes, sent to an address Neon knows.

Use cases only (no Django, no PynamoDB): the Neon gateway, the link store, the rate limiter and
the mailer come in as arguments. What the requester is told never depends on whether the address
is known: the same answer (and the same rate limits) for every address.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from voldash_site.errors import DomainError, InvalidInput

from .domain import Viewer
from .login_links import LoginLink, LoginLinkRepository
from .neon_profile import RoleMapping
from .use_cases import NeonGateway, NeonUnavailable, ShopLookup, build_viewer, refresh_from_neon

if TYPE_CHECKING:
    from .repository import VolunteerRepository

logger = logging.getLogger("voldash.auth")

LINK_LIFETIME = timedelta(minutes=15)
# (scope, hits, window in seconds): per address and per client (IP), shared by every container.
PER_ADDRESS = ("magic-link-address", 3, 15 * 60)
PER_CLIENT = ("magic-link-client", 10, 15 * 60)
EMAIL_PATTERN = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


class RateLimited(DomainError):
    code = "rate_limited"


class InvalidLink(DomainError):
    code = "invalid_link"


class NeonDirectory(Protocol):
    def find_account_ids_by_email(self, email: str) -> list[str]: ...


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str) -> None: ...


class RateLimiter(Protocol):
    def __call__(self, *, scope: str, key: str, max_hits: int, window_seconds: int) -> bool: ...


def private_key(secret: str, scope: str, value: str) -> str:
    """The rate-limit key of an address or IP: an HMAC keyed with the deployment's secret, so
    the table holds no personal data and a reader of it cannot hash every IPv4 address (or a
    list of e-mails) to reverse it (issue 23, finding 12)."""
    if not secret:
        raise ValueError("rate-limit keys need a secret")
    message = f"{scope}:{value.strip().lower()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def normalize_email(raw: str) -> str:
    email = (raw or "").strip()
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        raise InvalidInput("email: enter an e-mail address like maker@example.com", field="email")
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _check_limits(limiter: RateLimiter, *, email: str, client: str, secret: str) -> None:
    """The client first: a client over its own limit is turned away before it can spend the
    address's budget, so nobody locks another person's address out by asking for it."""
    for (scope, hits, window), key in ((PER_CLIENT, client), (PER_ADDRESS, email)):
        hashed = private_key(secret, scope, key)
        if not limiter(scope=scope, key=hashed, max_hits=hits, window_seconds=window):
            raise RateLimited(
                "Too many login links were asked for; wait a few minutes and try again.",
                detail={"retry_after_seconds": window},
            )


def request_magic_link(
    *,
    email: str,
    client: str,
    next_url: str,
    neon: NeonDirectory,
    links: LoginLinkRepository,
    limiter: RateLimiter,
    mailer: Mailer,
    link_url: Callable[[str], str],
    now: datetime,
    key_secret: str,
) -> None:
    """E-mail a login link if exactly one Neon account has this address; otherwise do nothing.
    Either way the caller answers the same."""
    from integrations.http import IntegrationError

    address = normalize_email(email)
    _check_limits(limiter, email=address, client=client, secret=key_secret)
    try:
        account_ids = neon.find_account_ids_by_email(address)
    except IntegrationError as exc:
        raise NeonUnavailable("Neon CRM could not be reached; try again in a minute.") from exc
    if len(account_ids) != 1:
        logger.info("auth.magic_link.not_sent", extra={"accounts": len(account_ids)})
        return
    token = secrets.token_urlsafe(32)
    links.create(token, LoginLink(neon_id=account_ids[0], expires_at=now + LINK_LIFETIME, next_url=next_url))
    mailer.send(
        to=address,
        subject="Your login link for the Asmbly Volunteer Dashboard",
        body=(
            "Hello,\n\n"
            "Someone (we hope you) asked to log in to the Asmbly Volunteer Dashboard with this address.\n"
            f"Open this link within 15 minutes to log in (it works once):\n\n{link_url(token)}\n\n"
            "If you did not ask for it, ignore this e-mail: nothing happens without the link.\n"
        ),
    )
    logger.info("auth.magic_link.sent", extra={"neon_id": account_ids[0]})


def redeem_magic_link(
    *,
    token: str,
    links: LoginLinkRepository,
    neon: NeonGateway,
    volunteers: VolunteerRepository,
    shops: ShopLookup,
    roles: RoleMapping,
    now: datetime,
    today: date,
) -> tuple[Viewer, str]:
    """Spend the link (once) and log in exactly as the Neon OAuth login does: the profile is
    refreshed from Neon. Returns the viewer and where to go next."""
    if not token or len(token) > 200:
        raise InvalidLink("This login link is not valid.")
    link = links.redeem(token, now=now)
    if link is None:
        raise InvalidLink("This login link was already used or has expired; ask for a new one.")
    profile = refresh_from_neon(
        account_id=link.neon_id,
        neon=neon,
        volunteers=volunteers,
        shops=shops,
        roles=roles,
        now=now,
        today=today,
    )
    return build_viewer(profile, shops.all(), now=now), link.next_url
