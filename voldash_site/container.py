"""The composition root: the one place that builds real repositories and gateways from
settings. Endpoints and commands ask it for dependencies; tests can swap it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from shops.repository import DynamoShopRepository, ShopRepository
from tasks.repository import DynamoTaskRepository, TaskRepository
from volunteers.repository import DynamoVolunteerRepository, VolunteerRepository


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    tasks: TaskRepository
    shops: ShopRepository
    volunteers: VolunteerRepository
    clock: Callable[[], datetime] = utc_now


_container: Container | None = None


def build_container() -> Container:
    from django.conf import settings

    secret = settings.SECRET_KEY
    return Container(
        tasks=DynamoTaskRepository(cursor_secret=secret),
        shops=DynamoShopRepository(),
        volunteers=DynamoVolunteerRepository(cursor_secret=secret),
    )


def get_container() -> Container:
    global _container
    if _container is None:
        _container = build_container()
    return _container


def set_container(container: Container | None) -> None:
    """Tests: install a container (or ``None`` to rebuild from settings on next use)."""
    global _container
    _container = container
