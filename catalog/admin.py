"""Staff admin: the supplier vetting queue and product curation, for account managers."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog import services
from catalog.models import (
    Category,
    HazardRule,
    PriceTier,
    Product,
    ProductImage,
    Sku,
    Supplier,
    SupplierEvent,
    SupplierPerformance,
)
from catalog.selectors import supplier_scorecard
from procurement.core.exceptions import DomainError

S = Supplier.Status


class SupplierEventInline(admin.TabularInline):
    model = SupplierEvent
    fields = ("created_at", "from_status", "to_status", "actor", "reason_text")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-created_at", "-pk")
    verbose_name_plural = _("vetting history")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class VettingReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=False,
        help_text=_("Kept in each supplier's vetting history. Required to reject or suspend."),
    )


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("__str__", "name_zh", "province", "city", "status", "rating", "created_at")
    list_filter = ("status", "province")
    search_fields = ("name_en", "name_zh", "member_id", "licence_number")
    readonly_fields = ("status", "status_changed_at", "rating", "scorecard")
    ordering = ("status", "-created_at")
    inlines = [SupplierEventInline]
    actions = ["start_review", "approve", "reject", "suspend"]
    fieldsets = (
        (None, {"fields": ("name_zh", "name_en", "member_id", "shop_url")}),
        (_("Location"), {"fields": ("province", "city")}),
        (_("Licence"), {"fields": ("licence_number", "licence_file")}),
        (_("Contact"), {"fields": ("contact_name", "contact_phone", "contact_email")}),
        (_("Bank details for payouts"), {"fields": ("payee_name", "bank_account", "bank_name")}),
        (_("Vetting"), {"fields": ("status", "status_changed_at", "rating", "scorecard")}),
    )

    def has_vet_permission(self, request) -> bool:
        return request.user.has_perm("catalog.vet_supplier")

    @admin.display(description=_("scorecard"))
    def scorecard(self, obj: Supplier):
        if obj.pk is None:
            return "-"
        card = supplier_scorecard(obj)

        def pct(value):
            return "-" if value is None else f"{value * 100:.1f}%"

        return format_html(
            "{}: {} · {}: {} · {}: {} · {}: {} · {}: {} · {}: {}",
            _("orders"),
            card.orders_count,
            _("on time"),
            pct(card.on_time_dispatch_rate),
            _("defects"),
            pct(card.defect_rate),
            _("cancelled"),
            pct(card.cancellation_rate),
            _("avg. response"),
            "-" if card.average_response_hours is None else f"{card.average_response_hours} h",
            _("rating"),
            card.rating if card.rating is not None else "-",
        )

    def _vet(self, request, queryset, *, to_status: str, title: str):
        """Ask for a reason on an intermediate page, then apply the transition to each."""
        if not self.has_vet_permission(request):
            raise PermissionDenied
        reason_required = to_status in services.REASON_REQUIRED_FOR
        if "apply" in request.POST:
            form = VettingReasonForm(request.POST)
            if form.is_valid() and reason_required and not form.cleaned_data["reason"].strip():
                form.add_error("reason", _("Give a reason: the supplier's timeline keeps it."))
            if form.is_valid():
                done, failed = 0, []
                for supplier in queryset.order_by("pk"):
                    try:
                        with transaction.atomic():
                            services.supplier_transition(
                                supplier=supplier,
                                to_status=to_status,
                                actor=request.user,
                                reason=form.cleaned_data["reason"],
                            )
                        done += 1
                    except DomainError as error:
                        failed.append(f"{supplier}: {error}")
                if done:
                    self.message_user(
                        request,
                        _("%(count)s supplier(s) now %(status)s.")
                        % {"count": done, "status": S(to_status).label.lower()},
                        messages.SUCCESS,
                    )
                for message in failed:
                    self.message_user(request, message, messages.ERROR)
                return None
        else:
            form = VettingReasonForm()
        return TemplateResponse(
            request,
            "catalog/admin/supplier_vet.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "suppliers": queryset,
                "form": form,
                "action": request.POST.get("action"),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "reason_required": reason_required,
            },
        )

    @admin.action(description=_("Start review of selected suppliers"), permissions=["vet"])
    def start_review(self, request, queryset):
        return self._vet(
            request, queryset, to_status=S.UNDER_REVIEW, title=_("Start review of suppliers")
        )

    @admin.action(description=_("Approve selected suppliers"), permissions=["vet"])
    def approve(self, request, queryset):
        return self._vet(request, queryset, to_status=S.APPROVED, title=_("Approve suppliers"))

    @admin.action(description=_("Reject selected suppliers"), permissions=["vet"])
    def reject(self, request, queryset):
        return self._vet(request, queryset, to_status=S.REJECTED, title=_("Reject suppliers"))

    @admin.action(description=_("Suspend selected suppliers"), permissions=["vet"])
    def suspend(self, request, queryset):
        return self._vet(request, queryset, to_status=S.SUSPENDED, title=_("Suspend suppliers"))


@admin.register(SupplierPerformance)
class SupplierPerformanceAdmin(admin.ModelAdmin):
    list_display = ("reference", "supplier", "placed_at", "dispatched_on_time", "cancelled")
    list_filter = ("dispatched_on_time", "cancelled")
    search_fields = ("reference", "supplier__name_en", "supplier__name_zh")
    list_select_related = ("supplier",)

    def has_add_permission(self, request) -> bool:
        return False  # written by purchase orders, never by hand

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name_en", "name_zh", "parent", "depth", "position", "product_count")
    list_filter = ("depth",)
    search_fields = ("name_en", "name_zh", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    autocomplete_fields = ("parent",)
    readonly_fields = ("depth", "product_count")
    list_select_related = ("parent",)

    def save_model(self, request, obj, form, change):
        services.category_save(category=obj)


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    fields = ("preview", "image", "alt_text", "position")
    readonly_fields = ("preview",)
    extra = 0

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if not obj.pk:
            return "-"
        return format_html('<img src="{}" alt="" width="80">', obj.list_url)


class SkuInline(admin.TabularInline):
    model = Sku
    fields = ("code", "attributes", "stock", "price_cny", "image", "position")
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "image":
            product_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = ProductImage.objects.filter(product_id=product_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    fields = ("min_quantity", "unit_price_cny")
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "title_en",
        "supplier",
        "category",
        "min_price_cny",
        "moq",
        "in_stock",
        "is_active",
    )
    list_filter = ("is_active", "source", "supplier__status")
    search_fields = ("title_en", "title_zh", "source_offer_id", "=id")
    autocomplete_fields = ("supplier", "category")
    list_select_related = ("supplier", "category")
    readonly_fields = ("min_price_cny", "in_stock", "created_at", "updated_at")
    show_full_result_count = False  # counting a million rows on every page is wasted work
    inlines = [ProductImageInline, SkuInline, PriceTierInline]
    fieldsets = (
        (None, {"fields": ("supplier", "category", "is_active")}),
        (_("Titles"), {"fields": ("title_en", "title_zh", "description_en", "description_zh")}),
        (_("Source"), {"fields": ("source", "source_offer_id", "source_url")}),
        (_("Ordering"), {"fields": ("unit", "moq", "order_multiple", "min_price_cny", "in_stock")}),
        (
            _("Shipping"),
            {
                "fields": (
                    ("weight_kg", "length_cm", "width_cm", "height_cm"),
                    ("hs_code", "origin_country"),
                    "hazards",
                    "lead_time_days",
                )
            },
        ),
        (_("Attributes"), {"fields": ("attributes",)}),
    )

    def save_formset(self, request, form, formset, change):
        if formset.model is ProductImage:
            for image_form in formset.forms:
                if "image" in image_form.changed_data:
                    image_form.instance.thumbnail = ""  # rebuilt in save_related
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.product_after_admin_edit(product=form.instance)


@admin.register(HazardRule)
class HazardRuleAdmin(admin.ModelAdmin):
    """Which 1688 categories carry which hazards; applied to products imported afterwards."""

    list_display = ("__str__", "source_category_id", "name_contains", "hazards", "note")
    search_fields = ("name_contains", "source_category_id", "note")
    fields = ("name_contains", "source_category_id", "hazards", "note")
