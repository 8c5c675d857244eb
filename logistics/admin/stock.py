"""Staff admin: warehouses, channels and rates (account managers), addresses, stock and
receiving inbound parcels (warehouse)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from logistics import services
from logistics.admin.common import action_page as _action_page
from logistics.forms import BinLocationField, InboundReceiveForm
from logistics.models import (
    Address,
    InboundParcel,
    InboundParcelEvent,
    RateZone,
    ShippingChannel,
    StockItem,
    StockPhoto,
    Warehouse,
)
from logistics.photos import photo_check
from procurement.core.admin_base import ReadOnlyInline
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
        (
            gettext_lazy("Weight, goods accepted and customs"),
            {
                "fields": (
                    "accepted_hazards",
                    ("needs_declaration", "is_postal"),
                    ("volumetric_divisor", "max_box_weight_kg"),
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


class StockItemForm(forms.ModelForm):
    """Staff move goods to another bin here; the bin is written as at receiving."""

    bin_location = BinLocationField()

    class Meta:
        model = StockItem
        fields = ["bin_location"]


@admin.register(StockItem)
class StockItemAdmin(admin.ModelAdmin):
    form = StockItemForm
    list_display = [
        "id",
        "description",
        "company",
        "warehouse",
        "bin_location",
        "quantity",
        "weight_kg",
        "status",
        "arrived_at",
        "free_storage_until",
        "source_reference",
    ]
    list_filter = ["status", "warehouse"]
    search_fields = [
        "=id",
        "description",
        "source_reference",
        "bin_location",
        "company__legal_name",
    ]
    list_select_related = ["company", "warehouse"]
    readonly_fields = [
        "company",
        "warehouse",
        "status",
        "parcel",
        "source_reference",
        "product_reference",
        "unit_value",
        "value_currency",
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
        "bin_location",
        "restricted_goods",
        ("product_reference", "hs_code", "origin_country", "unit"),
        "description_zh",
        ("unit_value", "value_currency"),
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
        """New photos go through `stock_photo_add` (checked, thumbnailed); the formset keeps
        what it saved, deleted and added, as the admin's change message reads it."""
        if formset.model is not StockPhoto:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for photo_form in formset.forms:
            upload = photo_form.cleaned_data.get("upload") if photo_form.cleaned_data else None
            if photo_form.instance.pk:
                if photo_form in formset.deleted_forms:
                    formset.deleted_objects.append(photo_form.instance)
                    photo_form.instance.delete()
                elif photo_form.has_changed():
                    photo_form.save()
                    formset.changed_objects.append((photo_form.instance, photo_form.changed_data))
            elif upload:
                formset.new_objects.append(
                    services.stock_photo_add(
                        item=form.instance,
                        upload=upload,
                        caption=photo_form.cleaned_data["caption"],
                    )
                )
        return None


class InboundEventInline(ReadOnlyInline):
    model = InboundParcelEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason_text"]
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
                    bin_location=data["bin_location"],
                )
            except ValidationError as error:
                for field, texts in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, texts)
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
