"""Rating the after-sales service in a real browser (issue 7): the buyer rates a finished
request and finds the review on the shop's page; the seller, in their own browser, replies from
the seller center and the reply is published there too."""

import pytest
from playwright.sync_api import expect

from aftersales.models import State
from reviews.models import Review
from tests.aftersales.factories import request_in
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def flash(page):
    """The message shown at the top of the page after an action."""
    return page.locator(".messages li")


def pick_stars(page, dimension: str, stars: int) -> None:
    page.get_by_role("group", name=dimension).get_by_label("★" * stars, exact=True).check()


def test_the_buyer_rates_the_service_and_the_seller_replies(
    page, browser, live_server, item, shop, buyer, seller
):
    request = request_in(State.REFUNDED, item)

    # the buyer opens the finished request from their list and rates it
    sign_in(page, "buyer")
    page.get_by_role("link", name="My after-sales requests").click()
    page.get_by_role("link", name="Finished").click()
    page.get_by_role("link", name=item.title).click()
    page.get_by_role("link", name="Rate the after-sales service").click()
    expect(page.get_by_role("heading", name="Rate the after-sales service")).to_be_visible()
    pick_stars(page, "Speed", 5)
    pick_stars(page, "Attitude", 4)
    pick_stars(page, "Result", 3)
    page.get_by_label("Comment (optional)").fill("Refunded the same day, very polite.")
    page.get_by_role("button", name="Publish the rating").click()

    # back on the request page, with the rating on it
    expect(flash(page)).to_have_text("Thank you for rating the service.")
    mine = page.locator("#review")
    expect(mine).to_contain_text("Refunded the same day, very polite.")
    expect(mine.locator(".stars")).to_have_text(["★★★★★", "★★★★☆", "★★★☆☆"])
    expect(mine.get_by_role("link", name="Change your rating")).to_be_visible()

    # the shop's page, opened from the shop's name on "my orders", shows the review
    page.get_by_role("link", name="My orders").click()
    page.get_by_role("link", name=shop.name).click()
    expect(page.get_by_role("heading", name=shop.name)).to_be_visible()
    shown = page.locator("#reviews article.review")
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text(item.title)
    expect(shown).to_contain_text("Refunded the same day, very polite.")
    expect(page.locator("table.scores")).to_contain_text("5.00")

    # the seller, in their own browser, finds the request in the seller center and replies
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        seller_page = context.new_page()
        sign_in(seller_page, "seller")
        seller_page.get_by_role("link", name="Seller center").click()
        seller_page.get_by_label("State").select_option(label="Refunded")
        seller_page.get_by_role("button", name="Filter").click()
        seller_page.get_by_role("link", name=f"#{request.pk}", exact=True).click()
        theirs = seller_page.locator("#review")
        expect(theirs).to_contain_text("Refunded the same day, very polite.")
        theirs.get_by_label("Public reply").fill("Thank you! See you again.")
        theirs.get_by_role("button", name="Publish the reply").click()
        expect(flash(seller_page)).to_have_text("Your reply is published.")
        expect(seller_page.locator("#review")).to_contain_text(
            "The shop replied: Thank you! See you again."
        )
        expect(seller_page.get_by_role("button", name="Publish the reply")).to_have_count(0)
    finally:
        context.close()

    # and the buyer sees the reply on the shop's page
    page.reload()
    expect(page.locator("#reviews article.review .reply")).to_have_text(
        "The shop replied: Thank you! See you again."
    )
    review = Review.objects.get(request=request)
    assert (review.speed, review.attitude, review.result) == (5, 4, 3)
    assert review.replied_by == seller
