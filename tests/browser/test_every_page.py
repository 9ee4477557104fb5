"""Every page of every portal, as the demo users reach them (``demo.pages``, the pages ``make
screenshots`` photographs): on a phone none scrolls sideways, and no radio button or checkbox
is stretched away from its label. The ``browser`` fixture also runs axe-core on each of them.

The demo marketplace is loaded once per test (the live server needs it committed; the test's
teardown empties the database again)."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page as BrowserPage

from demo.pages import pages
from tests.browser.conftest import sign_in

# For each radio button and checkbox shown: its box, and the box of the first line of its
# label's text (the label around it, or the label naming it).
CONTROLS_AND_LABELS = """() => {
  const box = (rect) => ({left: rect.left, top: rect.top, width: rect.width, height: rect.height});
  return [...document.querySelectorAll("input[type=radio], input[type=checkbox]")]
    .filter((input) => input.checkVisibility())
    .map((input) => {
      const label = input.closest("label") ||
        (input.id && document.querySelector(`label[for="${input.id}"]`));
      let text = null;
      if (label) {
        const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
          if (walker.currentNode.textContent.trim()) {
            const range = document.createRange();
            range.selectNodeContents(walker.currentNode);
            text = box(range.getClientRects()[0]);
            break;
          }
        }
      }
      return {name: input.name, value: input.value, control: box(input.getBoundingClientRect()),
              text};
    });
}"""


def misplaced_controls(page: BrowserPage) -> list[str]:
    """Radio buttons and checkboxes wider than a control is (twice its height), or not on
    the line of their label's text."""
    found = []
    for shown in page.evaluate(CONTROLS_AND_LABELS):
        control, text, what = shown["control"], shown["text"], f"{shown['name']}={shown['value']}"
        if control["width"] > 2 * control["height"]:
            found.append(f"{what} is {control['width']:.0f} px wide")
        elif text and not (
            control["top"] < text["top"] + text["height"]
            and text["top"] < control["top"] + control["height"]
        ):
            found.append(f"{what} is not on the line of its label")
    return found


@pytest.fixture
def demo_pages(transactional_db):
    call_command("load_demo", stdout=io.StringIO())
    return pages()


def visit_all(browser, live_server, demo_pages, *, width: int, locale: str):
    """Each demo user's pages in a browser of their own; yields (page, url) once loaded, with
    every folded section (``<details>``: the seller's action forms) unfolded."""
    for login in dict.fromkeys(p.login for p in demo_pages):
        context = browser.new_context(
            base_url=live_server.url, locale=locale, viewport={"width": width, "height": 844}
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        if login:
            sign_in(page, login)
        for shown in (p for p in demo_pages if p.login == login):
            response = page.goto(shown.path)
            assert response.status == 200, f"{shown.name} {shown.path}: {response.status}"
            page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
            yield page, f"{shown.name} {shown.path}"
        context.close()


def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, demo_pages):
    wide, misplaced = [], []
    for page, where in visit_all(browser, live_server, demo_pages, width=390, locale="zh-CN"):
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > 390:
            wide.append(f"{where}: {scroll_width} px wide")
        misplaced += [f"{where}: {problem}" for problem in misplaced_controls(page)]
    assert not wide, "pages that scroll sideways at 390 px:\n" + "\n".join(wide)
    assert not misplaced, "\n".join(misplaced)


def test_radio_buttons_sit_by_their_labels_and_the_queues_fit_a_desktop(
    browser, live_server, demo_pages
):
    seen, misplaced, wide = 0, [], []
    for page, where in visit_all(browser, live_server, demo_pages, width=1280, locale="zh-CN"):
        seen += page.locator("input[type=radio], input[type=checkbox]").count()
        misplaced += [f"{where}: {problem}" for problem in misplaced_controls(page)]
        # the staff queue's table fits beside its filters: nothing cut off, no sideways scroll
        if page.evaluate("document.documentElement.scrollWidth > 1280") or page.evaluate(
            "[...document.querySelectorAll('#changelist .results')]"
            ".some((e) => e.scrollWidth > e.clientWidth)"
        ):
            wide.append(where)
    assert seen > 10  # the rating form, the proposal form, the bulk approval, the ruling form
    assert not misplaced, "\n".join(misplaced)
    assert not wide, "pages wider than 1280 px: " + ", ".join(wide)
