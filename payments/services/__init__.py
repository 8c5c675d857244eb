"""Every write that moves money or changes payment state, one module per family:

* `ledger`: the one balanced writer every posting goes through, and the ledger's rules;
* `wallets`: the currencies a wallet may hold, finance's manual adjustments;
* `fx`: rates (ECB, manual), markups and the locked FX quote (priced by `payments.pricing`);
* `charges`: checkouts and logistics charges paid with a quote, refunds, price differences;
* `top_ups`: gateway top-ups, their webhooks and their expiry.

Supplier payables and payout batches are in `payments.payouts`, report exports in
`payments.exports`. The public names are re-exported here: callers write
`from payments import services` and `services.checkout_charge(...)`.
"""

from payments.services.charges import (
    checkout_charge,
    logistics_charge,
    price_difference_adjust,
    wallet_refund,
)
from payments.services.fx import (
    fx_markup_set,
    fx_quote_create,
    fx_quote_ttl,
    fx_rate_record,
    fx_rates_import_ecb,
    fx_rates_refresh_from_ecb,
)
from payments.services.top_ups import (
    gateway_webhook_handle,
    top_up_create,
    top_up_limits,
    top_up_transition,
    top_up_ttl,
    top_ups_expire,
)
from payments.services.wallets import currency_enabled, manual_adjustment

__all__ = [
    "checkout_charge",
    "currency_enabled",
    "fx_markup_set",
    "fx_quote_create",
    "fx_quote_ttl",
    "fx_rate_record",
    "fx_rates_import_ecb",
    "fx_rates_refresh_from_ecb",
    "gateway_webhook_handle",
    "logistics_charge",
    "manual_adjustment",
    "price_difference_adjust",
    "top_up_create",
    "top_up_limits",
    "top_up_transition",
    "top_up_ttl",
    "top_ups_expire",
    "wallet_refund",
]
