"""Keep credentials and personal data out of the logs."""

from __future__ import annotations

import logging
import re

# Paths that carry a secret (issue 23, finding 6): a magic link's token, a personal calendar's
# token, a notice's "stop these" token. Whatever logs a path (our request line, Django's CSRF and
# 404 warnings, the API Gateway access log, which logs the route instead) logs it redacted.
_SECRET_PATHS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/auth/magic-link/[^\s\"'?#/]+"), "/auth/magic-link/{token}"),
    # A notice's one-click "stop these" link (it can turn a kind of notice off for its person).
    (re.compile(r"/auth/notices/off/[^\s\"'?#/]+"), "/auth/notices/off/{token}"),
    (re.compile(r"/calendar/(?!shops/)[^\s\"'?#]+"), "/calendar/{feed}"),
)


def redact_path(text: str) -> str:
    """``text`` with the secret part of every secret-bearing path replaced by a placeholder."""
    for pattern, replacement in _SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


def _redact(value: object) -> object:
    return redact_path(value) if isinstance(value, str) else value


class ScrubRequest(logging.Filter):
    """Django's own request logging attaches the request, whose repr has the query string
    (which can carry a webhook secret): keep the method and the (redacted) path only. Messages,
    their arguments (``"Forbidden (%s): %s"`` with the path) and a ``path`` field are redacted
    too."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            record.request = f"{getattr(request, 'method', '')} {redact_path(str(request.path))}"
        record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact(v) for k, v in record.args.items()}
        if isinstance(getattr(record, "path", None), str):
            record.path = redact_path(record.path)
        return True
