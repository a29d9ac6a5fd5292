"""Schemas shared by every router."""

from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

# Every `code` an error answer can carry (README: Error codes; tests/test_error_codes.py keeps
# the two lists equal). Clients switch on these, so the OpenAPI document lists them as an enum.
ErrorCode = Literal[
    "calendar_not_found",
    "validation_error",
    "invalid_cursor",
    "invalid_body",
    "too_large",
    "unsupported_media_type",
    "method_not_allowed",
    "http_error",
    "not_authenticated",
    "csrf_failed",
    "forbidden",
    "profile_missing",
    "membership_inactive",
    "missing_certifications",
    "claim_limit_reached",
    "eligibility_changed",
    "not_your_task",
    "task_not_in_progress",
    "own_hours",
    "not_a_lead",
    "not_found",
    "task_not_open",
    "task_not_claimed",
    "task_changed",
    "task_done",
    "already_assigned",
    "already_reviewed",
    "conflict",
    "rate_limited",
    "invalid_link",
    "login_failed",
    "clickup_unavailable",
    "photos_disabled",
    "neon_unavailable",
    "storage_unavailable",
    "outcome_unknown",
    "internal_error",
    "bad_signature",
    "invalid_payload",
    "bad_secret",
    "unsigned",
    "bad_credentials",
    "invalid_json",
    "not_configured",
]


# What is wrong with one field (``detail.fields[].code``): the schema's checks, grouped, and
# ``invalid`` for a rule of the use case (a future date, an unknown shop, ...).
FieldErrorCode = Literal[
    "missing",
    "invalid_type",
    "enum",
    "too_short",
    "too_long",
    "out_of_range",
    "pattern",
    "invalid",
    "invalid_cursor",
]


def field_error_code(pydantic_type: str) -> str:
    """Pydantic's error ``type`` as one of ``FieldErrorCode``."""
    if pydantic_type == "missing":
        return "missing"
    if pydantic_type in ("literal_error", "enum"):
        return "enum"
    if pydantic_type.endswith("_too_short"):
        return "too_short"
    if pydantic_type.endswith("_too_long"):
        return "too_long"
    if pydantic_type.startswith(("greater_than", "less_than")) or pydantic_type.endswith("_too_big"):
        return "out_of_range"
    if pydantic_type == "string_pattern_mismatch":
        return "pattern"
    if pydantic_type.endswith(("_parsing", "_type")) or pydantic_type in (
        "model_attributes_type",
        "dict_type",
    ):
        return "invalid_type"
    return "invalid"


class FieldErrorOut(Schema):
    """One refused field. ``field`` is the name the client sent (``hours``, ``status``,
    ``photos.0``; ``body`` for the request body as a whole); ``code`` says what is wrong with it."""

    field: str
    code: FieldErrorCode
    message: str


class ErrorDetailOut(Schema):
    """``fields`` on every ``validation_error`` (and ``invalid_cursor``); other codes add their
    own keys (``missing_certifications``, ``allowed``, ...)."""

    model_config = ConfigDict(extra="allow")

    fields: list[FieldErrorOut] | None = Field(None, description="Each refused field (validation errors)")


class ErrorOut(Schema):
    """The one error body: ``code`` is stable for programs, ``message`` is for people."""

    code: ErrorCode
    message: str
    detail: ErrorDetailOut | None = None


def lower_trimmed(value: object) -> object:
    """Enumerated query values are matched case-insensitively after trimming (README: one rule
    for case and spaces)."""
    return value.strip().lower() if isinstance(value, str) else value


def upper_trimmed(value: object) -> object:
    return value.strip().upper().replace("-", "_") if isinstance(value, str) else value
