"""Orders in the staff admin: lines, timeline and purchase orders, read-only."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders import services
from orders.admin.common import MessageHistoryInline, NewMessageInline, _save_replies
from orders.models import (
    Message,
    Order,
    OrderEvent,
    OrderLine,
    PurchaseOrder,
)
from procurement.core.admin_base import ReadOnlyInline
from procurement.core.exceptions import DomainError


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["description", "sku_code", "supplier", "quantity", "unit_price_cny", "line_total_cny"]
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason_text"]
    readonly_fields = fields


class OrderPurchaseOrderInline(ReadOnlyInline):
    model = PurchaseOrder
    fields = ["link", "supplier", "status", "supplier_order_no", "actual_total_cny"]
    readonly_fields = fields
    show_change_link = True

    @admin.display(description=gettext_lazy("Purchase order"))
    def link(self, po):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_purchaseorder_change", args=[po.pk]), po
        )


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "company",
        "status",
        "created_by",
        "goods_cny",
        "paid_at",
        "created_at",
    ]
    list_filter = ["status", "source", "created_at"]
    search_fields = ["number", "company__legal_name", "created_by__email"]
    list_select_related = ["company", "created_by"]
    date_hierarchy = "created_at"
    inlines = [
        OrderLineInline,
        OrderPurchaseOrderInline,
        OrderEventInline,
        MessageHistoryInline,
        NewMessageInline,
    ]
    actions = ["mark_completed"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Order._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_formset(self, request, form, formset, change):
        if formset.model is Message:
            _save_replies(request, formset, thread={"order": form.instance})
            return
        super().save_formset(request, form, formset, change)

    @admin.action(description=gettext_lazy("Mark completed"), permissions=["complete"])
    def mark_completed(self, request, queryset: QuerySet[Order]):
        done = 0
        for order in queryset.order_by("pk"):
            try:
                services.order_complete(order=order, actor=request.user)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{order}: {error.message}", messages.WARNING)
        if done:
            self.message_user(request, _("%(n)s order(s) completed.") % {"n": done})

    def has_complete_permission(self, request) -> bool:
        return request.user.has_perm("orders.complete_order")
