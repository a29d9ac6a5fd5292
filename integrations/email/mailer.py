"""The ``Mailer`` port of the use cases, on Django's e-mail framework."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail


class DjangoMailer:
    def send(self, *, to: str, subject: str, body: str) -> None:
        send_mail(subject, body, settings.EMAIL_FROM, [to], fail_silently=False)
