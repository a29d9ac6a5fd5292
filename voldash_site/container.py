"""The composition root: the one place that builds real repositories and gateways from
settings. Endpoints and commands ask it for dependencies; tests can swap it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from shops.directory import ShopDirectory
from shops.repository import DynamoShopRepository, ShopRepository
from tasks.lifecycle import LifecycleDeps
from tasks.repository import DynamoTaskRepository, TaskRepository
from voldash_site.dynamodb.unit_of_work import DynamoUnitOfWork
from volunteers.neon_profile import RoleMapping
from volunteers.repository import DynamoVolunteerRepository, VolunteerRepository

if TYPE_CHECKING:
    from integrations.inbox.repository import DynamoInboxRepository
    from integrations.outbox.repository import OutboxRepository
    from integrations.sync_state import SyncStateRepository
    from shops.announcements import DynamoAnnouncementRepository


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    tasks: TaskRepository
    shops: ShopRepository
    volunteers: VolunteerRepository
    uow: DynamoUnitOfWork
    shop_directory: ShopDirectory
    roles: RoleMapping
    claim_limit: int = 3
    clock: Callable[[], datetime] = utc_now

    # Repositories the read requests never touch are built (and their modules imported) on
    # first use, so that a cold start serving a page does not load them.

    @cached_property
    def outbox(self) -> OutboxRepository:
        from integrations.outbox.repository import DynamoOutboxRepository

        return DynamoOutboxRepository()

    @cached_property
    def inbox(self) -> DynamoInboxRepository:
        from integrations.inbox.repository import DynamoInboxRepository

        return DynamoInboxRepository()

    @cached_property
    def sync_state(self) -> SyncStateRepository:
        from integrations.sync_state import SyncStateRepository

        return SyncStateRepository()

    @cached_property
    def announcements(self) -> DynamoAnnouncementRepository:
        from shops.announcements import DynamoAnnouncementRepository

        return DynamoAnnouncementRepository()

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
    def login_links(self) -> Any:
        from volunteers.login_links import DynamoLoginLinkRepository

        return DynamoLoginLinkRepository()

    @cached_property
    def mailer(self) -> Any:
        from integrations.email.mailer import DjangoMailer

        return DjangoMailer()

    def rate_limiter(self, *, scope: str, key: str, max_hits: int, window_seconds: int) -> bool:
        """One conditional UpdateItem: True when this hit is within the window's limit."""
        from voldash_site.dynamodb import rate_limit

        return rate_limit.hit(rate_limit.Limit(scope, max_hits, window_seconds), key, now=self.clock())

    @cached_property
    def clickup(self) -> Any:
        from django.conf import settings

        from integrations.clickup.client import ClickUpClient

        return ClickUpClient(
            api_url=settings.CLICKUP_API_URL,
            token=settings.CLICKUP_API_TOKEN,
            per_minute=settings.CLICKUP_REQUESTS_PER_MINUTE,
        )

    def clickup_webhooks(self) -> Any:
        """The webhook lifecycle (register, status, reactivate) for this deployment's endpoint."""
        from django.conf import settings

        from integrations.clickup.webhook_admin import WebhookAdmin

        base = (settings.PUBLIC_BASE_URL or "").rstrip("/")
        return WebhookAdmin(
            client=self.clickup,
            state=self.sync_state,
            team_id=settings.CLICKUP_TEAM_ID,
            endpoint=f"{base}/webhooks/clickup",
            list_ids=sorted(self.mapping.lists),
            clock=self.clock,
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
            adopt=lambda task, now: self._adopt(task, now),
        )

    def _adopt(self, task: Any, now: datetime) -> Any:
        from tasks.reports.use_cases import adopt_clickup_task

        return adopt_clickup_task(task, now, self.report_deps())

    @cached_property
    def reports(self) -> Any:
        from tasks.reports.repository import DynamoReportRepository

        return DynamoReportRepository()

    def report_deps(self) -> Any:
        from zoneinfo import ZoneInfo

        from django.conf import settings

        from tasks.reports.use_cases import RateLimits, ReportDeps

        problem_list = next(
            (lid for lid, lm in self.mapping.lists.items() if lm.task_type.value == "problem"), "901310067725"
        )
        return ReportDeps(
            reports=self.reports,
            tasks=self.tasks,
            outbox=self.outbox,
            uow=self.uow,
            shops=self.shop_directory,
            clock=self.clock,
            shop_for_area=self.mapping.shop_for,
            list_id=problem_list,
            limits=RateLimits(
                per_address=settings.REPORT_LIMIT_PER_ADDRESS,
                per_device=settings.REPORT_LIMIT_PER_DEVICE,
                window_seconds=settings.REPORT_RATE_WINDOW_SECONDS,
            ),
            secret=settings.SECRET_KEY,
            slack_channel=settings.PROBLEM_REPORT_SLACK_CHANNEL,
            discourse_category=self.discourse_category,
            local_tz=ZoneInfo(settings.TIME_ZONE),
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
        from django.conf import settings

        from integrations.clickup.sync import apply_snapshot
        from integrations.outbox.delivery import ClickUpSender, DiscourseSender, SlackSender
        from integrations.outbox.domain import Channel
        from tasks.reports import delivery as reports
        from tasks.reports.photos import S3Photos
        from tasks.reports.use_cases import record_link
        from tasks.upkeep import delivery as upkeep
        from tasks.upkeep.people import SlackPeople

        def on_created(raw: dict) -> Any:
            return apply_snapshot(str(raw["id"]), raw, self.clickup_sync(), event="report.created")

        def on_link(report_id: str, kind: str, url: str) -> Any:
            return record_link(report_id=report_id, kind=kind, url=url, deps=self.report_deps())

        on_topic = self.tasks.set_discourse_url
        return {
            Channel.CLICKUP: reports.ByAction(
                ClickUpSender(self.clickup, self.mapping, current_tick=self.tasks.current_tick),
                reports.ReportClickUpSender(
                    self.clickup,
                    reports=self.reports,
                    mapping=self.mapping,
                    on_created=on_created,
                    photos=S3Photos(bucket=settings.UPLOADS_BUCKET, region=settings.AWS_REGION),
                ),
            ),
            Channel.SLACK: upkeep.ByPrefix(
                "upkeep.",
                upkeep.UpkeepSlackSender(self.slack, SlackPeople()),
                reports.ByAction(
                    SlackSender(self.slack),
                    reports.ReportSlackSender(
                        self.slack,
                        reports=self.reports,
                        workspace_url=settings.SLACK_WORKSPACE_URL,
                        on_link=on_link,
                    ),
                ),
            ),
            Channel.DISCOURSE: reports.ByAction(
                DiscourseSender(self.discourse, on_topic=on_topic),
                reports.ReportDiscourseSender(
                    self.discourse, reports=self.reports, on_link=on_link, on_topic=on_topic
                ),
            ),
            Channel.NOTICE: self.notice_sender(),
        }

    def notice_sender(self) -> Any:
        """Personal notices (tasks/notice_delivery.py): who hears, then the message."""
        from integrations.outbox.repository import queue_notice
        from tasks.notice_delivery import NoticeLinks, NoticeSender
        from tasks.upkeep.config import dashboard_base, task_link
        from tasks.upkeep.people import SlackPeople
        from volunteers.notice_links import notice_off_url

        return NoticeSender(
            tasks=self.tasks,
            volunteers=self.volunteers,
            shops=self.shop_directory,
            queue_notice=queue_notice,
            slack=self.slack,
            people=SlackPeople(),
            mailer=self.mailer,
            links=NoticeLinks(task=task_link, off=notice_off_url, settings=f"{dashboard_base()}/profile"),
            clock=self.clock,
        )

    def upkeep(self) -> Any:
        """Reminders, automatic releases and digests (tasks/upkeep)."""
        from tasks.upkeep.config import dashboard_base, stale_policies, task_link
        from tasks.upkeep.repository import (
            UpkeepReads,
            held_by_check,
            last_progress,
            marker_write,
            progress_write,
        )
        from tasks.upkeep.use_cases import UpkeepDeps

        return UpkeepDeps(
            reads=UpkeepReads(),
            marker=marker_write,
            outbox=self.outbox,
            uow=self.uow,
            shops=self.shop_directory,
            clock=self.clock,
            lifecycle=self.lifecycle(),
            policies=stale_policies(),
            task_link=task_link,
            dashboard=dashboard_base(),
            last_progress=last_progress,
            progress_write=progress_write,
            held_by_check=held_by_check,
        )

    def discussion(self) -> Any:
        """Comments and checklist ticks (tasks/discussion.py)."""
        from tasks.discussion import DiscussionDeps
        from voldash_site.dynamodb.rate_limit import count_write

        return DiscussionDeps(
            tasks=self.tasks,
            outbox=self.outbox,
            uow=self.uow,
            clock=self.clock,
            volunteers=self.volunteers,
            rate_write=count_write,
        )

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


def notice_writes(events: list[Any]) -> list[Any]:
    """The unit of work's ``collect``: the personal notices a transaction's changes cause, as
    outbox messages in that same transaction (tasks/notices.py decides which)."""
    from tasks.notices import notice_messages

    messages = notice_messages(events)
    if not messages:
        return []
    from integrations.outbox.repository import DynamoOutboxRepository

    return DynamoOutboxRepository().enqueue_writes(messages)


_container: Container | None = None


def build_container() -> Container:
    from django.conf import settings

    # Cursors are signed with the current key and verified with it or a fallback (rotation).
    secret = (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    shops = DynamoShopRepository()
    return Container(
        tasks=DynamoTaskRepository(cursor_secret=secret),
        shops=shops,
        volunteers=DynamoVolunteerRepository(cursor_secret=secret),
        uow=DynamoUnitOfWork(collect=notice_writes),
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
