"""Staff admin: the packing queue (with the goods' hazards, bins and declaration), packing by
boxes, shipping, freight and storage charges. Status changes go through the services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from logistics import services
from logistics.admin.common import action_page as _action_page
from logistics.documents.parcels import document_links
from logistics.exceptions import DeclarationRefused
from logistics.forms import BoxFormSet, DeclarationFormSet, ShipForm
from logistics.models import (
    DeclarationLine,
    FreightCharge,
    Parcel,
    ParcelBox,
    ParcelDocument,
    ParcelEvent,
    StockItem,
    StorageCharge,
    TrackingEvent,
)
from procurement.core.admin_base import ReadOnlyAdmin, ReadOnlyInline
from procurement.core.exceptions import DomainError
from procurement.core.hazards import hazard_labels


class ParcelEventInline(ReadOnlyInline):
    model = ParcelEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason_text"]
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
    fields = [
        "id",
        "bin_location",
        "description",
        "hazards",
        "quantity",
        "weight_kg",
        "length_cm",
        "width_cm",
        "height_cm",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Hazards"))
    def hazards(self, item):
        return hazard_labels(item.restricted_goods) if item.restricted_goods else "—"


class DeclarationInline(ReadOnlyInline):
    model = DeclarationLine
    fields = [
        "position",
        "description_en",
        "description_zh",
        "hs_code",
        "origin_country",
        "quantity",
        "unit",
        "paid_value",
        "declared_value",
        "value_reason",
        "net_weight_kg",
        "gross_weight_kg",
    ]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("customs declaration (edit it on the pack page)")


class DocumentInline(ReadOnlyInline):
    """The parcel's PDFs: a failed one shows why, for staff to fix and request again."""

    model = ParcelDocument
    fields = ["kind", "language", "status", "error", "built_at", "download"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("documents")

    @admin.display(description=gettext_lazy("PDF"))
    def download(self, document):
        url = reverse("admin:logistics_parcel_document", args=[document.parcel_id, document.kind])
        if document.status == ParcelDocument.Status.FAILED:
            return format_html('<a href="{}?retry=1">{}</a>', url, _("Build again"))
        return format_html('<a href="{}">{}</a>', url, _("Open"))


class BoxInline(ReadOnlyInline):
    model = ParcelBox
    fields = ["number", "weight_kg", "length_cm", "width_cm", "height_cm", "chargeable_kg"]
    readonly_fields = fields


def _label_rows(formset, row: str) -> None:
    """Inputs in a table have no label of their own: name each by its row ("Box 2 Weight (kg)"),
    for screen readers and for staff tabbing through."""
    for number, form in enumerate(formset.forms, start=1):
        prefix = row % {"n": number}
        for field in form.fields.values():
            field.widget.attrs["aria-label"] = f"{prefix} {field.label}"


def declaration_save(request, parcel, formset) -> bool:
    """Save the changed lines together through `declaration_lines_update` (all or none); each
    refusal goes on its line's field."""
    changes = {
        form.instance.pk: {name: form.cleaned_data[name] for name in form._meta.fields}
        for form in formset.forms
        if form.instance.pk and form.has_changed()
    }
    if not changes:
        return True
    try:
        services.declaration_lines_update(parcel=parcel, actor=request.user, changes=changes)
    except DeclarationRefused as refused:
        for form in formset.forms:
            for field, texts in refused.errors.get(form.instance.pk, {}).items():
                form.add_error(field if field in form.fields else None, texts)
        return False
    except DomainError as error:
        messages.error(request, error.message)
        return False
    return True


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
    inlines = [
        ItemInline,
        DeclarationInline,
        BoxInline,
        DocumentInline,
        FreightChargeInline,
        ParcelEventInline,
        TrackingEventInline,
    ]

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
                "<int:pk>/documents/<slug:kind>/",
                self.admin_site.admin_view(self.document_view),
                name="logistics_parcel_document",
            ),
            path(
                "<int:pk>/ship/",
                self.admin_site.admin_view(self.ship_view),
                name="logistics_parcel_ship",
            ),
            *super().get_urls(),
        ]

    def pack_view(self, request, pk: int):
        """The pack page: items to pick with their bins and hazards, the declaration to
        complete, the boxes to record. Declaration lines are saved together (a refused line
        names itself, keeps what was typed and nothing is saved); packing runs only then."""
        if not request.user.has_perm("logistics.pack_parcel"):
            raise PermissionDenied
        parcel = get_object_or_404(
            Parcel.objects.select_related("channel", "company", "destination"), pk=pk
        )
        lines = parcel.declaration.all()
        declaration = DeclarationFormSet(request.POST or None, queryset=lines, prefix="line")
        boxes = BoxFormSet(request.POST or None, prefix="box")
        if request.method == "POST":
            saved = declaration.is_valid() and declaration_save(request, parcel, declaration)
            if saved and boxes.is_valid():
                try:
                    parcel = services.parcel_pack(
                        parcel=parcel,
                        actor=request.user,
                        boxes=[
                            services.Box(**form.cleaned_data)
                            for form in boxes.forms
                            if form.cleaned_data
                        ],
                    )
                except DomainError as error:
                    problems = getattr(error, "problems", None) or [error.message]
                    for problem in problems:
                        messages.error(request, problem)
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
        _label_rows(boxes, _("Box %(n)s"))
        _label_rows(declaration, _("Line %(n)s"))
        items = list(parcel.items.order_by("bin_location", "pk"))
        context = {
            **self.admin_site.each_context(request),
            "opts": Parcel._meta,
            "original": parcel,
            "parcel": parcel,
            "title": _("Pack %(ref)s") % {"ref": parcel.reference},
            "items": [
                (item, hazard_labels(item.restricted_goods) if item.restricted_goods else "")
                for item in items
            ],
            "declaration": declaration,
            "boxes": boxes,
            "problems": services.declaration_problems(parcel=parcel),
            "thresholds": services.thresholds_for(parcel=parcel),
            "max_box_kg": parcel.channel.max_box_weight_kg,
            "documents": document_links(parcel),
        }
        return TemplateResponse(request, "logistics/admin/pack.html", context)

    def document_view(self, request, pk: int, kind: str):
        """Open a parcel's PDF (built now when out of date); a failure is shown with its
        reason and leaves the parcel as it was."""
        if not request.user.has_perm("logistics.view_parcel"):
            raise PermissionDenied
        parcel = get_object_or_404(Parcel, pk=pk)
        change_url = reverse("admin:logistics_parcel_change", args=[parcel.pk])
        try:
            document = services.parcel_document_request(
                parcel=parcel,
                kind=kind,
                language=get_language() or "en",
                retry="retry" in request.GET,
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return redirect(change_url)
        document.refresh_from_db()
        parcel.refresh_from_db(fields=["documents_version"])
        document.parcel = parcel
        if document.is_current:
            return FileResponse(document.file.open("rb"), content_type="application/pdf")
        if document.status == ParcelDocument.Status.FAILED:
            self.message_user(
                request,
                _("%(document)s failed: %(error)s")
                % {"document": document.get_kind_display(), "error": document.error},
                messages.ERROR,
            )
        else:
            self.message_user(
                request,
                _("%(document)s is being prepared on the exports queue.")
                % {"document": document.get_kind_display()},
                messages.INFO,
            )
        return redirect(change_url)

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
