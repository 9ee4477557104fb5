"""The small conveniences of issue 13 as a person meets them in Chromium: the ship-back step's
copy button puts the address on the clipboard, and chosen photos show before they are sent."""

import pytest
from playwright.sync_api import expect

from aftersales.models import State
from tests.aftersales.factories import jpeg_upload, request_in
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_copy_button_puts_the_return_address_on_the_clipboard(page, live_server, item):
    request = request_in(State.AWAITING_RETURN, item)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, "buyer")
    page.goto(f"/requests/{request.pk}/")
    address = page.locator("#return-address").inner_text().strip()
    assert address  # the shop's return address, as text anyone can select
    expect(page.locator(".ship-back")).to_contain_text("cash on delivery")
    button = page.get_by_role("button", name="Copy the address")
    button.click()
    expect(page.locator("button[data-copy]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == address


def test_chosen_photos_show_before_the_message_is_sent(page, item):
    request = request_in(State.SUBMITTED, item)
    sign_in(page, "buyer")
    page.goto(f"/requests/{request.pk}/")
    photo = jpeg_upload("cracked-lid.jpg")
    page.locator("input[type=file]").last.set_input_files(
        {"name": photo.name, "mimeType": "image/jpeg", "buffer": photo.read()}
    )
    preview = page.locator(".file-preview img[alt='cracked-lid.jpg']")
    expect(preview).to_be_visible()
    # the thumbnail is the photo itself, decoded by the browser (not a broken image)
    assert page.evaluate("(img) => img.naturalWidth", preview.element_handle()) == 64
