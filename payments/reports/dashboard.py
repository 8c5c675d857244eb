"""Dashboard figures: GMV, fee revenue and FX margin by month and currency, the top merchants
and suppliers, open payables and pending top-ups."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Max, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from payments.models import Account, FxQuote, LedgerTransaction, Posting, SupplierPayable, TopUp
from payments.money import quantize
from payments.reports.periods import period_bounds
from payments.reports.settlement import SETTLEMENT_KINDS
from payments.selectors import ledger_sum
from procurement.accounts.currencies import SETTLEMENT_CURRENCY

Kind = Account.Kind
TxKind = LedgerTransaction.Kind
ZERO = Decimal(0)


@dataclass
class Dashboard:
    date_from: date
    date_to: date
    by_month: list[dict]  # month, currency, gmv, fee, fx_margin
    top_merchants: list[dict]
    top_suppliers: list[dict]
    open_payables: dict
    pending_top_ups: list[dict]


def _month_key(value) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.strftime("%Y-%m")


def dashboard(*, date_from: date, date_to: date, top: int = 10) -> Dashboard:
    start, end = period_bounds(date_from, date_to)
    cells: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    # GMV and FX margin: the goods value and markup of every quote paid (checkouts and price
    # differences), in the wallet currency, before refunds.
    quotes = (
        FxQuote.objects.filter(
            ledger_transaction__kind__in=[TxKind.CHECKOUT, TxKind.PRICE_DIFFERENCE],
            ledger_transaction__created_at__gte=start,
            ledger_transaction__created_at__lt=end,
        )
        .annotate(month=TruncMonth("ledger_transaction__created_at"))
        .values("month", "from_currency")
        .annotate(gmv=Sum("charge_amount"), margin=Sum("markup_amount"))
        .order_by()
    )
    for row in quotes:
        cell = cells[(_month_key(row["month"]), row["from_currency"])]
        cell["gmv"] += ledger_sum(row["gmv"])
        cell["fx_margin"] += ledger_sum(row["margin"])
    # Fee revenue net of refunded fees.
    fees = (
        Posting.objects.filter(
            account__kind=Kind.FEE_REVENUE,
            transaction__created_at__gte=start,
            transaction__created_at__lt=end,
        )
        .annotate(month=TruncMonth("transaction__created_at"))
        .values("month", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in fees:
        cells[(_month_key(row["month"]), row["currency"])]["fee"] += ledger_sum(row["total"])
    by_month = [
        {
            "month": month,
            "currency": currency,
            "gmv": quantize(values.get("gmv", ZERO), currency),
            "fee": quantize(values.get("fee", ZERO), currency),
            "fx_margin": quantize(values.get("fx_margin", ZERO), currency),
        }
        for (month, currency), values in sorted(cells.items())
    ]
    merchants = (
        LedgerTransaction.objects.filter(
            kind__in=SETTLEMENT_KINDS, created_at__gte=start, created_at__lt=end
        )
        .values("company_id", "company__legal_name")
        .annotate(volume=Sum("volume_usd"))
        .order_by("-volume", "company_id")[:top]
    )
    top_merchants = [
        {"name": m["company__legal_name"], "volume_usd": quantize(ledger_sum(m["volume"]), "USD")}
        for m in merchants
        if ledger_sum(m["volume"]) > 0
    ]
    suppliers = (
        SupplierPayable.objects.filter(placed_at__gte=start, placed_at__lt=end)
        .exclude(status=SupplierPayable.Status.CANCELLED)
        .values("supplier_reference")
        .annotate(total=Sum("amount_cny"), n=Count("pk"), payee=Max("payee_name"))
        .order_by("-total", "supplier_reference")[:top]
    )
    top_suppliers = [
        {
            "supplier": s["supplier_reference"],
            "payee": s["payee"],
            "cost_cny": quantize(ledger_sum(s["total"]), SETTLEMENT_CURRENCY),
            "count": s["n"],
        }
        for s in suppliers
    ]
    open_qs = SupplierPayable.objects.filter(
        status__in=[SupplierPayable.Status.OPEN, SupplierPayable.Status.BATCHED]
    ).aggregate(total=Sum("amount_cny"), n=Count("pk"))
    pending = (
        TopUp.objects.filter(status=TopUp.Status.PENDING)
        .values("currency")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by("currency")
    )
    return Dashboard(
        date_from=date_from,
        date_to=date_to,
        by_month=by_month,
        top_merchants=top_merchants,
        top_suppliers=top_suppliers,
        open_payables={
            "count": open_qs["n"] or 0,
            "total_cny": quantize(ledger_sum(open_qs["total"]), SETTLEMENT_CURRENCY),
        },
        pending_top_ups=[
            {
                "currency": row["currency"],
                "count": row["n"],
                "total": quantize(ledger_sum(row["total"]), row["currency"]),
            }
            for row in pending
        ],
    )
