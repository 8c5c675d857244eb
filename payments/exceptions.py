"""Refusals from the payments services. Each message is safe to show to the person who asked."""

from django.utils.translation import gettext_lazy as _


class PaymentsError(Exception):
    """A refusal a person should read; nothing was written when it is raised."""

    default_message = _("That payment could not be made.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class InsufficientBalance(PaymentsError):
    default_message = _("Your wallet balance is not enough for this payment. Top up and try again.")


class QuoteExpired(PaymentsError):
    default_message = _("The exchange rate quote has expired. Get a new quote to continue.")


class QuoteUsed(PaymentsError):
    default_message = _("This exchange rate quote has already been used.")


class RateStale(PaymentsError):
    default_message = _(
        "We have no current exchange rate for this currency, so we cannot quote a price right "
        "now. Please try again later."
    )


class RateUnavailable(RateStale):
    default_message = _("We have no exchange rate for this currency pair.")


class CurrencyNotEnabled(PaymentsError):
    default_message = _("This currency is not enabled for your wallet.")


class IdempotencyConflict(PaymentsError):
    """The idempotency key was already used for a different operation."""

    default_message = _("This request was already made with different details.")


class AdjustmentNotAllowed(PaymentsError):
    default_message = _("Only Finance may adjust a wallet, and a reason is required.")


class InvalidAmount(PaymentsError):
    default_message = _("Enter an amount greater than zero.")


class RefundExceedsCharge(PaymentsError):
    default_message = _("The refund is larger than what is left of the original charge.")


class InvalidTransition(PaymentsError):
    default_message = _("That change of status is not allowed.")


class WebhookRejected(PaymentsError):
    """A webhook we refuse outright: bad signature, stale timestamp or unreadable body."""

    default_message = _("The notification was rejected.")


class WebhookSignatureInvalid(WebhookRejected):
    default_message = _("The notification's signature is not valid.")


class WebhookTimestampStale(WebhookRejected):
    default_message = _("The notification's timestamp is outside the allowed window.")


class GatewayError(PaymentsError):
    default_message = _("The payment provider could not be reached. Please try again.")
