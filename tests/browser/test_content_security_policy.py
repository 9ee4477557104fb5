"""The Content-Security-Policy in a real browser: the pages work under it, and what it forbids
is refused and noticed (so the watcher in conftest.py, which fails any test that sees a
violation, can fail)."""

from playwright.sync_api import expect

from aftersales.models import State
from tests.aftersales.factories import request_in
from tests.browser.conftest import PASSWORD, sign_in


def test_an_inline_style_or_script_is_refused_and_reported(page, browser, buyer):
    sign_in(page, "buyer")

    page.evaluate(
        """() => {
          document.body.insertAdjacentHTML("beforeend", '<p id="styled" style="color: red">x</p>');
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
        }"""
    )

    page.wait_for_function("() => document.getElementById('styled') !== null")
    color = page.eval_on_selector("#styled", "e => getComputedStyle(e).color")
    assert color != "rgb(255, 0, 0)"  # the style attribute was not applied
    assert page.evaluate("() => window.injected === undefined")  # the script did not run
    page.wait_for_timeout(200)  # violation reports are asynchronous
    seen = " ".join(browser.violations)
    assert "style-src" in seen
    assert "script-src" in seen
    browser.violations.clear()  # seen on purpose: this test passes


def test_the_seller_dashboard_chart_is_drawn_under_the_policy(page, buyer, seller, item):
    request_in(State.SUBMITTED, item)  # this week's bar
    sign_in(page, "seller")
    page.goto("/seller/")
    chart = page.locator("svg.trend")
    expect(chart).to_be_visible()
    heights = [bar.bounding_box()["height"] for bar in chart.locator("rect.bar").all()]
    assert max(heights) > 20  # drawn with its attributes, not styles


def test_the_admin_and_its_scripts_work_under_the_policy(page, item, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    dispute = request_in(State.DISPUTED, item).disputes.get()
    page.goto("/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/aftersales/dispute/")
    expect(page.locator("#result_list")).to_contain_text(item.title)

    page.goto(f"/admin/aftersales/dispute/{dispute.pk}/change/")
    expect(page.locator(".case")).to_be_visible()
    # the admin's own script (theme.js) runs: the theme button switches the theme
    before = page.evaluate("() => document.documentElement.dataset.theme || 'auto'")
    page.locator("button.theme-toggle").first.click()
    after = page.evaluate("() => document.documentElement.dataset.theme")
    assert after and after != before
