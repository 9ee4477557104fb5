"""Browser tests: Playwright drives Debian's Chromium against a live server, as a person would.

Chromium comes from the system (``/usr/bin/chromium``, or ``PLAYWRIGHT_CHROMIUM_EXECUTABLE``);
Playwright never downloads a browser here. Without Chromium these tests skip locally and fail
under ``REQUIRE_SERVICES=1`` (CI).

The pages run under the site's real Content-Security-Policy, and every browser context a test
opens is watched: a CSP violation on any page (a ``securitypolicyviolation`` event or
Chromium's console report) fails the test at teardown.

Every page a test is shown is also checked for accessibility with axe-core (the rules behind
Lighthouse's audit, run by ``axe-playwright-python``): any serious or critical violation fails
the test at teardown. How, so that it cannot race the test: each HTML document the server
sends to a watched context (main frame, 200) is kept as it arrived, with its headers and the
viewport it was shown in; at teardown each one is opened again in a fresh page of the same
size, served from that copy under its own URL and Content-Security-Policy (styles, scripts and
images still come from the live server), and axe runs there. Running axe in the test's own page
on its ``load`` event would race the test's next click (a navigation destroys axe's context
halfway), and a check only after ``goto`` would miss every page reached by a click or a form.
The same page seen again (equal but for numbers and the CSRF token) is checked once a session.
"""

import hashlib
import os
import re
from dataclasses import dataclass
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


# Impacts that fail a test; axe's "minor" and "moderate" findings are not reported.
FAILING_IMPACTS = {"serious", "critical"}
# Rules that markup we do not own breaks, each as narrowly as it can be said: (URL pattern,
# rule, CSS selector of the offending node as axe names it, why).
AXE_EXCLUSIONS: list[tuple[str, str, str, str]] = [
    (
        r"/api/v1/docs/$",
        "nested-interactive",
        ".opblock-summary-control",
        "Swagger UI's own markup (drf-spectacular-sidecar): each operation's summary button "
        "holds a link to the operation; the reference page is third-party, the schema it "
        "renders is ours and tested on its own (tests/api/test_schema.py)",
    ),
]


@dataclass(frozen=True)
class Shown:
    """A document as the server sent it to a watched page, and the viewport it was shown in."""

    url: str
    body: bytes
    headers: dict
    viewport: dict


def fingerprint(shown: Shown) -> str:
    text = shown.body.decode("utf-8", "replace")
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    text = re.sub(r"\d+", "0", text)
    return hashlib.sha1(f"{shown.viewport['width']}:{text}".encode()).hexdigest()


class WatchedBrowser:
    """The session's Chromium, with every context opened through it watched for CSP
    violations (``violations``) and every document it is shown kept for axe (``shown``)."""

    def __init__(self, browser):
        self._browser = browser
        self.violations: list[str] = []
        self.shown: list[Shown] = []

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.expose_binding(
            "__cspViolation",
            lambda source, text: self.violations.append(f"{source['page'].url}: {text}"),
        )
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", self._console)
        context.on("response", self._keep_document)
        return context

    def _keep_document(self, response) -> None:
        request = response.request
        if (
            request.resource_type != "document"
            or response.frame.parent_frame is not None
            or response.status != 200
            or "text/html" not in response.headers.get("content-type", "")
        ):
            return
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 - a page closed before its body arrived: never shown
            return
        viewport = response.frame.page.viewport_size or {"width": 1280, "height": 900}
        headers = {  # as sent, but the body is already decoded and no cookie is set again
            name: value
            for name, value in response.all_headers().items()
            if name not in ("set-cookie", "content-encoding", "content-length")
        }
        self.shown.append(Shown(response.url, body, headers, viewport))

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"{message.page.url if message.page else ''}: {message.text}")

    def __getattr__(self, name):
        return getattr(self._browser, name)


def excluded(url: str, violation: dict, node: dict) -> bool:
    return any(
        re.search(pattern, url) and violation["id"] == rule and selector in " ".join(node["target"])
        for pattern, rule, selector, _why in AXE_EXCLUSIONS
    )


def axe_violations(chromium, shown: Shown) -> list[str]:
    """Serious and critical axe violations of one kept document, opened again as it was."""
    from axe_playwright_python.sync_playwright import Axe

    context = chromium.new_context(viewport=shown.viewport)
    try:
        page = context.new_page()
        page.route(
            lambda url: url == shown.url,
            lambda route: route.fulfill(status=200, headers=shown.headers, body=shown.body),
        )
        page.goto(shown.url)
        results = Axe().run(page).response
    finally:
        context.close()
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        for node in violation["nodes"]:
            if not excluded(shown.url, violation, node):
                found.append(
                    f"{shown.url} [{violation['impact']}] {violation['id']}: {violation['help']}"
                    f"\n    {' '.join(node['target'])}: {node['html'][:200]}"
                )
    return found


@pytest.fixture(scope="session")
def axe_checked() -> set[str]:
    """Fingerprints of the documents axe has already checked this session."""
    return set()


@pytest.fixture
def browser(chromium, axe_checked):
    """Chromium for one test; any CSP violation, or any serious or critical accessibility
    violation on a page shown in it, fails the test."""
    watched = WatchedBrowser(chromium)
    yield watched
    if watched.violations:
        pytest.fail(
            "Content-Security-Policy violations:\n" + "\n".join(dict.fromkeys(watched.violations))
        )
    inaccessible = []
    for shown in watched.shown:
        key = fingerprint(shown)
        if key not in axe_checked:
            axe_checked.add(key)
            inaccessible += axe_violations(chromium, shown)
    if inaccessible:
        pytest.fail("Accessibility (axe-core) violations:\n" + "\n".join(inaccessible))


@pytest.fixture(scope="package")
def chromium():
    """One Chromium for the browser tests, stopped once they are done: Playwright's sync API
    keeps an event loop in the main thread while it runs, and the tests after these (the live
    conversations' ``async_to_sync``) cannot run in a thread that holds one."""
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
