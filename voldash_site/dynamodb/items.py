"""The PynamoDB base item for the single table, and the one-request page query.

Every entity's item class subclasses ``TableItem`` with its own discriminator value (stored in
the ``type`` attribute) and fills the generic keys (PK/SK, GSI1*, GSI2*) from its own fields.
All item classes share one connection, hence one botocore client: a Lambda cold start pays
for a single client, whatever the number of entity types.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from pynamodb.attributes import DiscriminatorAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from voldash_site.errors import StorageUnavailable

from . import metrics, wire
from .connection import TableConfig

_UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)


class GSI1(GlobalSecondaryIndex):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class GSI2(GlobalSecondaryIndex):
    class Meta:
        index_name = "GSI2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(range_key=True, attr_name="GSI2SK")


class GSI3(GlobalSecondaryIndex):
    class Meta:
        index_name = "GSI3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True, attr_name="GSI3PK")
    gsi3sk = NumberAttribute(range_key=True, attr_name="GSI3SK")


def _string_gsi(n: int) -> type[GlobalSecondaryIndex]:
    """GSI{n} with string keys GSI{n}PK / GSI{n}SK, projecting everything (the task feeds)."""
    meta = type("Meta", (), {"index_name": f"GSI{n}", "projection": AllProjection()})
    attrs = {
        "Meta": meta,
        f"gsi{n}pk": UnicodeAttribute(hash_key=True, attr_name=f"GSI{n}PK"),
        f"gsi{n}sk": UnicodeAttribute(range_key=True, attr_name=f"GSI{n}SK"),
    }
    return type(f"GSI{n}", (GlobalSecondaryIndex,), attrs)


# The task list's filters and sorts (tasks/feed.py): by urgency, by type, by due date, by shop
# and urgency.
GSI4, GSI5, GSI6, GSI7 = (_string_gsi(n) for n in (4, 5, 6, 7))


class TableItem(Model):
    """Base of every item in the table. Not stored by itself (it has no discriminator value)."""

    class Meta:
        table_name = "voldash-local"
        region = "us-east-1"
        host: str | None = None
        # Fail fast: a Lambda has seconds, and a dead database must become a 503, not a hang.
        connect_timeout_seconds = 2
        read_timeout_seconds = 5
        max_retry_attempts = 2

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    gsi2pk = UnicodeAttribute(null=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(null=True, attr_name="GSI2SK")
    gsi3pk = UnicodeAttribute(null=True, attr_name="GSI3PK")
    gsi3sk = NumberAttribute(null=True, attr_name="GSI3SK")
    gsi4pk = UnicodeAttribute(null=True, attr_name="GSI4PK")
    gsi4sk = UnicodeAttribute(null=True, attr_name="GSI4SK")
    gsi5pk = UnicodeAttribute(null=True, attr_name="GSI5PK")
    gsi5sk = UnicodeAttribute(null=True, attr_name="GSI5SK")
    gsi6pk = UnicodeAttribute(null=True, attr_name="GSI6PK")
    gsi6sk = UnicodeAttribute(null=True, attr_name="GSI6SK")
    gsi7pk = UnicodeAttribute(null=True, attr_name="GSI7PK")
    gsi7sk = UnicodeAttribute(null=True, attr_name="GSI7SK")
    item_type = DiscriminatorAttribute(attr_name="type")
    # TTL (epoch seconds); only short-lived items (sessions, dedup markers) set it.
    expires_at = NumberAttribute(null=True, attr_name="expires_at")

    gsi1 = GSI1()
    gsi2 = GSI2()
    gsi3 = GSI3()
    gsi4 = GSI4()
    gsi5 = GSI5()
    gsi6 = GSI6()
    gsi7 = GSI7()


INDEX_KEYS: dict[str | None, tuple[str, ...]] = {
    None: ("PK", "SK"),
    "GSI1": ("PK", "SK", "GSI1PK", "GSI1SK"),
    "GSI2": ("PK", "SK", "GSI2PK", "GSI2SK"),
    "GSI3": ("PK", "SK", "GSI3PK", "GSI3SK"),
    **{f"GSI{n}": ("PK", "SK", f"GSI{n}PK", f"GSI{n}SK") for n in (4, 5, 6, 7)},
}

_configured: TableConfig | None = None


def _all_item_classes(cls: type[Model] = TableItem) -> Iterator[type[Model]]:
    yield cls
    for sub in cls.__subclasses__():
        yield from _all_item_classes(sub)


def configure(config: TableConfig) -> None:
    """Point every item class at ``config``'s table and share one connection between them."""
    global _configured
    meta = TableItem.Meta
    meta.table_name = config.table_name
    meta.region = config.region
    meta.host = config.endpoint_url
    creds = config.credentials()
    meta.aws_access_key_id = creds.get("aws_access_key_id")
    meta.aws_secret_access_key = creds.get("aws_secret_access_key")
    for cls in _all_item_classes():
        if "_connection" in cls.__dict__:
            cls._connection = None
    # Subclasses find this connection through inheritance, so they never build their own.
    client = TableItem._get_connection().connection.client
    metrics.instrument(client)
    wire.install(client)
    _configured = config


def ensure_configured() -> TableConfig:
    if _configured is None:
        from .connection import config_from_settings

        configure(config_from_settings())
    assert _configured is not None
    return _configured


def low_level_connection() -> Any:
    """The shared pynamodb TableConnection (for queries that must stay one request)."""
    ensure_configured()
    conn = TableItem._get_connection()
    client = conn.connection.client  # botocore may have built a new one (lost credentials)
    metrics.instrument(client)
    wire.install(client)
    return conn


# DynamoDB's answers that mean "not now" rather than "no": throttling (after botocore's own
# retries), a server error, an item locked by a transaction in flight. Safe to retry later.
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)


def response_code(exc: BaseException) -> str | None:
    """DynamoDB's error code behind ``exc`` (a PynamoDB error or a botocore one), or None.

    PynamoDB's own ``cause_response_code`` raises AttributeError when the cause is a botocore
    timeout: those carry ``response = None``. This never raises."""
    cause = getattr(exc, "cause", None) or exc
    response = getattr(cause, "response", None)
    if not isinstance(response, dict):
        return None
    error = response.get("Error")
    return error.get("Code") if isinstance(error, dict) else None


def is_storage_failure(exc: BaseException) -> bool:
    """DynamoDB could not be reached or asked us to come back later (see ``TRANSIENT_CODES``)."""
    if isinstance(exc, (StorageUnavailable, *_UNREACHABLE)):
        return True
    if isinstance(exc, PynamoDBException):
        return isinstance(exc.cause, _UNREACHABLE) or response_code(exc) in TRANSIENT_CODES
    return False


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """Turn 'cannot reach DynamoDB' and 'try again later' (throttling, a server error) into
    ``StorageUnavailable``; let everything else (a failed condition, a refused transaction)
    through."""
    try:
        yield
    except PynamoDBException as exc:
        if isinstance(exc.cause, _UNREACHABLE):
            raise StorageUnavailable("The database is unreachable; nothing was changed.") from exc
        code = response_code(exc)
        if code in TRANSIENT_CODES and not (
            code == "TransactionConflictException" and isinstance(exc, TransactWriteError)
        ):
            raise StorageUnavailable(f"The database is busy ({code}); try again shortly.") from exc
        raise
    except _UNREACHABLE as exc:
        raise StorageUnavailable("The database is unreachable; nothing was changed.") from exc


_T = TypeVar("_T", bound=TableItem)


@dataclass
class Page(Generic[_T]):
    items: list[_T]
    last_key: dict[str, Any] | None


def query_page(
    item_cls: type[_T],
    hash_key: str,
    *,
    limit: int,
    index: str | None = None,
    range_key_condition: Condition | None = None,
    filter_condition: Condition | None = None,
    newest_first: bool = False,
    start_key: dict[str, Any] | None = None,
    read_ahead: int = 1,
    consistent: bool = False,
    raw: bool = False,
) -> Page[Any]:
    """Exactly one Query request, returning at most ``limit`` items and the key to resume at.

    DynamoDB is asked for ``limit + 1`` items (``limit * read_ahead + 1`` when a filter drops
    some), so a full page knows whether anything follows and never hands out a cursor to an
    empty page. When the request comes back short (filter or 1 MB cap), DynamoDB's own
    LastEvaluatedKey is the cursor: the next page continues there, still one request each.
    """
    conn = low_level_connection()
    with storage_errors():
        data = conn.query(
            hash_key,
            range_key_condition=range_key_condition,
            filter_condition=filter_condition,
            index_name=index,
            limit=limit * read_ahead + 1,
            scan_index_forward=not newest_first,
            exclusive_start_key=start_key,
            consistent_read=consistent,
        )
    raw_items: Sequence[dict[str, Any]] = data.get("Items", [])
    if len(raw_items) > limit:
        raw_items = raw_items[:limit]
        last = raw_items[-1]
        last_key: dict[str, Any] | None = {k: last[k] for k in INDEX_KEYS[index] if k in last}
    else:
        last_key = data.get("LastEvaluatedKey")
    if raw:  # DynamoDB's attribute-value dicts, for hot paths with their own decoder
        return Page(items=list(raw_items), last_key=last_key)
    items = [item_cls.from_raw_data(item) for item in raw_items]
    return Page(items=items, last_key=last_key)


def stamp(moment: datetime) -> str:
    """A UTC timestamp that sorts as text (for sort keys): 2026-11-26T04:00:00.000000Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def conditional_update(item: TableItem, actions: list[Any], condition: Condition) -> bool:
    """One UpdateItem under ``condition``; False (nothing changed) when the condition fails."""
    with storage_errors():
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if response_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
    return True


def transaction(client_request_token: str | None = None) -> Any:
    """A PynamoDB ``TransactWrite`` on the shared connection (one TransactWriteItems call)."""
    from pynamodb.transactions import TransactWrite

    ensure_configured()
    return TransactWrite(
        connection=TableItem._get_connection().connection,
        client_request_token=client_request_token,
    )


def cancellation_codes(exc: Exception) -> list[str | None]:
    """Per-item reasons of a cancelled transaction (``ConditionalCheckFailed`` or None)."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [r.code if r is not None else None for r in reasons]


def ping() -> str:
    """One GetItem on a fixed key: proves the table is reachable and readable."""
    config = ensure_configured()
    conn = TableItem._get_connection()
    with storage_errors():
        conn.get_item("HEALTH", range_key="HEALTH")
    return config.table_name
