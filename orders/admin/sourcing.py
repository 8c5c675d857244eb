"""Sourcing requests and quotes in the staff admin."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import services as catalog_services
from catalog.link_views import may_import
from catalog.links import link_preview
from catalog.models import CATEGORY_MAX_DEPTH, Category, OfferImport, Product
from orders import services
from orders.admin.common import MessageHistoryInline, NewMessageInline, _save_replies
from orders.models import (
    Message,
    SourcingPhoto,
    SourcingQuote,
    SourcingQuoteEvent,
    SourcingQuoteLine,
    SourcingRequest,
    SourcingRequestEvent,
)
from procurement.core.admin_base import ReadOnlyInline
from procurement.core.exceptions import DomainError


class SourcingPhotoInline(ReadOnlyInline):
    model = SourcingPhoto
    fields = ["preview"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Photo"))
    def preview(self, photo):
        return format_html('<a href="{0}"><img src="{0}" width="120" alt=""></a>', photo.image.url)


class SourcingRequestEventInline(ReadOnlyInline):
    model = SourcingRequestEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason_text"]
    readonly_fields = fields


class SourcingQuoteSummaryInline(ReadOnlyInline):
    model = SourcingQuote
    fields = ["link", "status", "valid_until", "sent_at"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Quote"))
    def link(self, quote):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_sourcingquote_change", args=[quote.pk]),
            quote,
        )


@admin.register(SourcingRequest)
class SourcingRequestAdmin(admin.ModelAdmin):
    """The account managers' queue of sourcing requests, oldest first."""

    list_display = ["__str__", "company", "status", "assigned_to", "created_at", "new_quote"]
    list_filter = ["status", "assigned_to"]
    search_fields = ["=id", "title", "company__legal_name"]
    list_select_related = ["company", "assigned_to"]
    ordering = ["created_at", "pk"]
    fields = [
        "company",
        "created_by",
        "status",
        "title",
        "description",
        "links_display",
        "product",
        "target_quantity",
        "target_unit_price",
        "target_currency",
        "assigned_to",
        "decline_reason",
    ]
    inlines = [
        SourcingPhotoInline,
        SourcingQuoteSummaryInline,
        SourcingRequestEventInline,
        MessageHistoryInline,
        NewMessageInline,
    ]

    change_form_template = "orders/admin/sourcingrequest_change_form.html"

    def get_readonly_fields(self, request, obj=None):
        return [name for name in self.fields if name != "assigned_to"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Each link with its preview once the offer is imported (title in Chinese for staff),
        and for a 1688 offer not imported yet, "Import this offer" for staff who may."""
        sourcing = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if sourcing is not None and sourcing.links:
            extra_context["link_previews"] = [
                (link, link_preview(link["url"], language="zh")) for link in sourcing.links
            ]
            if may_import(request.user):
                extra_context["import_categories"] = Category.objects.filter(
                    depth=CATEGORY_MAX_DEPTH
                ).order_by("name_en")
                last = OfferImport.objects.order_by("-pk").values("product__category").first()
                extra_context["import_category"] = last["product__category"] if last else None
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:pk>/import-offer/",
                self.admin_site.admin_view(self.import_offer_view),
                name="orders_sourcingrequest_import_offer",
            ),
            *super().get_urls(),
        ]

    def import_offer_view(self, request, pk: int):
        """Fetch a 1688 offer the request links to and import it (one click)."""
        if request.method != "POST" or not may_import(request.user):
            raise PermissionDenied
        sourcing = get_object_or_404(SourcingRequest, pk=pk)
        offer_id = request.POST.get("offer_id", "")
        linked = any(
            link.get("source") == Product.Source.ALIBABA_1688
            and link.get("external_id") == offer_id
            for link in sourcing.links
        )
        if not linked:
            raise PermissionDenied
        category = Category.objects.filter(
            pk=request.POST.get("category") or None, depth=CATEGORY_MAX_DEPTH
        ).first()
        try:
            _product, created = catalog_services.offer_import_from_platform(
                offer_id=offer_id, category=category, actor=request.user, language="en"
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(
                request,
                _("Offer %(id)s imported.") % {"id": offer_id}
                if created
                else _("Offer %(id)s updated.") % {"id": offer_id},
            )
        return redirect("admin:orders_sourcingrequest_change", sourcing.pk)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("Links"))
    def links_display(self, obj):
        return format_html_join(
            "",
            '<div><a href="{}" rel="noopener noreferrer">{} {}</a></div>',
            ((link["url"], link["site"], link["external_id"]) for link in obj.links),
        )

    @admin.display(description=gettext_lazy("Quote"))
    def new_quote(self, obj):
        if not obj.can_become(SourcingRequest.Status.QUOTED):
            return "—"
        url = reverse("admin:orders_sourcingquote_add") + f"?request={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Prepare a quote"))

    def save_formset(self, request, form, formset, change):
        if formset.model is Message:
            _save_replies(request, formset, thread={"sourcing_request": form.instance})
            return
        super().save_formset(request, form, formset, change)


class SourcingQuoteLineInline(admin.TabularInline):
    model = SourcingQuoteLine
    extra = 1
    fields = [
        "description",
        "supplier",
        "product",
        "sku",
        "unit_price_cny",
        "moq",
        "quantity",
        "lead_time_days",
    ]
    autocomplete_fields = []
    raw_id_fields = ["product", "sku"]

    def _draft(self, obj) -> bool:
        return obj is None or obj.can_be_sent  # a draft: once sent a quote is fixed

    def has_add_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_delete_permission(request, obj)


class SourcingQuoteEventInline(ReadOnlyInline):
    model = SourcingQuoteEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason_text"]
    readonly_fields = fields


@admin.register(SourcingQuote)
class SourcingQuoteAdmin(admin.ModelAdmin):
    """Drafts are edited here; "Send to the merchant" fixes the quote and tells the merchant."""

    list_display = ["__str__", "request", "status", "valid_until", "sent_at"]
    list_filter = ["status"]
    list_select_related = ["request"]
    fields = ["request", "valid_until", "note", "status", "created_by", "sent_at", "decided_at"]
    raw_id_fields = ["request"]
    inlines = [SourcingQuoteLineInline, SourcingQuoteEventInline]
    change_form_template = "orders/admin/sourcingquote_change_form.html"

    def get_readonly_fields(self, request, obj=None):
        fixed = ["status", "created_by", "sent_at", "decided_at"]
        if obj is not None and not obj.can_be_sent:
            return ["request", "valid_until", "note", *fixed]
        return fixed

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("valid_until", services.quote_default_validity())
        return initial

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path(
                "<int:pk>/send/",
                self.admin_site.admin_view(self.send_view),
                name="orders_sourcingquote_send",
            ),
            *super().get_urls(),
        ]

    def send_view(self, request, pk: int):
        if request.method != "POST" or not request.user.has_perm("orders.quote_sourcingrequest"):
            raise PermissionDenied
        quote = get_object_or_404(SourcingQuote, pk=pk)
        try:
            services.sourcing_quote_send(quote=quote, actor=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, _("Quote sent to the merchant."))
        return redirect("admin:orders_sourcingquote_change", quote.pk)
