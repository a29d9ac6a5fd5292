"""Problem-report photos: a presigned S3 POST bounded in size and type (S3 faked by moto), then
attached to the ClickUp task once, at delivery."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
import requests
from django.test import Client
from moto import mock_aws

from tests.integrations.helpers import deliver
from voldash_site.container import get_container, set_container

BUCKET = "voldash-test-uploads"
FORM = {"problem_type": "Equipment", "area": "Lasers", "asset": "Tarkin", "summary": "Lens is cracked"}
JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 100


@pytest.fixture
def s3(settings, monkeypatch):
    """moto's S3 in process; DynamoDB (Local, over HTTP) passes through untouched."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws(config={"core": {"passthrough": {"services": ["dynamodb"]}}}):
        client = boto3.client("s3", region_name=settings.AWS_REGION)
        if settings.AWS_REGION == "us-east-1":
            client.create_bucket(Bucket=BUCKET)
        else:
            client.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": settings.AWS_REGION}
            )
        settings.UPLOADS_BUCKET = BUCKET
        set_container(None)
        yield client
        set_container(None)


def presign(content_type: str = "image/jpeg"):
    return Client().post(
        "/api/v1/problem-reports/photos", {"content_type": content_type}, content_type="application/json"
    )


def test_the_upload_policy_bounds_size_type_and_key(cast, s3, settings):
    response = presign()
    assert response.status_code == 201, response.content
    body = response.json()
    # The bucket's regional, virtual-hosted name: the global one answers a bucket outside
    # us-east-1 with a 307 for its first hours, and a redirected browser POST loses its form.
    assert body["url"] == f"https://{BUCKET}.s3.{settings.AWS_REGION}.amazonaws.com/"
    assert body["key"].startswith("reports/uploads/") and body["key"].endswith(".jpg")
    assert body["fields"]["key"] == body["key"] and body["fields"]["Content-Type"] == "image/jpeg"
    policy = json.loads(base64.b64decode(body["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, 5 * 1024 * 1024] in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert {"key": body["key"]} in conditions and {"bucket": BUCKET} in conditions
    upload = requests.post(
        body["url"], data=body["fields"], files={"file": ("p.jpg", JPEG, "image/jpeg")}, timeout=10
    )
    assert upload.status_code == 204
    assert s3.get_object(Bucket=BUCKET, Key=body["key"])["Body"].read() == JPEG


def test_presigned_uploads_are_rate_limited_per_address(cast, s3, settings):
    settings.REPORT_LIMIT_PER_ADDRESS = 1  # one report: at most 4 photos an hour from an address
    set_container(None)
    codes = [presign().status_code for _ in range(5)]
    assert codes == [201, 201, 201, 201, 429]
    refused = presign()
    assert refused.json()["code"] == "rate_limited"
    other = Client(REMOTE_ADDR="198.51.100.9").post(
        "/api/v1/problem-reports/photos", {"content_type": "image/png"}, content_type="application/json"
    )
    assert other.status_code == 201  # another address is not held back


def test_only_images_and_only_when_enabled(cast, s3, settings):
    assert presign("text/html").status_code == 422
    assert presign("application/pdf").status_code == 422
    settings.UPLOADS_BUCKET = ""
    refused = presign()
    assert refused.status_code == 400 and refused.json()["code"] == "photos_disabled"


def test_a_report_with_keys_we_did_not_issue_is_refused(cast, s3):
    for photos in (["../../etc/passwd"], ["reports/uploads/" + "a" * 32 + ".exe"], ["x"] * 5):
        response = Client().post(
            "/api/v1/problem-reports", {**FORM, "photos": photos}, content_type="application/json"
        )
        assert response.status_code == 422, (photos, response.content)
        assert "photos" in response.json()["message"]


def test_uploaded_photos_are_attached_to_the_clickup_task_once(cast, s3, clickup, slack):
    keys = []
    for _ in range(2):
        body = presign().json()
        requests.post(
            body["url"], data=body["fields"], files={"file": ("p.jpg", JPEG, "image/jpeg")}, timeout=10
        )
        keys.append(body["key"])
    missing = presign("image/png").json()["key"]  # presigned, never uploaded
    response = Client().post(
        "/api/v1/problem-reports", {**FORM, "photos": [*keys, missing]}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    deliver()
    container = get_container()
    report = container.reports.get(response.json()["id"])
    attached = clickup.attachments(report.clickup_task_id)
    assert sorted(a["title"] for a in attached) == sorted(k.rsplit("/", 1)[-1] for k in keys)
    assert all(a["size"] == len(JPEG) and a["mimetype"] == "image/jpeg" for a in attached)
    # Sent again (a retry after a timeout): nothing attached twice.
    message = container.outbox.get(f"{report.id}-photos")
    assert message.status.value == "SENT"

    sender = container.senders()
    result = sender[message.channel].send(message)
    assert result == "attached 0 of 3"
    assert len(clickup.attachments(report.clickup_task_id)) == 2
