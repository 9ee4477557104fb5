"""Browser tests: Playwright drives Debian's Chromium against a live server, as a person would.

Chromium comes from the system (``/usr/bin/chromium``, or ``PLAYWRIGHT_CHROMIUM_EXECUTABLE``);
Playwright never downloads a browser here. Without Chromium these tests skip locally and fail
under ``REQUIRE_SERVICES=1`` (CI).

The pages run under the site's real Content-Security-Policy, and every browser context a test
opens is watched: a CSP violation on any page (a ``securitypolicyviolation`` event or
Chromium's console report) fails the test at teardown.
"""

import os
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
# plain synchronous calls, so Django's async-safety guard does not apply to them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "demo-pass-2026"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# Runs in every page before its own scripts; the binding is Playwright's, outside the page's CSP.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"} ` +
      `(${event.sourceFile || document.location.href}:${event.lineNumber})`
  );
});
"""


class WatchedBrowser:
    """The session's Chromium, with every context opened through it watched for CSP
    violations (``violations``)."""

    def __init__(self, browser):
        self._browser = browser
        self.violations: list[str] = []

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.expose_binding(
            "__cspViolation",
            lambda source, text: self.violations.append(f"{source['page'].url}: {text}"),
        )
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", self._console)
        return context

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"{message.page.url if message.page else ''}: {message.text}")

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture
def browser(chromium):
    """Chromium for one test; any CSP violation seen in it fails the test."""
    watched = WatchedBrowser(chromium)
    yield watched
    if watched.violations:
        pytest.fail(
            "Content-Security-Policy violations:\n" + "\n".join(dict.fromkeys(watched.violations))
        )


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        message = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser profile in English, pointed at the live server."""
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1100, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").or_(page.get_by_role("button", name="登录")).click()
    page.wait_for_load_state()
