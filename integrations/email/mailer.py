"""The ``Mailer`` port of the use cases, on Django's e-mail framework."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail


class DjangoMailer:
    def send(self, *, to: str, subject: str, body: str) -> None:
        send_mail(subject, body, settings.EMAIL_FROM, [to], fail_silently=False)

    def send_notice(self, *, to: str, subject: str, text: str, html: str, unsubscribe: str) -> None:
        """A personal notice: plain and HTML parts, and the one-click unsubscribe headers
        (RFC 8058) that mail programs show as "Unsubscribe"."""
        message = EmailMultiAlternatives(
            subject,
            text,
            settings.EMAIL_FROM,
            [to],
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        message.attach_alternative(html, "text/html")
        message.send(fail_silently=False)
