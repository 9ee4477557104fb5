"""The help centre in a real phone-sized browser, in Chinese and in English: a buyer searches
the guide, opens an article, and finds on "my orders" what each item can still ask for."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guidance.articles import seed_articles
from guidance.models import Article
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "zh-CN": {
        "help": "帮助",
        "search": "搜索",
        "query": "快递柜",
        "article": "未收到货",
        "section": "申请之前",
        "orders": "我的订单",
        "until": "退货退款，{date}前",
        "no_reason": "{date}前支持七天无理由。",
    },
    "en-US": {
        "help": "Help",
        "search": "Search",
        "query": "parcel locker",
        "article": "Not received",
        "section": "Before you ask",
        "orders": "My orders",
        "until": "Return and refund until {date}",
        "no_reason": "No reason needed until {date}.",
    },
}


def day(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d")


@pytest.mark.parametrize("locale", list(WORDS))
def test_a_buyer_searches_the_guide_reads_an_article_and_sees_what_an_item_can_ask_for(
    browser, live_server, item, buyer, locale
):
    seed_articles(Article)  # a transactional test before this one may have emptied the table
    words = WORDS[locale]
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": 390, "height": 844}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, "buyer")

    # the buyer opens the help centre from the header and searches it
    page.get_by_role("link", name=words["help"], exact=True).click()
    page.get_by_role("searchbox").fill(words["query"])
    page.get_by_role("button", name=words["search"], exact=True).click()
    results = page.locator(".article-card a")
    expect(results).to_have_count(1)

    # opens the one article found
    results.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["article"])
    expect(page.get_by_role("heading", name=words["section"])).to_be_visible()
    expect(page.locator("table.deadlines")).to_be_visible()
    # on a phone the page itself does not scroll sideways; the table scrolls in its own box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # and on "my orders", the item says what it can still ask for, and until when
    page.get_by_role("link", name=words["orders"], exact=True).click()
    row = page.locator(f"#item-{item.pk}")
    until = words["until"].format(date=day(item.delivered_at + timedelta(days=15)))
    expect(row.locator(".can-file")).to_contain_text(until)
    no_reason = words["no_reason"].format(date=day(item.delivered_at + timedelta(days=7)))
    expect(row.locator(".no-reason-until")).to_have_text(no_reason)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
