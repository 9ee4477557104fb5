#!/usr/bin/env python3
"""Screenshots of pages as the demo users see them, in Chinese and English, at 1280 px and
390 px, so a change to a page can be looked at before it lands.

    .venv/bin/python bin/screenshots.py http://127.0.0.1:8000 var/shots \\
        buyer:/requests/ seller:/seller/ staff:/admin/aftersales/dispute/

Each ``login:path`` is opened after signing in as that demo user (password of ``load_demo``);
the files are named ``<login>-<path>-<lang>-<width>.png``. Uses Debian's Chromium.
"""

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = "demo-pass-2026"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
LANGUAGES = {"zh": "zh-CN", "en": "en-US"}
WIDTHS = (1280, 390)


def main(base: str, out: Path, pages: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for spec in pages:
            login, path = spec.split(":", 1)
            for lang, locale in LANGUAGES.items():
                for width in WIDTHS:
                    context = browser.new_context(
                        base_url=base, locale=locale, viewport={"width": width, "height": 900}
                    )
                    page = context.new_page()
                    page.goto("/login/")
                    page.fill("input[name=username]", login)
                    page.fill("input[name=password]", PASSWORD)
                    with page.expect_navigation():
                        page.click("form:has(input[name=password]) button[type=submit]")
                    page.goto(path)
                    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
                    page.screenshot(path=out / f"{login}-{name}-{lang}-{width}.png", full_page=True)
                    context.close()
        browser.close()


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3:])
