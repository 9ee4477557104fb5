"""Tracking-number shapes per carrier, so a typo is caught before the parcel is lost."""

import re

from django.utils.translation import gettext_lazy as _

from .models import Carrier

TRACKING_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    Carrier.SF: (re.compile(r"SF\d{12,13}"), "SF1234567890123"),
    Carrier.JD: (re.compile(r"JD[A-Z0-9]{11,13}"), "JDVA12345678901"),
    Carrier.EMS: (re.compile(r"(E[A-Z]\d{9}CN|\d{13})"), "EA123456789CN"),
    Carrier.ZTO: (re.compile(r"7\d{11}|7\d{13}"), "73123456789012"),
    Carrier.YTO: (re.compile(r"YT\d{13,15}"), "YT1234567890123"),
    Carrier.STO: (re.compile(r"77\d{11,13}"), "7712345678901"),
    Carrier.YUNDA: (re.compile(r"(31|43|46)\d{11}"), "4312345678901"),
}


def normalize_tracking_number(number: str) -> str:
    return re.sub(r"[\s-]", "", number).upper()


def tracking_error(carrier: str, number: str) -> str | None:
    """A translated message if ``number`` does not look like one of ``carrier``'s, else None."""
    if carrier not in TRACKING_FORMATS:
        return str(_("Choose a carrier from the list."))
    pattern, example = TRACKING_FORMATS[carrier]
    if not pattern.fullmatch(normalize_tracking_number(number)):
        return str(
            _("This does not look like a %(carrier)s tracking number (for example %(example)s).")
            % {"carrier": Carrier(carrier).label, "example": example}
        )
    return None
