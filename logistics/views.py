"""Merchant pages for logistics (scoped to request.company) and the tracking webhook."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from logistics import conf, rates, selectors, services, webhooks
from logistics.adapters.tracking import TrackingProviderError, tracking_adapter
from logistics.documents.parcels import document_links
from logistics.exceptions import WebhookRejected
from logistics.forms import (
    AddressForm,
    ChannelCompareForm,
    DeclarationCurrencyForm,
    InboundDeclareForm,
    MerchantDeclarationFormSet,
    ParcelForm,
)
from logistics.models import Address, InboundParcel, Parcel, StockItem
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability, role_can
from procurement.core.exceptions import DomainError

LOGISTICS = gettext_lazy("Logistics")


def _crumbs(*pairs):
    return [(LOGISTICS, reverse("logistics:stock-list")), *pairs]


def _validation_messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            field: [str(m) for m in errs[0].messages] for field, errs in error.error_dict.items()
        }
    return {None: error.messages}


# --- Compare channels ----------------------------------------------------------------------------


@company_required()
@require_GET
def channel_compare(request):
    company = request.company
    form = ChannelCompareForm(request.GET or None, initial={"destination": company.country.code})
    quotes = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        quotes = rates.quote_channels(
            destination_country=str(data["destination"]),
            weight_kg=data["weight_kg"],
            length_cm=data["length_cm"],
            width_cm=data["width_cm"],
            height_cm=data["height_cm"],
            restricted=set(data["restricted"]),
            currency=company.wallet_currency,
            channels=selectors.channels_for_company(company=company),
        )
    template = "logistics/channel_compare.html"
    if request.htmx:
        template += "#channel-results"
    return render(
        request,
        template,
        {
            "form": form,
            "quotes": quotes,
            "currency": company.wallet_currency,
            "crumbs": _crumbs((_("Compare shipping channels"), None)),
        },
    )


# --- Address book --------------------------------------------------------------------------------


@company_required()
def address_list(request):
    return render(
        request,
        "logistics/address_list.html",
        {
            "addresses": selectors.addresses_of(company=request.company),
            "crumbs": _crumbs((_("Address book"), None)),
        },
    )


def _address_form_page(request, *, address: Address | None):
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        fields = {key: form.cleaned_data[key] for key in services.ADDRESS_FIELDS}
        try:
            if address is None:
                services.address_create(company=request.company, **fields)
            else:
                services.address_update(address=address, **fields)
        except ValidationError as error:
            for field, texts in _validation_messages(error).items():
                for text in texts:
                    form.add_error(field, text)
        else:
            messages.success(request, _("Address saved."))
            return redirect("logistics:address-list")
    title = _("New address") if address is None else _("Edit address")
    return render(
        request,
        "logistics/address_form.html",
        {
            "form": form,
            "address": address,
            "title": title,
            "crumbs": _crumbs(
                (_("Address book"), reverse("logistics:address-list")), (title, None)
            ),
        },
    )


@company_required(Capability.BUY)
def address_create(request):
    return _address_form_page(request, address=None)


@company_required(Capability.BUY)
def address_edit(request, pk: int):
    address = get_object_or_404(selectors.addresses_of(company=request.company), pk=pk)
    return _address_form_page(request, address=address)


@company_required(Capability.BUY)
@require_POST
def address_archive(request, pk: int):
    address = get_object_or_404(selectors.addresses_of(company=request.company), pk=pk)
    services.address_archive(address=address)
    messages.success(request, _("Address removed from your address book."))
    return redirect("logistics:address-list")


# --- Stock ---------------------------------------------------------------------------------------


@company_required()
def stock_list(request):
    status = request.GET.get("status") or ""
    if status not in StockItem.Status.values:
        status = ""
    return render(
        request,
        "logistics/stock_list.html",
        {
            "items": selectors.stock_of(company=request.company, status=status or None),
            "status": status,
            "statuses": StockItem.Status.choices,
            "crumbs": [(LOGISTICS, None), (_("Stock"), None)],
        },
    )


@company_required()
def stock_detail(request, pk: int):
    item = get_object_or_404(selectors.stock_of(company=request.company), pk=pk)
    return render(
        request,
        "logistics/stock_detail.html",
        {
            "item": item,
            "crumbs": _crumbs(
                (_("Stock"), reverse("logistics:stock-list")), (item.description, None)
            ),
        },
    )


# --- Inbound parcels (forwarding) ----------------------------------------------------------------


@company_required()
def inbound_list(request):
    return render(
        request,
        "logistics/inbound_list.html",
        {
            "inbound": selectors.inbound_of(company=request.company),
            "forwarding": request.company.uses_forwarding,
            "crumbs": _crumbs((_("Inbound parcels"), None)),
        },
    )


@company_required(Capability.BUY)
def inbound_create(request):
    company = request.company
    if not company.uses_forwarding:
        messages.error(
            request, _("Declaring your own parcels is part of the logistics forwarding service.")
        )
        return redirect("logistics:inbound-list")
    form = InboundDeclareForm(
        request.POST or None,
        warehouses=selectors.warehouses_active(),
        currency=company.wallet_currency,
    )
    if request.method == "POST" and form.is_valid():
        try:
            inbound = services.inbound_declare(
                company=company, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            for field, texts in _validation_messages(error).items():
                for text in texts:
                    form.add_error(field if field in form.fields else None, text)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Inbound parcel %(number)s declared. Send it to the warehouse address shown.")
                % {"number": inbound.tracking_number},
            )
            return redirect("logistics:inbound-list")
    return render(
        request,
        "logistics/inbound_form.html",
        {
            "form": form,
            "warehouses": selectors.warehouses_active(),
            "crumbs": _crumbs(
                (_("Inbound parcels"), reverse("logistics:inbound-list")),
                (_("Declare a parcel"), None),
            ),
        },
    )


@company_required(Capability.BUY)
@require_POST
def inbound_cancel(request, pk: int):
    inbound = get_object_or_404(InboundParcel, pk=pk, company=request.company)
    try:
        services.inbound_cancel(inbound=inbound, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Inbound parcel cancelled."))
    return redirect("logistics:inbound-list")


# --- Parcels -------------------------------------------------------------------------------------


@company_required()
def parcel_list(request):
    return render(
        request,
        "logistics/parcel_list.html",
        {
            "parcels": selectors.parcels_of(company=request.company),
            "crumbs": _crumbs((_("Parcels"), None)),
        },
    )


@company_required(Capability.BUY)
def parcel_create(request):
    company = request.company
    form = ParcelForm(
        request.POST or None,
        items=selectors.stock_available(company=company),
        destinations=selectors.destinations_for_company(company=company),
        channels=selectors.channels_for_company(company=company),
        currency=company.wallet_currency,
        initial={"items": request.GET.getlist("item")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            parcel = services.parcel_create(
                company=company,
                actor=request.user,
                destination=data["destination"],
                channel=data["channel"],
                item_ids=[item.pk for item in data["items"]],
                insured_value=data["insured_value"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Parcel %(ref)s drafted. Check the estimate, then request packing.")
                % {"ref": parcel.reference},
            )
            return redirect("logistics:parcel-detail", pk=parcel.pk)
    return render(
        request,
        "logistics/parcel_form.html",
        {
            "form": form,
            "has_addresses": selectors.destinations_for_company(company=company).exists(),
            "crumbs": _crumbs(
                (_("Parcels"), reverse("logistics:parcel-list")), (_("New parcel"), None)
            ),
        },
    )


def _parcel_or_404(request, pk: int) -> Parcel:
    try:
        return selectors.parcel_detail(company=request.company, pk=pk)
    except Parcel.DoesNotExist:
        raise Http404 from None


def can_edit_declaration(request, parcel: Parcel) -> bool:
    """The merchant's roles that prepare parcels (request packing) correct their declaration,
    until packing locks it."""
    return services.declaration_open(parcel) and role_can(request.membership.role, Capability.BUY)


def parcel_page(request, parcel: Parcel, *, declaration_forms=None):
    """The parcel's page; `declaration_forms` are the merchant's refused corrections, shown
    with their errors in place of fresh ones."""
    items = list(parcel.items.all())
    quote = charge = None
    if parcel.status == Parcel.Status.DRAFT and items:
        charge = services.parcel_packing_charge(parcel=parcel, items=items)
        quote = charge.quote
    editable = services.declaration_open(parcel)
    if declaration_forms is None and can_edit_declaration(request, parcel):
        declaration_forms = MerchantDeclarationFormSet(
            queryset=parcel.declaration.all(), prefix="line"
        )
    return render(
        request,
        "logistics/parcel_detail.html",
        {
            "parcel": parcel,
            "items": items,
            "quote": quote,
            "charge": charge,
            "declaration": list(parcel.declaration.all()),
            "declaration_forms": declaration_forms,
            "declaration_locked": not editable and parcel.status != Parcel.Status.CANCELLED,
            "declaration_problems": services.declaration_problems(parcel=parcel)
            if editable
            else [],
            "thresholds": services.thresholds_for(parcel=parcel),
            "currency_form": DeclarationCurrencyForm(
                initial={"currency": parcel.declaration_currency},
                currencies=services.declaration_currencies(parcel),
            )
            if editable
            else None,
            "documents": document_links(parcel),
            "can_request_packing": parcel.can_become(Parcel.Status.PACKING_REQUESTED),
            "can_cancel": parcel.can_become(Parcel.Status.CANCELLED),
            "crumbs": _crumbs(
                (_("Parcels"), reverse("logistics:parcel-list")), (parcel.reference, None)
            ),
        },
    )


@company_required()
def parcel_detail(request, pk: int):
    return parcel_page(request, _parcel_or_404(request, pk))


@company_required(Capability.BUY)
@require_POST
def parcel_request_packing(request, pk: int):
    parcel = get_object_or_404(Parcel, pk=pk, company=request.company)
    try:
        services.parcel_request_packing(parcel=parcel, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Packing requested. We will weigh and measure the parcel."))
    return redirect("logistics:parcel-detail", pk=parcel.pk)


@company_required(Capability.BUY)
@require_POST
def parcel_cancel(request, pk: int):
    parcel = get_object_or_404(Parcel, pk=pk, company=request.company)
    try:
        services.parcel_cancel(parcel=parcel, actor=request.user, reason=_("Cancelled by merchant"))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Parcel cancelled; its items are back in stock."))
    return redirect("logistics:parcel-detail", pk=parcel.pk)


# --- Tracking webhook ----------------------------------------------------------------------------


@csrf_exempt
@require_POST
def tracking_webhook(request, provider: str):
    """Pushed carrier events. Signed (see logistics/webhooks.py), idempotent by event id."""
    try:
        adapter = tracking_adapter(provider)
    except KeyError:
        raise Http404 from None
    body = request.body
    try:
        webhooks.verify(
            secret=conf.tracking_webhook_secret(),
            timestamp=request.headers.get(webhooks.TIMESTAMP_HEADER),
            signature=request.headers.get(webhooks.SIGNATURE_HEADER),
            body=body,
            tolerance_seconds=conf.tracking_webhook_tolerance_seconds(),
        )
        try:
            payload = json.loads(body)
            updates = adapter.parse_push(payload)
        except (ValueError, TrackingProviderError, AttributeError):
            raise WebhookRejected(_("Malformed payload."), status=400) from None
        created = sum(
            services.tracking_events_record(provider=adapter.name, update=update)
            for update in updates
        )
    except WebhookRejected as error:
        return JsonResponse({"error": str(error.message)}, status=error.status)
    return JsonResponse({"created": created})
