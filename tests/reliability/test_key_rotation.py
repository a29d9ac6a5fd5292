"""Cursors are signed with django.core.signing, salted per query scope, so SECRET_KEY can be
rotated with SECRET_KEY_FALLBACKS without breaking sessions or cursors."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.builders import a_task
from tests.conftest import login
from voldash_site.container import get_container, set_container
from voldash_site.dynamodb import cursor as cursors
from voldash_site.errors import InvalidCursor

OLD, NEW = "old-key-" + "o" * 50, "new-key-" + "n" * 50
KEY = {"PK": "TASK#x", "SK": "TASK"}
ALLOWED = ("PK", "SK")


def test_a_cursor_is_bound_to_its_scope_and_key():
    cursor = cursors.encode(KEY, scope="tasks:shop=woodshop", secret=OLD)
    assert cursors.decode(cursor, scope="tasks:shop=woodshop", secret=OLD, allowed_keys=ALLOWED) == KEY
    with pytest.raises(InvalidCursor):
        cursors.decode(cursor, scope="tasks:shop=lasers", secret=OLD, allowed_keys=ALLOWED)
    with pytest.raises(InvalidCursor):
        cursors.decode(cursor, scope="tasks:shop=woodshop", secret=NEW, allowed_keys=ALLOWED)
    body, sig = cursor.split(".")
    with pytest.raises(InvalidCursor):  # the full signature counts, to its last character
        cursors.decode(
            body + "." + sig[:-1] + ("A" if sig[-1] != "A" else "B"),
            scope="tasks:shop=woodshop",
            secret=OLD,
            allowed_keys=ALLOWED,
        )


def test_a_cursor_signed_with_the_old_key_is_accepted_while_it_is_a_fallback():
    cursor = cursors.encode(KEY, scope="s", secret=OLD)
    assert cursors.decode(cursor, scope="s", secret=(NEW, OLD), allowed_keys=ALLOWED) == KEY
    with pytest.raises(InvalidCursor):
        cursors.decode(cursor, scope="s", secret=(NEW,), allowed_keys=ALLOWED)
    # New cursors are signed with the current key.
    fresh = cursors.encode(KEY, scope="s", secret=(NEW, OLD))
    assert cursors.decode(fresh, scope="s", secret=NEW, allowed_keys=ALLOWED) == KEY


def test_rotating_the_secret_key_keeps_sessions_and_cursors(cast, settings):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, []
    set_container(None)
    for i in range(5):
        get_container().tasks.upsert(a_task(shop="woodshop", title=f"Rotation {i}"))
    alex = Client()
    login(alex, "1001")
    page = alex.get("/api/v1/tasks", {"limit": 2}).json()
    assert page["next_cursor"]
    old_cookie = alex.cookies["voldash_session"].value
    # Rotate: the new key signs, the old one still verifies.
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]
    set_container(None)
    assert alex.get("/api/v1/me").status_code == 200  # the session signed with the old key
    following = alex.get("/api/v1/tasks", {"limit": 2, "cursor": page["next_cursor"]})
    assert following.status_code == 200 and following.json()["items"]
    # Once the old key is dropped, its cursors and sessions are refused (clearly, not a 500).
    settings.SECRET_KEY_FALLBACKS = []
    set_container(None)
    stale = Client().get("/api/v1/tasks", {"limit": 2, "cursor": page["next_cursor"]})
    assert stale.status_code == 400 and stale.json()["code"] == "invalid_cursor"
    stale_session = Client()
    stale_session.cookies["voldash_session"] = old_cookie  # signed with the old key only
    assert stale_session.get("/api/v1/me").status_code == 401
    assert alex.get("/api/v1/me").status_code == 200  # re-signed with the new key meanwhile
