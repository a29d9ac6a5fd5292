"""Reference read API: FastAPI + Mangum + boto3 on the same DynamoDB table as voldash.

A small stand-in for the original FastAPI design of this backend, used by ``bench/bench_perf.py``
to put voldash's read path next to an idiomatic FastAPI one. It serves the same data from the same
table and keys (see tasks/repository.py), with the same task fields as voldash's public API:

  GET /api/v1/tasks?shop=&status=&limit=&cursor=   one Query: GSI1 (shop) or GSI2 (status, OPEN by
                                                   default), newest first, Limit=limit
  GET /api/v1/tasks/{task_id}                      one Query on PK=TASK#{id}, newest first, Limit 21:
                                                   the task item and its recent history

Configuration from the environment: DYNAMODB_TABLE, DYNAMODB_ENDPOINT_URL (DynamoDB Local),
AWS_REGION. The boto3 client is created at import, as a Lambda app would do in its init phase.
Cursors are base64 of LastEvaluatedKey, unsigned. No auth, no writes: this is a benchmark reference,
not part of voldash.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
from datetime import datetime
from typing import Any

import boto3
from fastapi import FastAPI, HTTPException, Path, Query
from mangum import Mangum
from pydantic import BaseModel

TABLE = os.environ.get("DYNAMODB_TABLE", "voldash-local")
_ENDPOINT = os.environ.get("DYNAMODB_ENDPOINT_URL") or None
# DynamoDB Local accepts any credentials, but botocore wants some.
_LOCAL_CREDENTIALS = (
    {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    if _ENDPOINT and not os.environ.get("AWS_ACCESS_KEY_ID")
    else {}
)
client = boto3.client(
    "dynamodb",
    region_name=os.environ.get("AWS_REGION", "us-east-1"),
    endpoint_url=_ENDPOINT,
    **_LOCAL_CREDENTIALS,
)

URGENCY_BASE_POINTS = {"critical": 50, "high": 30, "medium": 20, "low": 10}
HISTORY_ON_DETAIL = 20


class Assignee(BaseModel):
    id: str
    name: str


class TaskOut(BaseModel):
    id: str
    title: str
    description: str
    shop: str
    status: str
    urgency: str
    task_type: str
    problem_type: str | None
    asset: str | None
    estimate_minutes: int | None
    points: int
    assignee: Assignee | None
    clickup_url: str | None
    discourse_url: str | None
    slack_url: str | None
    created_at: datetime
    updated_at: datetime


class TaskPage(BaseModel):
    items: list[TaskOut]
    next_cursor: str | None


class HistoryOut(BaseModel):
    at: datetime
    action: str
    source: str
    actor: str | None
    from_status: str | None
    to_status: str | None
    assignee: str | None
    note: str | None
    hours: float | None


class TaskDetail(TaskOut):
    history: list[HistoryOut]


def _s(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value.get("S") if value else None


def _n(item: dict[str, Any], name: str) -> float | None:
    value = item.get(name)
    return float(value["N"]) if value and "N" in value else None


def points(urgency: str, estimate_minutes: int | None) -> int:
    hours = math.ceil(estimate_minutes / 60) if estimate_minutes and estimate_minutes > 0 else 1
    return URGENCY_BASE_POINTS[urgency] + 10 * min(hours, 8)


def task_fields(item: dict[str, Any]) -> dict[str, Any]:
    estimate = _n(item, "estimate_minutes")
    minutes = int(estimate) if estimate is not None else None
    assignee_id = _s(item, "assignee_id")
    return {
        "id": item["id"]["S"],
        "title": item["title"]["S"],
        "description": _s(item, "description") or "",
        "shop": item["shop"]["S"],
        "status": item["status"]["S"],
        "urgency": item["urgency"]["S"],
        "task_type": _s(item, "task_type") or "problem",
        "problem_type": _s(item, "problem_type"),
        "asset": _s(item, "asset"),
        "estimate_minutes": minutes,
        "points": points(item["urgency"]["S"], minutes),
        "assignee": {"id": assignee_id, "name": _s(item, "assignee_name") or ""} if assignee_id else None,
        "clickup_url": _s(item, "clickup_url"),
        "discourse_url": _s(item, "discourse_url"),
        "slack_url": _s(item, "slack_url"),
        "created_at": item["created_at"]["S"],
        "updated_at": item["updated_at"]["S"],
    }


def history_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": item["at"]["S"],
        "action": item["action"]["S"],
        "source": item["source"]["S"],
        "actor": _s(item, "actor_name"),
        "from_status": _s(item, "from_status"),
        "to_status": _s(item, "to_status"),
        "assignee": _s(item, "assignee_name"),
        "note": _s(item, "note"),
        "hours": _n(item, "hours"),
    }


def _encode_cursor(key: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode() if key else None


def _decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError) as exc:
        raise HTTPException(status_code=400, detail="Invalid cursor") from exc
    if not isinstance(key, dict):
        raise HTTPException(status_code=400, detail="Invalid cursor")
    return key


app = FastAPI(title="voldash FastAPI reference")


@app.get("/api/v1/tasks", response_model=TaskPage)
def list_tasks(
    shop: str | None = Query(None, max_length=64),
    status: str | None = Query(None, pattern=r"^(?i:open|in[-_]progress|on[-_]hold|done)$"),
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, max_length=2048),
) -> dict[str, Any]:
    """Newest first: by shop (all statuses, or one) on GSI1, else by status (OPEN) on GSI2."""
    wanted = (status or "OPEN").upper().replace("-", "_")
    if shop:
        kwargs: dict[str, Any] = {
            "IndexName": "GSI1",
            "ExpressionAttributeValues": {":pk": {"S": f"SHOP#{shop}"}},
        }
        if status:
            kwargs["KeyConditionExpression"] = "GSI1PK = :pk AND begins_with(GSI1SK, :st)"
            kwargs["ExpressionAttributeValues"][":st"] = {"S": f"{wanted}#"}
        else:
            kwargs["KeyConditionExpression"] = "GSI1PK = :pk"
    else:
        kwargs = {
            "IndexName": "GSI2",
            "KeyConditionExpression": "GSI2PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"STATUS#{wanted}"}},
        }
    if cursor:
        kwargs["ExclusiveStartKey"] = _decode_cursor(cursor)
    result = client.query(TableName=TABLE, ScanIndexForward=False, Limit=limit, **kwargs)
    return {
        "items": [task_fields(item) for item in result["Items"]],
        "next_cursor": _encode_cursor(result.get("LastEvaluatedKey")),
    }


@app.get("/api/v1/tasks/{task_id}", response_model=TaskDetail)
def get_task(task_id: str = Path(..., pattern=r"^[A-Za-z0-9_-]{1,64}$")) -> dict[str, Any]:
    """The task item (SK=TASK sorts after every HIST#...) and its newest history entries."""
    result = client.query(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"TASK#{task_id}"}},
        ScanIndexForward=False,
        Limit=1 + HISTORY_ON_DETAIL,
        ConsistentRead=True,
    )
    items = result["Items"]
    task = next((i for i in items if i["SK"]["S"] == "TASK"), None)
    if task is None or task.get("deleted", {}).get("BOOL"):
        raise HTTPException(status_code=404, detail=f"No task with id {task_id!r}.")
    history = [history_fields(i) for i in items if i["SK"]["S"].startswith("HIST#")]
    return {**task_fields(task), "history": history}


handler = Mangum(app, lifespan="off")
