"""The fake Neon CRM keeps Neon's contracts (reference: external-apis.md §2, asmbly.md §5)."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fakes.neon import FakeNeon

AUTH = ("asmbly", "neon-test-key")
TODAY = dt.date.today()
CALLBACK = "https://voldash.example.org/auth/neon/callback"
# One TLS context for every client: httpx builds a new one per client otherwise (~30 ms each).
TLS = ssl.create_default_context()


@pytest.fixture
def neon() -> Iterator[FakeNeon]:
    with FakeNeon() as fake:
        fake.add_account(
            "1001",
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.org",
            preferred_name="Countess",
            individual_types=["Volunteer", "Steward"],
            custom_fields={"84": "2024-01-02", "85": "ada_l", "440": ["Jointer", "Planer"]},
            memberships=[
                FakeNeon.membership(
                    start=TODAY - dt.timedelta(days=10), end=TODAY + dt.timedelta(days=20), membership_id="m1"
                )
            ],
            last_modified=dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC),
        )
        fake.add_account(
            "1002",
            first_name="Grace",
            last_name="Hopper",
            email="grace@example.org",
            individual_types=["Volunteer"],
            last_modified=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        )
        fake.add_account(
            "1003",
            first_name="Alan",
            last_name="Turing",
            last_modified=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        )
        yield fake


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(verify=TLS) as client:
        yield client


@pytest.fixture
def api(neon: FakeNeon) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=neon.api_url, auth=AUTH, verify=TLS) as client:
        yield client


def search(
    api: httpx.Client, *criteria: dict[str, Any], output: list[Any], **pagination: Any
) -> httpx.Response:
    body: dict[str, Any] = {"searchFields": list(criteria), "outputFields": output}
    if pagination:
        body["pagination"] = pagination
    return api.post("/accounts/search", json=body)


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["Account ID"] for row in response.json()["searchResults"]]


# -- API auth and routing ----------------------------------------------------------------------------


@pytest.mark.parametrize("auth", [None, ("asmbly", "wrong-key"), ("other-org", "neon-test-key")])
def test_the_api_requires_basic_auth_with_org_id_and_api_key(
    neon: FakeNeon, http: httpx.Client, auth: Any
) -> None:
    response = http.get(f"{neon.api_url}/accounts/1001", auth=auth)
    assert response.status_code == 401
    assert response.json() == [{"code": "401", "message": "Unauthorized"}]


def test_it_accepts_a_version_header_and_rejects_a_bogus_one(api: httpx.Client) -> None:
    assert api.get("/accounts/1001", headers={"NEON-API-VERSION": "2.10"}).status_code == 200
    assert api.get("/accounts/1001", headers={"NEON-API-VERSION": "latest"}).status_code == 400


def test_unknown_paths_are_404_and_wrong_methods_405(
    neon: FakeNeon, api: httpx.Client, http: httpx.Client
) -> None:
    assert api.get("/donations").status_code == 404
    assert http.get(f"{neon.base_url}/elsewhere").status_code == 404
    assert api.delete("/accounts/1001").status_code == 405
    assert api.get("/accounts/search").status_code == 405


# -- accounts and memberships ------------------------------------------------------------------------


def test_an_account_comes_back_in_neon_shape(api: httpx.Client) -> None:
    response = api.get("/accounts/1001")

    assert response.status_code == 200
    account = response.json()["individualAccount"]
    assert account["accountId"] == "1001"
    contact = account["primaryContact"]
    assert contact["firstName"] == "Ada" and contact["lastName"] == "Lovelace"
    assert contact["preferredName"] == "Countess" and contact["email1"] == "ada@example.org"
    assert contact["contactId"]
    assert account["individualTypes"] == [{"id": "3", "name": "Volunteer"}, {"id": "7", "name": "Steward"}]
    fields = {f["id"]: f for f in account["accountCustomFields"]}
    assert fields["84"] == {"id": "84", "name": "Woodshop Safety", "value": "2024-01-02"}
    assert fields["85"]["name"] == "DiscourseID"
    assert fields["440"]["name"] == "Woodshop Specialty Tools"
    assert [o["name"] for o in fields["440"]["optionValues"]] == ["Jointer", "Planer"]
    assert all(o["id"] for o in fields["440"]["optionValues"])
    assert account["accountCurrentMembershipStatus"] == "Active"
    assert account["timestamps"]["lastModifiedDateTime"] == "2026-03-10T12:00:00Z"


def test_unset_contact_fields_are_left_out(api: httpx.Client) -> None:
    contact = api.get("/accounts/1003").json()["individualAccount"]["primaryContact"]
    assert "email1" not in contact and "preferredName" not in contact


def test_an_unknown_account_is_404(api: httpx.Client) -> None:
    for path in ("/accounts/9999", "/accounts/9999/memberships"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json() == [{"code": "404", "message": "Account not found"}]


def test_membership_status_follows_the_terms(neon: FakeNeon, api: httpx.Client) -> None:
    def status(account_id: str) -> str:
        return api.get(f"/accounts/{account_id}").json()["individualAccount"][
            "accountCurrentMembershipStatus"
        ]

    future = FakeNeon.membership(start=TODAY + dt.timedelta(days=3), end=TODAY + dt.timedelta(days=33))
    lapsed = FakeNeon.membership(start=TODAY - dt.timedelta(days=60), end=TODAY - dt.timedelta(days=30))
    failed = FakeNeon.membership(start=TODAY, end=TODAY + dt.timedelta(days=30), status="FAILED")
    neon.update_account("1002", memberships=[future])
    neon.update_account("1003", memberships=[lapsed, failed])

    assert (status("1001"), status("1002"), status("1003")) == ("Active", "Future", "Inactive")


def test_update_account_changes_fields_and_the_modified_time(neon: FakeNeon, api: httpx.Client) -> None:
    neon.update_account("1003", email="alan@example.org", individual_types=["Wiki Admin"])

    account = api.get("/accounts/1003").json()["individualAccount"]
    assert account["primaryContact"]["email1"] == "alan@example.org"
    assert account["individualTypes"] == [{"id": "9", "name": "Wiki Admin"}]
    modified = dt.datetime.fromisoformat(account["timestamps"]["lastModifiedDateTime"])
    assert abs(modified - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    with pytest.raises(TypeError):
        neon.update_account("1003", nickname="A")


def test_memberships_are_paged_from_zero(neon: FakeNeon, api: httpx.Client) -> None:
    terms = [
        FakeNeon.membership(start=dt.date(2025, m, 1), end=dt.date(2025, m, 28), membership_id=f"m{m}")
        for m in (1, 2, 3)
    ]
    neon.update_account("1002", memberships=terms)

    first = api.get("/accounts/1002/memberships", params={"currentPage": 0, "pageSize": 2}).json()
    second = api.get("/accounts/1002/memberships", params={"currentPage": 1, "pageSize": 2}).json()

    assert [m["id"] for m in first["memberships"]] == ["m1", "m2"]
    assert [m["id"] for m in second["memberships"]] == ["m3"]
    assert first["pagination"] == {"currentPage": 0, "pageSize": 2, "totalPages": 2, "totalResults": 3}
    membership = second["memberships"][0]
    assert membership["membershipLevel"] == {"id": "1", "name": "Regular"}
    assert membership["termStartDate"] == "2025-03-01" and membership["termEndDate"] == "2025-03-28"
    assert membership["status"] == "SUCCEEDED" and membership["fee"] == 85.0
    assert api.get("/accounts/1002/memberships", params={"pageSize": 201}).status_code == 400


# -- search ------------------------------------------------------------------------------------------


def test_search_by_email_returns_flat_string_rows(api: httpx.Client) -> None:
    response = search(
        api,
        {"field": "Email 1", "operator": "EQUAL", "value": "ADA@example.org"},
        output=[
            "Account ID",
            "First Name",
            "Preferred Name",
            "Individual Type",
            "Account Current Membership Status",
        ],
    )

    assert response.status_code == 200
    assert response.json() == {
        "searchResults": [
            {
                "Account ID": "1001",
                "First Name": "Ada",
                "Preferred Name": "Countess",
                "Individual Type": "Volunteer|Steward",
                "Account Current Membership Status": "Active",
            }
        ],
        "pagination": {"currentPage": 0, "pageSize": 20, "totalPages": 1, "totalResults": 1},
    }


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        ({"field": "First Name", "operator": "NOT_EQUAL", "value": "ada"}, ["1002", "1003"]),
        ({"field": "Email 1", "operator": "BLANK"}, ["1003"]),
        ({"field": "Email 1", "operator": "NOT_BLANK"}, ["1001", "1002"]),
        ({"field": "Last Name", "operator": "CONTAIN", "value": "ov"}, ["1001"]),
        ({"field": "Individual Type", "operator": "EQUAL", "value": "Volunteer"}, ["1001", "1002"]),
        ({"field": "Individual Type", "operator": "EQUAL", "value": "7"}, ["1001"]),
        ({"field": "Account ID", "operator": "GREATER_THAN", "value": "1001"}, ["1002", "1003"]),
        ({"field": "Account ID", "operator": "LESS_AND_EQUAL", "value": 1002}, ["1001", "1002"]),
        (
            {"field": "Date Modified", "operator": "GREATER_AND_EQUAL", "value": "2026-03-01"},
            ["1001", "1002"],
        ),
        ({"field": "Date Modified", "operator": "GREATER_THAN", "value": "2026-03-01"}, ["1001"]),
        ({"field": "Date Modified", "operator": "LESS_THAN", "value": "2026-03-01"}, ["1003"]),
        ({"field": "85", "operator": "EQUAL", "value": "ada_l"}, ["1001"]),
    ],
)
def test_search_operators(api: httpx.Client, criterion: dict[str, Any], expected: list[str]) -> None:
    assert ids(search(api, criterion, output=["Account ID"])) == expected


def test_search_fields_are_anded(api: httpx.Client) -> None:
    response = search(
        api,
        {"field": "Individual Type", "operator": "EQUAL", "value": "Volunteer"},
        {"field": "Date Modified", "operator": "LESS_THAN", "value": "2026-03-05"},
        output=["Account ID"],
    )
    assert ids(response) == ["1002"]


def test_custom_output_fields_are_keyed_by_id_and_pipe_joined(api: httpx.Client) -> None:
    response = search(
        api,
        {"field": "Account ID", "operator": "EQUAL", "value": "1001"},
        output=["Account ID", 84, "440", "1248", "Date Modified"],
    )

    assert response.json()["searchResults"] == [
        {
            "Account ID": "1001",
            "84": "2024-01-02",
            "440": "Jointer|Planer",
            "1248": "",
            "Date Modified": "2026-03-10",
        }
    ]


def test_search_pages_from_zero(api: httpx.Client) -> None:
    everyone = {"field": "Account ID", "operator": "NOT_BLANK"}
    first = search(api, everyone, output=["Account ID"], currentPage=0, pageSize=2)
    last = search(api, everyone, output=["Account ID"], currentPage=1, pageSize=2)

    assert ids(first) == ["1001", "1002"] and ids(last) == ["1003"]
    assert last.json()["pagination"] == {"currentPage": 1, "pageSize": 2, "totalPages": 2, "totalResults": 3}


def test_search_can_sort(api: httpx.Client) -> None:
    everyone = {"field": "Account ID", "operator": "NOT_BLANK"}
    response = search(api, everyone, output=["Account ID"], sortColumn="Last Name", sortDirection="DESC")
    assert ids(response) == ["1003", "1001", "1002"]


@pytest.mark.parametrize(
    ("output", "pagination", "message"),
    [
        (["Account ID", "Account ID"], {}, "Duplicate output field"),
        (["85", 85], {}, "Duplicate output field"),
        (["Account ID"], {"pageSize": 201}, "pageSize must not exceed 200"),
        (["Shoe Size"], {}, "Invalid output field: Shoe Size"),
    ],
)
def test_bad_searches_are_400(
    api: httpx.Client, output: list[Any], pagination: dict[str, Any], message: str
) -> None:
    response = search(api, {"field": "Account ID", "operator": "NOT_BLANK"}, output=output, **pagination)
    assert response.status_code == 400
    assert response.json() == [{"code": "400", "message": message}]


def test_a_bad_operator_or_date_is_400(api: httpx.Client) -> None:
    assert search(
        api, {"field": "First Name", "operator": "LIKE", "value": "A"}, output=["Account ID"]
    ).is_error
    bad_date = {"field": "Date Modified", "operator": "GREATER_THAN", "value": "03/01/2026"}
    assert search(api, bad_date, output=["Account ID"]).status_code == 400


def test_a_second_concurrent_search_gets_429(neon: FakeNeon) -> None:
    neon.search_delay = 0.3
    barrier = threading.Barrier(2)

    def run(delay: float) -> httpx.Response:
        with httpx.Client(base_url=neon.api_url, auth=AUTH, verify=TLS) as client:
            barrier.wait()
            threading.Event().wait(delay)
            return search(client, {"field": "Account ID", "operator": "NOT_BLANK"}, output=["Account ID"])

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(run, [0.0, 0.1]))

    ok, refused = sorted(responses, key=lambda r: r.status_code)
    assert (ok.status_code, refused.status_code) == (200, 429)
    assert refused.json() == [{"code": "429", "message": "Too Many Requests"}]
    assert neon.max_concurrent_searches_seen == 2


def test_searches_in_sequence_never_overlap(neon: FakeNeon, api: httpx.Client) -> None:
    for _ in range(3):
        ids(search(api, {"field": "Account ID", "operator": "NOT_BLANK"}, output=["Account ID"]))
    assert neon.max_concurrent_searches_seen == 1


# -- injected failures and recording -----------------------------------------------------------------


def test_fail_next_hits_matching_paths_the_given_number_of_times(neon: FakeNeon, api: httpx.Client) -> None:
    neon.fail_next("/v2/accounts/search", 500, times=2)
    neon.fail_next("/v2/accounts/1002", 503, body={"oops": True})
    query = {"field": "Account ID", "operator": "NOT_BLANK"}

    assert api.get("/accounts/1001").status_code == 200
    first, second, third = (search(api, query, output=["Account ID"]) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (500, 500, 200)
    assert first.json() == [{"code": "500", "message": "Internal Server Error"}]
    unavailable = api.get("/accounts/1002")
    assert (unavailable.status_code, unavailable.json()) == (503, {"oops": True})
    assert [r.path for r in neon.requests].count("/v2/accounts/search") == 3


def test_fail_next_comes_before_auth(neon: FakeNeon, http: httpx.Client) -> None:
    neon.fail_next("/v2/", 502)
    assert http.get(f"{neon.api_url}/accounts/1001").status_code == 502
    assert http.get(f"{neon.api_url}/accounts/1001").status_code == 401


def test_every_request_is_recorded(neon: FakeNeon, api: httpx.Client) -> None:
    api.get("/accounts/1001/memberships", params={"currentPage": "0", "pageSize": "5"})
    search(api, {"field": "Account ID", "operator": "EQUAL", "value": "1001"}, output=["Account ID"])

    get, post = neon.requests
    assert (get.method, get.path, get.query) == (
        "GET",
        "/v2/accounts/1001/memberships",
        {"currentPage": ["0"], "pageSize": ["5"]},
    )
    assert get.headers["authorization"].startswith("Basic ")
    assert post.method == "POST" and post.json()["outputFields"] == ["Account ID"]
    assert post.headers["content-type"] == "application/json"


# -- constituent OAuth -------------------------------------------------------------------------------


def authorize(http: httpx.Client, neon: FakeNeon, **overrides: str) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": neon.client_id,
        "redirect_uri": CALLBACK,
        "state": "s/1 +&=",
    }
    return http.get(neon.authorize_url, params={**params, **overrides})


def exchange(http: httpx.Client, neon: FakeNeon, code: str, **overrides: str) -> httpx.Response:
    form = {
        "code": code,
        "client_id": neon.client_id,
        "client_secret": neon.client_secret,
        "grant_type": "authorization_code",
        **overrides,
    }
    return http.post(neon.token_url, data=form)


def redirect_params(response: httpx.Response) -> tuple[str, dict[str, list[str]]]:
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    return location._replace(query="").geturl(), parse_qs(location.query)


def test_login_redirects_back_with_a_code_and_the_exact_state(neon: FakeNeon, http: httpx.Client) -> None:
    neon.next_login = "1001"

    target, params = redirect_params(authorize(http, neon, redirect_uri=CALLBACK + "?next=%2Ftasks"))

    assert target == CALLBACK
    assert params["state"] == ["s/1 +&="] and params["next"] == ["/tasks"]
    token = exchange(http, neon, params["code"][0], redirect_uri=CALLBACK + "?next=%2Ftasks")
    assert token.status_code == 200
    assert token.json() == {"access_token": "1001", "token_type": "bearer", "scope": "read"}


def test_login_without_a_member_is_access_denied(neon: FakeNeon, http: httpx.Client) -> None:
    _, params = redirect_params(authorize(http, neon))
    assert params == {"error": ["access_denied"], "state": ["s/1 +&="]}


def test_authorize_rejects_an_unknown_client(neon: FakeNeon, http: httpx.Client) -> None:
    neon.next_login = "1001"
    response = authorize(http, neon, client_id="someone-else")
    assert response.status_code == 400 and "location" not in response.headers


def test_codes_are_single_use(neon: FakeNeon, http: httpx.Client) -> None:
    code = neon.issue_code("1002")
    assert exchange(http, neon, code).json()["access_token"] == "1002"
    again = exchange(http, neon, code)
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})


def test_codes_expire_after_ten_minutes(neon: FakeNeon, http: httpx.Client) -> None:
    now = [1000.0]
    neon.clock = lambda: now[0]
    fresh, stale = neon.issue_code("1001"), neon.issue_code("1001")
    now[0] += 599
    assert exchange(http, neon, fresh).status_code == 200
    now[0] += 2
    assert exchange(http, neon, stale).json() == {"error": "invalid_grant"}


def test_token_errors(neon: FakeNeon, http: httpx.Client) -> None:
    code = neon.issue_code("1001")
    wrong_secret = exchange(http, neon, code, client_secret="nope")
    assert (wrong_secret.status_code, wrong_secret.json()) == (401, {"error": "invalid_client"})
    wrong_grant = exchange(http, neon, code, grant_type="client_credentials")
    assert (wrong_grant.status_code, wrong_grant.json()) == (400, {"error": "unsupported_grant_type"})
    assert exchange(http, neon, "made-up").json() == {"error": "invalid_grant"}
    as_json = http.post(neon.token_url, json={"code": code})
    assert as_json.status_code == 400
    assert exchange(http, neon, code).status_code == 200  # the failures above did not use the code up


def test_a_code_is_bound_to_its_redirect_uri(neon: FakeNeon, http: httpx.Client) -> None:
    neon.next_login = "1001"
    _, params = redirect_params(authorize(http, neon))
    assert exchange(http, neon, params["code"][0], redirect_uri="https://evil.example/cb").status_code == 400
