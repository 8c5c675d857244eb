"""What the orders admin pages share: message threads and the form page of an action."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy

from orders import services
from orders.models import (
    Message,
    PurchaseOrder,
)
from procurement.core.admin_base import ReadOnlyInline

PS = PurchaseOrder.Status


class MessageHistoryInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "author", "from_staff", "body"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("Messages")


class NewMessageInline(admin.StackedInline):
    """One empty form to answer the merchant; saved through `message_post` (mail on commit)."""

    model = Message
    fields = ["body"]
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = gettext_lazy("Reply to the merchant")
    verbose_name_plural = gettext_lazy("Reply to the merchant")

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_add_permission(request, obj)


def _save_replies(request, formset, *, thread: dict) -> None:
    # The admin's change message reads these; the replies are saved by the service instead.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.forms:
        body = (form.cleaned_data or {}).get("body", "")
        if form.has_changed() and body.strip():
            services.message_post(author=request.user, body=body, from_staff=True, **thread)


def _action_page(model_admin, request, obj, form, title, *, note=""):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": obj,
        "title": title,
        "form": form,
        "note": note,
    }
    return TemplateResponse(request, "orders/admin/action_form.html", context)
