"""A Django e-mail backend that sends through Amazon SES (API v2, ``SendEmail`` with raw MIME).

Django builds the message (headers, encoding, attachments); SES only carries it, so what the
in-memory backend captures in tests is what SES would send. The Lambda's role needs exactly
``ses:SendEmail`` on the sending identity (template.yaml). Errors are raised, never swallowed:
the caller decides what a failed send means.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class SESEmailBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self._client: Any = None

    def _ses(self) -> Any:
        if self._client is None:
            import boto3  # deferred: only a request that sends mail pays for the client

            self._client = boto3.client("sesv2", region_name=getattr(settings, "AWS_REGION", None))
        return self._client

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            recipients = message.recipients()
            if not recipients:
                continue
            try:
                self._ses().send_email(
                    FromEmailAddress=message.from_email,
                    Destination={"ToAddresses": recipients},
                    Content={"Raw": {"Data": message.message().as_bytes(linesep="\r\n")}},
                )
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent
