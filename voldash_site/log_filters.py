"""Keep credentials and personal data out of the logs."""

from __future__ import annotations

import logging


class ScrubRequest(logging.Filter):
    """Django's own request logging attaches the request, whose repr has the query string
    (which can carry a webhook secret). Keep the method and path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            record.request = f"{getattr(request, 'method', '')} {request.path}"
        return True
