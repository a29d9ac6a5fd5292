"""What voldash writes into ClickUp descriptions and comments, and how it finds its own marks
again: one rule, in one place (issue 23, finding 1).

1. Outside text (a reporter's words, a member's comment, anybody's name) goes through
   :func:`quote_outside` before it is placed in a ClickUp text. A line of it that carries one of
   our description labels (``Slack Post:``, ``Discourse Link:``... which other tools parse) or a
   marker token (``voldash report:``, ``[voldash:``) has its colons replaced by a look-alike
   (U+A789) so no parser matches it; if the label or token starts the line, the line is also
   quoted (``"> "``) so a person reading ClickUp sees it is quoted. The check folds the text
   first (NFKC, invisible characters dropped, case and spacing ignored, leading Markdown
   decoration skipped), so full-width or zero-width disguises are caught too.
2. Our markers are written as the *last line* of what we write, and read back only from there,
   matched whole and exactly (:func:`report_id_in`, :func:`comment_marker_in`); nothing looks
   for them as a substring. Adoption and the after-a-lost-answer look-ups compare markers for
   equality.

Either half alone would stop the hijack of finding 1; both together also keep other tools
(APR's ``parse-description.js``, the forum board) from reading planted lines. Pure Python.
"""

from __future__ import annotations

import re
import unicodedata

# The line prefixes of a problem report's description (reference/asmbly.md 2.6 and APR's
# parser, which also reads "Equipment:").
LABELS: tuple[str, ...] = (
    "Problem Type",
    "Workspace",
    "Asset",
    "Equipment",
    "Summary",
    "Additional Info",
    "Discourse Link",
    "Slack Post",
)
REPORT_MARKER_PREFIX = "voldash report:"
QUOTE = "> "
LOOKALIKE_COLON = "\ua789"  # MODIFIER LETTER COLON: reads as a colon, parses as none

_REPORT_MARKER = re.compile(r"voldash report: (r[0-9a-f]{16})")
_COMMENT_MARKER = re.compile(r"\[voldash:[0-9a-f]{6,32}\]")
_LABEL = "|".join(r"\s*".join(re.escape(word) for word in label.casefold().split()) for label in LABELS)
_OUR_MARKERS = r"voldash\s*report\s*:|\[\s*voldash\s*:"
_STARTS_OURS = re.compile(rf"(?:{_LABEL})\s*:|{_OUR_MARKERS}")
_HOLDS_OURS = re.compile(rf"(?<![^\W_])(?:{_LABEL})\s*:|{_OUR_MARKERS}")
_DECORATION = " \t>*_#`~-+|"


def _fold(line: str) -> str:
    """The line as a lenient parser (or a person) might read it: invisible format characters
    dropped, spacing collapsed. ``str.split()`` takes the Unicode line separators (JavaScript's
    ``^`` matches after U+2028), CR, VT, FF and NEL for spaces, so a label after one is caught
    like a label after a space."""
    text = unicodedata.normalize("NFKC", line)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.casefold().split())


def looks_like_ours(line: str) -> bool:
    """Whether a line of outside text holds one of our labels or markers anywhere."""
    return bool(_HOLDS_OURS.search(_fold(line)))


def _defuse(line: str) -> str:
    folded = _fold(line)
    if not _HOLDS_OURS.search(folded):
        return line
    safe = unicodedata.normalize("NFKC", line).replace(":", LOOKALIKE_COLON)
    return QUOTE + safe if _STARTS_OURS.match(folded.lstrip(_DECORATION)) else safe


def quote_outside(text: str) -> str:
    """Outside text made safe to place in a ClickUp description or comment (rule 1 above).
    Lines that hold nothing of ours are left exactly as they were."""
    return "\n".join(_defuse(line) for line in (text or "").split("\n"))


def _last_line(text: str | None) -> str:
    return (text or "").rstrip().rsplit("\n", 1)[-1].strip()


def with_marker(text: str, marker: str) -> str:
    """``text`` (already ours or quoted) with ``marker`` as its last line."""
    return f"{text}\n\n{marker}"


# -- a problem report's ClickUp task ----------------------------------------------------------


def report_marker(report_id: str) -> str:
    return f"{REPORT_MARKER_PREFIX} {report_id}"


def report_id_in(text: str | None) -> str | None:
    """The report id of a description we wrote: its last line, matched whole."""
    match = _REPORT_MARKER.fullmatch(_last_line(text))
    return match.group(1) if match else None


# -- a comment we post --------------------------------------------------------------------------


def comment_marker(event_id: str) -> str:
    """The reference a comment we post carries in ClickUp: finds it again after a lost answer
    and tells its webhook echo from a comment someone wrote in ClickUp."""
    return f"[voldash:{event_id}]"


def comment_marker_in(text: str | None) -> str | None:
    last = _last_line(text)
    return last if _COMMENT_MARKER.fullmatch(last) else None


def is_our_comment(text: str | None) -> bool:
    return comment_marker_in(text) is not None


def has_comment(comments: list[dict[str, object]], marker: str) -> bool:
    """Whether ClickUp's list of a task's comments holds the one carrying exactly ``marker``."""
    return any(comment_marker_in(str(c.get("comment_text") or "")) == marker for c in comments)
