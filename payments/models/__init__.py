"""Payments: FX rates and quotes, the double-entry ledger, wallets, fees and gateway top-ups.

Amounts are `Decimal` with a separate three-letter currency column rather than django-money's
MoneyField: the ledger sums postings per currency in SQL (and in a PostgreSQL trigger), which a
plain decimal column keeps simple. Rounding follows `payments.money`.
"""

from payments.models.exports import ExportJob
from payments.models.fees import FeeSchedule, FeeTier
from payments.models.fields import AMOUNT, RATE
from payments.models.fx import FxMarkup, FxQuote, FxRate
from payments.models.ledger import Account, LedgerTransaction, Posting, WalletAdjustment
from payments.models.payouts import (
    PayoutBatch,
    PayoutBatchEvent,
    PayoutLine,
    SupplierPayable,
    SupplierPayableEvent,
)
from payments.models.top_ups import GatewayEvent, TopUp, TopUpEvent

__all__ = [
    "AMOUNT",
    "RATE",
    "Account",
    "ExportJob",
    "FeeSchedule",
    "FeeTier",
    "FxMarkup",
    "FxQuote",
    "FxRate",
    "GatewayEvent",
    "LedgerTransaction",
    "PayoutBatch",
    "PayoutBatchEvent",
    "PayoutLine",
    "Posting",
    "SupplierPayable",
    "SupplierPayableEvent",
    "TopUp",
    "TopUpEvent",
    "WalletAdjustment",
]
