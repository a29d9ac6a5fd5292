"""Neon CRM: constituent OAuth (log in with Neon) and API v2 account reads.

Contracts: reference/external-apis.md section 2 and reference/asmbly.md section 5. API v2
uses HTTP Basic auth with the org id and an API key; the OAuth token endpoint answers with
an ``access_token`` that is the member's Neon account id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from integrations.http import IntegrationError, call, make_client, raise_for_status

SERVICE = "neon"
API_VERSION = "2.10"
MEMBERSHIP_PAGE_SIZE = 50


@dataclass(frozen=True)
class NeonConfig:
    api_url: str
    org_id: str
    api_key: str
    oauth_authorize_url: str
    oauth_token_url: str
    client_id: str
    client_secret: str

    @property
    def api_configured(self) -> bool:
        return bool(self.org_id and self.api_key)

    @property
    def oauth_configured(self) -> bool:
        return bool(self.client_id and self.client_secret)


@dataclass(frozen=True)
class NeonAccount:
    account: dict[str, Any]  # the "individualAccount" (or "companyAccount") object
    memberships: list[dict[str, Any]]


class NeonClient:
    def __init__(self, config: NeonConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._api = make_client(
            config.api_url.rstrip("/"),
            auth=httpx.BasicAuth(config.org_id, config.api_key),
            headers={"NEON-API-VERSION": API_VERSION, "Accept": "application/json"},
            transport=transport,
        )
        self._oauth = make_client("", transport=transport)

    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
        }
        return str(httpx.URL(self.config.oauth_authorize_url, params=params))

    def exchange_code(self, *, code: str, redirect_uri: str) -> str:
        """Trade the authorization code for the member's account id (Neon's access_token)."""
        if not self.config.oauth_configured:
            raise IntegrationError(SERVICE, "OAuth client id/secret are not configured", permanent=True)
        response = call(
            SERVICE,
            lambda: self._oauth.post(
                self.config.oauth_token_url,
                data={
                    "code": code,
                    "client_id": self.config.client_id,
                    "client_secret": self.config.client_secret,
                    "grant_type": "authorization_code",
                    "redirect_uri": redirect_uri,
                },
                headers={"Accept": "application/json"},
            ),
        )
        raise_for_status(SERVICE, response)
        try:
            token = response.json().get("access_token")
        except ValueError as exc:
            raise IntegrationError(SERVICE, "token response is not JSON", permanent=True) from exc
        if not token or not str(token).strip():
            raise IntegrationError(SERVICE, "token response has no access_token", permanent=True)
        return str(token).strip()

    def get_account(self, account_id: str) -> NeonAccount | None:
        """The account and all its memberships (two or more requests). None if unknown."""
        if not self.config.api_configured:
            raise IntegrationError(SERVICE, "NEON_ORG_ID/NEON_API_KEY are not configured", permanent=True)
        response = call(SERVICE, lambda: self._api.get(f"/accounts/{account_id}"))
        if response.status_code == 404:
            return None
        raise_for_status(SERVICE, response)
        body = response.json()
        account = body.get("individualAccount") or body.get("companyAccount")
        if not isinstance(account, dict):
            raise IntegrationError(SERVICE, "account response has no individualAccount", permanent=True)
        return NeonAccount(account=account, memberships=self._memberships(account_id))

    def find_account_ids_by_email(self, email: str) -> list[str]:
        """Account ids whose e-mail is ``email`` (POST /accounts/search; Neon compares text
        case-insensitively). Neon allows one search at a time per org: a 429 is transient."""
        if not self.config.api_configured:
            raise IntegrationError(SERVICE, "NEON_ORG_ID/NEON_API_KEY are not configured", permanent=True)
        body = {
            "searchFields": [{"field": "Email", "operator": "EQUAL", "value": email}],
            "outputFields": ["Account ID"],
            "pagination": {"currentPage": 0, "pageSize": 10},
        }
        response = call(SERVICE, lambda: self._api.post("/accounts/search", json=body))
        raise_for_status(SERVICE, response)
        try:
            results = response.json().get("searchResults") or []
        except ValueError as exc:
            raise IntegrationError(SERVICE, "search response is not JSON", permanent=False) from exc
        return [str(r["Account ID"]) for r in results if isinstance(r, dict) and r.get("Account ID")]

    def _memberships(self, account_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 0
        while True:
            response = call(
                SERVICE,
                lambda p=page: self._api.get(
                    f"/accounts/{account_id}/memberships",
                    params={"currentPage": p, "pageSize": MEMBERSHIP_PAGE_SIZE},
                ),
            )
            if response.status_code == 404:
                return out
            raise_for_status(SERVICE, response)
            body = response.json()
            out += list(body.get("memberships") or [])
            total_pages = int((body.get("pagination") or {}).get("totalPages") or 1)
            page += 1
            if page >= total_pages:
                return out
