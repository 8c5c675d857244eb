"""Refusals of store connections: what the merchant reads, and what the clients raise."""

from django.utils.translation import gettext_lazy as _

from procurement.core.exceptions import DomainError


class StoreError(DomainError):
    code = "store_error"
    default_message = _("The store could not be reached.")


class StoreUnavailable(StoreError):
    """The store did not answer, or answered with a server error, after every retry."""

    code = "store_unavailable"
    status = 502
    default_message = _("The store did not answer. We will try again.")


class StoreThrottled(StoreError):
    """The store kept refusing for its rate limit after every retry."""

    code = "store_throttled"
    status = 503
    default_message = _("The store asked us to slow down. We will try again shortly.")


class CredentialsRefused(StoreError):
    """The store refused the credentials (revoked token, deleted key, missing permission)."""

    code = "store_credentials_refused"
    status = 422
    default_message = _(
        "The store refused our credentials. They may have been revoked: connect the store again."
    )


class StoreRefused(StoreError):
    """The store understood the request and said no (its own user errors)."""

    code = "store_refused"


class WebhookRefused(DomainError):
    code = "webhook_refused"
    status = 401
    default_message = _("The webhook signature is missing or wrong.")
