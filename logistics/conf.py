"""Logistics settings, each read with its development default (none is required in settings)."""

from decimal import Decimal

from django.conf import settings


def free_storage_days() -> int:
    return int(getattr(settings, "LOGISTICS_FREE_STORAGE_DAYS", 90))


def storage_fee_cny() -> Decimal:
    """Monthly storage fee per stock item once its free period is over."""
    return Decimal(str(getattr(settings, "LOGISTICS_STORAGE_FEE_CNY", "15.00")))


def storage_notice_days() -> int:
    """How many days before the free period ends the merchant is told fees will start."""
    return int(getattr(settings, "LOGISTICS_STORAGE_NOTICE_DAYS", 14))


def insurance_rate() -> Decimal:
    """Insurance premium as a fraction of the insured value."""
    return Decimal(str(getattr(settings, "LOGISTICS_INSURANCE_RATE", "0.02")))


def photo_max_bytes() -> int:
    return int(getattr(settings, "LOGISTICS_PHOTO_MAX_BYTES", 8 * 1024 * 1024))


def tracking_webhook_secret() -> str:
    # Development default only; production must set LOGISTICS_TRACKING_WEBHOOK_SECRET.
    return str(
        getattr(settings, "LOGISTICS_TRACKING_WEBHOOK_SECRET", "dev-tracking-webhook-secret")
    )


def tracking_webhook_tolerance_seconds() -> int:
    return int(getattr(settings, "LOGISTICS_TRACKING_WEBHOOK_TOLERANCE", 300))


def tracking_aggregator_url() -> str:
    return str(
        getattr(settings, "LOGISTICS_TRACKING_AGGREGATOR_URL", "https://api.17track.net/track/v2.2")
    )


def tracking_aggregator_token() -> str:
    return str(getattr(settings, "LOGISTICS_TRACKING_AGGREGATOR_TOKEN", ""))


def tracking_poll_interval_hours() -> int:
    return int(getattr(settings, "LOGISTICS_TRACKING_POLL_HOURS", 6))
