"""Browser tests: the frontend in Debian's Chromium, against a real API server (uvicorn subprocess),
a real Redis and, where a test asks for `worker_process`, a real RQ worker training tiny 16x16 models.

`page` fails its test at teardown on any console error, uncaught exception or request that leaves the
server (the frontend must be self-contained); a test that provokes an error allows it with
`page_problems.allow(pattern)`.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, stop_process, worker_env
from tests.utils.browser import launch_chromium, start_api_server

WAIT_MS = 120_000  # upper bound for anything the page waits for (a job on a busy 2-core machine)


@pytest.fixture(scope="module")
def browser():
    """Per module, not per session: Playwright's sync API keeps an asyncio loop running in this thread
    while it is open, and tests elsewhere that call asyncio.run() would fail under it."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def live_server(settings, tmp_path) -> str:
    """Base URL of the API (and frontend) on a free port, with the test's Redis, DATA_DIR and queue."""
    process, url = start_api_server(worker_env(settings), REPO_ROOT, tmp_path / "api.log")
    yield url
    stop_process(process)


class PageProblems:
    """Console errors, uncaught exceptions and off-server requests seen by a page."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.seen: list[str] = []
        self.allowed: list[re.Pattern] = []

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def console(self, message) -> None:
        if message.type == "error":
            self.seen.append(f"console error: {message.text}")

    def request(self, request) -> None:
        if not request.url.startswith((self.base_url + "/", "blob:", "data:")):
            self.seen.append(f"request off the server: {request.url}")

    def unexpected(self) -> list[str]:
        return [text for text in self.seen if not any(p.search(text) for p in self.allowed)]


@pytest.fixture
def page_problems(live_server) -> PageProblems:
    return PageProblems(live_server)


@pytest.fixture
def page(browser, live_server, page_problems):
    context = browser.new_context(base_url=live_server, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.on("console", page_problems.console)
    page.on("pageerror", lambda error: page_problems.seen.append(f"uncaught: {error}"))
    page.on("request", page_problems.request)
    yield page
    context.close()
    assert page_problems.unexpected() == []


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    """Where tests save screenshots: $SCREENSHOT_DIR (docs/screenshots for the README), else tmp_path."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
