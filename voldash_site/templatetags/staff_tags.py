from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django import template

register = template.Library()


@register.filter
def urlencode_dict(params: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@register.filter
def from_ms(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, tz=UTC) if value else None


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


@register.filter
def percent_of(value: int, total: int) -> int:
    return round(100 * value / total) if total else 0


@register.filter
def staff_time(value: datetime | None) -> str:
    """A time as the staff pages show it: Austin time, labelled (see staff/display.py)."""
    from voldash_site.staff.display import local_time

    return local_time(value)


@register.filter
def staff_date(value: datetime | None) -> str:
    from voldash_site.staff.display import local_time

    return local_time(value, date_only=True)


@register.filter
def bar_step(width: int) -> int:
    """A bar's width in steps of 5 % (a CSS class: no inline style, which a strict CSP refuses)."""
    return max(0, min(100, 5 * round(int(width) / 5)))


@register.filter
def num(value: float | int | None) -> str:
    """2.5 -> "2.5", 2.0 -> "2", 1.25 -> "1.25"."""
    return "" if value is None else f"{float(value):g}"


@register.filter
def get_item(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key)
