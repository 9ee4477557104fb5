"""Tracking-number shapes per carrier, so a typo is caught before the parcel is lost.

A number is normalised before it is checked and stored: NFKC (full-width letters and digits
from a Chinese keyboard become ASCII), upper case, no spaces or dashes. What is left must be
ASCII letters and digits in the carrier's shape; the patterns match ASCII only, since ``\\d``
alone would take Arabic-Indic, Devanagari and every other script's digits too.
"""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from .models import Carrier


def _shape(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


TRACKING_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    Carrier.SF: (_shape(r"SF\d{12,13}"), "SF1234567890123"),
    Carrier.JD: (_shape(r"JD[A-Z0-9]{11,13}"), "JDVA12345678901"),
    Carrier.EMS: (_shape(r"(E[A-Z]\d{9}CN|\d{13})"), "EA123456789CN"),
    Carrier.ZTO: (_shape(r"7\d{11}|7\d{13}"), "73123456789012"),
    Carrier.YTO: (_shape(r"YT\d{13,15}"), "YT1234567890123"),
    Carrier.STO: (_shape(r"77\d{11,13}"), "7712345678901"),
    Carrier.YUNDA: (_shape(r"(31|43|46)\d{11}"), "4312345678901"),
}
LETTERS_AND_DIGITS = _shape(r"[A-Z0-9]+")


def normalize_tracking_number(number: str) -> str:
    """The number as stored: NFKC, upper case, without white space or dashes of any kind."""
    folded = unicodedata.normalize("NFKC", number).upper()
    return "".join(
        char for char in folded if not char.isspace() and unicodedata.category(char) != "Pd"
    )


def tracking_error(carrier: str, number: str) -> str | None:
    """A translated message if ``number`` does not look like one of ``carrier``'s, else None."""
    if carrier not in TRACKING_FORMATS:
        return str(_("Choose a carrier from the list."))
    normalized = normalize_tracking_number(number)
    if not LETTERS_AND_DIGITS.fullmatch(normalized):
        return str(
            _(
                "A tracking number has only the letters A–Z and the digits 0–9; copy it from "
                "the carrier's receipt."
            )
        )
    pattern, example = TRACKING_FORMATS[carrier]
    if not pattern.fullmatch(normalized):
        return str(
            _("This does not look like a %(carrier)s tracking number (for example %(example)s).")
            % {"carrier": Carrier(carrier).label, "example": example}
        )
    return None
