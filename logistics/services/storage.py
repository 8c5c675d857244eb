"""Storage past the free period: monthly fees and the notice before they start."""

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from logistics import conf, rates
from logistics.models import StockItem, StorageCharge
from logistics.services.charges import storage_charge_settle
from payments import exceptions as payment_errors
from procurement.core.outbox import outbox_enqueue

logger = logging.getLogger(__name__)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def storage_fees_charge(*, today: date | None = None) -> int:
    """Charge one month of storage for every stored item past its free period, once per item
    per calendar month (key "storage:<item>:<YYYY-MM>"). Returns how many charges were made."""
    today = today or timezone.localdate()
    period = _month_start(today)
    fee_cny = conf.storage_fee_cny()
    items = (
        StockItem.objects.filter(
            status__in=[StockItem.Status.IN_STOCK, StockItem.Status.RESERVED],
            free_storage_until__lt=today,
        )
        .exclude(storage_charges__period=period)
        .select_related("company")
        .order_by("pk")
    )
    rate_by_currency: dict[str, Decimal | None] = {}
    made = 0
    for item in items.iterator(chunk_size=500):
        currency = item.company.wallet_currency
        if currency not in rate_by_currency:
            rate_by_currency[currency] = rates.cny_rate(currency)
        amount = rates.from_cny(fee_cny, currency=currency, rate=rate_by_currency[currency])
        key = f"storage:{item.pk}:{period:%Y-%m}"
        try:
            with transaction.atomic():
                charge = StorageCharge.objects.create(
                    item=item,
                    company_id=item.company_id,
                    period=period,
                    idempotency_key=key,
                    amount_cny=fee_cny,
                    amount=amount,
                    currency=currency,
                )
        except IntegrityError:
            continue  # Another run charged this item for this month first.
        try:
            with transaction.atomic():
                storage_charge_settle(charge)
        except payment_errors.PaymentsError as error:
            logger.warning("logistics: %s left unsettled: %s", key, error)
        made += 1
    return made


def storage_notices_send(*, today: date | None = None) -> int:
    """Tell each company, once per item, that storage fees start soon. Returns emails sent."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=conf.storage_notice_days())
    due = list(
        StockItem.objects.filter(
            status__in=[StockItem.Status.IN_STOCK, StockItem.Status.RESERVED],
            storage_notice_sent_at__isnull=True,
            free_storage_until__lte=horizon,
        )
        .select_related("company")
        .order_by("company_id", "free_storage_until", "pk")
    )
    by_company: dict[int, list[StockItem]] = {}
    for item in due:
        by_company.setdefault(item.company_id, []).append(item)
    sent = 0
    for company_id, items in by_company.items():
        item_ids = [item.pk for item in items]
        with transaction.atomic():
            marked = StockItem.objects.filter(
                pk__in=item_ids, storage_notice_sent_at__isnull=True
            ).update(storage_notice_sent_at=timezone.now())
            if not marked:
                continue
            outbox_enqueue(task="logistics.tasks.storage_notice_mail", args=[company_id, item_ids])
        sent += 1
    return sent
