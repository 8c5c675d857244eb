"""The merchant's store pages (connections, their orders, variant mapping) and the endpoint the
stores send their webhooks to."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from logistics import selectors as logistics_selectors
from orders.stores import conf, forms, selectors, services
from orders.stores.models import StoreConnection, StoreOrder, VariantLink
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability, role_can
from procurement.core.exceptions import DomainError


def _crumbs(*pairs):
    return [(_("Dashboard"), reverse("dashboard")), (_("Stores"), reverse("stores:list")), *pairs]


def _connection_or_404(request, pk: int) -> StoreConnection:
    try:
        return selectors.connection_for_company(company=request.company, pk=pk)
    except StoreConnection.DoesNotExist:
        raise Http404 from None


def _can(request, capability: Capability) -> bool:
    return bool(request.membership and role_can(request.membership.role, capability))


@company_required(Capability.VIEW)
def store_list(request):
    return render(
        request,
        "stores/store_list.html",
        {
            "connections": selectors.connections_for_company(company=request.company),
            "can_connect": _can(request, Capability.EDIT_COMPANY),
            "crumbs": _crumbs(),
        },
    )


@company_required(Capability.EDIT_COMPANY)
def store_connect(request):
    channels = logistics_selectors.channels_for_company(company=request.company)
    form = forms.ConnectForm(request.POST or None, channels=channels)
    if request.method == "POST" and form.is_valid():
        try:
            connection = services.store_connect(
                company=request.company, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Store %(name)s connected.") % {"name": connection.name})
            return redirect("stores:detail", connection.pk)
    return render(
        request,
        "stores/store_connect.html",
        {"form": form, "crumbs": _crumbs((_("Connect a store"), ""))},
    )


@company_required(Capability.VIEW)
def store_detail(request, pk: int):
    connection = _connection_or_404(request, pk)
    status = request.GET.get("status", "")
    if status not in StoreOrder.Status.values:
        status = ""
    page = Paginator(
        selectors.store_orders(company=request.company, connection=connection, status=status),
        selectors.ORDERS_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    template = "stores/store_detail.html"
    if request.htmx and request.htmx.target == "store-orders":
        template += "#store-orders"
    channels = logistics_selectors.channels_for_company(company=request.company)
    settings_form = forms.SettingsForm(
        initial={
            "shipping_channel": connection.shipping_channel,
            "auto_pay": connection.auto_pay,
            "auto_pay_limit": connection.auto_pay_limit,
            "notify_customer": connection.notify_customer,
            "markup_percent": connection.markup_percent,
            "brand_name": connection.brand_name,
        },
        channels=channels,
    )
    return render(
        request,
        template,
        {
            "connection": connection,
            "page": page,
            "status": status,
            "statuses": StoreOrder.Status.choices,
            "settings_form": settings_form,
            "can_manage": _can(request, Capability.EDIT_COMPANY),
            "can_buy": _can(request, Capability.BUY),
            "fake_stores": conf.use_fakes(),
            "unmapped": selectors.variant_links(connection=connection, unmapped_only=True).count(),
            "crumbs": _crumbs((connection.name, "")),
        },
    )


@company_required(Capability.EDIT_COMPANY)
@require_POST
def store_settings(request, pk: int):
    connection = _connection_or_404(request, pk)
    channels = logistics_selectors.channels_for_company(company=request.company)
    form = forms.SettingsForm(request.POST, channels=channels)
    if form.is_valid():
        try:
            services.connection_update(connection=connection, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Settings saved."))
    else:
        messages.error(
            request,
            _("Check the settings: %(errors)s")
            % {"errors": " ".join(str(e) for errors in form.errors.values() for e in errors)},
        )
    return redirect("stores:detail", connection.pk)


def _action(request, pk: int, run, done: str):
    connection = _connection_or_404(request, pk)
    try:
        run(connection=connection, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return connection


@company_required(Capability.EDIT_COMPANY)
def store_channels(request, pk: int):
    """The channel per destination country: each rule checked against what the channel
    carries where; the store's mapped products it refuses are named, as their orders wait."""
    connection = _connection_or_404(request, pk)
    channels = logistics_selectors.channels_for_company(company=request.company)
    form = forms.ChannelRuleForm(request.POST or None, channels=channels)
    if request.method == "POST" and form.is_valid():
        channel = form.cleaned_data["channel"]
        try:
            rule = services.channel_rule_set(
                connection=connection, country=form.cleaned_data["country"], channel=channel
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _("Orders to %(country)s go by %(channel)s.")
                % {"country": rule.country.name, "channel": channel},
            )
            refused = selectors.products_refused_by(connection=connection, channel=channel)
            if refused:
                messages.warning(
                    request,
                    _(
                        "%(channel)s does not carry the hazards of: %(products)s. Their orders "
                        "to %(country)s will wait."
                    )
                    % {
                        "channel": channel,
                        "products": ", ".join(refused),
                        "country": rule.country.name,
                    },
                )
            return redirect("stores:channels", connection.pk)
    return render(
        request,
        "stores/store_channels.html",
        {
            "connection": connection,
            "rules": selectors.channel_rules(connection=connection),
            "form": form,
            "crumbs": _crumbs(
                (connection.name, reverse("stores:detail", args=[connection.pk])),
                (_("Channels per country"), ""),
            ),
        },
    )


@company_required(Capability.EDIT_COMPANY)
@require_POST
def store_channel_remove(request, pk: int):
    connection = _connection_or_404(request, pk)
    if services.channel_rule_remove(connection=connection, country=request.POST.get("country", "")):
        messages.success(request, _("Rule removed: those orders go by the default channel."))
    return redirect("stores:channels", connection.pk)


@company_required(Capability.EDIT_COMPANY)
@require_POST
def store_pause(request, pk: int):
    connection = _action(request, pk, services.connection_pause, _("Store paused."))
    return redirect("stores:detail", connection.pk)


@company_required(Capability.EDIT_COMPANY)
@require_POST
def store_resume(request, pk: int):
    connection = _action(request, pk, services.connection_resume, _("Store active again."))
    return redirect("stores:detail", connection.pk)


@company_required(Capability.EDIT_COMPANY)
@require_POST
def store_remove(request, pk: int):
    _action(request, pk, services.connection_remove, _("Store removed."))
    return redirect("stores:list")


@company_required(Capability.VIEW)
def store_mapping(request, pk: int):
    connection = _connection_or_404(request, pk)
    unmapped_only = request.GET.get("show") != "all"
    return render(
        request,
        "stores/store_mapping.html",
        {
            "connection": connection,
            "links": selectors.variant_links(connection=connection, unmapped_only=unmapped_only),
            "unmapped_only": unmapped_only,
            "can_buy": _can(request, Capability.BUY),
            "crumbs": _crumbs(
                (connection.name, reverse("stores:detail", args=[connection.pk])),
                (_("Variant mapping"), ""),
            ),
        },
    )


@company_required(Capability.BUY)
@require_POST
def variant_map(request, pk: int):
    try:
        link = selectors.variant_link_for_company(company=request.company, pk=pk)
    except VariantLink.DoesNotExist:
        raise Http404 from None
    form = forms.MapForm(request.POST)
    if form.is_valid():
        try:
            services.variant_link_map(link=link, sku_code=form.cleaned_data["sku_code"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Variant %(title)s mapped.") % {"title": link.title})
    return redirect(reverse("stores:mapping", args=[link.connection_id]))


def _store_order_or_404(request, pk: int) -> StoreOrder:
    try:
        return selectors.store_order_for_company(company=request.company, pk=pk)
    except StoreOrder.DoesNotExist:
        raise Http404 from None


@company_required(Capability.VIEW)
def store_order_detail(request, pk: int):
    """One store order: its lines, what ships from the merchant's stock and what is bought,
    the portal order and parcel, and its timeline."""
    store_order = _store_order_or_404(request, pk)
    return render(
        request,
        "stores/store_order_detail.html",
        {
            "store_order": store_order,
            "connection": store_order.connection,
            "can_buy": _can(request, Capability.BUY),
            "crumbs": _crumbs(
                (
                    store_order.connection.name,
                    reverse("stores:detail", args=[store_order.connection_id]),
                ),
                (store_order.number, ""),
            ),
        },
    )


@company_required(Capability.BUY)
@require_POST
def store_order_retry(request, pk: int):
    store_order = _store_order_or_404(request, pk)
    try:
        store_order = services.store_order_retry(store_order=store_order)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.info(
            request,
            _("%(number)s: %(status)s")
            % {"number": store_order.number, "status": store_order.get_status_display()},
        )
    return redirect("stores:detail", store_order.connection_id)


@company_required(Capability.BUY)
@require_POST
def store_order_decide(request, pk: int):
    store_order = _store_order_or_404(request, pk)
    try:
        services.store_order_cancel_decide(
            store_order=store_order, actor=request.user, cancel=request.POST.get("cancel") == "1"
        )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("stores:detail", store_order.connection_id)


@csrf_exempt
@require_POST
def webhook(request, token: str):
    """Where the stores POST their webhooks: verified by signature, one receipt per delivery."""
    try:
        outcome = services.store_webhook_receive(
            token=token, body=request.body, headers=request.headers
        )
    except DomainError as error:
        return HttpResponse(str(error.message), status=error.status, content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")


@company_required(Capability.BUY)
@require_POST
def product_publish(request, pk: int):
    """Publish a portal product (by id, from the catalog) to the store as a draft."""
    from catalog import selectors as catalog_selectors

    connection = _connection_or_404(request, pk)
    product = (
        catalog_selectors.products_visible()
        .filter(
            pk=request.POST.get("product_id") if request.POST.get("product_id", "").isdigit() else 0
        )
        .first()
    )
    if product is None:
        messages.error(request, _("Choose a product of the catalog."))
        return redirect("stores:detail", connection.pk)
    try:
        links = services.product_publish(connection=connection, product=product)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(title)s is in your store as a draft with %(n)s variants.")
            % {"title": product.title_en, "n": len(links)},
        )
    return redirect("stores:detail", connection.pk)


@company_required(Capability.EDIT_COMPANY)
@require_POST
def store_credentials(request, pk: int):
    """New credentials for a store that refused the old ones: checked, then the store is active
    again with its webhooks registered anew."""
    connection = _connection_or_404(request, pk)
    form = forms.CredentialsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the store's API credentials."))
        return redirect("stores:detail", connection.pk)
    try:
        services.connection_credentials_update(
            connection=connection, actor=request.user, **form.cleaned_data
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Store active again."))
    return redirect("stores:detail", connection.pk)


@company_required(Capability.BUY)
@require_POST
def store_demo_order(request, pk: int):
    """With the fake stores only (`make run`): a customer orders in the demo store, whose
    signed webhook is taken in as the real endpoint takes it."""
    from orders.stores.adapters.demo import demo_order_webhook

    if not conf.use_fakes():
        raise Http404
    connection = _connection_or_404(request, pk)
    try:
        body, headers = demo_order_webhook(connection)
        outcome = services.store_webhook_receive(
            token=connection.webhook_token, body=body, headers=headers
        )
    except (LookupError, DomainError) as error:
        messages.error(request, str(getattr(error, "message", error)))
    else:
        messages.info(
            request, _("The demo store sent an order (%(outcome)s).") % {"outcome": outcome}
        )
    return redirect("stores:detail", connection.pk)
