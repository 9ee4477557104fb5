"""Tracking numbers (issue 12, row 7): normalised (NFKC, upper case, no spaces or dashes),
then ASCII letters and digits in the carrier's shape, and stored in ASCII."""

import pytest
from django.test import Client

from aftersales import services
from aftersales.errors import InvalidInput
from aftersales.models import Carrier, Shipment, State
from aftersales.shipping import normalize_tracking_number, tracking_error
from tests.aftersales.factories import request_in
from tests.aftersales.test_buyer_views import Page

ONLY_ASCII = (
    "A tracking number has only the letters A–Z and the digits 0–9; copy it from the carrier's "
    "receipt."
)
FULL_WIDTH = "ＳＦ１２３４５６７８９０１２"  # a Chinese keyboard in full-width mode
ARABIC_INDIC = "SF" + "١٢٣٤٥٦٧٨٩٠١٢"
PERSIAN = "SF" + "۱۲۳۴۵۶۷۸۹۰۱۲"
DEVANAGARI = "SF" + "१२३४५६७८९०१२"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("SF123456789012", "SF123456789012"),
        ("sf 1234-5678-9012", "SF123456789012"),
        (FULL_WIDTH, "SF123456789012"),
        ("SF１２３４５６７８９０１２", "SF123456789012"),
        ("ｓｆ１２３４　５６７８－９０１２", "SF123456789012"),  # full-width space and dash
        ("SF1234\u20135678\u20149012", "SF123456789012"),  # en and em dashes
        ("\tSF123456789012\n", "SF123456789012"),
    ],
)
def test_what_normalises_to_an_ascii_number_is_accepted_in_ascii(typed, stored):
    assert normalize_tracking_number(typed) == stored
    assert normalize_tracking_number(typed).isascii()
    assert tracking_error(Carrier.SF, typed) is None


@pytest.mark.parametrize(
    "typed",
    [
        ARABIC_INDIC,
        PERSIAN,
        DEVANAGARI,
        "SF12345678901２٣",
        "SF123456789012\u00e9",
        "SF_123456789012",
    ],
)
def test_other_scripts_digits_and_signs_are_refused(typed, settings):
    settings.LANGUAGE_CODE = "en"
    assert tracking_error(Carrier.SF, typed) == ONLY_ASCII


@pytest.mark.parametrize("carrier", list(Carrier))
def test_no_carrier_takes_digits_of_another_script(carrier):
    from aftersales.shipping import TRACKING_FORMATS

    pattern, example = TRACKING_FORMATS[carrier]
    arabic = example.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert pattern.fullmatch(example)
    assert not pattern.fullmatch(arabic)
    assert tracking_error(carrier, example) is None
    assert tracking_error(carrier, arabic) is not None


@pytest.mark.django_db
def test_the_service_stores_a_full_width_number_in_ascii(item, buyer):
    request = request_in(State.AWAITING_RETURN, item)

    services.ship_return(
        request=request, actor=buyer, carrier=Carrier.SF, tracking_number=FULL_WIDTH
    )

    assert Shipment.objects.get().tracking_number == "SF123456789012"


@pytest.mark.django_db
def test_the_service_refuses_arabic_indic_digits(item, buyer):
    request = request_in(State.AWAITING_RETURN, item)

    with pytest.raises(InvalidInput):
        services.ship_return(
            request=request, actor=buyer, carrier=Carrier.SF, tracking_number=ARABIC_INDIC
        )

    assert not Shipment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", ONLY_ASCII),
        ("zh-hans", "快递单号只能包含字母 A–Z 和数字 0–9，请照快递单上的单号填写。"),
    ],
)
def test_the_buyer_is_told_and_keeps_what_was_typed(settings, item, buyer, language, message):
    settings.LANGUAGE_CODE = language
    request = request_in(State.AWAITING_RETURN, item)
    client = Client()
    client.force_login(buyer)

    response = client.post(
        f"/requests/{request.pk}/ship/", {"carrier": "sf", "tracking_number": ARABIC_INDIC}
    )

    page = Page(response)
    assert response.status_code == 400
    assert message in page.errors
    assert page.values["tracking_number"] == ARABIC_INDIC
    assert not Shipment.objects.exists()


@pytest.mark.django_db
def test_a_full_width_number_typed_by_the_buyer_is_saved_in_ascii(item, buyer):
    request = request_in(State.AWAITING_RETURN, item)
    client = Client()
    client.force_login(buyer)

    response = client.post(
        f"/requests/{request.pk}/ship/", {"carrier": "sf", "tracking_number": FULL_WIDTH}
    )

    assert response.status_code == 302
    assert Shipment.objects.get().tracking_number == "SF123456789012"
