"""iCalendar feeds (RFC 5545) built with the ``icalendar`` package, imported only here, when a
feed is asked for (never on the API's cold path).

- a member's feed: the tasks they hold that have a due date (all-day events on the due date);
- a shop's feed: its PM tasks that are not done, on their due dates.

Each event's UID is stable per task (``{task}-due@voldash``), so a calendar app updates the
event when the date moves instead of adding one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from volunteers.domain import MAKERSPACE_TZ

PRODID = "-//Asmbly Makerspace//voldash//EN"


@dataclass(frozen=True)
class DueItem:
    task_id: str
    title: str
    shop: str
    due_at: datetime
    holder: str | None = None
    frequency: str | None = None


def ical(name: str, items: Iterable[DueItem], *, now: datetime, link: Callable[[str], str]) -> bytes:
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", str(MAKERSPACE_TZ))
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    for item in items:
        day = item.due_at.astimezone(MAKERSPACE_TZ).date()
        event = Event()
        event.add("uid", f"{item.task_id}-due@voldash")
        event.add("dtstamp", now)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", f"Due: {item.title}")
        url = link(item.task_id)
        details = [f"Shop: {item.shop}"]
        if item.frequency:
            details.append(f"Frequency: {item.frequency}")
        if item.holder:
            details.append(f"Held by: {item.holder}")
        details.append(url)
        event.add("description", "\n".join(details))
        event.add("url", url)
        cal.add_component(event)
    return cal.to_ical()
