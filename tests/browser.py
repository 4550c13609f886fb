"""A real headless Chromium for the report's tests and benchmark: Debian's /usr/bin/chromium, driven by playwright.

Never `playwright install`: the browser is the system's (`.ci/run` installs Debian's chromium and
chromium-driver). Under CI (`CI=true`) a missing browser or driver fails the tests; elsewhere they skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil

CHROMIUM = os.environ.get("CONFLICTWIRE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[report-tests]')"
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@contextlib.contextmanager
def chromium_or_skip():
    """For a test fixture: the browser, or a skip (a failure under CI) when it cannot run here."""
    import pytest

    why = missing()
    if why:
        if in_ci():
            pytest.fail(f"the report's browser tests must run under CI: {why}")
        pytest.skip(why)
    with chromium() as browser:
        yield browser


@contextlib.contextmanager
def chromium():
    """A launched browser; close it on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_report(browser, path, viewport=(1400, 1000), timeout_ms: int = 60_000, wait_for_detail: bool = True):
    """Open a report file from disk; returns (page, requests), requests being every URL the page asked for
    other than the report itself. Waits until the page says it has drawn (and, with `wait_for_detail`, until it
    has inflated the events' detail too).

    The page's own Content-Security-Policy (which forbids every fetch) is bypassed here, so that a request the
    page tried to make would be made, and counted, rather than silently refused.
    """
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True)
    url = "file://" + os.path.abspath(path)
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if request.url != url else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_function("document.body.dataset.ready", timeout=timeout_ms)
    if wait_for_detail and page.evaluate("document.body.dataset.ready") == "1":
        page.wait_for_function("document.body.dataset.detail || document.body.dataset.ready != '1'", timeout=timeout_ms)
    if page.evaluate("document.body.dataset.ready") != "1" or errors:
        raise AssertionError(f"the report failed to draw: {errors or page.text_content('#summary')}")
    return page, requests
