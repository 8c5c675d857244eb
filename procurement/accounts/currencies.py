"""Currencies a merchant wallet may hold. The platform settles suppliers in CNY."""

from django.utils.translation import gettext_lazy as _

SETTLEMENT_CURRENCY = "CNY"

WALLET_CURRENCIES = [
    ("USD", _("US dollar (USD)")),
    ("EUR", _("Euro (EUR)")),
    ("GBP", _("Pound sterling (GBP)")),
    ("JPY", _("Japanese yen (JPY)")),
    ("AUD", _("Australian dollar (AUD)")),
    ("CAD", _("Canadian dollar (CAD)")),
    ("HKD", _("Hong Kong dollar (HKD)")),
    ("SGD", _("Singapore dollar (SGD)")),
]
WALLET_CURRENCY_CODES = frozenset(code for code, _label in WALLET_CURRENCIES)


def currency_for_country(country: str) -> str | None:
    """The wallet currency a company in `country` most likely pays in: the country's own
    currency where a wallet can hold it (Germany: EUR), else None (the form's default then
    is the US dollar). From CLDR's territory data, through babel."""
    from babel.numbers import get_territory_currencies

    if not country:
        return None
    try:
        in_use = get_territory_currencies(country)
    except ValueError:
        return None
    return next((code for code in in_use if code in WALLET_CURRENCY_CODES), None)
