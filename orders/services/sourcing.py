"""Sourcing requests and their quotes (create, send, accept into an order, decline) and the
message threads of orders and sourcing requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.exceptions import UnsupportedLink
from catalog.links import parse_product_link
from catalog.models import Product
from orders import conf, exceptions, webhooks
from orders.models import (
    Message,
    Order,
    SourcingPhoto,
    SourcingQuote,
    SourcingQuoteLine,
    SourcingRequest,
    SourcingRequestEvent,
)
from orders.services.checkout import NewLine, _order_create
from orders.services.status import _require
from procurement.accounts.models import Company, Membership, User
from procurement.accounts.roles import Capability, role_can
from procurement.core import states
from procurement.core.outbox import outbox_enqueue
from procurement.core.phrases import phrase

RS = SourcingRequest.Status
QS = SourcingQuote.Status


def parse_links(text: str) -> tuple[list[dict], list[str]]:
    """Parsed links (as stored) and the errors, one per bad line."""
    links, errors = [], []
    for raw in (text or "").splitlines():
        raw = raw.strip()
        if not raw:
            continue
        try:
            parsed = parse_product_link(raw)
        except UnsupportedLink as error:
            errors.append(f"{raw[:80]}: {error}")
            continue
        links.append(
            {
                "source": parsed.source,
                "site": parsed.site,
                "external_id": parsed.external_id,
                "url": parsed.canonical_url,
            }
        )
    return links, errors


@transaction.atomic
def sourcing_request_create(
    *,
    company: Company,
    actor: User,
    title: str,
    description: str = "",
    links_text: str = "",
    target_quantity: int | None = None,
    target_unit_price: Decimal | None = None,
    photos: Sequence[UploadedFile] = (),
    product: Product | None = None,
) -> SourcingRequest:
    """A merchant asks for a quote: links to 1688/Taobao/Tmall products, or a description and
    photos. Photos are checked by the caller's form (type, size, a real image)."""
    links, errors = parse_links(links_text)
    if errors:
        raise exceptions.OrdersError(" ".join(errors))
    if not (links or description.strip() or photos or product):
        raise exceptions.OrdersError(_("Paste a product link, or describe the product."))
    if len(photos) > conf.sourcing_max_photos():
        raise exceptions.OrdersError(
            _("Add at most %(n)s photos.") % {"n": conf.sourcing_max_photos()}
        )
    request = SourcingRequest.objects.create(
        company=company,
        created_by=actor,
        title=title.strip()[:200],
        description=description.strip(),
        links=links,
        product=product,
        target_quantity=target_quantity,
        target_unit_price=target_unit_price,
        target_currency=company.wallet_currency if target_unit_price is not None else "",
        assigned_to=company.account_manager,
    )
    for upload in photos:
        photo = SourcingPhoto(request=request, image=upload)
        photo.full_clean(exclude=["request"])
        photo.save()
    SourcingRequestEvent.objects.create(
        request=request, actor=actor, from_status="", to_status=RS.SUBMITTED
    )
    return request


def quote_default_validity():
    """When a new quote stops being valid unless the account manager says otherwise."""
    return timezone.now() + timedelta(days=conf.quote_validity_days())


@transaction.atomic
def sourcing_quote_send(*, quote: SourcingQuote, actor: User) -> SourcingQuote:
    """Send a drafted quote to the merchant: earlier quotes are superseded, the request becomes
    quoted, the merchant is told by mail."""
    _require(actor, "quote_sourcingrequest")
    request = SourcingRequest.objects.select_for_update().get(pk=quote.request_id)
    quote = SourcingQuote.objects.select_for_update().get(pk=quote.pk)
    if not quote.can_become(QS.SENT):
        raise exceptions.InvalidTransition(_("This quote was already sent."))
    if not quote.lines.exists():
        raise exceptions.OrdersError(_("Add at least one line to the quote."))
    if quote.is_expired:
        raise exceptions.OrdersError(_("Set a validity date in the future."))
    now = timezone.now()
    earlier = SourcingQuote.objects.select_for_update().filter(request=request, status=QS.SENT)
    for sent in earlier.order_by("pk"):
        states.apply(
            sent,
            to=QS.SUPERSEDED,
            actor=actor,
            reason=phrase("Quote %(q)s sent", q=quote),  # the one that replaces it
            changes={"decided_at": now},
        )
    states.apply(quote, to=QS.SENT, actor=actor, changes={"sent_at": now})
    states.apply(request, to=RS.QUOTED, actor=actor, reason=phrase("Quote %(q)s sent", q=quote))
    outbox_enqueue(task="orders.tasks.sourcing_quote_ready", args=[quote.pk])
    webhooks.quote_ready(quote)
    return quote


@transaction.atomic
def sourcing_quote_accept(
    *, quote: SourcingQuote, actor: User, membership: Membership | None
) -> Order:
    """The merchant accepts a quote: it becomes an order at the quoted prices (once). An expired
    or superseded quote cannot be accepted."""
    request = SourcingRequest.objects.select_for_update().get(pk=quote.request_id)
    quote = SourcingQuote.objects.select_for_update().get(pk=quote.pk)
    if (
        membership is None
        or membership.company_id != request.company_id
        or not role_can(membership.role, Capability.BUY)
    ):
        raise exceptions.PermissionRefused
    existing = quote.orders.first()
    if existing is not None:
        return existing
    if not quote.can_become(QS.ACCEPTED):
        raise exceptions.QuoteNotAcceptable
    if quote.is_expired:
        raise exceptions.QuoteNotAcceptable(
            _("This quote expired. Ask your account manager for a new one.")
        )
    lines = [
        NewLine(
            supplier=line.supplier,
            product=line.product,
            sku=line.sku,
            description=line.description,
            quantity=line.quantity,
            unit_price_cny=line.unit_price_cny,
        )
        for line in quote.lines.select_related("supplier", "product", "sku").order_by("pk")
    ]
    order = _order_create(
        company=request.company,
        actor=actor,
        membership=membership,
        lines=lines,
        checkout_key=f"sourcing-quote:{quote.pk}",
        source=Order.Source.QUOTE,
        sourcing_quote=quote,
    )
    reason = phrase("Quote %(q)s accepted: order %(number)s", q=quote, number=order.number)
    states.apply(
        quote, to=QS.ACCEPTED, actor=actor, reason=reason, changes={"decided_at": timezone.now()}
    )
    states.apply(request, to=RS.ACCEPTED, actor=actor, reason=reason)
    return order


@transaction.atomic
def sourcing_quote_decline(
    *, quote: SourcingQuote, actor: User, membership: Membership | None, reason: str
) -> SourcingQuote:
    reason = (reason or "").strip()
    if not reason:
        raise exceptions.OrdersError(_("Tell us why, so we can find something better."))
    request = SourcingRequest.objects.select_for_update().get(pk=quote.request_id)
    quote = SourcingQuote.objects.select_for_update().get(pk=quote.pk)
    if (
        membership is None
        or membership.company_id != request.company_id
        or not role_can(membership.role, Capability.BUY)
    ):
        raise exceptions.PermissionRefused
    if not quote.can_become(QS.DECLINED):
        raise exceptions.QuoteNotAcceptable
    states.apply(
        quote, to=QS.DECLINED, actor=actor, reason=reason, changes={"decided_at": timezone.now()}
    )
    states.apply(
        request, to=RS.DECLINED, actor=actor, reason=reason, changes={"decline_reason": reason}
    )
    return quote


@transaction.atomic
def sourcing_quote_create(
    *,
    request: SourcingRequest,
    actor: User,
    lines: Sequence[Mapping],
    valid_until=None,
    note: str = "",
) -> SourcingQuote:
    """A draft quote with its lines (dicts of SourcingQuoteLine fields); send it with
    sourcing_quote_send. The admin edits drafts with inlines; tests and scripts use this."""
    _require(actor, "quote_sourcingrequest")
    quote = SourcingQuote.objects.create(
        request=request,
        valid_until=valid_until or quote_default_validity(),
        note=note,
        created_by=actor,
    )
    for values in lines:
        line = SourcingQuoteLine(quote=quote, **values)
        line.full_clean(exclude=["quote"])
        line.save()
    return quote


@transaction.atomic
def message_post(
    *,
    author: User,
    body: str,
    order: Order | None = None,
    sourcing_request: SourcingRequest | None = None,
    from_staff: bool = False,
) -> Message:
    """Post to the thread of an order or a sourcing request; the other side gets a mail."""
    body = (body or "").strip()
    if not body:
        raise exceptions.OrdersError(_("Write a message."))
    if (order is None) == (sourcing_request is None):
        raise ValueError("a message belongs to exactly one thread")
    message = Message.objects.create(
        author=author,
        body=body,
        order=order,
        sourcing_request=sourcing_request,
        from_staff=from_staff,
    )
    outbox_enqueue(task="orders.tasks.message_posted", args=[message.pk])
    return message
