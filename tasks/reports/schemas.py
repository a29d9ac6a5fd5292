"""Request and response shapes of the problem-report endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from .domain import AREAS, MAX_ASSET, MAX_CONTACT, MAX_DETAILS, MAX_SUMMARY, PROBLEM_TYPES, PublicStatus

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
    forum: bool = Field(False, description="Also open a topic on the forum (yo.asmbly.org)")
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
    shop: str
    area: str
    created_at: datetime
    task_id: str | None = Field(description="The task in the feeds (null once closed)")
    clickup_url: str | None
