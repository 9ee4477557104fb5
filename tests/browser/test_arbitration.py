"""Platform arbitration in a real browser: three people, three browsers, one dispute.

The buyer asks the platform to step in after a rejection, the seller answers with a photo from
the seller center, an arbitrator rules a partial refund in the staff portal (the Django admin),
and both parties then read the ruling and see the refund on their request pages.
"""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from PIL import Image
from playwright.sync_api import expect

from aftersales.models import AfterSalesRequest, Dispute, LedgerEntry, Ruling, State
from tests.aftersales.factories import request_in
from tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

RATIONALE = "The dent shows in the buyer's photo; the tea itself is fine. Refund ¥60 of ¥100."


def write_jpeg(path, color: str = "orange") -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def open_page(browser, live_server):
    """A browser of one's own for each person: separate cookies, English."""
    contexts = []

    def open_for() -> object:
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1200, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_for
    for context in contexts:
        context.close()


@pytest.fixture
def staff_arbitrator(arbitrator):
    """The arbitrator, with the admin's view permissions the data migration gives the group.

    Transactional tests empty the database after each test, so a group created by a data
    migration comes back (through the factory) without its permissions; give them back.
    """
    group = Group.objects.get(name="arbitrators")
    group.permissions.add(
        *Permission.objects.filter(
            codename__startswith="view_",
            content_type__app_label__in=("orders", "aftersales", "disputes"),
        )
    )
    return arbitrator


def flash(page):
    return page.locator(".messages li")


def badge(page):
    return page.locator(".request-head .badge")


def test_escalation_answer_ruling_and_refund_seen_by_both_sides(
    open_page, item, buyer, seller, staff_arbitrator, tmp_path
):
    request = request_in(State.REJECTED, item)
    packing_photo = write_jpeg(tmp_path / "packing.jpg", "navy")

    # the buyer finds the rejected request and asks the platform to step in
    as_buyer = open_page()
    sign_in(as_buyer, "buyer")
    as_buyer.get_by_role("link", name="My after-sales requests", exact=True).click()
    as_buyer.locator(".request-row").filter(has_text="Rejected by the seller").get_by_role(
        "link"
    ).click()
    expect(badge(as_buyer)).to_have_text("Rejected by the seller")
    as_buyer.get_by_role("link", name="Ask the platform to step in").click()
    as_buyer.get_by_label("Why do you ask the platform to step in?").select_option(
        label="The seller rejected my request unfairly"
    )
    as_buyer.get_by_label("What happened").fill("The dent is clearly visible in my photos.")
    as_buyer.get_by_role("button", name="Send to the platform").click()
    expect(flash(as_buyer)).to_have_text("The platform will review your case.")
    expect(badge(as_buyer)).to_have_text("Platform intervening")
    expect(as_buyer.locator(".dispute")).to_contain_text(
        "The platform is reviewing both sides' evidence."
    )

    # the seller answers with a statement and a photo in the seller center
    as_seller = open_page()
    sign_in(as_seller, "seller")
    as_seller.goto("/seller/")
    as_seller.get_by_role("link", name=f"#{request.pk}", exact=True).click()
    dispute_card = as_seller.locator(".dispute")
    expect(dispute_card).to_contain_text("The dent is clearly visible in my photos.")
    dispute_card.get_by_label("Your statement for the platform").fill(
        "The tin left our warehouse intact; see the packing photo."
    )
    dispute_card.locator("input[name=files]").set_input_files(packing_photo)
    as_seller.get_by_role("button", name="Send the answer to the platform").click()
    expect(flash(as_seller)).to_have_text("Your answer was sent to the platform.")
    expect(as_seller.locator(".dispute")).to_contain_text("Your answer")
    expect(as_seller.get_by_role("button", name="Send the answer to the platform")).to_have_count(0)

    # the arbitrator signs in to the staff portal and opens the dispute from the queue
    as_staff = open_page()
    as_staff.goto("/admin/login/")
    as_staff.fill("#id_username", "arbitrator")
    as_staff.fill("#id_password", PASSWORD)
    as_staff.get_by_role("button", name="Log in").click()
    as_staff.goto("/admin/aftersales/dispute/")
    dispute = Dispute.objects.get(request=request)
    as_staff.locator("#result_list").get_by_role("link", name=str(dispute.pk), exact=True).click()
    case = as_staff.locator(".case")
    expect(case).to_contain_text("The dent is clearly visible in my photos.")
    expect(case).to_contain_text("The tin left our warehouse intact; see the packing photo.")
    expect(case).to_contain_text("Seller (seller) answered the dispute")
    all_evidence = case.locator("section").filter(
        has=as_staff.get_by_role("heading", name="All evidence")
    )
    thumbnail = all_evidence.locator("img[src$='/thumb/']")
    expect(thumbnail).to_have_count(1)
    as_staff.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )

    # and rules a partial refund
    as_staff.get_by_label("Refund (full or partial), the buyer keeps the goods").check()
    as_staff.get_by_label("Refund (¥)").fill("60.00")
    as_staff.get_by_label("Rationale (both parties will read it)").fill(RATIONALE)
    as_staff.get_by_role("button", name="Record the ruling").click()
    expect(as_staff.locator(".messagelist")).to_contain_text(
        "Ruling recorded; both parties have been told."
    )
    expect(as_staff.locator(".ruling")).to_contain_text("refund ¥60.00")
    expect(as_staff.get_by_role("button", name="Record the ruling")).to_have_count(0)

    # both parties read the ruling and see the refund
    for page in (as_buyer, as_seller):
        page.reload()
        expect(badge(page)).to_have_text("Refunded")
        card = page.locator(".dispute")
        expect(card).to_contain_text(
            "Ruling: Refund (full or partial), the buyer keeps the goods · ¥60.00"
        )
        expect(card).to_contain_text(RATIONALE)
        expect(page.locator(".summary")).to_contain_text("refund ¥60.00")
        expect(page.locator(".item-summary")).to_contain_text("paid ¥200.00 · refunded ¥60.00")

    request = AfterSalesRequest.objects.get(pk=request.pk)
    assert request.state == State.REFUNDED
    assert Ruling.objects.get().decided_by == staff_arbitrator
    assert list(LedgerEntry.objects.values_list("type", "amount", "status")) == [
        ("refund", Decimal("60.00"), "paid")
    ]
