"""Delivering upkeep's Slack messages (actions ``upkeep.*``).

- ``kind: channel`` (the digest): text and blocks, as built (already escaped), to the channel.
- ``kind: personal`` (reminder, release notice): read the member's profile; find their Slack
  user by e-mail (``users.lookupByEmail``, cached on the profile); with direct messages on and
  a Slack user, post to the user id (a direct message from the bot); otherwise post in the
  shop's channel with a mention (``<@U...>``, or their name when Slack does not know them).
"""

from __future__ import annotations

from typing import Any

from integrations.http import IntegrationError
from integrations.outbox.domain import OutboxMessage
from voldash_site.escaping import slack_text


class ByPrefix:
    """A channel's sender that hands ``prefix*`` actions to ``special``, the rest to ``default``."""

    def __init__(self, prefix: str, special: Any, default: Any) -> None:
        self.prefix, self.special, self.default = prefix, special, default

    @property
    def configured(self) -> bool:
        return bool(self.default.configured)

    def send(self, message: OutboxMessage) -> str:
        target = self.special if message.action.startswith(self.prefix) else self.default
        return target.send(message)


class UpkeepSlackSender:
    def __init__(self, client: Any, people: Any) -> None:
        self.client = client
        self.people = people  # SlackPeople

    @property
    def configured(self) -> bool:
        return bool(self.client.configured)

    def send(self, message: OutboxMessage) -> str:
        p = message.payload
        extra = {"blocks": p["blocks"]} if p.get("blocks") else {}
        if p.get("kind") == "personal":
            return self._personal(p, extra)
        channel = p.get("channel")
        if not channel:
            raise IntegrationError("slack", f"shop {p.get('shop')!r} has no Slack channel", permanent=True)
        body = self.client.post_message(channel=channel, text=p["text"], **extra)
        return f"posted ts={body.get('ts')} channel={body.get('channel')}"

    def _personal(self, p: dict[str, Any], extra: dict[str, Any]) -> str:
        who = self.people.get(p["neon_id"])
        user_id = who.slack_user_id if who else None
        if who is not None and user_id is None and who.email:
            user_id = self.client.lookup_user_by_email(who.email)
            if user_id:
                self.people.remember(who.neon_id, who.email, user_id)
        if user_id and who is not None and who.direct_messages:
            body = self.client.post_message(channel=user_id, text=p["text"], **extra)
            return f"direct message ts={body.get('ts')} channel={body.get('channel')}"
        channel = p.get("channel")
        if not channel:
            raise IntegrationError(
                "slack", "no Slack user and no shop channel to mention them in", permanent=True
            )
        name = who.name if who and who.name else p.get("name") or "someone"
        mention = f"<@{user_id}>" if user_id else f"*{slack_text(name)}*"
        if extra:  # Slack shows the blocks, not the text: the mention goes into the first one
            blocks = [dict(b) for b in extra["blocks"]]
            if blocks and blocks[0].get("type") == "section":
                blocks[0]["text"] = {"type": "mrkdwn", "text": f"{mention}: {blocks[0]['text']['text']}"}
            extra = {"blocks": blocks}
        body = self.client.post_message(channel=channel, text=f"{mention}: {p['text']}", **extra)
        return f"mention in ts={body.get('ts')} channel={body.get('channel')}"
