"""Staff admin: channels and rates (account managers), receiving, packing and shipping
(warehouse). Status changes go through the services; no status field is editable here."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from logistics import services
from logistics.forms import InboundReceiveForm, MeasureForm, ShipForm
from logistics.models import (
    Address,
    FreightCharge,
    InboundParcel,
    InboundParcelEvent,
    Parcel,
    ParcelEvent,
    RateZone,
    ShippingChannel,
    StockItem,
    StockPhoto,
    StorageCharge,
    TrackingEvent,
    Warehouse,
)
from logistics.photos import photo_check
from procurement.core.admin_base import ReadOnlyAdmin, ReadOnlyInline
from procurement.core.exceptions import DomainError


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "region", "is_active"]
    search_fields = ["code", "name", "city"]


class RateZoneInline(admin.TabularInline):
    model = RateZone
    extra = 1
    fields = [
        "name",
        "countries",
        "first_weight_kg",
        "first_price_cny",
        "additional_unit_kg",
        "additional_price_cny",
        "max_weight_kg",
    ]


@admin.register(ShippingChannel)
class ShippingChannelAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "carrier",
        "name",
        "service",
        "volumetric_divisor",
        "transit_days_min",
        "transit_days_max",
        "is_active",
    ]
    list_filter = ["service", "is_active", "volumetric_divisor", "carrier"]
    search_fields = ["code", "carrier", "name"]
    inlines = [RateZoneInline]
    fieldsets = (
        (None, {"fields": ("code", "carrier", "name", "service", "is_active")}),
        (
            gettext_lazy("Where and how fast"),
            {"fields": ("countries", ("transit_days_min", "transit_days_max"))},
        ),
        (gettext_lazy("Weight"), {"fields": ("volumetric_divisor",)}),
        (
            gettext_lazy("Restricted goods allowed"),
            {
                "fields": (
                    ("allows_batteries", "allows_liquids", "allows_magnets"),
                    ("allows_powders", "allows_cosmetics", "allows_food"),
                )
            },
        ),
        (gettext_lazy("Tracking"), {"fields": ("tracking", "carrier_code")}),
    )


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "kind", "city", "country", "is_archived"]
    list_filter = ["kind", "country", "is_archived"]
    search_fields = ["name", "company_name", "company__legal_name", "phone", "postcode"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]


class StockPhotoUploadForm(forms.ModelForm):
    upload = forms.FileField(label=gettext_lazy("Photo"), required=False)

    class Meta:
        model = StockPhoto
        fields = ["caption"]

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            try:
                photo_check(upload)
            except DomainError as error:
                raise ValidationError(error.message) from None
        elif not self.instance.pk and self.has_changed():
            raise ValidationError(_("Choose a photo."))
        return upload


class StockPhotoInline(admin.TabularInline):
    model = StockPhoto
    form = StockPhotoUploadForm
    extra = 1
    fields = ["preview", "upload", "caption"]
    readonly_fields = ["preview"]

    @admin.display(description=gettext_lazy("Thumbnail"))
    def preview(self, photo):
        if not photo.pk:
            return "—"
        return format_html('<img src="{}" alt="" width="80">', photo.thumbnail.url)


@admin.register(StockItem)
class StockItemAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "description",
        "company",
        "warehouse",
        "quantity",
        "weight_kg",
        "status",
        "arrived_at",
        "free_storage_until",
        "source_reference",
    ]
    list_filter = ["status", "warehouse"]
    search_fields = ["=id", "description", "source_reference", "company__legal_name"]
    list_select_related = ["company", "warehouse"]
    readonly_fields = [
        "company",
        "warehouse",
        "status",
        "parcel",
        "source_reference",
        "arrived_at",
        "free_storage_until",
        "storage_notice_sent_at",
        "created_at",
        "updated_at",
    ]
    fields = [
        "company",
        "warehouse",
        "description",
        "quantity",
        ("weight_kg", "length_cm", "width_cm", "height_cm"),
        "restricted_goods",
        "inspection_summary",
        "status",
        "parcel",
        "source_reference",
        "arrived_at",
        "free_storage_until",
        "storage_notice_sent_at",
    ]
    inlines = [StockPhotoInline]
    date_hierarchy = "arrived_at"

    def has_add_permission(self, request) -> bool:
        # Stock enters through receiving (orders' purchase orders, inbound parcels) only.
        return False

    def save_formset(self, request, form, formset, change):
        if formset.model is not StockPhoto:
            return super().save_formset(request, form, formset, change)
        for photo_form in formset.forms:
            upload = photo_form.cleaned_data.get("upload") if photo_form.cleaned_data else None
            if photo_form.instance.pk:
                if photo_form.has_changed():
                    photo_form.save()
            elif upload:
                services.stock_photo_add(
                    item=form.instance, upload=upload, caption=photo_form.cleaned_data["caption"]
                )
        return None


class InboundEventInline(ReadOnlyInline):
    model = InboundParcelEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields


@admin.register(InboundParcel)
class InboundParcelAdmin(admin.ModelAdmin):
    """The receiving queue: declared parcels first, found by tracking number."""

    list_display = [
        "tracking_number",
        "carrier",
        "company",
        "contents",
        "warehouse",
        "status",
        "created_at",
        "receive_link",
    ]
    list_filter = ["status", "warehouse"]
    search_fields = ["tracking_number", "company__legal_name", "contents"]
    list_select_related = ["company", "warehouse"]
    readonly_fields = [
        "company",
        "warehouse",
        "carrier",
        "tracking_number",
        "contents",
        "declared_value",
        "declared_currency",
        "status",
        "received_at",
        "received_by",
    ]
    inlines = [InboundEventInline]

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("status", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("Receive"))
    def receive_link(self, inbound):
        if not inbound.can_become(InboundParcel.Status.RECEIVED):
            return "—"
        url = reverse("admin:logistics_inboundparcel_receive", args=[inbound.pk])
        return format_html('<a href="{}">{}</a>', url, _("Receive into stock"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/receive/",
                self.admin_site.admin_view(self.receive_view),
                name="logistics_inboundparcel_receive",
            ),
            *super().get_urls(),
        ]

    def receive_view(self, request, pk: int):
        if not request.user.has_perm("logistics.receive_inboundparcel"):
            raise PermissionDenied
        inbound = get_object_or_404(InboundParcel.objects.select_related("company"), pk=pk)
        form = InboundReceiveForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                item = services.inbound_receive(
                    inbound=inbound,
                    actor=request.user,
                    quantity=data["quantity"],
                    weight_kg=data["weight_kg"],
                    length_cm=data["length_cm"],
                    width_cm=data["width_cm"],
                    height_cm=data["height_cm"],
                    inspection_summary=data["inspection_summary"],
                    restricted_goods=data["restricted_goods"],
                    photos=data["photos"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    _("Received into stock as item #%(pk)s.") % {"pk": item.pk},
                    messages.SUCCESS,
                )
                return redirect("admin:logistics_inboundparcel_changelist")
        return _action_page(
            self, request, inbound, form, _("Receive %(ref)s") % {"ref": inbound}, multipart=True
        )


def _action_page(model_admin, request, obj, form, title, *, multipart=False):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": obj,
        "title": title,
        "form": form,
        "multipart": multipart,
    }
    return TemplateResponse(request, "logistics/admin/action_form.html", context)


class ParcelEventInline(ReadOnlyInline):
    model = ParcelEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent
    fields = [
        "occurred_at",
        "kind",
        "kind_source",
        "stage",
        "sub_status",
        "description",
        "location",
        "country",
        "provider",
        "external_id",
    ]
    readonly_fields = fields


class UnknownScansFilter(admin.SimpleListFilter):
    """Parcels with carrier scans no stage, sub-status or keyword explained (kept as 'other')."""

    title = gettext_lazy("unknown scans")
    parameter_name = "unknown_scans"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Has unknown scans"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(unknown_scans__gt=0)
        return queryset


class FreightChargeInline(ReadOnlyInline):
    model = FreightCharge
    fields = ["created_at", "kind", "amount_cny", "amount", "currency", "ledger_reference"]
    readonly_fields = fields


class ItemInline(ReadOnlyInline):
    model = StockItem
    fields = ["id", "description", "quantity", "weight_kg", "length_cm", "width_cm", "height_cm"]
    readonly_fields = fields


@admin.register(Parcel)
class ParcelAdmin(admin.ModelAdmin):
    """Packing queue (filter: packing requested) and shipping (filter: packed)."""

    list_display = [
        "reference_display",
        "company",
        "channel",
        "destination_country",
        "status",
        "estimated_weight_kg",
        "actual_weight_kg",
        "tracking_number",
        "created_at",
        "unknown_scans",
        "next_step",
    ]
    list_filter = ["status", "channel", "warehouse", UnknownScansFilter]
    search_fields = ["=id", "tracking_number", "company__legal_name"]
    list_select_related = ["company", "channel", "destination"]
    inlines = [ItemInline, FreightChargeInline, ParcelEventInline, TrackingEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Parcel._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                unknown_scans=Count(
                    "tracking_events",
                    filter=Q(tracking_events__kind=TrackingEvent.Kind.OTHER),
                )
            )
        )

    @admin.display(description=gettext_lazy("Unknown scans"), ordering="unknown_scans")
    def unknown_scans(self, parcel):
        return parcel.unknown_scans

    @admin.display(description=gettext_lazy("Parcel"), ordering="pk")
    def reference_display(self, parcel):
        return parcel.reference

    @admin.display(description=gettext_lazy("Country"))
    def destination_country(self, parcel):
        return parcel.destination.country.code

    @admin.display(description=gettext_lazy("Next step"))
    def next_step(self, parcel):
        if parcel.can_become(Parcel.Status.PACKED):
            url = reverse("admin:logistics_parcel_pack", args=[parcel.pk])
            return format_html('<a href="{}">{}</a>', url, _("Pack"))
        if parcel.can_become(Parcel.Status.SHIPPED):
            url = reverse("admin:logistics_parcel_ship", args=[parcel.pk])
            return format_html('<a href="{}">{}</a>', url, _("Ship"))
        return "—"

    def get_urls(self):
        return [
            path(
                "<int:pk>/pack/",
                self.admin_site.admin_view(self.pack_view),
                name="logistics_parcel_pack",
            ),
            path(
                "<int:pk>/ship/",
                self.admin_site.admin_view(self.ship_view),
                name="logistics_parcel_ship",
            ),
            *super().get_urls(),
        ]

    def pack_view(self, request, pk: int):
        if not request.user.has_perm("logistics.pack_parcel"):
            raise PermissionDenied
        parcel = get_object_or_404(Parcel, pk=pk)
        form = MeasureForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                parcel = services.parcel_pack(
                    parcel=parcel, actor=request.user, **form.cleaned_data
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    _("%(ref)s packed: estimate %(est)s CNY, actual %(act)s CNY.")
                    % {
                        "ref": parcel.reference,
                        "est": parcel.estimated_freight_cny,
                        "act": parcel.actual_freight_cny,
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:logistics_parcel_changelist")
        return _action_page(
            self, request, parcel, form, _("Pack %(ref)s") % {"ref": parcel.reference}
        )

    def ship_view(self, request, pk: int):
        if not request.user.has_perm("logistics.ship_parcel"):
            raise PermissionDenied
        parcel = get_object_or_404(Parcel, pk=pk)
        form = ShipForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                parcel = services.parcel_ship(
                    parcel=parcel,
                    actor=request.user,
                    tracking_number=form.cleaned_data["tracking_number"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request, _("%(ref)s shipped.") % {"ref": parcel.reference}, messages.SUCCESS
                )
                return redirect("admin:logistics_parcel_changelist")
        return _action_page(
            self, request, parcel, form, _("Ship %(ref)s") % {"ref": parcel.reference}
        )


@admin.register(FreightCharge)
class FreightChargeAdmin(ReadOnlyAdmin):
    list_display = [
        "parcel",
        "kind",
        "amount_cny",
        "amount",
        "currency",
        "ledger_reference",
        "created_at",
    ]
    list_filter = ["kind", "currency"]
    search_fields = ["idempotency_key", "ledger_reference"]
    list_select_related = ["parcel"]


@admin.register(StorageCharge)
class StorageChargeAdmin(FreightChargeAdmin):
    list_display = [
        "item",
        "company",
        "period",
        "amount_cny",
        "amount",
        "currency",
        "ledger_reference",
    ]
    list_filter = ["period", "currency"]
    list_select_related = ["item", "company"]
