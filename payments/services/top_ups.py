"""Gateway top-ups: opening one with the gateway, the webhooks that settle it, expiry.

A succeeded top-up credits the wallet once, from gateway clearing; every status change is
recorded on the top-up's timeline.
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import exceptions
from payments.adapters import get_gateway
from payments.adapters.base import GatewayNotification, PaymentStatus
from payments.models import Account, GatewayEvent, LedgerTransaction, TopUp, TopUpEvent
from payments.money import quantize
from payments.services import ledger
from payments.services.wallets import _require_currency
from procurement.accounts.models import Company, User
from procurement.core import states
from procurement.core.phrases import phrase

logger = logging.getLogger(__name__)

Kind = Account.Kind
TxKind = LedgerTransaction.Kind


def top_up_limits(currency: str) -> tuple[Decimal, Decimal]:
    low = Decimal(str(getattr(settings, "TOPUP_MIN_AMOUNT", "10")))
    high = Decimal(str(getattr(settings, "TOPUP_MAX_AMOUNT", "1000000")))
    return low, high


def top_up_ttl() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "TOPUP_TTL_MINUTES", 60)))


def top_up_create(
    *,
    company: Company,
    amount: Decimal,
    actor: User | None,
    currency: str | None = None,
    gateway: str | None = None,
) -> TopUp:
    """Open a pending top-up and register it with the gateway; `redirect_url` is the payment
    page to send the payer to. The gateway call happens outside any database transaction."""
    currency = currency or company.wallet_currency
    _require_currency(company, currency)
    amount = Decimal(amount)
    low, high = top_up_limits(currency)
    if amount != quantize(amount, currency) or not (low <= amount <= high):
        raise exceptions.InvalidAmount(
            _("Enter an amount between %(low)s and %(high)s %(currency)s.")
            % {"low": low, "high": high, "currency": currency}
        )
    adapter = get_gateway(gateway)
    with transaction.atomic():
        top_up = TopUp.objects.create(
            company=company,
            gateway=adapter.name,
            amount=amount,
            currency=currency,
            created_by=actor if actor is not None and actor.is_authenticated else None,
            expires_at=timezone.now() + top_up_ttl(),
        )
        TopUpEvent.objects.create(
            top_up=top_up,
            from_status="",
            to_status=TopUp.Status.PENDING,
            actor=top_up.created_by,
            reason=phrase("Top-up started"),
        )
    site = getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    try:
        created = adapter.create_payment(
            merchant_reference=top_up.reference,
            amount=amount,
            currency=currency,
            description=_("Wallet top-up for %(company)s") % {"company": company},
            return_url=site + reverse("payments:top-up-detail", args=[top_up.pk]),
            notify_url=site + reverse("payments:webhook", args=[adapter.name]),
        )
    except exceptions.GatewayError:
        top_up_transition(
            top_up=top_up, to_status=TopUp.Status.FAILED, reason=phrase("The gateway refused it")
        )
        raise
    TopUp.objects.filter(pk=top_up.pk).update(
        provider_reference=created.provider_reference, redirect_url=created.redirect_url
    )
    top_up.provider_reference = created.provider_reference
    top_up.redirect_url = created.redirect_url
    return top_up


@transaction.atomic
def top_up_transition(
    *,
    top_up: TopUp,
    to_status: str,
    actor: User | None = None,
    reason: str = "",
    gateway_event: GatewayEvent | None = None,
) -> TopUp:
    """The one place a top-up changes status (its table is `TopUp.TRANSITIONS`): lock, check,
    credit the wallet on success, save and record."""
    top_up = states.lock(top_up)
    if not top_up.can_become(to_status):
        raise states.refusal(top_up, to_status)
    changes = {}
    if to_status == TopUp.Status.SUCCEEDED:
        changes["transaction"] = ledger._post(
            kind=TxKind.TOP_UP,
            company=top_up.company,
            reference=top_up.reference,
            idempotency_key=f"{top_up.reference}:credit",
            legs=[
                (ledger._wallet_account(top_up.company, top_up.currency), top_up.amount),
                (
                    ledger._platform_account(Kind.GATEWAY_CLEARING, top_up.currency),
                    -top_up.amount,
                ),
            ],
            memo=_("Top-up via %(gateway)s") % {"gateway": top_up.gateway},
            actor=actor,
        )
    states.apply(
        top_up,
        to=to_status,
        actor=actor,
        reason=reason,
        changes=changes,
        event={"gateway_event": gateway_event},
    )
    return top_up


_STATUS_FOR = {
    PaymentStatus.SUCCEEDED: TopUp.Status.SUCCEEDED,
    PaymentStatus.FAILED: TopUp.Status.FAILED,
    PaymentStatus.EXPIRED: TopUp.Status.EXPIRED,
}


def gateway_webhook_handle(
    *, provider: str, headers: Mapping[str, str], body: bytes, path: str
) -> GatewayEvent:
    """Authenticate a provider's webhook and apply it once.

    Rejects (WebhookRejected) a bad signature or a timestamp outside the tolerance before
    touching the database. A replayed event id returns the first record and changes nothing. An
    event that does not fit the top-up's state (a "failed" after "succeeded") is recorded as
    ignored. The credit itself is idempotent per top-up, whatever arrives.
    """
    notification = get_gateway(provider).parse_webhook(headers=headers, body=body, path=path)
    return _gateway_event_apply(provider=provider, notification=notification)


@transaction.atomic
def _gateway_event_apply(*, provider: str, notification: GatewayNotification) -> GatewayEvent:
    replay = GatewayEvent.objects.filter(provider=provider, event_id=notification.event_id).first()
    if replay is not None:
        return replay
    top_up = (
        TopUp.objects.select_for_update()
        .filter(gateway=provider, provider_reference=notification.provider_reference)
        .first()
    )
    if top_up is None:
        outcome = GatewayEvent.Outcome.UNKNOWN_TOP_UP
    elif notification.status == PaymentStatus.SUCCEEDED and (
        notification.amount != top_up.amount or notification.currency != top_up.currency
    ):
        outcome = GatewayEvent.Outcome.MISMATCH
    elif top_up.can_become(_STATUS_FOR.get(notification.status)):
        outcome = GatewayEvent.Outcome.APPLIED
    else:
        outcome = GatewayEvent.Outcome.IGNORED
    try:
        with transaction.atomic():
            event = GatewayEvent.objects.create(
                provider=provider,
                event_id=notification.event_id,
                event_type=notification.event_type,
                payload=notification.payload,
                top_up=top_up,
                outcome=outcome,
                signed_at=notification.signed_at,
            )
    except IntegrityError:
        # A concurrent delivery of the same event committed first.
        return GatewayEvent.objects.get(provider=provider, event_id=notification.event_id)
    if outcome == GatewayEvent.Outcome.MISMATCH:
        logger.error("gateway event %s does not match top-up %s", event.event_id, top_up.pk)
    if outcome == GatewayEvent.Outcome.APPLIED:
        top_up_transition(
            top_up=top_up,
            to_status=_STATUS_FOR[notification.status],
            reason=phrase("Gateway: %(type)s", type=notification.event_type),
            gateway_event=event,
        )
    return event


def top_ups_expire(*, now: datetime | None = None) -> int:
    """Expire pending top-ups past their time; returns how many. Each in its own transaction."""
    now = now or timezone.now()
    count = 0
    for pk in TopUp.objects.filter(status=TopUp.Status.PENDING, expires_at__lt=now).values_list(
        "pk", flat=True
    ):
        try:
            top_up_transition(
                top_up=TopUp(pk=pk),
                to_status=TopUp.Status.EXPIRED,
                reason=phrase("No payment arrived in time"),
            )
            count += 1
        except exceptions.InvalidTransition:
            continue  # paid meanwhile
    return count
