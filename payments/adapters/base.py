"""The payment gateway interface every provider adapter implements."""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from payments.exceptions import WebhookTimestampStale


class PaymentStatus(StrEnum):
    """What a provider says happened to a payment, in our words."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    OTHER = "other"  # an event we record but that moves nothing (e.g. "processing")


@dataclass(frozen=True)
class CreatedPayment:
    provider_reference: str
    redirect_url: str


@dataclass(frozen=True)
class GatewayNotification:
    """A webhook, authenticated and parsed."""

    event_id: str
    event_type: str
    status: PaymentStatus
    provider_reference: str
    merchant_reference: str
    amount: Decimal
    currency: str
    signed_at: datetime
    payload: dict


def webhook_tolerance() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "PAYMENTS_WEBHOOK_TOLERANCE_SECONDS", 300)))


def check_timestamp(timestamp: int, *, now: datetime | None = None) -> datetime:
    """The signing time, if within the tolerance either side of now; else WebhookTimestampStale."""
    now = now or timezone.now()
    signed_at = datetime.fromtimestamp(timestamp, tz=now.tzinfo or timezone.get_current_timezone())
    if abs(now - signed_at) > webhook_tolerance():
        raise WebhookTimestampStale
    return signed_at


class GatewayAdapter(ABC):
    """A payment provider: starts a hosted payment and authenticates its webhooks."""

    name: str

    @abstractmethod
    def create_payment(
        self,
        *,
        merchant_reference: str,
        amount: Decimal,
        currency: str,
        description: str,
        return_url: str,
        notify_url: str,
    ) -> CreatedPayment:
        """Register the payment with the provider; return its id and the page to send the
        payer to."""

    @abstractmethod
    def parse_webhook(
        self, *, headers: Mapping[str, str], body: bytes, path: str, now: datetime | None = None
    ) -> GatewayNotification:
        """Authenticate (signature over timestamp and raw body, within the tolerance) and parse.

        Raises WebhookRejected (or a subclass) for anything not provably from the provider.
        """
