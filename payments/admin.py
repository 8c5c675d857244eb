"""Finance's admin: FX rates and markups, the fee schedule, a read-only ledger, top-ups and
manual adjustments. Writes go through payments.services; permissions come from the Finance group
(payments/migrations/0004)."""

import uuid
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments import exceptions, selectors, services
from payments.models import (
    Account,
    FeeSchedule,
    FeeTier,
    FxMarkup,
    FxQuote,
    FxRate,
    GatewayEvent,
    LedgerTransaction,
    Posting,
    TopUp,
    TopUpEvent,
    WalletAdjustment,
)
from payments.money import quantize
from procurement.core.admin_base import ReadOnlyAdmin, ReadOnlyInline
from procurement.core.exceptions import DomainError

# --- FX ------------------------------------------------------------------------------------------


class FxRateForm(forms.ModelForm):
    class Meta:
        model = FxRate
        fields = ["base", "quote", "rate", "as_of"]

    def clean(self):
        cleaned = super().clean()
        for field in ("base", "quote"):
            if cleaned.get(field):
                cleaned[field] = cleaned[field].upper()
        if cleaned.get("base") and cleaned.get("base") == cleaned.get("quote"):
            raise ValidationError(_("Base and quote must differ."))
        return cleaned


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    """Append-only history: finance adds manual rates; nothing is edited or deleted."""

    form = FxRateForm
    list_display = ["base", "quote", "rate", "source", "as_of", "created_by", "created_at"]
    list_filter = ["source", "base", "quote"]
    search_fields = ["base", "quote"]
    date_hierarchy = "as_of"
    list_select_related = ["created_by"]

    def get_changeform_initial_data(self, request):
        return {"as_of": timezone.now(), "base": "EUR", "quote": "CNY"}

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        try:
            created = services.fx_rate_record(
                base=obj.base,
                quote=obj.quote,
                rate=obj.rate,
                as_of=obj.as_of,
                actor=request.user,
            )
        except DomainError as error:
            raise PermissionDenied(str(error.message)) from error
        obj.pk = created.pk
        obj.source = created.source


@admin.register(FxMarkup)
class FxMarkupAdmin(admin.ModelAdmin):
    list_display = ["currency", "markup_bps", "updated_by", "updated_at"]
    fields = ["currency", "markup_bps"]
    list_select_related = ["updated_by"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        saved = services.fx_markup_set(
            currency=obj.currency, markup_bps=obj.markup_bps, actor=request.user
        )
        obj.pk = saved.pk


@admin.register(FxQuote)
class FxQuoteAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "company",
        "from_currency",
        "to_currency",
        "amount",
        "mid_rate",
        "markup_bps",
        "client_rate",
        "charge_amount",
        "fee_amount",
        "status",
        "expires_at",
    ]
    list_filter = ["status", "from_currency"]
    search_fields = ["company__legal_name"]
    list_select_related = ["company"]


# --- Fees ----------------------------------------------------------------------------------------


class FeeTierInline(admin.TabularInline):
    model = FeeTier
    extra = 0
    min_num = 1

    def _frozen(self, obj) -> bool:
        return obj is not None and obj.is_in_force_or_past

    def has_add_permission(self, request, obj=None) -> bool:
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    """Each change is a new version: add a schedule with a future (or current) effective date.
    A version that has taken effect is history and can no longer be edited."""

    inlines = [FeeTierInline]
    list_display = ["effective_from", "minimum_fee_usd", "tier_summary", "note", "created_by"]
    fields = ["effective_from", "minimum_fee_usd", "note"]
    list_select_related = ["created_by"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("tiers", queryset=FeeTier.objects.order_by("volume_from_usd"))
            )
        )

    @admin.display(description=_("Tiers"))
    def tier_summary(self, obj) -> str:
        return "; ".join(
            f"≥{t.volume_from_usd:,.0f}: {t.rate_bps / 100:.2f}%" for t in obj.tiers.all()
        )

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_in_force_or_past:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# --- Ledger --------------------------------------------------------------------------------------


class PostingInline(ReadOnlyInline):
    model = Posting
    fields = ["account", "amount", "currency", "balance_after"]
    readonly_fields = fields


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "company", "currency", "balance"]
    list_filter = ["kind", "currency"]
    search_fields = ["company__legal_name"]
    list_select_related = ["company"]


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "created_at", "kind", "reference", "company", "memo", "actor"]
    list_filter = ["kind"]
    search_fields = ["=reference", "=idempotency_key", "company__legal_name", "memo"]
    date_hierarchy = "created_at"
    list_select_related = ["company", "actor"]
    inlines = [PostingInline]


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ["pk", "transaction", "account", "amount", "currency", "balance_after"]
    list_filter = ["account__kind", "currency"]
    search_fields = ["=transaction__reference", "account__company__legal_name"]
    list_select_related = ["transaction", "account__company"]
    raw_id_fields = ["transaction", "account"]


class WalletAdjustmentForm(forms.ModelForm):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = WalletAdjustment
        fields = ["company", "currency", "amount", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["idempotency_key"] = f"adjustment-{uuid.uuid4()}"
        # An existing adjustment opens read-only, without the field.
        if "currency" in self.fields:
            self.fields["currency"].required = False
            self.fields["currency"].help_text = _("Empty: the company's wallet currency.")

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("A reason is required."))
        return reason

    def clean(self):
        cleaned = super().clean()
        company, amount = cleaned.get("company"), cleaned.get("amount")
        if company is None or amount is None:
            return cleaned
        currency = (cleaned.get("currency") or company.wallet_currency).upper()
        cleaned["currency"] = currency
        if amount == 0 or amount != quantize(amount, currency):
            raise ValidationError(
                _("Enter a non-zero amount rounded to the currency's minor unit.")
            )
        if not services.currency_enabled(company=company, currency=currency):
            raise ValidationError(exceptions.CurrencyNotEnabled.default_message)
        # Advisory; the service checks again under the row lock.
        if selectors.wallet_balance(company=company, currency=currency) + amount < Decimal(0):
            raise ValidationError(exceptions.InsufficientBalance.default_message)
        return cleaned


@admin.register(WalletAdjustment)
class WalletAdjustmentAdmin(admin.ModelAdmin):
    """Manual adjustment with a mandatory reason; allowed to `payments.adjust_wallet` holders."""

    form = WalletAdjustmentForm
    list_display = ["created_at", "company", "amount", "currency", "reason", "created_by"]
    search_fields = ["company__legal_name", "reason"]
    list_select_related = ["company", "created_by"]
    autocomplete_fields = ["company"]
    readonly_fields = ["transaction", "created_by", "created_at"]

    def has_add_permission(self, request) -> bool:
        return request.user.has_perm("payments.adjust_wallet") and super().has_add_permission(
            request
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["company", "currency", "amount", "reason", "idempotency_key"]
        return ["company", "currency", "amount", "reason", "transaction", "created_by"]

    def save_model(self, request, obj, form, change):
        try:
            adjustment = services.manual_adjustment(
                company=obj.company,
                currency=obj.currency or None,
                amount=obj.amount,
                reason=obj.reason,
                actor=request.user,
                idempotency_key=form.cleaned_data.get("idempotency_key")
                or f"adjustment-{timezone.now().timestamp()}",
            )
        except DomainError as error:
            messages.error(request, str(error.message))
            raise PermissionDenied(str(error.message)) from error
        obj.pk = adjustment.pk
        obj.transaction = adjustment.transaction

    def save_related(self, request, form, formsets, change):
        pass


# --- Top-ups -------------------------------------------------------------------------------------


class TopUpEventInline(ReadOnlyInline):
    model = TopUpEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason_text", "gateway_event"]
    readonly_fields = fields


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = ["pk", "company", "amount", "currency", "gateway", "status", "created_at"]
    list_filter = ["status", "gateway", "currency"]
    search_fields = ["company__legal_name", "=provider_reference"]
    list_select_related = ["company"]
    date_hierarchy = "created_at"
    inlines = [TopUpEventInline]


@admin.register(GatewayEvent)
class GatewayEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "event_id", "event_type", "top_up", "outcome"]
    list_filter = ["provider", "outcome", "event_type"]
    search_fields = ["=event_id"]
    list_select_related = ["top_up"]


# --- Finance: payables, payout batches, exports. Read-only here; the work is done on
# the /finance/ pages through payments.payouts and payments.exports. ------------------------------

from payments.models import (  # noqa: E402
    ExportJob,
    PayoutBatch,
    PayoutBatchEvent,
    PayoutLine,
    SupplierPayable,
    SupplierPayableEvent,
)


class SupplierPayableEventInline(ReadOnlyInline):
    model = SupplierPayableEvent
    fields = ["created_at", "from_status", "to_status", "amount_before", "amount_after", "actor"]
    readonly_fields = fields


@admin.register(SupplierPayable)
class SupplierPayableAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "order_reference",
        "company",
        "supplier_reference",
        "payee_name",
        "amount_cny",
        "status",
        "placed_at",
    ]
    list_filter = ["status"]
    search_fields = ["=reference", "=order_reference", "=supplier_reference", "payee_name"]
    list_select_related = ["company"]
    date_hierarchy = "placed_at"
    inlines = [SupplierPayableEventInline]


class PayoutLineInline(ReadOnlyInline):
    model = PayoutLine
    fields = ["payable", "amount_cny", "active"]
    readonly_fields = fields


class PayoutBatchEventInline(ReadOnlyInline):
    model = PayoutBatchEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason_text"]
    readonly_fields = fields


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "status", "supplier_reference", "total_cny", "created_by", "created_at"]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    inlines = [PayoutLineInline, PayoutBatchEventInline]


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "date_from", "date_to", "status", "progress", "requested_by"]
    list_filter = ["status", "kind"]
    list_select_related = ["requested_by"]
    exclude = ["file"]  # files are fetched through the finance page, which checks who asks
