"""Settlement: what each merchant paid, at which rate, and what the goods cost the platform.

One line per merchant-side ledger transaction (checkout, refund, price difference, logistics
charge) with the FX quote behind it, then one line per supplier payable. Lines are grouped by their
opaque references ("order:12", "po:7", "parcel:3").

What people read stands where a reference would: the Reference, Order and Supplier columns hold
the labels the transaction or payable stored when it was written (procurement.core.references:
the order number, "PO-7 of order ...", the supplier's name), or the reference itself when it
named no object then; the last column keeps the line's raw reference, the key finance reconciles
with the ledger and the payables. A settlement is a record of what happened: an order or
supplier renamed later still reads as it did when the money moved.

Written twice, on purpose, and a test keeps the two the same byte for byte:

* in SQL: `settlement_transactions_sql()` is the inner query of the CSV that PostgreSQL formats
  itself with COPY (`payments.exports`);
* in Python: `settlement_rows()`, the reference builder, which the CSV on other databases, the
  XLSX export and the settlement page (`settlement_report()`) all read.

FX margin of a line = (wallet amount - fee) - (CNY amount / mid rate), rounded to the wallet
currency. For a checkout that is exactly the quote's `markup_amount`; for a refund (paid back at
the client rate) it is the markup handed back, negative.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import Account, FxQuote, LedgerTransaction, Posting, SupplierPayable
from payments.money import minor_unit
from payments.reports.periods import period_bounds
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.accounts.models import Company
from procurement.core import replica
from procurement.core.references import stored_label

Kind = Account.Kind
TxKind = LedgerTransaction.Kind
SETTLEMENT_KINDS = (TxKind.CHECKOUT, TxKind.REFUND, TxKind.PRICE_DIFFERENCE, TxKind.LOGISTICS)
ZERO = Decimal(0)

SETTLEMENT_COLUMNS = [
    gettext_lazy("Date"),
    gettext_lazy("Line"),
    gettext_lazy("Reference"),
    gettext_lazy("Order"),
    gettext_lazy("Merchant"),
    gettext_lazy("Supplier"),
    gettext_lazy("Currency"),
    gettext_lazy("Paid (wallet currency)"),
    gettext_lazy("Mid rate"),
    gettext_lazy("Client rate"),
    gettext_lazy("Markup (bps)"),
    gettext_lazy("Goods (CNY)"),
    gettext_lazy("FX margin"),
    gettext_lazy("Fee"),
    gettext_lazy("Supplier cost (CNY)"),
    gettext_lazy("Freight charged"),
    gettext_lazy("Freight paid (CNY)"),
    gettext_lazy("State"),
    gettext_lazy("System reference"),
]


def _platform_account_ids() -> dict[str, list[int]]:
    """Platform accounts are few; filtering postings by id avoids a join per line."""
    ids: dict[str, list[int]] = defaultdict(list)
    for pk, kind in Account.objects.filter(company__isnull=True).values_list("pk", "kind"):
        ids[kind].append(pk)
    return ids


def _posting_total(**filters) -> Sum:
    """The sum of the transaction's postings that match `filters` (NULL when none do)."""
    return Sum("postings__amount", filter=Q(**{f"postings__{k}": v for k, v in filters.items()}))


def settlement_transactions(*, date_from: date, date_to: date) -> QuerySet:
    """Merchant-side ledger transactions of the period, one values() row each, oldest first.

    The posting totals come from one aggregation over the transaction's postings (a join and a
    GROUP BY), not from a correlated subquery per column: each posting is read once.
    """
    start, end = period_bounds(date_from, date_to)
    ids = _platform_account_ids()
    wallet = Q(postings__account__kind=Kind.WALLET)
    return (
        LedgerTransaction.objects.filter(
            kind__in=SETTLEMENT_KINDS, created_at__gte=start, created_at__lt=end
        )
        .annotate(
            merchant=F("company__legal_name"),
            mid=Coalesce("quote__mid_rate", "related__quote__mid_rate"),
            client=Coalesce("quote__client_rate", "related__quote__client_rate"),
            markup_bps=Coalesce("quote__markup_bps", "related__quote__markup_bps"),
            wallet=Sum("postings__amount", filter=wallet),
            wallet_currency=Max("postings__currency", filter=wallet),
            goods=_posting_total(account_id__in=ids[Kind.SUPPLIER_PAYABLE] or [0]),
            fee=_posting_total(account_id__in=ids[Kind.FEE_REVENUE] or [0]),
            freight=_posting_total(account_id__in=ids[Kind.LOGISTICS_REVENUE] or [0]),
        )
        .order_by("created_at", "pk")
        .values_list(
            "pk",
            "created_at",
            "kind",
            "reference",
            "reference_labels",
            "merchant",
            "wallet_currency",
            "wallet",
            "mid",
            "client",
            "markup_bps",
            "goods",
            "fee",
            "freight",
        )
    )


_SETTLEMENT_TRANSACTIONS_SQL = """
SELECT t.id, t.created_at, t.kind, t.reference, t.reference_labels, c.legal_name,
       p.wallet_currency, p.wallet,
       COALESCE(q.mid_rate, rq.mid_rate), COALESCE(q.client_rate, rq.client_rate),
       COALESCE(q.markup_bps, rq.markup_bps), p.goods, p.fee, p.freight
  FROM {transaction} t
  LEFT JOIN {company} c ON c.id = t.company_id
  LEFT JOIN {quote} q ON q.id = t.quote_id
  LEFT JOIN {transaction} r ON r.id = t.related_id
  LEFT JOIN {quote} rq ON rq.id = r.quote_id
  LEFT JOIN LATERAL (
    SELECT max(po.currency) FILTER (WHERE a.kind = %(wallet)s) AS wallet_currency,
           sum(po.amount) FILTER (WHERE a.kind = %(wallet)s) AS wallet,
           sum(po.amount) FILTER (WHERE po.account_id = ANY(%(goods)s)) AS goods,
           sum(po.amount) FILTER (WHERE po.account_id = ANY(%(fee)s)) AS fee,
           sum(po.amount) FILTER (WHERE po.account_id = ANY(%(freight)s)) AS freight
      FROM {posting} po JOIN {account} a ON a.id = po.account_id
     WHERE po.transaction_id = t.id
  ) p ON true
 WHERE t.kind = ANY(%(kinds)s) AND t.created_at >= %(start)s AND t.created_at < %(end)s
 ORDER BY t.created_at, t.id
"""


def settlement_transactions_sql(*, date_from: date, date_to: date) -> tuple[str, dict] | None:
    """PostgreSQL: the rows of `settlement_transactions()` from one pass over the postings of
    each transaction (a LATERAL aggregate in created_at order, so rows stream from the first
    one); None on other databases, which use the queryset."""
    if connection.vendor != "postgresql":
        return None
    start, end = period_bounds(date_from, date_to)
    ids = _platform_account_ids()
    quote = connection.ops.quote_name
    sql = _SETTLEMENT_TRANSACTIONS_SQL.format(
        transaction=quote(LedgerTransaction._meta.db_table),
        company=quote(Company._meta.db_table),
        quote=quote(FxQuote._meta.db_table),
        posting=quote(Posting._meta.db_table),
        account=quote(Account._meta.db_table),
    )
    params = {
        "wallet": Kind.WALLET.value,
        "goods": ids[Kind.SUPPLIER_PAYABLE],
        "fee": ids[Kind.FEE_REVENUE],
        "freight": ids[Kind.LOGISTICS_REVENUE],
        "kinds": [str(kind) for kind in SETTLEMENT_KINDS],
        "start": start,
        "end": end,
    }
    return sql, params


def _settlement_transaction_tuples(*, date_from: date, date_to: date, chunk_size: int):
    raw = settlement_transactions_sql(date_from=date_from, date_to=date_to)
    if raw is None:
        yield from settlement_transactions(date_from=date_from, date_to=date_to).iterator(
            chunk_size=chunk_size
        )
        return
    # A server-side cursor: memory holds one chunk, whatever the period.
    with replica.reading_connection().chunked_cursor() as cursor:
        cursor.execute(*raw)
        while rows := cursor.fetchmany(chunk_size):
            yield from rows


def settlement_payables(*, date_from: date, date_to: date) -> QuerySet:
    start, end = period_bounds(date_from, date_to)
    return (
        SupplierPayable.objects.filter(placed_at__gte=start, placed_at__lt=end)
        .order_by("placed_at", "pk")
        .values_list(
            "placed_at",
            "reference",
            "reference_labels",
            "order_reference",
            "order_labels",
            "company__legal_name",
            "supplier_reference",
            "supplier_labels",
            "amount_cny",
            "freight_cny",
            "status",
        )
    )


def settlement_line_count(*, date_from: date, date_to: date) -> int:
    start, end = period_bounds(date_from, date_to)
    return (
        LedgerTransaction.objects.filter(
            kind__in=SETTLEMENT_KINDS, created_at__gte=start, created_at__lt=end
        ).count()
        + SupplierPayable.objects.filter(placed_at__gte=start, placed_at__lt=end).count()
    )


SETTLEMENT_CHUNK_ROWS = 2000
_LEDGER_PLACES = Decimal("0.0001")  # ledger_sum()'s precision
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class _Money:
    """The settlement's rounding: `payments.money.quantize(selectors.ledger_sum(v), c)` with the
    exponent looked up once per currency, without a string round trip (the export's hot path).
    `payments.exports` writes the same rules in SQL for COPY."""

    def __init__(self):
        self._exponents: dict[str, Decimal] = {}

    def exponent(self, currency: str) -> Decimal:
        exponent = self._exponents.get(currency)
        if exponent is None:
            exponent = self._exponents[currency] = Decimal(1).scaleb(-minor_unit(currency))
        return exponent

    def amount(self, value, currency: str) -> Decimal:
        """A database sum (None: zero) at ledger precision, then rounded half away from zero."""
        if not value:
            value = ZERO
        elif not isinstance(value, Decimal):
            value = Decimal(str(value))  # SQLite sums decimals as floats
        return value.quantize(_LEDGER_PLACES).quantize(
            self.exponent(currency), rounding=ROUND_HALF_UP
        )

    def round(self, value: Decimal, currency: str) -> Decimal:
        return value.quantize(self.exponent(currency), rounding=ROUND_HALF_UP)

    def fx_margin(self, *, paid, fee, cny, mid, currency: str) -> Decimal:
        """(paid - fee) - cny / mid, rounded to `currency`; zero without a mid rate or in CNY."""
        if not mid or currency == SETTLEMENT_CURRENCY:
            return self.round(ZERO, currency)
        return self.round(paid - fee - self.round(cny / mid, currency), currency)


def _transaction_values(*, date_from: date, date_to: date, chunk_size: int) -> Iterator[tuple]:
    """(at, kind, reference, label, merchant, currency, paid, mid, client, markup, goods_cny,
    fx_margin, fee, freight) per merchant-side transaction, money already rounded."""
    money = _Money()
    rows = _settlement_transaction_tuples(
        date_from=date_from, date_to=date_to, chunk_size=chunk_size
    )
    for (
        _pk,
        at,
        kind,
        reference,
        label,
        merchant,
        currency,
        wallet,
        mid,
        client,
        markup,
        goods,
        fee,
        freight,
    ) in rows:
        currency = currency or SETTLEMENT_CURRENCY
        paid = ZERO - money.amount(wallet, currency)  # never "-0.00"
        fee_amount = money.amount(fee, currency)
        goods_cny = money.amount(goods, SETTLEMENT_CURRENCY)
        freight_amount = money.amount(freight, SETTLEMENT_CURRENCY)
        margin = money.fx_margin(
            paid=paid, fee=fee_amount, cny=goods_cny + freight_amount, mid=mid, currency=currency
        )
        yield (
            at,
            kind,
            reference,
            label,
            merchant or "",
            currency,
            paid,
            mid,
            client,
            markup,
            goods_cny,
            margin,
            fee_amount,
            freight_amount,
        )


def _payable_values(*, date_from: date, date_to: date, chunk_size: int) -> Iterator[tuple]:
    """(at, reference, label, order_reference, order_label, merchant, supplier, supplier_label,
    cost_cny, freight_paid_cny, status) per supplier payable; the freight counts as paid once
    the payable is."""
    money = _Money()
    paid_status = SupplierPayable.Status.PAID
    payables = settlement_payables(date_from=date_from, date_to=date_to)
    for (
        at,
        reference,
        label,
        order_reference,
        order_label,
        merchant,
        supplier,
        supplier_label,
        amount,
        freight,
        status,
    ) in payables.iterator(chunk_size=chunk_size):
        yield (
            at,
            reference,
            label,
            order_reference,
            order_label,
            merchant,
            supplier,
            supplier_label,
            None if amount is None else money.amount(amount, SETTLEMENT_CURRENCY),
            None
            if freight is None or status != paid_status
            else money.amount(freight, SETTLEMENT_CURRENCY),
            status,
        )


def settlement_rows(
    *, date_from: date, date_to: date, chunk_size: int | None = None
) -> Iterator[tuple]:
    """The settlement lines of the period as rows in SETTLEMENT_COLUMNS order, built straight
    from the query's tuples: the Python reference builder (the CSV off PostgreSQL, the XLSX).
    Streamed from the database in chunks (a server-side cursor on PostgreSQL). A reference
    column shows the label its row stored in the reader's language (`references.stored_label`),
    else the reference itself (`payments.exports` writes the same
    rule in SQL for COPY)."""
    chunk_size = chunk_size or SETTLEMENT_CHUNK_ROWS
    tz = timezone.get_current_timezone()
    kind_labels = {value: str(label) for value, label in TxKind.choices}
    status_labels = {value: str(label) for value, label in SupplierPayable.Status.choices}
    posted = str(_("Posted"))
    payable_label = str(_("Supplier payable"))
    period = {"date_from": date_from, "date_to": date_to, "chunk_size": chunk_size}
    for (
        at,
        kind,
        reference,
        label,
        merchant,
        currency,
        paid,
        mid,
        client,
        markup,
        goods_cny,
        margin,
        fee,
        freight,
    ) in _transaction_values(**period):
        shown = stored_label(label) or reference
        yield (
            at.astimezone(tz).strftime(_DATE_FORMAT),
            kind_labels.get(kind, kind),
            shown,
            shown if reference.startswith("order:") else "",
            merchant,
            "",
            currency,
            paid,
            mid,
            client,
            markup,
            goods_cny,
            margin,
            fee,
            None,
            freight,
            None,
            posted,
            reference,
        )
    for (
        at,
        reference,
        label,
        order_reference,
        order_label,
        merchant,
        supplier,
        supplier_label,
        cost,
        freight_paid,
        status,
    ) in _payable_values(**period):
        yield (
            at.astimezone(tz).strftime(_DATE_FORMAT),
            payable_label,
            stored_label(label) or reference,
            stored_label(order_label) or order_reference,
            merchant,
            stored_label(supplier_label) or supplier,
            SETTLEMENT_CURRENCY,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            cost,
            None,
            freight_paid,
            status_labels.get(status, status),
            reference,
        )


@dataclass
class OrderSettlement:
    """One order reference's money in a period: what the merchant paid and what it cost."""

    reference: str
    merchant: str = ""
    currency: str = ""
    paid: Decimal = ZERO
    mid_rate: Decimal | None = None
    client_rate: Decimal | None = None
    goods_cny: Decimal = ZERO
    fx_margin: Decimal = ZERO
    fee: Decimal = ZERO
    supplier_cost_cny: Decimal = ZERO
    freight_charged: Decimal = ZERO
    freight_paid_cny: Decimal = ZERO
    purchase_orders: list = field(default_factory=list)  # (reference, supplier, cny, state)


@dataclass
class SettlementReport:
    date_from: date
    date_to: date
    orders: list[OrderSettlement]
    per_currency: dict[str, dict[str, Decimal]]
    per_merchant: dict[tuple[str, str], dict[str, Decimal]]
    per_supplier: dict[str, dict[str, Decimal]]
    line_count: int
    truncated: bool


SETTLEMENT_PAGE_ORDERS = 500


def settlement_report(
    *, date_from: date, date_to: date, max_orders: int = SETTLEMENT_PAGE_ORDERS
) -> SettlementReport:
    """The lines of `settlement_rows()`'s builder grouped by reference, with totals per currency,
    merchant and supplier. Totals cover the whole period; only the first `max_orders`
    references are kept for display."""
    orders: dict[str, OrderSettlement] = {}
    per_currency: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    per_merchant: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    per_supplier: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    count = 0
    truncated = False

    def group_for(reference: str) -> OrderSettlement | None:
        nonlocal truncated
        group = orders.get(reference)
        if group is None and len(orders) < max_orders:
            group = orders[reference] = OrderSettlement(reference=reference)
        elif group is None:
            truncated = True
        return group

    period = {"date_from": date_from, "date_to": date_to, "chunk_size": SETTLEMENT_CHUNK_ROWS}
    for (
        _at,
        _kind,
        reference,
        _label,
        merchant,
        currency,
        paid,
        mid,
        client,
        _markup,
        goods_cny,
        margin,
        fee,
        freight,
    ) in _transaction_values(**period):
        count += 1
        group = group_for(reference)
        for bucket in (per_currency[currency], per_merchant[(merchant, currency)]):
            bucket["paid"] += paid
            bucket["fx_margin"] += margin
            bucket["fee"] += fee
            bucket["goods_cny"] += goods_cny
            bucket["freight_charged"] += freight
        if group is not None:
            group.merchant = merchant
            group.currency = currency
            group.paid += paid
            group.goods_cny += goods_cny
            group.fx_margin += margin
            group.fee += fee
            group.freight_charged += freight
            if group.mid_rate is None and mid is not None:
                group.mid_rate, group.client_rate = mid, client
    status_labels = {value: str(label) for value, label in SupplierPayable.Status.choices}
    for (
        _at,
        reference,
        _label,
        order_reference,
        _order_label,
        merchant,
        supplier,
        _supplier_label,
        cost,
        freight_paid,
        status,
    ) in _payable_values(**period):
        count += 1
        group = group_for(order_reference or reference)
        by_supplier = per_supplier[supplier]
        by_supplier["cost_cny"] += cost
        by_supplier["count"] += 1
        if freight_paid is not None:
            by_supplier["paid_cny"] += cost
        per_currency[SETTLEMENT_CURRENCY]["supplier_cost"] += cost
        if group is not None:
            group.merchant = group.merchant or merchant
            group.supplier_cost_cny += cost
            group.freight_paid_cny += freight_paid or ZERO
            group.purchase_orders.append(
                (reference, supplier, cost, status_labels.get(status, status))
            )
    return SettlementReport(
        date_from=date_from,
        date_to=date_to,
        orders=list(orders.values()),
        per_currency={k: dict(v) for k, v in sorted(per_currency.items())},
        per_merchant={k: dict(v) for k, v in sorted(per_merchant.items())},
        per_supplier={k: dict(v) for k, v in sorted(per_supplier.items())},
        line_count=count,
        truncated=truncated,
    )
