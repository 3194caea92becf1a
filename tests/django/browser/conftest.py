"""Headless Chromium (Debian's package) driven by Playwright's sync API."""

from __future__ import annotations

import pytest

from tests.services import require_chromium

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium():
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread while it runs;
    # the ORM calls made here (the tests' and the database set-up's) are
    # synchronous all the same, so Django's async guard is lifted meanwhile.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1000, "height": 700})
    context.set_default_timeout(30_000)  # a bound on every wait, not a sleep
    # expect() has its own bound (5 s by default), too short on a loaded 2-core CI machine
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    page = context.new_page()
    yield page
    context.close()
