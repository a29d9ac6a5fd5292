"""Problem-report photos: the browser uploads straight to S3 through a presigned POST whose
policy bounds the size and the type; the outbox later attaches them to the ClickUp task.

  key  reports/uploads/{32 hex}.{jpg|png|webp|heic}
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from .domain import PHOTO_KEY

MAX_PHOTO_BYTES = 5 * 1024 * 1024
PRESIGN_SECONDS = 600
TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}
KEY_PATTERN = PHOTO_KEY.pattern


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int
    expires_in: int


def _client(region: str) -> Any:
    """An S3 client on the bucket's regional, virtual-hosted endpoint.

    The browser posts to the URL a presigned POST names. botocore's default for presigning is
    the global endpoint (``bucket.s3.amazonaws.com``), which a bucket outside us-east-1 answers
    with a 307 redirect for its first hours (DNS not yet propagated), and a redirected POST
    loses its form. The regional name (``bucket.s3.<region>.amazonaws.com``) never redirects.
    ``AWS_ENDPOINT_URL_S3`` (or ``AWS_ENDPOINT_URL``) still wins: the tests point it at moto.
    """
    import os

    import boto3
    from botocore.config import Config

    override = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if override:
        config = Config(signature_version="s3v4", s3={"addressing_style": "path"})
        return boto3.client("s3", region_name=region, config=config)
    config = Config(signature_version="s3v4", s3={"addressing_style": "virtual"})
    return boto3.client(
        "s3", region_name=region, endpoint_url=f"https://s3.{region}.amazonaws.com", config=config
    )


def presign_upload(*, bucket: str, content_type: str, region: str) -> PresignedUpload:
    """A POST policy for one object: this key, this content type, 1 byte to 5 MB, 10 minutes."""
    ext = TYPES[content_type]
    key = f"reports/uploads/{secrets.token_hex(16)}.{ext}"
    post = _client(region).generate_presigned_post(
        bucket,
        key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["content-length-range", 1, MAX_PHOTO_BYTES],
        ],
        ExpiresIn=PRESIGN_SECONDS,
    )
    return PresignedUpload(
        url=post["url"], fields=post["fields"], key=key, max_bytes=MAX_PHOTO_BYTES, expires_in=PRESIGN_SECONDS
    )


class S3Photos:
    """Reads an uploaded photo back for the ClickUp attachment (refusing oversized objects)."""

    def __init__(self, *, bucket: str, region: str) -> None:
        self.bucket = bucket
        self.region = region

    @property
    def configured(self) -> bool:
        return bool(self.bucket)

    def fetch(self, key: str) -> tuple[bytes, str] | None:
        """(bytes, content type), or None when the reporter never uploaded it (or it was too big)."""
        from botocore.exceptions import ClientError

        try:
            obj = _client(self.region).get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        if int(obj.get("ContentLength") or 0) > MAX_PHOTO_BYTES:
            return None
        content_type = str(obj.get("ContentType") or "")
        if content_type not in TYPES:
            return None
        return obj["Body"].read(MAX_PHOTO_BYTES + 1), content_type
