"""The one-click "stop these notices" link: a signed (neon id, kind), no login needed. Anyone
holding the link can only turn that kind of notice off for that person."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from .domain import NoticeKind

SALT = "voldash.notice-off"


def notice_off_token(neon_id: str, kind: NoticeKind) -> str:
    return signing.dumps([neon_id, kind.value], salt=SALT, compress=True)


def read_notice_off_token(token: str) -> tuple[str, NoticeKind] | None:
    try:
        neon_id, kind = signing.loads(token, salt=SALT)
        return str(neon_id), NoticeKind(kind)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def notice_off_url(neon_id: str, kind: NoticeKind) -> str:
    base = (settings.PUBLIC_BASE_URL or "").rstrip("/")
    return f"{base}/auth/notices/off/{notice_off_token(neon_id, kind)}"
