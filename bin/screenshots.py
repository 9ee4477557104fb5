#!/usr/bin/env python3
"""Screenshots of pages as the demo users see them, in Chinese and English, at 1280 px and
390 px, so the pages can be looked at before a change lands.

    make screenshots                     # every page of every portal, into var/screenshots/
    .venv/bin/python bin/screenshots.py  # the same

With no arguments it builds a demo site of its own (SQLite under ``var/screenshots-site/``,
started afresh each run: ``migrate``, ``load_demo``), serves it with ``runserver`` on a free
port, and photographs every page :func:`demo.pages.pages` names (buyer, seller, staff, and the
sign-in page), full page, into ``var/screenshots/<page>-<lang>-<width>.png``.

Pages of a server that is already running can be taken too:

    .venv/bin/python bin/screenshots.py http://127.0.0.1:8000 var/shots \\
        buyer:/requests/ seller:/seller/ staff:/admin/aftersales/dispute/

Each ``login:path`` is opened after signing in as that demo user (password of ``load_demo``);
those files are named ``<login>-<path>-<lang>-<width>.png``. Uses Debian's Chromium.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo-pass-2026"
CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
LANGUAGES = {"zh": "zh-CN", "en": "en-US"}
WIDTHS = (1280, 390)


def shoot(base: str, out: Path, shots: list[tuple[str, str, str]]) -> int:
    """``shots``: (login, path, file name stem). One signed-in browser context per login,
    language and width. Returns the number of pages that did not answer 200."""
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    by_login: dict[str, list[tuple[str, str]]] = {}
    for login, path, stem in shots:
        by_login.setdefault(login, []).append((path, stem))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for login, pages in by_login.items():
            for lang, locale in LANGUAGES.items():
                for width in WIDTHS:
                    context = browser.new_context(
                        base_url=base, locale=locale, viewport={"width": width, "height": 900}
                    )
                    page = context.new_page()
                    if login:
                        sign_in(page, login)
                    for path, stem in pages:
                        response = page.goto(path)
                        if response is None or response.status != 200:
                            failed += 1
                            print(f"  {path}: {response.status if response else 'no answer'}")
                        page.screenshot(path=out / f"{stem}-{lang}-{width}.png", full_page=True)
                    context.close()
        browser.close()
    return failed


def sign_in(page, login: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", login)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form:has(input[name=password]) button[type=submit]")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_site() -> None:
    """Build and serve a demo of its own, and photograph every page of every portal."""
    var = ROOT / "var" / "screenshots-site"
    shutil.rmtree(var, ignore_errors=True)
    env = {**os.environ, "VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    for name in ("DATABASE_URL", "REDIS_URL"):  # its own SQLite and file broker
        env.pop(name, None)
    os.environ.clear()
    os.environ.update(env)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], check=True, env=env)
    subprocess.run([*manage, "load_demo"], check=True, env=env, stdout=subprocess.DEVNULL)

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from demo.pages import pages

    shots = [(page.login, page.path, page.name) for page in pages()]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        out = ROOT / "var" / "screenshots"
        shutil.rmtree(out, ignore_errors=True)
        print(f"{len(shots)} pages × {len(LANGUAGES)} languages × {len(WIDTHS)} widths → {out}")
        failed = shoot(base, out, shots)
    finally:
        server.terminate()
        server.wait(timeout=10)
    if failed:
        sys.exit(f"{failed} page(s) did not answer 200")


def main(base: str, out: Path, specs: list[str]) -> None:
    shots = []
    for spec in specs:
        login, path = spec.split(":", 1)
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
        shots.append((login, path, f"{login}-{name}"))
    shoot(base, out, shots)


if __name__ == "__main__":
    if len(sys.argv) == 1:
        demo_site()
    elif len(sys.argv) < 4:
        sys.exit(__doc__)
    else:
        main(sys.argv[1], Path(sys.argv[2]), sys.argv[3:])
