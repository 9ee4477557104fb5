"""The buyer portal in a real browser: the clicks a buyer makes, and what they see after."""

import io
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect

from aftersales import services
from aftersales.models import AfterSalesRequest, Dispute, Kind, RequestEvent, Shipment, State
from tests.aftersales.factories import file_request, request_in
from tests.browser.conftest import sign_in
from tests.orders.factories import OrderItemFactory

pytestmark = pytest.mark.django_db(transaction=True)


def write_jpeg(path, color) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def flash(page):
    """The message shown at the top of the page after an action."""
    return page.locator(".messages li")


def open_request_from_my_orders(page, item) -> None:
    page.goto("/")
    page.locator(f"#item-{item.pk}").get_by_role("link", name="After-sales in progress").click()


def test_a_buyer_signs_in_sees_their_orders_and_signs_out(page, item, buyer):
    # when
    sign_in(page, "buyer")
    # then
    expect(page.get_by_role("heading", name="My orders")).to_be_visible()
    expect(page.locator("header .who")).to_have_text("buyer")
    expect(page.get_by_text(item.title)).to_be_visible()
    # when
    page.get_by_role("button", name="Sign out").click()
    # then
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.get_by_text(item.title)).to_have_count(0)
    expect(page.get_by_role("link", name="Seller center")).to_be_visible()


def test_file_a_return_with_two_photos_and_find_it_in_my_requests(page, item, buyer, tmp_path):
    front = write_jpeg(tmp_path / "front.jpg", "orange")
    back = write_jpeg(tmp_path / "back.jpg", "navy")
    sign_in(page, "buyer")
    # when the buyer asks for a return of the item
    page.locator(f"#item-{item.pk}").get_by_role("link", name="Apply for after-sales").click()
    page.get_by_role("link", name="Return and refund").click()
    page.get_by_label("Reason").select_option(label="Damaged in transit")
    # the guidance for the chosen reason is shown, the others are hidden
    expect(page.get_by_text("Photograph the outer box")).to_be_visible()
    expect(page.get_by_text("Describe the fault and when it appears")).to_be_hidden()
    # the most refundable amount is already there; the buyer asks for less
    expect(page.get_by_label("Refund amount (¥)")).to_have_value("200.00")
    page.get_by_label("Refund amount (¥)").fill("180.00")
    page.get_by_label("Description").fill("The box was crushed and one tin is dented.")
    page.set_input_files("input[name=files]", [front, back])
    page.get_by_role("button", name="Submit request").click()
    # then
    expect(flash(page)).to_have_text("Your request was sent to the seller.")
    thumbnails = page.locator("img[src^='/evidence/']")
    expect(thumbnails).to_have_count(2)
    for n in range(2):  # really served (access-checked) and decoded by the browser
        thumbnails.nth(n).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=thumbnails.nth(n).element_handle()
        )
    # when
    page.get_by_role("link", name="My after-sales requests", exact=True).click()
    # then
    row = page.locator(".request-row").filter(has_text=item.title)
    expect(row).to_contain_text("Return and refund · ¥180.00")
    expect(row).to_contain_text("Waiting for the seller")
    request = AfterSalesRequest.objects.get(order_item=item)
    assert sorted(request.evidence.values_list("original_name", flat=True)) == [
        "back.jpg",
        "front.jpg",
    ]


def test_a_refused_photo_keeps_the_good_one_and_the_description(page, item, buyer, tmp_path):
    good = write_jpeg(tmp_path / "good.jpg", "green")
    forged = tmp_path / "forged.jpg"
    forged.write_text("<?php system($_GET['c']); ?>")
    sign_in(page, "buyer")
    page.goto(f"/items/{item.pk}/apply/?kind=return_refund")
    page.get_by_label("Reason").select_option("quality_problem")
    page.get_by_label("Description").fill("Dented.")
    page.set_input_files("input[name=files]", [good, str(forged)])
    page.get_by_role("button", name="Submit request").click()
    # then the form is back with the error, the text, and the good photo kept
    expect(page.get_by_role("alert")).to_contain_text("“forged.jpg” is not a photo we can read")
    expect(page.get_by_label("Description")).to_have_value("Dented.")
    expect(page.get_by_label("good.jpg")).to_be_checked()
    # when it is sent again as it is
    page.get_by_role("button", name="Submit request").click()
    # then
    expect(flash(page)).to_have_text("Your request was sent to the seller.")
    request = AfterSalesRequest.objects.get(order_item=item)
    assert list(request.evidence.values_list("original_name", flat=True)) == ["good.jpg"]


def test_ship_the_goods_back_with_a_tracking_number(page, item, buyer):
    request = request_in(State.AWAITING_RETURN, item)
    sign_in(page, "buyer")
    open_request_from_my_orders(page, item)
    expect(page.get_by_text("Send the goods to")).to_be_visible()
    # when the number does not fit the carrier
    page.get_by_label("Carrier").select_option(label="SF Express")
    page.get_by_label("Tracking number").fill("7312345678901")
    page.get_by_role("button", name="I have shipped the goods").click()
    # then
    expect(page.get_by_role("alert")).to_contain_text(
        "This does not look like a SF Express tracking number"
    )
    assert not Shipment.objects.exists()
    # when it does
    page.get_by_label("Tracking number").fill("SF1234567890123")
    page.get_by_role("button", name="I have shipped the goods").click()
    # then
    expect(flash(page)).to_contain_text("Tracking number saved.")
    expect(page.locator("#timeline")).to_contain_text(
        "Return to the seller: SF Express SF1234567890123"
    )
    expect(page.locator(".request-head .badge")).to_have_text(
        "Waiting for the seller to confirm receipt"
    )
    request.refresh_from_db()
    assert request.state == State.RETURN_SHIPPED


def test_decline_a_proposal_and_ask_the_platform_to_step_in(page, item, buyer, seller, tmp_path):
    # given the seller offers ¥30 instead of taking the goods back
    request = file_request(item)
    services.propose_solution(
        request=request,
        actor=seller,
        kind=Kind.REFUND_ONLY,
        refund_amount=Decimal("30.00"),
        compensation_amount=Decimal("0.00"),
        note="Keep the tin; we refund ¥30 for the dent.",
    )
    sign_in(page, "buyer")
    open_request_from_my_orders(page, item)
    expect(page.locator(".proposal")).to_contain_text("Refund only · refund ¥30.00")
    # when the buyer declines
    page.get_by_label("Why (optional)").fill("The tin leaks; ¥30 does not cover it.")
    page.get_by_role("button", name="Decline the proposal").click()
    expect(flash(page)).to_contain_text("You declined the proposal.")
    # and asks the platform to step in
    page.get_by_role("link", name="Ask the platform to step in").click()
    page.get_by_label("Why do you ask the platform to step in?").select_option(
        label="The seller's solution is not acceptable"
    )
    page.get_by_label("What happened").fill("The tin leaks, see the photo.")
    page.set_input_files("input[name=files]", [write_jpeg(tmp_path / "leak.jpg", "teal")])
    page.get_by_role("button", name="Send to the platform").click()
    # then
    expect(flash(page)).to_have_text("The platform will review your case.")
    expect(page.get_by_role("heading", name="Platform intervention")).to_be_visible()
    expect(page.locator(".request-head .badge")).to_have_text("Platform intervening")
    request.refresh_from_db()
    assert request.state == State.DISPUTED
    assert Dispute.objects.get(request=request).reason == "unacceptable_proposal"


def test_withdraw_a_request(page, item, buyer):
    request = request_in(State.SUBMITTED, item)
    sign_in(page, "buyer")
    open_request_from_my_orders(page, item)
    page.get_by_role("button", name="Withdraw the request").click()
    expect(flash(page)).to_have_text("You withdrew the request.")
    expect(page.get_by_text("Closed: Withdrawn by the buyer")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw the request")).to_have_count(0)
    request.refresh_from_db()
    assert request.state == State.CLOSED


STALE = "This request has changed since the page was loaded, so nothing was done."


def test_withdrawing_from_a_stale_tab_says_so(page, item, buyer):
    # given the request is open in two tabs
    request = request_in(State.SUBMITTED, item)
    sign_in(page, "buyer")
    page.goto(f"/requests/{request.pk}/")
    old_tab = page.context.new_page()
    old_tab.goto(f"/requests/{request.pk}/")
    # when the buyer withdraws in one, then clicks withdraw in the other
    page.get_by_role("button", name="Withdraw the request").click()
    expect(flash(page)).to_have_text("You withdrew the request.")
    old_tab.get_by_role("button", name="Withdraw the request").click()
    # then the old tab explains and shows the current state
    expect(flash(old_tab)).to_contain_text(STALE)
    expect(old_tab.locator(".request-head .badge")).to_have_text("Closed")
    assert RequestEvent.objects.filter(request=request, action="withdraw").count() == 1


# Two POSTs racing need the row lock (select_for_update); SQLite has none, and the in-memory
# test database shared with the live server refuses concurrent writers ("table is locked").
@pytest.mark.postgres
def test_a_double_click_on_withdraw_withdraws_once(page, item, buyer):
    request = request_in(State.SUBMITTED, item)
    sign_in(page, "buyer")
    page.goto(f"/requests/{request.pk}/")
    posts = []
    page.on("request", lambda sent: sent.method == "POST" and posts.append(sent.url))
    box = page.get_by_role("button", name="Withdraw the request").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # when the buyer clicks again while the first withdrawal is on its way
    with page.expect_request("**/withdraw/"):
        page.mouse.click(x, y)
    page.mouse.click(x, y)
    # then whichever answer the browser shows, it is the closed request with a clear message
    expect(page.locator(".request-head .badge")).to_have_text("Closed")
    shown = flash(page).all_inner_texts()
    assert shown and set(shown) <= {
        "You withdrew the request.",
        STALE + " Here is its current state.",
    }
    assert len(posts) == 2, "the second click should have reached the server too"
    request.refresh_from_db()
    assert request.state == State.CLOSED
    assert RequestEvent.objects.filter(request=request, action="withdraw").count() == 1


def test_switch_the_language_and_back(page, item, buyer):
    sign_in(page, "buyer")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # when
    page.get_by_role("button", name="简体中文").click()
    # then
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("button", name="English")).to_be_visible()
    expect(page.get_by_role("button", name="简体中文")).to_have_count(0)
    # the choice sticks on the next page
    page.goto("/requests/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    # when
    page.get_by_role("button", name="English").click()
    # then
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="简体中文")).to_be_visible()
    assert page.url.endswith("/requests/")


@pytest.mark.parametrize("where", ["my orders", "my requests", "request page"])
def test_pages_fit_a_phone_screen(phone_page, buyer, shop, seller, where):
    # given orders with long titles and a request with a long history
    for n in range(3):
        OrderItemFactory(
            order__buyer=buyer,
            order__shop=shop,
            title=f"西湖龙井 明前特级 绿茶 礼盒装 250 g × 2 罐 Longjing premium gift box {n}",
            sku="明前特级 / 礼盒 / 250g×2",
        )
    request = request_in(
        State.RETURN_SHIPPED, OrderItemFactory(order__buyer=buyer, order__shop=shop)
    )
    url = {
        "my orders": "/",
        "my requests": "/requests/",
        "request page": f"/requests/{request.pk}/",
    }
    sign_in(phone_page, "buyer")
    # when
    phone_page.goto(url[where])
    # then
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_file_an_exchange_that_names_the_replacement_and_the_address(page, item, buyer):
    item = OrderItemFactory(
        order__buyer=buyer,
        order__shop=item.order.shop,
        order__shipping_address="李华 13800000000 北京市海淀区中关村大街 1 号",
        delivered_at=item.delivered_at,
        shipped_at=item.shipped_at,
    )
    sign_in(page, "buyer")
    page.goto(f"/items/{item.pk}/apply/?kind=exchange")
    page.get_by_label("Reason").select_option("wrong_size")
    page.get_by_label("Description").fill("Too small.")
    address = page.get_by_label("Send the replacement to")
    expect(address).to_have_value(item.order.shipping_address)  # the order's, to confirm
    page.get_by_label("Another size").check()
    page.get_by_role("button", name="Submit request").click()
    # another size without saying which: refused, and nothing typed is lost
    expect(page.locator(".errors")).to_contain_text(
        "Say which size, colour or variant you want instead."
    )
    expect(page.get_by_label("Description")).to_have_value("Too small.")
    expect(page.get_by_label("Another size")).to_be_checked()
    expect(address).to_have_value("李华 13800000000 北京市海淀区中关村大街 1 号")
    assert not AfterSalesRequest.objects.exists()
    page.get_by_label("Which size, colour or variant").fill("Size L")
    address.fill("李华 13800000000 上海市徐汇区漕溪北路 88 号")
    page.get_by_role("button", name="Submit request").click()
    expect(page.locator("#what-happened")).to_be_visible()
    request = AfterSalesRequest.objects.get()
    assert (request.kind, request.replacement, request.replacement_details) == (
        Kind.EXCHANGE,
        "size",
        "Size L",
    )
    assert request.delivery_address == "李华 13800000000 上海市徐汇区漕溪北路 88 号"
    expect(page.locator("body")).to_contain_text("Size L")
