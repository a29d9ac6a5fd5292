"""A fake Neon CRM served over real HTTP on 127.0.0.1, for tests.

It reproduces the contracts in ``shared/reference/external-apis.md`` §2 and ``asmbly.md`` §5:

- API v2 under ``/v2``: HTTP Basic auth (org id : API key), optional ``NEON-API-VERSION: 2.x`` header,
  error bodies as JSON arrays of ``{"code", "message"}``.
- ``GET /v2/accounts/{id}``, ``GET /v2/accounts/{id}/memberships`` (0-based pages, at most 200 per page)
  and ``POST /v2/accounts/search`` (flat, string-valued results keyed by output field; custom fields by
  id; multi-selects pipe-joined; one search at a time per org, else 429).
- Constituent OAuth ("Login with Neon"): ``GET /np/oauth/auth`` redirects back with a single-use code
  that expires after 10 minutes; ``POST /np/oauth/token`` exchanges it for the account id, which is what
  Neon hands out as ``access_token``.

Choices where Neon's behaviour is not documented (see the reference): fields without a value are left
out of account JSON (``preferredName``, ``email1``); text search is case-insensitive; a search needs at
least one search field and one output field; an account without a current membership is "Inactive";
"Date Modified" is compared and returned as ``YYYY-MM-DD`` (UTC); an invalid ``NEON-API-VERSION`` is 400.

Test hooks beyond Neon: ``add_account(..., last_modified=...)`` sets "Date Modified"; ``clock`` (seconds,
for code expiry) and ``today`` (for membership status) can be replaced; ``requests`` records everything;
``fail_next`` injects errors and ``delay_next`` slowness (both from ``tests/fakes/_server.py``, before any
check); ``search_delay`` and ``max_concurrent_searches_seen`` exercise the limit.

Usage::

    with FakeNeon() as neon:
        neon.add_account("1001", first_name="Ada", last_name="Lovelace", email="ada@example.org",
                         individual_types=["Volunteer"], custom_fields={"84": "2024-01-02"})
        httpx.get(f"{neon.api_url}/accounts/1001", auth=("asmbly", "neon-test-key"))
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import itertools
import json
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from tests.fakes._server import FakeServer, RecordedRequest, Response, json_response, reason

# Asmbly's Neon account custom fields (asmbly.md §5); other ids are called "Field <id>".
CUSTOM_FIELD_NAMES: Final[dict[str, str]] = {
    "77": "OrientationDate",
    "84": "Woodshop Safety",
    "85": "DiscourseID",
    "86": "Big Lasers",
    "88": "KeyCardID",
    "178": "OpenPathID",
    "179": "WaiverDate",
    "180": "AccessSuspended",
    "182": "FacilityTourDate",
    "274": "Shaper Origin",
    "435": "Laguna CNC",
    "440": "Woodshop Specialty Tools",
    "520": "Metal Shop Safety",
    "675": "Stationary Sanders",
    "676": "Metal Lathe",
    "677": "Wood Lathe",
    "678": "MIG Welding",
    "679": "TIG Welding",
    "680": "Small Lasers",
    "681": "Manual Mill",
    "682": "Tormach CNC",
    "683": "Filament 3D Printers",
    "684": "Resin 3D Printers",
    "685": "Sublimation Printer",
    "686": "Vinyl Cutter",
    "850": "Area Interests",
    "1007": "Laser Rotary",
    "1008": "Highest Skill Level in Area(s) of Interest",
    "1197": "MailjetContactID",
    "1248": "CsiDate",
}

# Asmbly's individual types (asmbly.md §5) with fixed ids; other names get ids from 100 on.
INDIVIDUAL_TYPE_IDS: Final[dict[str, str]] = {
    "Paid Staff": "1",
    "Leader": "2",
    "Volunteer": "3",
    "Space Lead": "4",
    "Super Steward": "5",
    "CoWorking Tenant": "6",
    "Steward": "7",
    "Instructor": "8",
    "Wiki Admin": "9",
    "Ceramics Volunteer": "10",
}

MAX_PAGE_SIZE: Final = 200
DEFAULT_PAGE_SIZE: Final = 20
CODE_TTL_SECONDS: Final = 600.0

# Standard account fields the fake knows, with how search operators compare them.
_STANDARD_FIELDS: Final[dict[str, str]] = {
    "Account ID": "number",
    "First Name": "text",
    "Last Name": "text",
    "Preferred Name": "text",
    "Email 1": "text",
    "Individual Type": "text",
    "Account Current Membership Status": "text",
    "Date Modified": "date",
}
_SEARCH_ALIASES: Final[dict[str, str]] = {"Email": "Email 1"}
_NO_VALUE_OPERATORS: Final = frozenset({"BLANK", "NOT_BLANK"})
_ORDER_OPERATORS: Final = frozenset({"GREATER_THAN", "GREATER_AND_EQUAL", "LESS_THAN", "LESS_AND_EQUAL"})
_OPERATORS: Final = _NO_VALUE_OPERATORS | _ORDER_OPERATORS | {"EQUAL", "NOT_EQUAL", "CONTAIN", "NOT_CONTAIN"}
_ACCOUNT_KEYWORDS: Final = frozenset(
    {
        "first_name",
        "last_name",
        "email",
        "preferred_name",
        "individual_types",
        "custom_fields",
        "memberships",
        "last_modified",
    }
)
_JSON: Final = "application/json"
_TEXT: Final = "text/plain; charset=utf-8"
_API_VERSION = re.compile(r"2\.\d+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MEMBERSHIP_IDS = itertools.count(9001)
_CONTACT_IDS = itertools.count(5001)
_OPTION_IDS = itertools.count(701)

CustomFieldValue = str | list[str]


@dataclass
class _Account:
    account_id: str
    contact_id: str
    first_name: str
    last_name: str
    email: str | None
    preferred_name: str | None
    individual_types: list[str]
    custom_fields: dict[str, CustomFieldValue]
    memberships: list[dict[str, Any]]
    created: dt.datetime
    last_modified: dt.datetime


@dataclass(frozen=True)
class _Code:
    account_id: str
    redirect_uri: str | None
    expires_at: float


class _BadRequest(Exception):
    """A Neon 400: the message goes into the error array."""


def _json(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, payload, headers, content_type=_JSON)


def _neon_error(status: int, message: str) -> Response:
    return _json(status, [{"code": str(status), "message": message}])


def _method_not_allowed() -> Response:
    return _neon_error(405, "Method Not Allowed")


def _text(status: int, message: str) -> Response:
    return Response(status, message.encode(), content_type=_TEXT)


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _parse_date(value: object) -> dt.date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _BadRequest(f"Invalid date value: {value!r} (expected YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _BadRequest(f"Invalid date value: {value!r} (expected YYYY-MM-DD)") from None


def _page_number(value: object, name: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _BadRequest(f"Invalid {name}")
    try:
        return int(value)
    except ValueError:
        raise _BadRequest(f"Invalid {name}") from None


def _paginate(items: list[Any], current_page: int, page_size: int) -> tuple[list[Any], dict[str, int]]:
    if current_page < 0:
        raise _BadRequest("currentPage must be 0 or more")
    if page_size < 1:
        raise _BadRequest("pageSize must be 1 or more")
    if page_size > MAX_PAGE_SIZE:
        raise _BadRequest(f"pageSize must not exceed {MAX_PAGE_SIZE}")
    start = current_page * page_size
    pagination = {
        "currentPage": current_page,
        "pageSize": page_size,
        "totalPages": math.ceil(len(items) / page_size),
        "totalResults": len(items),
    }
    return items[start : start + page_size], pagination


def _id_sort_key(account_id: str) -> tuple[int, int, str]:
    return (0, int(account_id), "") if account_id.isdigit() else (1, 0, account_id)


class FakeNeon(FakeServer):
    """Neon CRM API v2 and constituent OAuth, in memory, behind a real HTTP server."""

    thread_name = "fake-neon"
    json_content_type = _JSON
    route_with_lock = False  # a slow search must not hold up the others: Neon answers those with 429

    def __init__(
        self,
        *,
        org_id: str = "asmbly",
        api_key: str = "neon-test-key",
        client_id: str = "voldash-client",
        client_secret: str = "voldash-secret",  # noqa: S107 - a test credential
    ) -> None:
        super().__init__()
        self.org_id = org_id
        self.api_key = api_key
        self.client_id = client_id
        self.client_secret = client_secret
        self.next_login: str | None = None
        self.search_delay: float = 0.0
        self.max_concurrent_searches_seen = 0
        # Replaceable clocks: code expiry (seconds) and "today" for membership status.
        self.clock: Callable[[], float] = time.monotonic
        self.today: Callable[[], dt.date] = dt.date.today
        self._search_slot = threading.Lock()
        self._searches_in_flight = 0
        self._accounts: dict[str, _Account] = {}
        self._codes: dict[str, _Code] = {}
        self._type_ids = dict(INDIVIDUAL_TYPE_IDS)
        self._field_names = dict(CUSTOM_FIELD_NAMES)
        self._option_ids: dict[tuple[str, str], str] = {}

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v2"

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/np/oauth/auth"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/np/oauth/token"

    # -- test set-up -------------------------------------------------------------------------------

    def add_account(
        self,
        account_id: str,
        *,
        first_name: str,
        last_name: str,
        email: str | None = None,
        preferred_name: str | None = None,
        individual_types: Iterable[str] = (),
        custom_fields: dict[str, CustomFieldValue] | None = None,
        memberships: list[dict[str, Any]] | None = None,
        last_modified: dt.datetime | None = None,
    ) -> None:
        """Create an individual account. ``last_modified`` (default: now) drives "Date Modified"."""
        now = dt.datetime.now(dt.UTC)
        last_modified = _aware(last_modified) if last_modified is not None else None
        account = _Account(
            account_id=str(account_id),
            contact_id=str(next(_CONTACT_IDS)),
            first_name=first_name,
            last_name=last_name,
            email=email,
            preferred_name=preferred_name,
            individual_types=[],
            custom_fields={},
            memberships=[],
            created=min(now, last_modified) if last_modified else now,
            last_modified=last_modified or now,
        )
        with self._lock:
            if account.account_id in self._accounts:
                raise ValueError(f"account {account_id} already exists")
            self._set_individual_types(account, individual_types)
            self._set_custom_fields(account, custom_fields or {})
            account.memberships = copy.deepcopy(list(memberships or []))
            self._accounts[account.account_id] = account

    def update_account(self, account_id: str, **changes: Any) -> None:
        """Change an account (same keywords as add_account); bumps its last-modified time."""
        unknown = set(changes) - _ACCOUNT_KEYWORDS
        if unknown:
            raise TypeError(f"update_account() got unexpected keywords: {sorted(unknown)}")
        with self._lock:
            account = self._accounts.get(str(account_id))
            if account is None:
                raise KeyError(f"no account {account_id}")
            for name in ("first_name", "last_name", "email", "preferred_name"):
                if name in changes:
                    setattr(account, name, changes[name])
            if "individual_types" in changes:
                self._set_individual_types(account, changes["individual_types"])
            if "custom_fields" in changes:
                self._set_custom_fields(account, changes["custom_fields"] or {})
            if "memberships" in changes:
                account.memberships = copy.deepcopy(list(changes["memberships"] or []))
            modified = changes.get("last_modified")
            account.last_modified = _aware(modified) if modified is not None else dt.datetime.now(dt.UTC)

    @staticmethod
    def membership(
        *,
        start: dt.date,
        end: dt.date,
        status: str = "SUCCEEDED",
        level: str = "Regular",
        level_id: str = "1",
        fee: float = 85.0,
        membership_id: str | None = None,
    ) -> dict[str, Any]:
        """A Neon membership object, as listed by ``GET /accounts/{id}/memberships``."""
        days = (end - start).days
        term = "Monthly" if days <= 31 else "Annual" if days >= 364 else f"{days} Days"
        return {
            "id": membership_id if membership_id is not None else str(next(_MEMBERSHIP_IDS)),
            "membershipLevel": {"id": level_id, "name": level},
            "membershipTerm": {"id": level_id, "name": f"{level} - {term}"},
            "termStartDate": start.isoformat(),
            "termEndDate": end.isoformat(),
            "status": status,
            "fee": fee,
            "autoRenewal": True,
            "enrollType": "JOIN",
        }

    def issue_code(self, account_id: str) -> str:
        """An authorization code as if ``account_id`` had just logged in (single use, 10 minutes)."""
        return self._new_code(str(account_id), redirect_uri=None)

    # -- request handling --------------------------------------------------------------------------

    def _error_body(self, status: int) -> object:
        return [{"code": str(status), "message": reason(status)}]

    def _crash(self, error: Exception) -> Response:
        return _neon_error(500, f"FakeNeon failed: {error!r}")

    def _route(self, request: RecordedRequest) -> Response:
        try:
            if request.path == "/np/oauth/auth":
                return (
                    self._authorize(request) if request.method == "GET" else _text(405, "Method Not Allowed")
                )
            if request.path == "/np/oauth/token":
                if request.method != "POST":
                    return _json(405, {"error": "invalid_request", "error_description": "use POST"})
                return self._token(request)
            if request.path == "/v2" or request.path.startswith("/v2/"):
                return self._api(request)
            return _text(404, "Not Found")
        except _BadRequest as error:
            return _neon_error(400, str(error))

    # -- OAuth -------------------------------------------------------------------------------------

    def _new_code(self, account_id: str, redirect_uri: str | None) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(account_id, redirect_uri, self.clock() + CODE_TTL_SECONDS)
        return code

    def _authorize(self, request: RecordedRequest) -> Response:
        params = {name: values[0] for name, values in request.query.items()}
        if params.get("client_id") != self.client_id:
            return _text(400, "Invalid client_id")
        redirect_uri = params.get("redirect_uri", "")
        target = urlsplit(redirect_uri)
        if target.scheme not in ("http", "https") or not target.netloc:
            return _text(400, "Invalid redirect_uri")
        reply: dict[str, str] = {}
        if params.get("response_type") != "code":
            reply["error"] = "unsupported_response_type"
        elif self.next_login is None:
            reply["error"] = "access_denied"
        else:
            reply["code"] = self._new_code(self.next_login, redirect_uri)
        if "state" in params:
            reply["state"] = params["state"]
        query = "&".join(part for part in (target.query, urlencode(reply)) if part)
        location = urlunsplit(target._replace(query=query))
        return Response(302, content_type=_TEXT, headers={"Location": location})

    def _token(self, request: RecordedRequest) -> Response:
        no_store = {"Cache-Control": "no-store"}
        if request.content_type != "application/x-www-form-urlencoded":
            return _json(
                400, {"error": "invalid_request", "error_description": "form body expected"}, no_store
            )
        form = {name: values[0] for name, values in request.form().items()}
        if form.get("client_id") != self.client_id or not secrets.compare_digest(
            form.get("client_secret", "").encode(), self.client_secret.encode()
        ):
            return _json(401, {"error": "invalid_client"}, no_store)
        if "grant_type" not in form or "code" not in form:
            return _json(400, {"error": "invalid_request"}, no_store)
        if form["grant_type"] != "authorization_code":
            return _json(400, {"error": "unsupported_grant_type"}, no_store)
        with self._lock:
            code = self._codes.pop(form["code"], None)  # single use, even when the exchange fails below
        if (
            code is None
            or self.clock() >= code.expires_at
            or ("redirect_uri" in form and code.redirect_uri not in (None, form["redirect_uri"]))
        ):
            return _json(400, {"error": "invalid_grant"}, no_store)
        return _json(
            200, {"access_token": code.account_id, "token_type": "bearer", "scope": "read"}, no_store
        )

    # -- API v2 ------------------------------------------------------------------------------------

    def _authorized(self, header: str | None) -> bool:
        scheme, _, encoded = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        return secrets.compare_digest(user.encode(), self.org_id.encode()) and secrets.compare_digest(
            password.encode(), self.api_key.encode()
        )

    def _api(self, request: RecordedRequest) -> Response:
        if not self._authorized(request.headers.get("authorization")):
            response = _neon_error(401, "Unauthorized")
            response.headers["WWW-Authenticate"] = 'Basic realm="Neon CRM"'
            return response
        version = request.headers.get("neon-api-version")
        if version is not None and not _API_VERSION.fullmatch(version.strip()):
            return _neon_error(400, f"Invalid API version: {version}")
        segments = [unquote(segment) for segment in request.path.split("/")[2:]]
        match segments:
            case ["accounts", "search"]:
                return self._search(request) if request.method == "POST" else _method_not_allowed()
            case ["accounts", account_id]:
                return self._get_account(account_id) if request.method == "GET" else _method_not_allowed()
            case ["accounts", account_id, "memberships"]:
                if request.method != "GET":
                    return _method_not_allowed()
                return self._list_memberships(account_id, request.query)
            case _:
                return _neon_error(404, "Not Found")

    def _get_account(self, account_id: str) -> Response:
        with self._lock:
            account = self._accounts.get(account_id)
            if account is None:
                return _neon_error(404, "Account not found")
            contact = {
                "contactId": account.contact_id,
                "firstName": account.first_name,
                "lastName": account.last_name,
                "preferredName": account.preferred_name,
                "email1": account.email,
            }
            body = {
                "accountId": account.account_id,
                "primaryContact": {key: value for key, value in contact.items() if value is not None},
                "individualTypes": [
                    {"id": self._type_ids[name], "name": name} for name in account.individual_types
                ],
                "accountCustomFields": [
                    self._custom_field_json(field_id, value)
                    for field_id, value in account.custom_fields.items()
                ],
                "accountCurrentMembershipStatus": self._membership_status(account),
                "timestamps": {
                    "createdBy": "API",
                    "createdDateTime": _timestamp(account.created),
                    "lastModifiedBy": "API",
                    "lastModifiedDateTime": _timestamp(account.last_modified),
                },
            }
        return _json(200, {"individualAccount": body})

    def _list_memberships(self, account_id: str, query: dict[str, list[str]]) -> Response:
        current_page = _page_number(query.get("currentPage", [None])[0], "currentPage", 0)
        page_size = _page_number(query.get("pageSize", [None])[0], "pageSize", DEFAULT_PAGE_SIZE)
        with self._lock:
            account = self._accounts.get(account_id)
            if account is None:
                return _neon_error(404, "Account not found")
            memberships = [{**copy.deepcopy(m), "accountId": account_id} for m in account.memberships]
        page, pagination = _paginate(memberships, current_page, page_size)
        return _json(200, {"memberships": page, "pagination": pagination})

    def _search(self, request: RecordedRequest) -> Response:
        with self._lock:
            self._searches_in_flight += 1
            self.max_concurrent_searches_seen = max(
                self.max_concurrent_searches_seen, self._searches_in_flight
            )
        try:
            if not self._search_slot.acquire(blocking=False):  # Neon: one concurrent search per org
                return _neon_error(429, "Too Many Requests")
            try:
                if self.search_delay > 0:
                    time.sleep(self.search_delay)
                return self._run_search(request.body)
            finally:
                self._search_slot.release()
        finally:
            with self._lock:
                self._searches_in_flight -= 1

    def _run_search(self, raw: bytes) -> Response:
        try:
            query = json.loads(raw or b"null")
        except ValueError:
            raise _BadRequest("Invalid JSON body") from None
        if not isinstance(query, dict):
            raise _BadRequest("Invalid request body")
        search_fields = query.get("searchFields")
        output_fields = query.get("outputFields")
        pagination = query.get("pagination") or {}
        if not isinstance(search_fields, list) or not search_fields:
            raise _BadRequest("searchFields is required")
        if not isinstance(output_fields, list) or not output_fields:
            raise _BadRequest("outputFields is required")
        if not isinstance(pagination, dict):
            raise _BadRequest("Invalid pagination")
        with self._lock:
            outputs = [self._field_name(name, "output") for name in output_fields]
            if len(set(outputs)) != len(outputs):
                raise _BadRequest("Duplicate output field")
            predicates = [self._predicate(criterion) for criterion in search_fields]
            sort_column = pagination.get("sortColumn")
            sort_field = self._field_name(sort_column, "sort") if sort_column is not None else None
            descending = str(pagination.get("sortDirection", "ASC")).upper() == "DESC"
            matches = [acct for acct in self._accounts.values() if all(p(acct) for p in predicates)]
            matches.sort(key=lambda acct: _id_sort_key(acct.account_id))
            if sort_field is not None:
                matches.sort(key=lambda acct: self._sort_key(acct, sort_field), reverse=descending)
            elif descending:
                matches.reverse()
            page, page_info = _paginate(
                matches,
                _page_number(pagination.get("currentPage"), "currentPage", 0),
                _page_number(pagination.get("pageSize"), "pageSize", DEFAULT_PAGE_SIZE),
            )
            results = [{name: self._output_value(acct, name) for name in outputs} for acct in page]
        return _json(200, {"searchResults": results, "pagination": page_info})

    # -- search helpers (called with the lock held) ------------------------------------------------

    def _field_name(self, raw: object, usage: str) -> str:
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise _BadRequest(f"Invalid {usage} field: {raw!r}")
        name = str(raw).strip()
        if usage == "search":
            name = _SEARCH_ALIASES.get(name, name)
        if name in _STANDARD_FIELDS or name in self._field_names:
            return name
        raise _BadRequest(f"Invalid {usage} field: {raw}")

    def _field_kind(self, name: str) -> str:
        return _STANDARD_FIELDS.get(name, "text")

    def _values(self, account: _Account, name: str) -> list[str]:
        """The account's values for a field; an empty list means blank."""
        match name:
            case "Account ID":
                values = [account.account_id]
            case "First Name":
                values = [account.first_name]
            case "Last Name":
                values = [account.last_name]
            case "Preferred Name":
                values = [account.preferred_name or ""]
            case "Email 1":
                values = [account.email or ""]
            case "Individual Type":
                values = list(account.individual_types)
            case "Account Current Membership Status":
                values = [self._membership_status(account)]
            case "Date Modified":
                values = [account.last_modified.astimezone(dt.UTC).date().isoformat()]
            case _:
                custom = account.custom_fields.get(name, "")
                values = [custom] if isinstance(custom, str) else list(custom)
        return [value for value in values if value]

    def _output_value(self, account: _Account, name: str) -> str:
        return "|".join(self._values(account, name))

    def _sort_key(self, account: _Account, name: str) -> tuple[int, int, str]:
        values = self._values(account, name)
        if not values:
            return (2, 0, "")
        if self._field_kind(name) == "number":
            return _id_sort_key(values[0])
        return (1, 0, values[0].casefold())

    def _predicate(self, criterion: object) -> Callable[[_Account], bool]:
        if not isinstance(criterion, dict):
            raise _BadRequest("Invalid search field")
        name = self._field_name(criterion.get("field"), "search")
        operator = str(criterion.get("operator", "")).upper()
        if operator not in _OPERATORS:
            raise _BadRequest(f"Invalid operator: {criterion.get('operator')}")
        if operator == "BLANK":
            return lambda account: not self._values(account, name)
        if operator == "NOT_BLANK":
            return lambda account: bool(self._values(account, name))
        raw = criterion.get("value")
        if raw is None or raw == "" or isinstance(raw, bool | list | dict):
            raise _BadRequest(f"A value is required for operator {operator}")
        target = str(raw)
        kind = self._field_kind(name)
        if operator in ("CONTAIN", "NOT_CONTAIN"):
            if kind != "text":
                raise _BadRequest(f"Operator {operator} is not valid for field {name}")
            needle = target.casefold()
            found: Callable[[str], bool] = lambda value: needle in value.casefold()  # noqa: E731
            if operator == "CONTAIN":
                return lambda account: any(found(v) for v in self._values(account, name))
            return lambda account: not any(found(v) for v in self._values(account, name))
        key = self._comparison_key(name, kind)
        wanted = key(target)
        if operator in ("EQUAL", "NOT_EQUAL"):
            negate = operator == "NOT_EQUAL"
            return lambda account: negate != any(key(v) == wanted for v in self._values(account, name))
        compare: Callable[[Any, Any], bool] = {
            "GREATER_THAN": lambda a, b: a > b,
            "GREATER_AND_EQUAL": lambda a, b: a >= b,
            "LESS_THAN": lambda a, b: a < b,
            "LESS_AND_EQUAL": lambda a, b: a <= b,
        }[operator]
        return lambda account: any(compare(key(v), wanted) for v in self._values(account, name))

    def _comparison_key(self, name: str, kind: str) -> Callable[[str], Any]:
        if kind == "date":
            return _parse_date
        if kind == "number":
            return _id_sort_key
        if name == "Individual Type":  # matches a type by name or by id
            ids = {type_id: type_name for type_name, type_id in self._type_ids.items()}
            return lambda value: ids.get(value, value).casefold()
        return str.casefold

    # -- account helpers (called with the lock held) -----------------------------------------------

    def _set_individual_types(self, account: _Account, names: Iterable[str]) -> None:
        account.individual_types = list(dict.fromkeys(names))
        for name in account.individual_types:
            if name not in self._type_ids:
                self._type_ids[name] = str(100 + len(self._type_ids) - len(INDIVIDUAL_TYPE_IDS))

    def _set_custom_fields(self, account: _Account, fields: dict[str, CustomFieldValue]) -> None:
        account.custom_fields = {}
        for raw_id, value in fields.items():
            field_id = str(raw_id)
            self._field_names.setdefault(field_id, f"Field {field_id}")
            account.custom_fields[field_id] = value if isinstance(value, str) else list(value)

    def _custom_field_json(self, field_id: str, value: CustomFieldValue) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": field_id, "name": self._field_names[field_id]}
        if isinstance(value, str):
            entry["value"] = value
        else:
            entry["optionValues"] = [{"id": self._option_id(field_id, name), "name": name} for name in value]
        return entry

    def _option_id(self, field_id: str, option: str) -> str:
        return self._option_ids.setdefault((field_id, option), str(next(_OPTION_IDS)))

    def _membership_status(self, account: _Account) -> str:
        today = self.today()
        paid = [m for m in account.memberships if m.get("status") == "SUCCEEDED"]
        spans = [
            (dt.date.fromisoformat(m["termStartDate"]), dt.date.fromisoformat(m["termEndDate"])) for m in paid
        ]
        if any(start <= today <= end for start, end in spans):
            return "Active"
        if any(start > today for start, _ in spans):
            return "Future"
        return "Inactive"
