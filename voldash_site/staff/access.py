"""Who may see the staff pages: shop leads (their shops only) and staff (everything)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from shops.catalog import SHOP_SLUGS
from shops.domain import Shop
from voldash_site.auth import checked_profile, viewer_from_session
from voldash_site.container import Container, get_container
from volunteers.domain import Role, Volunteer


@dataclass(frozen=True)
class StaffContext:
    """The person using the staff pages, freshly read, and what they may touch."""

    user: Volunteer
    container: Container

    @property
    def is_staff(self) -> bool:
        return self.user.is_staff

    @property
    def shops(self) -> tuple[str, ...]:
        """The shops this person may see and act on."""
        if self.is_staff:
            return SHOP_SLUGS
        return tuple(s for s in SHOP_SLUGS if s in self.user.lead_of)

    def can_see_shop(self, shop: str) -> bool:
        return shop in self.shops


def with_current_leadership(user: Volunteer, shops: Iterable[Shop]) -> Volunteer:
    """``user`` leading exactly the shops whose ``leads`` name them now."""
    led = tuple(s.slug for s in shops if user.neon_id in s.leads)
    roles = user.roles | {Role.SHOP_LEAD} if led else user.roles
    return replace(user, lead_of=led, roles=roles)


def login_url(next_path: str) -> str:
    return "/staff/login?" + urlencode({"next": next_path})


def staff_view(view: Callable[..., HttpResponse] | None = None, *, staff_only: bool = False) -> Any:
    """Decorator: anonymous -> the login page; volunteers (and leads on staff-only pages) -> 403.
    The profile and the shops are re-read on every request, so a lead removed (in Neon or from
    a shop's leads) loses access at once."""

    def wrap(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(func)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            viewer = viewer_from_session(request)
            if viewer is None:
                return HttpResponseRedirect(login_url(request.get_full_path()))
            container = get_container()
            user = checked_profile(request)  # read fresh while checking the session
            if user is not None:
                # Authority from current data on every request: the profile (staff) and the
                # shops' lead lists as they are now (not the session, not the profile's copy).
                user = with_current_leadership(user, container.shops.list_all())
            allowed = user is not None and (user.is_staff or (not staff_only and user.lead_of))
            if not allowed:
                return render(
                    request,
                    "staff/forbidden.html",
                    {
                        "reason": "These pages are for staff."
                        if staff_only
                        else "The staff pages are for shop leads and staff.",
                        "user": user,
                    },
                    status=403,
                )
            request.staff = StaffContext(user=user, container=container)  # type: ignore[attr-defined]
            return func(request, *args, **kwargs)

        return inner

    return wrap(view) if view is not None else wrap


def login_page(request: HttpRequest) -> HttpResponse:
    next_path = request.GET.get("next", "/staff/")
    if not next_path.startswith("/staff"):
        next_path = "/staff/"
    return render(
        request,
        "staff/login.html",
        {
            "next": next_path,
            "neon_login": "/auth/neon/login?" + urlencode({"next": next_path}),
            "dev_login": ("/auth/dev-login?" + urlencode({"next": next_path}))
            if settings.DEV_LOGIN_ENABLED
            else None,
        },
    )
