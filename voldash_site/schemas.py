"""Schemas shared by every router."""

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """The one error body: ``code`` is stable for programs, ``message`` is for people."""

    code: str
    message: str
    detail: Any = None
