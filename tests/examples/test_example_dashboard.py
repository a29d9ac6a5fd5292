"""The example app (examples/dashboard/) is the documentation: the real Vite dev server, with the
proxy configuration read from the README, in front of voldash's own ``runserver``, driven in
headless Chromium. Dev login, the task list with filters and facets, the detail, claim,
comment, release, complete, hours, leaderboard and logout all go through the proxy (CSRF
included)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tasks.domain import TaskStatus, Urgency
from tests.builders import a_task
from voldash_site.container import get_container

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "dashboard"


def readme_vite_config() -> str:
    """The README's Vite configuration block (the one headed ``// vite.config.js``)."""
    text = (ROOT / "README.md").read_text()
    match = re.search(r"```js\n(// vite\.config\.js\n.*?)```", text, flags=re.DOTALL)
    assert match, "README.md has no ```js block starting with // vite.config.js"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds}s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_the_example_uses_the_readme_configuration_verbatim():
    assert readme_vite_config() in (EXAMPLE / "vite.config.js").read_text()
    assert "changeOrigin: false" in readme_vite_config()


def test_the_example_type_checks():
    done = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "tsc"), "-p", str(EXAMPLE)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def servers(cast, table_config, tmp_path) -> Iterator[str]:
    """voldash's runserver on the test table, and Vite with the README's config in front."""
    api_port, vite_port = free_port(), free_port()
    env = {
        **os.environ,
        "VOLDASH_ENV": "local",
        "DJANGO_SETTINGS_MODULE": "voldash_site.settings",
        "DYNAMODB_ENDPOINT_URL": table_config.endpoint_url,
        "DYNAMODB_TABLE": table_config.table_name,
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / "runserver.log").open("w")
    django = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{api_port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    config = readme_vite_config().replace("127.0.0.1:8000", f"127.0.0.1:{api_port}")
    config = config.replace("port: 5173", f"port: {vite_port}, strictPort: true")
    (tmp_path / "vite.config.mjs").write_text(config)
    vite = subprocess.Popen(
        [
            str(ROOT / "node_modules" / ".bin" / "vite"),
            str(EXAMPLE),
            "--config",
            str(tmp_path / "vite.config.mjs"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{api_port}/api/v1/health", django)
        wait_for(f"http://localhost:{vite_port}/", vite)
        yield f"http://localhost:{vite_port}"
    finally:
        stop(vite)
        stop(django)
        log.close()


def test_the_example_dashboard_through_the_vite_proxy(servers, page):
    tasks = get_container().tasks
    tasks.upsert(
        a_task(id="86ex00001", shop="woodshop", title="Planer - Replace blades", urgency=Urgency.HIGH)
    )
    tasks.upsert(a_task(id="86ex00002", shop="woodshop", title="Jointer - Knives", minutes_after_base=5))
    tasks.upsert(a_task(id="86ex00003", shop="lasers", title="Laser - Mirror", minutes_after_base=9))
    tasks.upsert(
        a_task(id="86ex00004", shop="woodshop", title="Old one", status=TaskStatus.DONE, minutes_after_base=2)
    )

    page.goto(servers + "/")
    expect(page.locator("#task-list li")).to_have_count(3)
    page.fill("#neon-id", "1001")
    page.click("#login-button")
    expect(page.locator("#me")).to_contain_text("Alex Rivera")

    page.select_option("#filter-shop", "woodshop")  # the open scope: the DONE task stays out
    expect(page.locator("#task-list li")).to_have_count(2)
    expect(page.locator("#total")).to_have_text("Showing 2 of 2")
    expect(page.locator('#facets li[data-facet="shop"]')).to_contain_text("woodshop 2")
    expect(page.locator('#facets li[data-facet="shop"]')).to_contain_text("lasers 1")
    page.select_option("#filter-urgency", "high")
    expect(page.locator("#task-list li")).to_have_count(1)

    page.click('li[data-task-id="86ex00001"] button')
    expect(page.locator("#detail-title")).to_have_text("Planer - Replace blades")
    page.click("#claim-button")
    expect(page.locator("#status")).to_contain_text("claim: IN_PROGRESS, you hold 1")
    page.fill("#comment-text", "On it this weekend")
    page.click("#comment-button")
    expect(page.locator("#activity")).to_contain_text("On it this weekend")
    page.click("#release-button")
    expect(page.locator("#status")).to_contain_text("release: OPEN, you hold 0")
    page.click("#claim-button")
    expect(page.locator("#status")).to_contain_text("claim: IN_PROGRESS")
    page.click("#complete-button")
    expect(page.locator("#status")).to_contain_text("complete: DONE, you hold 0")

    page.click("#hours-report")
    expect(page.locator("#status")).to_contain_text("Reported 2 h: PENDING")
    expect(page.locator("#hours-summary")).to_contain_text("pending")
    page.goto(servers + "/")  # a reload: the session cookie came through the proxy
    expect(page.locator("#task-list li")).to_have_count(2)
    page.click("#login-button")
    expect(page.locator("#leaderboard-rows li").first).to_contain_text("Alex Rivera")
    expect(page.locator("#error")).to_have_text("")
    page.click("#logout-button")
    expect(page.locator("#status")).to_have_text("Logged out")
