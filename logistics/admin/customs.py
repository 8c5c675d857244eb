"""Staff admin: customs thresholds per destination (kept with their sources) and merchants'
customs profiles."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from logistics.models import CustomsProfile, CustomsThreshold


@admin.register(CustomsThreshold)
class CustomsThresholdAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "amount",
        "currency",
        "number_needed",
        "effective_from",
        "checked_on",
        "is_active",
    ]
    list_filter = ["is_active", "currency"]
    search_fields = ["name", "source_title"]
    fieldsets = (
        (None, {"fields": ("name", "countries", "is_active")}),
        (_("Rule"), {"fields": (("amount", "currency"), "number_needed", "rule")}),
        (
            _("Source"),
            {"fields": ("source_title", "source_url", ("effective_from", "checked_on"))},
        ),
    )


@admin.register(CustomsProfile)
class CustomsProfileAdmin(admin.ModelAdmin):
    list_display = ["company", "ioss_number", "eori_number", "vat_number", "importer_name"]
    search_fields = ["company__legal_name", "ioss_number", "eori_number", "vat_number"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
