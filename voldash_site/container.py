"""The composition root: the one place that builds real repositories and gateways from
settings. Endpoints and commands ask it for dependencies; tests can swap it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from integrations.inbox.repository import DynamoInboxRepository
from integrations.outbox.repository import DynamoOutboxRepository, OutboxRepository
from integrations.sync_state import SyncStateRepository
from shops.announcements import DynamoAnnouncementRepository
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
    roles: RoleMapping
    inbox: DynamoInboxRepository
    announcements: DynamoAnnouncementRepository
    sync_state: SyncStateRepository
    claim_limit: int = 3
    clock: Callable[[], datetime] = utc_now

    # The outside services' clients are built on first use: most requests never call one, and
    # building them (httpx, TLS) would otherwise cost every cold start.

    @cached_property
    def mapping(self) -> Any:
        from integrations.clickup.mapping import load_mapping

        return load_mapping()

    @cached_property
    def discourse_category(self) -> int | None:
        from django.conf import settings

        return settings.DISCOURSE_CATEGORY_ID or self.mapping.discourse_category_id

    @cached_property
    def neon(self) -> Any:
        from django.conf import settings

        from integrations.neon.client import NeonClient, NeonConfig

        return NeonClient(
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

    @cached_property
    def clickup(self) -> Any:
        from django.conf import settings

        from integrations.clickup.client import ClickUpClient

        return ClickUpClient(
            api_url=settings.CLICKUP_API_URL,
            token=settings.CLICKUP_API_TOKEN,
            per_minute=settings.CLICKUP_REQUESTS_PER_MINUTE,
        )

    @cached_property
    def slack(self) -> Any:
        from django.conf import settings

        from integrations.slack.client import SlackClient

        return SlackClient(api_url=settings.SLACK_API_URL, token=settings.SLACK_BOT_TOKEN)

    @cached_property
    def discourse(self) -> Any:
        from django.conf import settings

        from integrations.discourse.client import DiscourseClient

        return DiscourseClient(
            base_url=settings.DISCOURSE_URL,
            api_key=settings.DISCOURSE_API_KEY,
            api_username=settings.DISCOURSE_API_USERNAME,
        )

    def clickup_sync(self) -> Any:
        from integrations.clickup.sync import ClickUpSyncDeps

        return ClickUpSyncDeps(
            tasks=self.tasks,
            volunteers=self.volunteers,
            outbox=self.outbox,
            uow=self.uow,
            client=self.clickup,
            mapping=self.mapping,
            clock=self.clock,
            discourse_category=self.discourse_category,
        )

    def neon_sync(self) -> Any:
        from integrations.neon.sync import NeonSyncDeps

        return NeonSyncDeps(
            neon=self.neon,
            volunteers=self.volunteers,
            shops=self.shop_directory,
            roles=self.roles,
            clock=self.clock,
        )

    def inbox_handlers(self) -> dict:
        from integrations.clickup.sync import handle_clickup_event
        from integrations.inbox.domain import Source
        from integrations.neon.sync import handle_neon_event

        def clickup(event):
            result = handle_clickup_event(event, self.clickup_sync())
            self.sync_state.record_event("clickup", self.clock(), ok=True)
            return result

        def neon(event):
            return handle_neon_event(event, self.neon_sync())

        return {Source.CLICKUP: clickup, Source.NEON: neon}

    def senders(self) -> dict:
        from integrations.outbox.delivery import ClickUpSender, DiscourseSender, SlackSender
        from integrations.outbox.domain import Channel

        return {
            Channel.CLICKUP: ClickUpSender(self.clickup, self.mapping),
            Channel.SLACK: SlackSender(self.slack),
            Channel.DISCOURSE: DiscourseSender(self.discourse, on_topic=self.tasks.set_discourse_url),
        }

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

    # Cursors are signed with the current key and verified with it or a fallback (rotation).
    secret = (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    shops = DynamoShopRepository()
    return Container(
        inbox=DynamoInboxRepository(),
        announcements=DynamoAnnouncementRepository(),
        sync_state=SyncStateRepository(),
        tasks=DynamoTaskRepository(cursor_secret=secret),
        shops=shops,
        volunteers=DynamoVolunteerRepository(cursor_secret=secret),
        outbox=DynamoOutboxRepository(),
        uow=DynamoUnitOfWork(),
        shop_directory=ShopDirectory(shops, ttl_seconds=settings.SHOP_CACHE_SECONDS),
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
