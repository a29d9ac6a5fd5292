"""POST /webhooks/slack/interactivity: Slack's requests when someone clicks a button of ours
(the digest's "Claim", a reminder's "Still on it" and "Release").

1. Verified before anything is read: ``X-Slack-Signature`` = ``v0=`` + hex HMAC-SHA256 of
   ``v0:{X-Slack-Request-Timestamp}:{raw body}`` with ``SLACK_SIGNING_SECRET``, compared in
   constant time, the timestamp within five minutes of now. 401 otherwise. Inside that window
   a signed request is used once: its signature is spent as a one-time key (a conditional put
   with a TTL), so a captured press replayed later (a Claim after a release, "Still on it"
   again) does nothing.
2. The body is form-encoded with one ``payload`` field, JSON; only ``block_actions`` act.
3. The Slack user becomes a member through their e-mail: ``users.info`` -> ``profile.email``
   -> the profile whose GSI2 key is ``EMAIL#{email}`` (one Query).
4. The same use cases as the API, with the same rules (eligibility, holder or lead, limits).
5. The outcome goes to the interaction's ``response_url`` (an ephemeral message to the person
   who clicked); the HTTP answer is an empty 200, as Slack expects within 3 seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.http import IntegrationError
from integrations.webhook_common import answer, too_large
from voldash_site.errors import DomainError
from voldash_site.outside_json import parse_json

logger = logging.getLogger("voldash.webhooks.slack")

REPLAY_WINDOW_SECONDS = 5 * 60
_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
# ASCII digits, a sane length: str.isdigit() takes "\u00b2" and int() refuses 5,000 digits.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def signature_ok(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    if not secret or not _TIMESTAMP.fullmatch(timestamp) or abs(now - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode())


def _first_use(signature: str, timestamp: str) -> bool:
    """Spend this request's signature (a hash of it) for as long as its timestamp is valid."""
    from voldash_site.dynamodb.once import first_use

    key = hashlib.sha256(signature.encode()).hexdigest()[:40]
    return first_use("slack-press", key, expires_at=int(timestamp) + REPLAY_WINDOW_SECONDS + 60)


def _response_url_ok(url: str) -> bool:
    """Only Slack's own hooks (or, in tests, the fake Slack's host) get our answers."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname == "hooks.slack.com":
        return True
    api = urlsplit(settings.SLACK_API_URL)
    return (
        bool(api.hostname)
        and (parts.scheme, parts.netloc) == (api.scheme, api.netloc)
        and api.hostname
        in (
            "127.0.0.1",
            "localhost",
        )
    )


def _respond(url: str, text: str) -> None:
    if not _response_url_ok(url):
        logger.warning("webhook.slack.response_url_refused", extra={"host": urlsplit(url).hostname})
        return
    try:
        httpx.post(
            url, json={"response_type": "ephemeral", "replace_original": False, "text": text}, timeout=5
        )
    except httpx.HTTPError as exc:
        logger.warning("webhook.slack.respond_failed", extra={"error": str(exc)[:200]})


def _member_for(slack_user_id: str) -> str | None:
    from tasks.upkeep.people import member_by_email
    from voldash_site.container import get_container

    email = get_container().slack.user_email(slack_user_id)
    return member_by_email(email) if email else None


def _act(action_id: str, task_id: str, neon_id: str) -> str:
    from tasks import lifecycle
    from tasks.domain import HistorySource
    from tasks.upkeep.messages import CLAIM, RELEASE, STILL_ON_IT
    from tasks.upkeep.use_cases import still_on_it
    from voldash_site.container import get_container

    c = get_container()
    if action_id == CLAIM:
        result = lifecycle.claim_task(
            task_id=task_id, actor_id=neon_id, deps=c.lifecycle(), source=HistorySource.SLACK
        )
        return f"You claimed \u201c{result.task.title}\u201d. Thank you!"
    if action_id == RELEASE:
        result = lifecycle.release_task(
            task_id=task_id, actor_id=neon_id, deps=c.lifecycle(), source=HistorySource.SLACK
        )
        return f"\u201c{result.task.title}\u201d is open again."
    if action_id == STILL_ON_IT:
        task = still_on_it(task_id=task_id, actor_id=neon_id, deps=c.upkeep(), source=HistorySource.SLACK)
        return f"Noted: you are still on \u201c{task.title}\u201d. The next reminder counts from today."
    raise ValueError(action_id)


@csrf_exempt
@require_POST
def slack_interactivity(request: HttpRequest) -> HttpResponse:
    if too_large(request):
        return answer(413, "too_large", "Webhook bodies are limited to 512 KB.")
    body = request.body
    if not signature_ok(
        settings.SLACK_SIGNING_SECRET,
        request.headers.get("X-Slack-Request-Timestamp", ""),
        body,
        request.headers.get("X-Slack-Signature", ""),
        time.time(),
    ):
        logger.warning("webhook.slack.rejected")
        return answer(401, "bad_signature", "The Slack signature is missing, wrong or too old.")
    signature = request.headers.get("X-Slack-Signature", "")
    if not _first_use(signature, request.headers["X-Slack-Request-Timestamp"]):
        logger.warning("webhook.slack.replayed")
        return HttpResponse(status=200)  # already acted on: nothing to do, nothing to tell
    try:
        payload = parse_json(request.POST.get("payload", ""))
    except ValueError:
        return answer(400, "invalid_json", "Expected a form with a JSON `payload` field.")
    if not isinstance(payload, dict):
        return answer(400, "invalid_json", "The payload is not a JSON object.")
    if payload.get("type") != "block_actions":
        return HttpResponse(status=200)  # other interactions (shortcuts, views): nothing to do
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    actions = payload.get("actions") if isinstance(payload.get("actions"), list) else []
    action = actions[0] if actions and isinstance(actions[0], dict) else {}
    response_url = payload.get("response_url") if isinstance(payload.get("response_url"), str) else ""
    user_id, action_id, task_id = str(user.get("id", "")), action.get("action_id"), action.get("value")
    from tasks.upkeep.messages import CLAIM, RELEASE, STILL_ON_IT

    if (
        not _USER_ID.match(user_id)
        or action_id not in (CLAIM, RELEASE, STILL_ON_IT)
        or not isinstance(task_id, str)
        or not _TASK_ID.match(task_id)
    ):
        return answer(400, "invalid_payload", "Expected a block_actions payload with one of our buttons.")
    try:
        neon_id = _member_for(user_id)
    except IntegrationError as exc:
        logger.warning("webhook.slack.user_lookup_failed", extra={"error": str(exc)[:200]})
        _respond(response_url, "Slack did not tell us who you are; try again in a minute.")
        return HttpResponse(status=200)
    if neon_id is None:
        _respond(
            response_url,
            "We could not match your Slack e-mail to a Volunteer Dashboard profile: log in to the "
            "dashboard once with the e-mail you use in Neon, or use the dashboard itself.",
        )
        return HttpResponse(status=200)
    try:
        text = _act(action_id, task_id, neon_id)
    except DomainError as exc:
        text = exc.message  # the same refusal the API gives (not open, not eligible, not yours...)
        logger.info("webhook.slack.refused", extra={"code": exc.code, "task_id": task_id})
    _respond(response_url, text)
    return HttpResponse(status=200)
