"""Per-country checks for address book entries: phone numbers and postcodes.

Phone numbers go through Google's libphonenumber metadata (the `phonenumbers` package) for the
address's own country, and are stored in E.164. Postcodes are checked against one regex per
country; a country without postcodes (Hong Kong) must leave the field empty, and a country not in
the table accepts any short postcode rather than refusing a valid address we do not know.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# (pattern, example shown in the error message). None: the country has no postcodes.
POSTCODE_FORMATS: dict[str, tuple[str, str] | None] = {
    "US": (r"\d{5}(-\d{4})?", "94105 or 94105-1234"),
    "GB": (r"(GIR 0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})", "SW1A 1AA"),
    "DE": (r"\d{5}", "10115"),
    "FR": (r"\d{5}", "75001"),
    "JP": (r"\d{3}-?\d{4}", "100-0001"),
    "AU": (r"\d{4}", "2000"),
    "CA": (r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d", "K1A 0B1"),
    "CN": (r"\d{6}", "518000"),
    "NL": (r"[1-9]\d{3} ?[A-Z]{2}", "1012 AB"),
    "ES": (r"(0[1-9]|[1-4]\d|5[0-2])\d{3}", "28001"),
    "IT": (r"\d{5}", "00184"),
    "SG": (r"\d{6}", "018956"),
    "HK": None,
    "MO": None,
    "AE": None,
    "IE": (r"[AC-FHKNPRTV-Y]\d{2}(\d|W) ?[0-9AC-FHKNPRTV-Y]{4}", "D02 X285"),
    "BE": (r"[1-9]\d{3}", "1000"),
    "AT": (r"[1-9]\d{3}", "1010"),
    "CH": (r"[1-9]\d{3}", "8001"),
    "PL": (r"\d{2}-\d{3}", "00-950"),
    "SE": (r"\d{3} ?\d{2}", "111 22"),
    "KR": (r"\d{5}", "03187"),
    "NZ": (r"\d{4}", "6011"),
    "BR": (r"\d{5}-?\d{3}", "01310-100"),
    "MX": (r"\d{5}", "06000"),
    "IN": (r"[1-9]\d{5}", "110001"),
}
_FALLBACK_POSTCODE = re.compile(r"[A-Z0-9][A-Z0-9 \-]{1,9}")


def normalize_postcode(postcode: str, country: str) -> str:
    """The postcode in its canonical form for `country`, or ValidationError with an example."""
    value = " ".join((postcode or "").upper().split())
    country = (country or "").upper()
    if country in POSTCODE_FORMATS and POSTCODE_FORMATS[country] is None:
        if value:
            raise ValidationError(
                _("Addresses in this country have no postcode; leave the field empty."),
                code="postcode_not_used",
            )
        return ""
    if not value:
        raise ValidationError(_("Enter the postcode."), code="postcode_required")
    known = POSTCODE_FORMATS.get(country)
    if known is None:
        if not _FALLBACK_POSTCODE.fullmatch(value):
            raise ValidationError(_("Enter a valid postcode."), code="postcode_invalid")
        return value
    pattern, example = known
    if not re.fullmatch(pattern, value):
        raise ValidationError(
            _("Enter a valid postcode for this country, for example %(example)s."),
            code="postcode_invalid",
            params={"example": example},
        )
    return value


def normalize_phone(phone: str, country: str) -> str:
    """The phone number in E.164 (+14155550123), checked for `country`.

    A number written without a country code is read as a national number of `country`; one with
    a "+" prefix must still belong to `country`, because couriers call the recipient locally.
    """
    raw = (phone or "").strip()
    if not raw:
        raise ValidationError(_("Enter a phone number."), code="phone_required")
    try:
        parsed = phonenumbers.parse(raw, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a valid phone number, with the country code if you can."),
            code="phone_invalid",
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("This is not a valid phone number for the address's country."),
            code="phone_invalid",
        )
    region = phonenumbers.region_code_for_number(parsed)
    if country and region != country.upper():
        raise ValidationError(
            _("The phone number must be a number in the address's country."),
            code="phone_wrong_country",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
