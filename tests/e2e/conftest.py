"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

The live server runs in this process (in a thread), so the test mail outbox and an in-memory
SQLite database are shared with it. Static files are served by the live server itself.
"""

import os
from pathlib import Path

import pytest
from django.db import connections

from tests.services import missing

CHROMIUM = Path(os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


@pytest.fixture
def browser():
    """Chromium for one test, started after its database is set up and stopped before the flush.

    While Playwright's sync API runs, its event loop counts as running in this thread, so Django
    keeps separate database connections for the test body. Keeping Playwright inside the test
    leaves the database set-up and teardown (serialized rollback, flush) on the usual connection.
    """
    if not CHROMIUM.exists():
        missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # The ORM calls the test makes between browser steps are plain synchronous calls; Django's
    # guard against sync calls inside an event loop is lifted for as long as Playwright runs.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield chromium
            finally:
                # The connections the test body opened would otherwise outlive the test database.
                connections.close_all()
                chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab (own cookies) on the live server, in English.

    Content Security Policy violations reported by the browser fail the test.
    """
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    violations: list[str] = []
    tab.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield tab
    context.close()
    assert not violations, f"the browser reported CSP violations: {violations}"
