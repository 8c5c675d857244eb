"""Refusals from the payments services. Each message is safe to show to the person who asked."""

from django.utils.translation import gettext_lazy as _

from procurement.core.exceptions import DomainError
from procurement.core.exceptions import InvalidTransition as InvalidTransition


class PaymentsError(DomainError):
    """A refusal a person should read; nothing was written when it is raised."""

    code = "payments_error"
    default_message = _("That payment could not be made.")


class InsufficientBalance(PaymentsError):
    code = "insufficient_balance"
    default_message = _("Your wallet balance is not enough for this payment. Top up and try again.")


class QuoteExpired(PaymentsError):
    code = "quote_expired"
    default_message = _("The exchange rate quote has expired. Get a new quote to continue.")


class QuoteUsed(PaymentsError):
    code = "quote_used"
    default_message = _("This exchange rate quote has already been used.")


class RateStale(PaymentsError):
    code = "rate_stale"
    default_message = _(
        "We have no current exchange rate for this currency, so we cannot quote a price right "
        "now. Please try again later."
    )


class RateUnavailable(RateStale):
    code = "rate_unavailable"
    default_message = _("We have no exchange rate for this currency pair.")


class CurrencyNotEnabled(PaymentsError):
    code = "currency_not_enabled"
    default_message = _("This currency is not enabled for your wallet.")


class IdempotencyConflict(PaymentsError):
    """The idempotency key was already used for a different operation."""

    code = "idempotency_conflict"

    default_message = _("This request was already made with different details.")


class AdjustmentNotAllowed(PaymentsError):
    code = "adjustment_not_allowed"
    default_message = _("Only Finance may adjust a wallet, and a reason is required.")


class InvalidAmount(PaymentsError):
    code = "invalid_amount"
    default_message = _("Enter an amount greater than zero.")


class RefundExceedsCharge(PaymentsError):
    code = "refund_exceeds_charge"
    default_message = _("The refund is larger than what is left of the original charge.")


class WebhookRejected(PaymentsError):
    """A webhook we refuse outright: bad signature, stale timestamp or unreadable body."""

    code = "webhook_rejected"

    default_message = _("The notification was rejected.")


class WebhookSignatureInvalid(WebhookRejected):
    code = "webhook_signature_invalid"
    default_message = _("The notification's signature is not valid.")


class WebhookTimestampStale(WebhookRejected):
    code = "webhook_timestamp_stale"
    default_message = _("The notification's timestamp is outside the allowed window.")


class GatewayError(PaymentsError):
    code = "gateway_error"
    default_message = _("The payment provider could not be reached. Please try again.")
