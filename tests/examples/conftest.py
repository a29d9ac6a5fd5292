"""The browser fixtures of the staff pages' tests (headless Debian Chromium via Playwright)."""

from tests.staff.conftest import browser, page, pytest_runtest_makereport  # noqa: F401
