"""Escaping for the places voldash writes outside text to: Slack mrkdwn, Discourse markdown and
CSV cells opened by spreadsheets. Pure Python (no Django)."""

from __future__ import annotations

import re
import unicodedata


def slack_text(value: str) -> str:
    """Slack mrkdwn: ``&``, ``<`` and ``>`` are control characters (``<!channel>``,
    ``<https://x|label>``, ``<@U123>``); escaped, user text can neither ping nor plant links."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(url: str, label: str) -> str:
    """``<url|label>`` with both parts unable to break out of the link."""
    safe_url = slack_text(url).replace("|", "%7C")
    return f"<{safe_url}|{slack_text(label).replace('|', '¦')}>"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def discourse_text(value: str) -> str:
    """Text shown as itself in a Discourse post: HTML is entity-escaped, markdown punctuation is
    backslash-escaped (no links, images, headings or code fences), and ``@`` cannot mention a
    person or group (a zero-width space follows it)."""
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")


# OWASP CSV injection: cells starting with these run as formulas (TAB and CR too, and some
# spreadsheets skip leading whitespace first; full-width forms are folded by some).
_FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text: a leading formula character (after any
    leading whitespace) gets a ``'`` in front. Numbers pass unchanged."""
    if not isinstance(value, str) or not value:
        return value
    stripped = value.lstrip(" \t\r\n\u00a0\u3000")
    # The first visible character, also in its compatibility form (U+FE66 SMALL EQUALS SIGN is "=").
    first = stripped[:1]
    folded = unicodedata.normalize("NFKC", first)
    if value[0] in _FORMULA_START or first in _FORMULA_START or folded in _FORMULA_START:
        return "'" + value
    return value
