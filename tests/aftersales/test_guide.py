"""The buyer's request page guides (issue 13): what happened, what to do now and where each
button leads, by when, what happens if nobody acts, and the money; the stepper ticks only what
happened; a rejection says why; an exchange names its replacement; automatic steps and
notifications say what they mean. Each test reads what a person sees."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from aftersales import services, timeline
from aftersales.actors import SYSTEM
from aftersales.models import (
    Action,
    AfterSalesRequest,
    Dispute,
    Kind,
    LedgerEntry,
    Notification,
    Reason,
    RejectionReason,
    Replacement,
    Ruling,
    State,
)
from orders.models import Order
from tests.aftersales.factories import TRACKING, file_request, photo, request_in
from tests.aftersales.test_buyer_views import Page
from tests.orders.factories import OrderItemFactory


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def as_buyer(client, buyer):
    client.force_login(buyer)
    return client


@pytest.fixture
def as_seller(seller):
    client = Client()
    client.force_login(seller)
    return client


def page_of(client, request) -> tuple[str, Page]:
    response = client.get(f"/requests/{request.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    return html, Page(html)


def section(html: str, id: str) -> str:
    """The text of one section of the page, by its id."""
    match = re.search(rf'<(section|div|p)[^>]*id="{id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no #{id} on the page"
    return Page(match.group(2)).text


def steps(html: str) -> list[tuple[str, str]]:
    """The stepper as (label, status) pairs."""
    return [
        (re.sub(r"<span.*?</span>", "", label), status)
        for status, label in re.findall(r'<li class="step (\w+)"[^>]*>(.*?)</li>', html)
    ]


def rejected(item, seller, reason=RejectionReason.USED, note="The tin was opened and used."):
    request = file_request(item)
    return services.reject_request(request=request, actor=seller, reason=reason, explanation=note)


def refunded_return_with_postage(item, seller, buyer, fee="12.00"):
    """A return the seller pays postage for: shipped back with ¥12 claimed, received."""
    request = file_request(item, quantity=2, refund_amount=Decimal("183.00"))
    services.approve_request(request=request, actor=seller)
    services.ship_return(request=request, actor=buyer, shipping_fee=Decimal(fee), **TRACKING)
    return services.confirm_return_received(request=request, actor=seller)


# --- the order of the page ---------------------------------------------------------------------


def test_the_page_answers_in_order_what_happened_what_to_do_by_when_if_nobody_acts_money(
    as_buyer, item
):
    request = file_request(item, refund_amount=Decimal("100.00"))
    html, page = page_of(as_buyer, request)
    ids = ["what-happened", "actions", "by-when", "if-nobody-acts", "money"]
    positions = [html.index(f'id="{id}"') for id in ids]
    assert positions == sorted(positions)
    assert "Buyer filed the request" in section(html, "what-happened")
    assert "The seller is reviewing your request." in section(html, "what-happened")
    # nothing for the buyer to press but withdraw, and it says so and where withdrawing leads
    actions = section(html, "actions")
    assert "Nothing is needed from you now: it is the seller's move." in actions
    assert "Ends the request now and nothing is refunded." in actions
    assert "4 days 23 hours left" in section(html, "by-when")
    assert "If the seller does not respond by then, your request is approved." in section(
        html, "if-nobody-acts"
    )
    assert (
        "You asked for ¥100.00. If the request succeeds, it goes back to your Alipay and "
        "usually arrives within 1 day(s)." in section(html, "money")
    )


def test_every_automatic_step_has_a_sentence_for_the_buyer_and_for_the_deadline(item):
    from datetime import UTC, datetime

    from aftersales import deadlines

    now = datetime(2026, 1, 1, tzinfo=UTC)
    automatic = set()
    for kind, paid in [*((kind, False) for kind in Kind), (Kind.REPAIR, True)]:
        for state in State:
            request = AfterSalesRequest(
                kind=kind,
                reason=Reason.QUALITY_PROBLEM,
                order_item=item,
                order=item.order,
                shop=item.order.shop,
                state=state,
                out_of_warranty=paid,
            )
            automatic.add(deadlines.next_deadline(request, now=now)[1])
    automatic.discard("")
    assert Action.CLOSE_UNQUOTED in automatic  # the paid repair's quote deadline is among them
    assert automatic <= set(deadlines.IF_NOBODY_ACTS) & set(deadlines.WHEN_DUE)


def test_a_refund_only_request_says_it_is_refunded_at_once_if_the_seller_is_silent(as_buyer, item):
    request = file_request(item, kind=Kind.REFUND_ONLY)
    html, _page = page_of(as_buyer, request)
    assert "your request is approved and refunded at once" in section(html, "if-nobody-acts")


def test_a_finished_request_says_nothing_more_happens(as_buyer, item):
    request = request_in(State.EXCHANGED, item)
    html, _page = page_of(as_buyer, request)
    assert "Nothing more is needed from you." in section(html, "actions")
    assert "Nothing more happens: the request is finished." in section(html, "if-nobody-acts")
    assert 'id="money"' not in html  # an exchange moves no money


# --- finding 2: where the money went -----------------------------------------------------------


def test_after_a_refund_the_buyer_sees_the_payment_method_the_time_and_the_postage(
    as_buyer, item, seller, buyer, django_capture_on_commit_callbacks
):
    item.order.payment_method = Order.PaymentMethod.ALIPAY
    item.order.save()
    request = refunded_return_with_postage(item, seller, buyer)
    with django_capture_on_commit_callbacks(execute=True):
        services.pass_inspection(request=request, actor=seller)
    rows = {row.type: row for row in LedgerEntry.objects.filter(request=request)}
    refund, postage = rows["refund"], rows["shipping"]
    html, page = page_of(as_buyer, request)
    money = section(html, "money")
    # The page gives the time where the marketplace is (Asia/Shanghai), not UTC.
    paid = timezone.localtime(refund.paid_at)
    assert f"Refund ¥183.00 back to your Alipay · paid {paid:%Y-%m-%d %H:%M}" in money
    assert "Shipping reimbursement ¥12.00 back to your Alipay" in money
    assert "The request is complete: you have been refunded." in section(html, "what-happened")
    assert postage.amount == Decimal("12.00")


def test_a_pending_payout_says_when_it_usually_arrives(as_buyer, item, seller):
    item.order.payment_method = Order.PaymentMethod.CARD
    item.order.save()
    request = services.approve_request(
        request=file_request(item, kind=Kind.REFUND_ONLY, refund_amount=Decimal("50.00")),
        actor=seller,
    )  # the payout task runs only after commit: the row is still pending
    html, _page = page_of(as_buyer, request)
    assert "Refund ¥50.00 back to your bank card · usually arrives within 5 day(s)" in section(
        html, "money"
    )


def test_the_sellers_pass_button_names_the_postage_the_shop_pays(as_seller, item, seller, buyer):
    request = refunded_return_with_postage(item, seller, buyer)
    page = Page(as_seller.get(f"/seller/requests/{request.pk}/"))
    assert (
        "Inspection passed: refund ¥183.00 (the shop also pays the ¥12.00 return shipping)"
        in page.buttons
    )


def test_without_postage_the_pass_button_names_the_refund_alone(as_seller, item, seller, buyer):
    request = refunded_return_with_postage(item, seller, buyer, fee="0")
    page = Page(as_seller.get(f"/seller/requests/{request.pk}/"))
    assert "Inspection passed: refund ¥183.00" in page.buttons


def test_in_chinese_the_pass_button_names_the_postage(seller, item, buyer):
    request = refunded_return_with_postage(item, seller, buyer)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(seller)
    with translation.override("zh-hans"):
        page = Page(client.get(f"/seller/requests/{request.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "质检通过，退款¥183.00（店铺另付退货运费¥12.00）" in page.buttons


# --- finding 3: the stepper ticks only what happened -------------------------------------------


def ruled(item, seller, buyer, arbitrator, outcome=Ruling.Outcome.REFUND, amount="100.00"):
    request = rejected(item, seller)
    services.escalate_to_platform(
        request=request,
        actor=buyer,
        reason=Dispute.Reason.UNFAIR_REJECTION,
        statement="It was dented on arrival.",
    )
    services.rule_dispute(
        dispute=request.disputes.get(),
        actor=arbitrator,
        outcome=outcome,
        rationale="The photos show the dent; the buyer keeps the tin.",
        refund_amount=Decimal(amount),
    )
    return AfterSalesRequest.objects.get(pk=request.pk)


def test_a_refund_where_the_buyer_keeps_the_goods_ticks_no_return(
    as_buyer, item, seller, buyer, arbitrator
):
    request = ruled(item, seller, buyer, arbitrator)
    html, _page = page_of(as_buyer, request)
    assert steps(html) == [
        ("Request filed", "done"),
        ("Seller reviews", "done"),
        ("Ship back", "skipped"),
        ("Seller receives and inspects", "skipped"),
        ("Refunded", "done"),
    ]
    assert 'Ship back<span class="visually-hidden"> (did not happen)</span>' in html


def test_a_return_that_went_all_the_way_ticks_every_step(item, seller, buyer):
    request = refunded_return_with_postage(item, seller, buyer)
    services.pass_inspection(request=request, actor=seller)
    request.refresh_from_db()
    assert [s.status for s in timeline.progress(request)] == ["done"] * 5
    # the page's entries tell the same as the log
    assert timeline.progress(request, timeline.timeline(request)) == timeline.progress(request)


# --- finding 4: a rejection guides ---------------------------------------------------------------


def test_a_rejection_shows_the_reason_category_and_note_and_the_stepper_shows_it(
    as_buyer, item, seller
):
    request = rejected(item, seller)
    html, _page = page_of(as_buyer, request)
    refusal = section(html, "refusal")
    assert "The seller's reason: The goods were used or damaged after delivery" in refusal
    assert "The tin was opened and used." in refusal
    assert ("Rejected by the seller", "rejected") in steps(html)
    assert 'class="step rejected" aria-current="step"' in html


def choices(html: str) -> dict[str, tuple[bool, str]]:
    """Each of the rejection's choices: whether it is the primary button, where it leads."""
    found = {}
    for action, body in re.findall(
        r'<li class="choice" data-action="(\w+)">(.*?)</li>', html, re.S
    ):
        primary = bool(re.search(r'class="button primary"', body))
        found[action] = (primary, Page(re.search(r'leads-to">(.*?)</p>', body, re.S)[1]).text)
    return found


def test_each_choice_after_a_rejection_says_where_it_leads_and_one_is_recommended(
    as_buyer, item, seller
):
    request = rejected(item, seller)  # the seller says the goods were used: the platform judges
    html, _page = page_of(as_buyer, request)
    found = choices(html)
    assert set(found) == {"resubmit", "escalate", "withdraw"}
    assert found["escalate"] == (
        True,
        "The platform reviews both sides' evidence and rules, usually within 5 days. "
        "Its ruling is final.",
    )
    assert found["resubmit"][0] is False
    assert found["resubmit"][1].startswith("Change the reason, amount, description or photos")
    assert found["withdraw"][1].startswith("Ends the request now and nothing is refunded.")
    assert "If you do nothing by then, the request is closed" in section(html, "if-nobody-acts")


def test_a_rejection_for_missing_evidence_recommends_revising(as_buyer, item, seller):
    request = rejected(item, seller, reason=RejectionReason.NO_EVIDENCE, note="No photo.")
    found = choices(page_of(as_buyer, request)[0])
    assert found["resubmit"][0] is True and found["escalate"][0] is False


def test_a_failed_inspection_says_so_on_the_step_where_it_happened(as_buyer, item, seller, buyer):
    request = refunded_return_with_postage(item, seller, buyer)
    services.fail_inspection(
        request=request,
        actor=seller,
        reason=RejectionReason.INCOMPLETE,
        explanation="The lid is missing.",
        files=[photo()],
    )
    html, _page = page_of(as_buyer, request)
    assert steps(html)[3] == ("Inspection failed", "rejected")
    assert steps(html)[2] == ("Ship back", "done")
    assert "Why the inspection failed: Parts, tags or packaging are missing" in section(
        html, "refusal"
    )


# --- finding 5: an exchange names the replacement ------------------------------------------------


@pytest.fixture
def delivered(buyer, shop, seller):
    return OrderItemFactory(
        order__buyer=buyer, order__shop=shop, order__shipping_address="上海市徐汇区漕溪北路 88 号"
    )


def test_the_exchange_form_asks_for_the_replacement_and_confirms_the_address(as_buyer, delivered):
    page = Page(as_buyer.get(f"/items/{delivered.pk}/apply/?kind=exchange"))
    assert page.values["delivery_address"] == "上海市徐汇区漕溪北路 88 号"  # shown to confirm
    assert "What do you want instead?" in page.text
    for label in ("The same item again", "Another size", "Another colour", "Another variant"):
        assert label in page.text


def exchange_form(**overrides) -> dict:
    data = {
        "kind": Kind.EXCHANGE,
        "reason": Reason.WRONG_SIZE,
        "quantity": "1",
        "description": "Too small.",
        "replacement": Replacement.SIZE,
        "replacement_details": "",
        "delivery_address": "上海市徐汇区漕溪北路 88 号",
    }
    data.update(overrides)
    return data


def test_another_size_must_say_which(as_buyer, delivered):
    response = as_buyer.post(f"/items/{delivered.pk}/apply/?kind=exchange", exchange_form())
    assert response.status_code == 200
    assert "Say which size, colour or variant you want instead." in Page(response).errors
    assert not AfterSalesRequest.objects.exists()


def test_an_exchange_must_choose_what_it_wants(as_buyer, delivered):
    response = as_buyer.post(
        f"/items/{delivered.pk}/apply/?kind=exchange", exchange_form(replacement="")
    )
    assert "This field is required." in Page(response).errors
    assert not AfterSalesRequest.objects.exists()


def test_the_replacement_and_address_reach_the_seller_and_the_request_page(
    as_buyer, as_seller, delivered
):
    response = as_buyer.post(
        f"/items/{delivered.pk}/apply/?kind=exchange",
        exchange_form(replacement_details="Size L", delivery_address="北京市朝阳区建国路 1 号"),
        follow=True,
    )
    request = AfterSalesRequest.objects.get()
    assert (request.replacement, request.replacement_details, request.delivery_address) == (
        Replacement.SIZE,
        "Size L",
        "北京市朝阳区建国路 1 号",
    )
    wanted = (
        "Replacement wanted Another size: Size L Send the replacement to 北京市朝阳区建国路 1 号"
    )
    assert wanted in Page(response).text
    assert wanted in Page(as_seller.get(f"/seller/requests/{request.pk}/")).text


def test_an_exchange_filed_without_naming_it_wants_the_same_item_at_the_order_address(delivered):
    request = file_request(delivered, kind=Kind.EXCHANGE)
    assert (request.replacement, request.delivery_address) == (
        Replacement.SAME,
        "上海市徐汇区漕溪北路 88 号",
    )
    assert file_request(OrderItemFactory(), kind=Kind.RETURN_REFUND).replacement == ""


def test_the_seller_shipping_the_replacement_sees_where_it_goes(as_seller, delivered, buyer):
    request = request_in(State.INSPECTING, delivered, kind=Kind.EXCHANGE)
    page = Page(as_seller.get(f"/seller/requests/{request.pk}/"))
    assert page.text.count("Send the replacement to 上海市徐汇区漕溪北路 88 号") == 2


# --- finding 6: automatic steps say why -----------------------------------------------------------


def test_an_automatic_approval_says_the_seller_did_not_answer_in_time(as_buyer, item):
    request = services.approve_request(request=file_request(item), actor=SYSTEM)
    html, page = page_of(as_buyer, request)
    assert "System approved automatically: the seller did not respond in time" in page.text
    assert "System approved the request" not in page.text


def test_an_automatic_approval_in_chinese(buyer, item):
    request = services.approve_request(request=file_request(item), actor=SYSTEM)
    client = Client()
    client.force_login(buyer)
    text = Page(client.get(f"/requests/{request.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")).text
    assert "系统 自动同意：卖家未在期限内处理" in text
    assert "系统 同意了申请" not in text


def test_a_seller_approval_still_reads_as_the_sellers(as_buyer, item, seller):
    request = services.approve_request(request=file_request(item), actor=seller)
    assert "Seller approved the request" in page_of(as_buyer, request)[1].text


# --- finding 7: notifications say the amount and the next step ------------------------------------


def test_a_ruling_notification_says_how_much_went_where(
    as_buyer, item, seller, buyer, arbitrator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = ruled(item, seller, buyer, arbitrator, amount="100.00")
    said = (
        "Platform ruled on the dispute: refunded, ¥100.00 back to Alipay. "
        "It usually arrives within 1 day(s)."
    )
    assert said in Page(as_buyer.get("/notifications/")).text
    ruling_mail = next(m for m in mail.outbox if m.to == [buyer.email] and "Refunded" in m.subject)
    assert said in ruling_mail.body
    assert Notification.objects.filter(request=request, recipient=buyer).exists()


def test_a_notification_names_the_next_step_in_chinese(buyer, item, seller):
    rejected(item, seller)
    client = Client()
    client.force_login(buyer)
    text = Page(client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans")).text
    assert "卖家拒绝了申请：卖家拒绝。下一步：修改申请、申请平台介入或撤销申请。" in text


def test_the_ruling_notification_in_chinese(
    buyer, item, seller, arbitrator, django_capture_on_commit_callbacks
):
    ruled(item, seller, buyer, arbitrator, amount="183.00")
    client = Client()
    client.force_login(buyer)
    text = Page(client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans")).text
    assert "平台作出了判定：退款成功，¥183.00 退回支付宝。通常1天内到账。" in text
