"""The composition root: the one place that builds real repositories and gateways from
settings. Endpoints and commands ask it for dependencies; tests can swap it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from integrations.outbox.repository import DynamoOutboxRepository, OutboxRepository
from shops.directory import ShopDirectory
from shops.repository import DynamoShopRepository, ShopRepository
from tasks.lifecycle import LifecycleDeps
from tasks.repository import DynamoTaskRepository, TaskRepository
from voldash_site.dynamodb.unit_of_work import DynamoUnitOfWork
from volunteers.neon_profile import RoleMapping
from volunteers.repository import DynamoVolunteerRepository, VolunteerRepository


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    tasks: TaskRepository
    shops: ShopRepository
    volunteers: VolunteerRepository
    outbox: OutboxRepository
    uow: DynamoUnitOfWork
    shop_directory: ShopDirectory
    neon: Any
    roles: RoleMapping
    claim_limit: int = 3
    clock: Callable[[], datetime] = utc_now

    def lifecycle(self) -> LifecycleDeps:
        return LifecycleDeps(
            tasks=self.tasks,
            volunteers=self.volunteers,
            outbox=self.outbox,
            shops=self.shop_directory,
            uow=self.uow,
            clock=self.clock,
            claim_limit=self.claim_limit,
        )


_container: Container | None = None


def build_container() -> Container:
    from django.conf import settings

    from integrations.neon.client import NeonClient, NeonConfig

    secret = settings.SECRET_KEY
    shops = DynamoShopRepository()
    neon = NeonClient(
        NeonConfig(
            api_url=settings.NEON_API_URL,
            org_id=settings.NEON_ORG_ID,
            api_key=settings.NEON_API_KEY,
            oauth_authorize_url=settings.NEON_OAUTH_AUTHORIZE_URL,
            oauth_token_url=settings.NEON_OAUTH_TOKEN_URL,
            client_id=settings.NEON_OAUTH_CLIENT_ID,
            client_secret=settings.NEON_OAUTH_CLIENT_SECRET,
        )
    )
    return Container(
        tasks=DynamoTaskRepository(cursor_secret=secret),
        shops=shops,
        volunteers=DynamoVolunteerRepository(cursor_secret=secret),
        outbox=DynamoOutboxRepository(),
        uow=DynamoUnitOfWork(),
        shop_directory=ShopDirectory(shops, ttl_seconds=settings.SHOP_CACHE_SECONDS),
        neon=neon,
        roles=RoleMapping.from_setting(settings.NEON_ROLE_TYPES),
        claim_limit=settings.CLAIM_LIMIT,
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
