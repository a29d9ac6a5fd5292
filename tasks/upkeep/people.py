"""Who a personal Slack message goes to: the member's Neon e-mail, their direct-message
preference, and the Slack user id found for that e-mail, cached on their profile
(``slack_user_id`` with the ``slack_user_email`` it was found for, so a changed e-mail is looked
up again). One GetItem to read, one UpdateItem to cache."""

from __future__ import annotations

from dataclasses import dataclass

from voldash_site.dynamodb.items import ensure_configured, low_level_connection, storage_errors
from volunteers.repository import PROFILE_SK


@dataclass(frozen=True)
class SlackAddressee:
    neon_id: str
    name: str
    email: str | None
    direct_messages: bool
    slack_user_id: str | None  # cached for ``email``, else None


class SlackPeople:
    def _client(self):
        conn = low_level_connection()
        return conn.connection.client, ensure_configured().table_name

    def get(self, neon_id: str) -> SlackAddressee | None:
        client, table = self._client()
        with storage_errors():
            item = client.get_item(
                TableName=table,
                Key={"PK": {"S": f"VOLUNTEER#{neon_id}"}, "SK": {"S": PROFILE_SK}},
                ProjectionExpression="#n, email, pref_slack_dm, slack_user_id, slack_user_email",
                ExpressionAttributeNames={"#n": "name"},
            ).get("Item")
        if item is None:
            return None
        email = item.get("email", {}).get("S")
        cached = item.get("slack_user_id", {}).get("S")
        cached_for = item.get("slack_user_email", {}).get("S")
        dm = item.get("pref_slack_dm", {}).get("BOOL")
        return SlackAddressee(
            neon_id=neon_id,
            name=item.get("name", {}).get("S", ""),
            email=email,
            direct_messages=True if dm is None else bool(dm),
            slack_user_id=cached if cached and email and cached_for == email.lower() else None,
        )

    def remember(self, neon_id: str, email: str, slack_user_id: str) -> None:
        client, table = self._client()
        with storage_errors():
            try:
                client.update_item(
                    TableName=table,
                    Key={"PK": {"S": f"VOLUNTEER#{neon_id}"}, "SK": {"S": PROFILE_SK}},
                    UpdateExpression="SET slack_user_id = :u, slack_user_email = :e",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeValues={":u": {"S": slack_user_id}, ":e": {"S": email.lower()}},
                )
            except client.exceptions.ConditionalCheckFailedException:
                return


def member_by_email(email: str) -> str | None:
    """The Neon id of the profile with this e-mail (GSI2 ``EMAIL#{email}``, one Query)."""
    from voldash_site.dynamodb.items import TableItem, query_page

    page = query_page(TableItem, f"EMAIL#{email.strip().lower()}", index="GSI2", limit=2, raw=True)
    ids = sorted(item["neon_id"]["S"] for item in page.items if "neon_id" in item)
    return ids[0] if len(ids) == 1 else None  # two profiles with one e-mail: nobody is guessed
