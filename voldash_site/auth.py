"""Who is calling: the viewer snapshot kept in Django's signed-cookie session.

The session cookie is signed with DJANGO_SECRET_KEY, HttpOnly, SameSite=Lax and Secure outside
local mode. It carries the profile's session epoch from when it started: reading an
authenticated session reads the profile (one GetItem, once per request; anonymous requests
read nothing) and a session from an older epoch (logged out, or signed out everywhere by
staff) is over. What decides authority and visibility (roles, the shops a lead leads, the
membership) is taken from that profile, not from the snapshot, on every request, reads
included. ``SessionAuth`` is the Ninja auth for endpoints that act; being a cookie auth,
Ninja enforces CSRF (header ``X-CSRFToken``) on its unsafe methods.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from django.http import HttpRequest
from ninja.security import APIKeyCookie

from volunteers.domain import Role, Viewer, Volunteer

SESSION_KEY = "viewer"


def viewer_to_session(viewer: Viewer) -> dict:
    return {
        "id": viewer.neon_id,
        "name": viewer.name,
        "roles": sorted(r.value for r in viewer.roles),
        "lead_of": list(viewer.lead_of),
        "member": viewer.membership_active,
        "open_claims": viewer.open_claims,
        "missing": {shop: list(names) for shop, names in viewer.missing_by_shop.items()},
        "at": viewer.refreshed_at.isoformat(),
        "epoch": viewer.session_epoch,
        "dismissed": sorted(viewer.dismissed_announcements),
    }


_CHECKED = "_voldash_viewer"  # the request attribute caching the checked viewer
_PROFILE = "_voldash_profile"  # ... and the profile read to check it


def viewer_from_session(request: HttpRequest) -> Viewer | None:
    """The session's viewer, if the session is still valid (its epoch is the profile's)."""
    if hasattr(request, _CHECKED):
        return getattr(request, _CHECKED)
    viewer = _snapshot(request)
    if viewer is not None:
        from voldash_site.container import get_container

        profile = get_container().volunteers.get(viewer.neon_id)
        if profile is None or profile.session_epoch != viewer.session_epoch:
            request.session.flush()  # ended server-side: the cookie is cleared too
            viewer = None
        else:
            setattr(request, _PROFILE, profile)
            viewer = with_current_authority(viewer, profile)
    setattr(request, _CHECKED, viewer)
    return viewer


def with_current_authority(viewer: Viewer, profile: Volunteer) -> Viewer:
    """``viewer`` with what decides authority and visibility taken from the profile as read now
    (the same GetItem that checks the session), not from the session's snapshot: a lead removed
    from a shop (the shop edit updates the profile's ``lead_of`` with the shop, in one
    transaction), staff demoted or a membership lapsed in Neon stops seeing contact details and
    people's notes on the next request, reads included."""
    return replace(
        viewer,
        roles=profile.roles,
        lead_of=profile.lead_of,
        membership_active=profile.membership_active,
    )


def checked_profile(request: HttpRequest) -> Volunteer | None:
    """The fresh profile read while checking the session (None when not signed in)."""
    viewer_from_session(request)
    return getattr(request, _PROFILE, None)


def _snapshot(request: HttpRequest) -> Viewer | None:
    data = getattr(request, "session", {}).get(SESSION_KEY)
    if not isinstance(data, dict) or not data.get("id"):
        return None
    try:
        return Viewer(
            neon_id=str(data["id"]),
            name=str(data.get("name", "")),
            roles=frozenset(Role(r) for r in data.get("roles", [])),
            lead_of=tuple(data.get("lead_of", [])),
            membership_active=bool(data.get("member")),
            open_claims=int(data.get("open_claims", 0)),
            missing_by_shop={k: tuple(v) for k, v in (data.get("missing") or {}).items()},
            refreshed_at=datetime.fromisoformat(data["at"]),
            session_epoch=int(data.get("epoch", 0)),
            dismissed_announcements=frozenset(str(i) for i in data.get("dismissed") or ()),
        )
    except (KeyError, ValueError, TypeError):
        return None  # a session from an older shape: treat as logged out


def log_in(request: HttpRequest, viewer: Viewer) -> None:
    """Start a fresh session (new key: no fixation) holding the viewer."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = viewer_to_session(viewer)
    setattr(request, _CHECKED, viewer)


def remember(request: HttpRequest, viewer: Viewer) -> None:
    request.session[SESSION_KEY] = viewer_to_session(viewer)


def log_out(request: HttpRequest) -> None:
    """End this session and every other session of the same person (server-side)."""
    viewer = viewer_from_session(request)  # a session already ended cannot end others
    if viewer is not None:
        from voldash_site.container import get_container

        get_container().volunteers.end_sessions(viewer.neon_id)
    request.session.flush()
    setattr(request, _CHECKED, None)


class SessionAuth(APIKeyCookie):
    """Authenticated when the signed session holds a viewer. CSRF is checked by Ninja.

    ``read_profile=False`` (``action_auth``) is for the task actions (claim, release, complete),
    which read the actor's profile anyway, strongly consistent, in one BatchGetItem with the
    task: the session's snapshot without a read of its own; the action checks the epoch on the
    profile it reads (``LifecycleDeps.session_epoch``) before it writes anything, and
    ``session_ended`` clears the cookie. One DynamoDB request fewer on every claim (issue 26).
    One class, so the OpenAPI security scheme stays ``SessionAuth``."""

    def __init__(self, *, read_profile: bool = True) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        self.read_profile = read_profile
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Viewer | None:
        if self.read_profile or hasattr(request, _CHECKED):
            return viewer_from_session(request)
        return _snapshot(request)


session_auth = SessionAuth()
action_auth = SessionAuth(read_profile=False)


def session_ended(request: HttpRequest) -> None:
    """The action found the session's epoch behind the profile's: the session is over."""
    request.session.flush()
    setattr(request, _CHECKED, None)


def dismissed_from_session(request: HttpRequest) -> frozenset[str]:
    """The announcements the session's person dismissed, from the snapshot (no database read:
    a stale session can only hide announcements from itself)."""
    snapshot = _snapshot(request)
    return snapshot.dismissed_announcements if snapshot else frozenset()
