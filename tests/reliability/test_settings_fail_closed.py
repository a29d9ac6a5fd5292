"""Settings fail closed: local mode is chosen explicitly, the cloud needs a valid configuration.

Each case imports the settings in a fresh process with exactly the environment given."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = secrets.token_urlsafe(50)
CLOUD = {
    "DJANGO_SECRET_KEY": GOOD_KEY,
    "CLICKUP_API_TOKEN": "pk_x",
    "CLICKUP_WEBHOOK_SECRET": "whsec",
    "NEON_ORG_ID": "asmbly",
    "NEON_API_KEY": "key",
    "NEON_OAUTH_CLIENT_ID": "client",
    "NEON_OAUTH_CLIENT_SECRET": "secret",
    "NEON_WEBHOOK_USERNAME": "hook",
    "NEON_WEBHOOK_PASSWORD": "pass",
}
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'env': s.VOLDASH_ENV, 'debug': s.DEBUG, 'dev_login': s.DEV_LOGIN_ENABLED, "
    "'key': s.SECRET_KEY, 'fallbacks': s.SECRET_KEY_FALLBACKS}))"
)


def settings_in(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": tempfile.gettempdir(),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "voldash_site.settings",
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
        timeout=120,
    )


def started(env: dict[str, str]) -> dict:
    result = settings_in(env)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def refused(env: dict[str, str]) -> str:
    result = settings_in(env)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    return result.stderr


def test_no_voldash_env_refuses_to_start():
    assert "there is no default" in refused({})
    assert "there is no default" in refused({"VOLDASH_ENV": ""})


def test_no_voldash_env_refuses_even_with_everything_else_set():
    assert "there is no default" in refused({**CLOUD, "VOLDASH_SECRETS_ID": "voldash/prod"})


@pytest.mark.parametrize("env", ["local", "test"])
@pytest.mark.parametrize("sign", ["VOLDASH_SECRETS_ID", "AWS_LAMBDA_FUNCTION_NAME"])
def test_local_mode_is_refused_where_it_looks_like_the_cloud(env, sign):
    assert f"{sign} is set" in refused({"VOLDASH_ENV": env, sign: "voldash-prod"})


def test_local_and_test_are_chosen_explicitly():
    local = started({"VOLDASH_ENV": "local"})
    assert local["debug"] is True and local["dev_login"] is True
    test = started({"VOLDASH_ENV": "test"})
    assert test["debug"] is False and test["dev_login"] is True


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_django_debug_is_ignored_in_the_cloud(env):
    out = started({"VOLDASH_ENV": env, "DJANGO_DEBUG": "true", **CLOUD})
    assert out["debug"] is False and out["dev_login"] is False and out["env"] == env


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("abc", "is 3 characters"),
        ("x" * 49, "is 49 characters"),
        ("ab" * 30, "has fewer than 5 distinct characters"),
        ("local-only-insecure-key-never-used-outside-local-and-test", "is the source's local-only key"),
    ],
)
def test_a_weak_secret_key_refuses_to_start_in_the_cloud(key, reason):
    stderr = refused({"VOLDASH_ENV": "prod", **CLOUD, "DJANGO_SECRET_KEY": key})
    assert f"DJANGO_SECRET_KEY {reason}" in stderr


def test_a_weak_fallback_key_refuses_to_start_in_the_cloud():
    stderr = refused(
        {"VOLDASH_ENV": "prod", **CLOUD, "DJANGO_SECRET_KEY_FALLBACKS": f"{secrets.token_urlsafe(50)},short"}
    )
    assert "DJANGO_SECRET_KEY_FALLBACKS[1] is 5 characters" in stderr


def test_a_good_cloud_configuration_starts_with_its_fallbacks():
    old = secrets.token_urlsafe(50)
    out = started({"VOLDASH_ENV": "prod", **CLOUD, "DJANGO_SECRET_KEY_FALLBACKS": old})
    assert out["key"] == GOOD_KEY and out["fallbacks"] == [old] and out["debug"] is False


def test_the_test_run_itself_is_in_test_mode(settings):
    assert settings.VOLDASH_ENV == "test" and os.environ["VOLDASH_ENV"] == "test"
