"""iCalendar feeds (RFC 5545), written as text here: no calendar library on the request path.

- a member's feed: the tasks they hold that have a due date (all-day events on the due date);
- a shop's feed: its PM tasks that are not done, on their due dates.

Each event's UID is stable per task (``{task}-due@voldash``), so a calendar app updates the
event when the date moves instead of adding one.

The feed used to be built with the ``icalendar`` package's object model, which cost about
0.5 ms per event (0.45 s for a shop's 1,000 PM tasks on a quiet machine; issue 26). The few
properties written here need only RFC 5545's text rules, done in this module:

- TEXT values (3.3.11) escape ``\\`` ``;`` ``,`` and line breaks (``\\n``); other control
  characters, which TEXT may not hold, are dropped;
- URI values (3.3.13) are written as they are, less any control character;
- content lines end in CRLF and are folded (3.1) so that no line is longer than 75 octets,
  never inside a UTF-8 sequence: a continuation line starts with one space.

The tests parse every feed back with two independent parsers (icalendar and vobject)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from volunteers.domain import MAKERSPACE_TZ

PRODID = "-//Asmbly Makerspace//voldash//EN"
MAX_OCTETS = 75  # RFC 5545 3.1: lines SHOULD NOT be longer than 75 octets, line break excluded

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # CTLs but HTAB (after line breaks are escaped)


@dataclass(frozen=True)
class DueItem:
    task_id: str
    title: str
    shop: str
    due_at: datetime
    holder: str | None = None
    frequency: str | None = None


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )
    return _CONTROL.sub("", escaped) if _CONTROL.search(escaped) else escaped


def _uri(value: str) -> str:
    return _CONTROL.sub("", value.replace("\t", ""))


def fold(line: str) -> str:
    """One content line, folded at 75 octets (never inside a character), ending in CRLF."""
    if line.isascii():
        if len(line) <= MAX_OCTETS:
            return line + "\r\n"
        parts = [line[:MAX_OCTETS]]
        parts += [line[i : i + MAX_OCTETS - 1] for i in range(MAX_OCTETS, len(line), MAX_OCTETS - 1)]
        return "\r\n ".join(parts) + "\r\n"
    data = line.encode()
    if len(data) <= MAX_OCTETS:
        return line + "\r\n"
    parts_b: list[bytes] = []
    start, room = 0, MAX_OCTETS
    while len(data) - start > room:
        end = start + room
        while data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its character
            end -= 1
        parts_b.append(data[start:end])
        start, room = end, MAX_OCTETS - 1  # the continuation's leading space is an octet
    parts_b.append(data[start:])
    return b"\r\n ".join(parts_b).decode() + "\r\n"


def _date(moment: datetime) -> str:
    return moment.strftime("%Y%m%d")


def ical(name: str, items: Iterable[DueItem], *, now: datetime, link: Callable[[str], str]) -> bytes:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR\r\n",
        fold(f"PRODID:{escape_text(PRODID)}"),
        "VERSION:2.0\r\n",
        "CALSCALE:GREGORIAN\r\n",
        "METHOD:PUBLISH\r\n",
        fold(f"X-WR-CALNAME:{escape_text(name)}"),
        fold(f"X-WR-TIMEZONE:{escape_text(str(MAKERSPACE_TZ))}"),
        "REFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n",
    ]
    days: dict[datetime, tuple[str, str]] = {}  # many tasks share a due moment
    for item in items:
        dates = days.get(item.due_at)
        if dates is None:
            day = item.due_at.astimezone(MAKERSPACE_TZ).date()
            dates = days[item.due_at] = (_date(day), _date(day + timedelta(days=1)))
        url = _uri(link(item.task_id))
        details = [f"Shop: {item.shop}"]
        if item.frequency:
            details.append(f"Frequency: {item.frequency}")
        if item.holder:
            details.append(f"Held by: {item.holder}")
        details.append(url)
        lines += (
            "BEGIN:VEVENT\r\n",
            fold(f"UID:{escape_text(item.task_id)}-due@voldash"),
            f"DTSTAMP:{stamp}\r\n",
            f"DTSTART;VALUE=DATE:{dates[0]}\r\n",
            f"DTEND;VALUE=DATE:{dates[1]}\r\n",
            fold(f"SUMMARY:{escape_text('Due: ' + item.title)}"),
            fold(f"DESCRIPTION:{escape_text(chr(10).join(details))}"),
            fold(f"URL:{url}"),
            "END:VEVENT\r\n",
        )
    lines.append("END:VCALENDAR\r\n")
    return "".join(lines).encode()
