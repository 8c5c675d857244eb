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
