"""Request and response shapes of the problem-report endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StringConstraints

from shops.schemas import ShopSlug

from .domain import (
    AREAS,
    MAX_ASSET,
    MAX_CONTACT,
    MAX_DETAILS,
    MAX_PHOTOS,
    MAX_SUMMARY,
    PHOTO_KEY,
    PROBLEM_TYPES,
    PublicStatus,
)

ProblemType = Literal[PROBLEM_TYPES]  # type: ignore[valid-type]
Area = Literal[AREAS]  # type: ignore[valid-type]
REPORT_ID_PATTERN = r"^r[0-9a-f]{16}$"


class ReportIn(Schema):
    problem_type: ProblemType = Field(description="What kind of problem: " + ", ".join(PROBLEM_TYPES))
    area: Area = Field(description="Where it is: a shop or a building area (ClickUp's Workspace options)")
    summary: str = Field(
        min_length=3, max_length=MAX_SUMMARY, description="In a few words, what is the problem?"
    )
    asset: str = Field("", max_length=MAX_ASSET, description="Which piece of equipment, if applicable")
    details: str = Field("", max_length=MAX_DETAILS, description="Anything more we should know")
    contact: str = Field(
        "",
        max_length=MAX_CONTACT,
        description="Name and phone or e-mail (optional; shop leads only); filled in for members",
    )
    forum: StrictBool = Field(False, description="Also open a topic on the forum (yo.asmbly.org)")
    photos: list[Annotated[str, StringConstraints(pattern=PHOTO_KEY.pattern)]] = Field(
        [], max_length=MAX_PHOTOS, description="Keys from POST /problem-reports/photos, once uploaded"
    )
    website: str = Field("", max_length=200, description="Leave empty (a field for bots)")


class ReportCreatedOut(Schema):
    id: str = Field(description="The report's id")
    status: PublicStatus
    status_url: str = Field(description="Where the reporter follows its progress")
    task_id: str = Field(description="The task in the feeds (provisional until ClickUp has it)")


class ReportStatusOut(Schema):
    id: str
    status: PublicStatus = Field(description="received, in_clickup, in_progress, fixed or closed")
    title: str
    shop: ShopSlug
    area: Area
    created_at: datetime
    task_id: str | None = Field(description="The task in the feeds (null once closed)")
    clickup_url: str | None


PhotoType = Literal["image/jpeg", "image/png", "image/webp", "image/heic"]


class PhotoIn(Schema):
    content_type: PhotoType = Field(description="image/jpeg, image/png, image/webp or image/heic")


class PhotoUploadOut(Schema):
    url: str = Field(description="POST here (multipart): every field below, then the file as `file`")
    fields: dict[str, str]
    key: str = Field(description="Send it in the report's `photos` after the upload")
    max_bytes: int
    expires_in: int = Field(description="Seconds the upload stays allowed")
