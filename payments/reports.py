"""Finance reports read from the ledger and the supplier payables, never from typed numbers.

* Settlement: one line per merchant-side ledger transaction (checkout, refund, price difference,
  logistics charge) with the FX quote behind it, then one line per supplier payable. Lines are
  grouped by their opaque references ("order:12", "po:7", "parcel:3").
* Reconciliation: wallets against their postings, gateway top-ups against ledger credits,
  payables against payouts, every transaction balanced per currency.
* Merchant statements: a company's wallet postings for a month with opening and closing balances.
* Dashboard figures: GMV, fee revenue and FX margin by month and currency, and the top lists.

FX margin of a line = (wallet amount - fee) - (CNY amount / mid rate), rounded to the wallet
currency. For a checkout that is exactly the quote's `markup_amount`; for a refund (paid back at
the client rate) it is the markup handed back, negative.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import (
    Account,
    FxQuote,
    LedgerTransaction,
    PayoutBatch,
    PayoutLine,
    Posting,
    SupplierPayable,
    TopUp,
)
from payments.money import minor_unit, quantize
from payments.payouts import PAYOUT_BANK, SUPPLIER_PAYOUT
from payments.selectors import ledger_sum
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.accounts.models import Company

Kind = Account.Kind
TxKind = LedgerTransaction.Kind
SETTLEMENT_KINDS = (TxKind.CHECKOUT, TxKind.REFUND, TxKind.PRICE_DIFFERENCE, TxKind.LOGISTICS)
ZERO = Decimal(0)


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) in the current time zone."""
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(date_from, time.min, tzinfo=tz),
        datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz),
    )


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


# --- Settlement -----------------------------------------------------------------------------------

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
]

_PLATFORM_KINDS = (Kind.SUPPLIER_PAYABLE, Kind.FEE_REVENUE, Kind.LOGISTICS_REVENUE)


def _platform_account_ids() -> dict[str, list[int]]:
    """Platform accounts are few; filtering postings by id avoids a join per line."""
    ids: dict[str, list[int]] = defaultdict(list)
    for pk, kind in Account.objects.filter(company__isnull=True).values_list("pk", "kind"):
        ids[kind].append(pk)
    return ids


def _posting_sum(**filters) -> Subquery:
    return Subquery(
        Posting.objects.filter(transaction=OuterRef("pk"), **filters)
        .order_by()
        .values("transaction")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )


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
SELECT t.id, t.created_at, t.kind, t.reference, c.legal_name, p.wallet_currency, p.wallet,
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
    with connection.chunked_cursor() as cursor:
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
            "order_reference",
            "company__legal_name",
            "supplier_reference",
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


def _amount(value, currency: str) -> Decimal | None:
    return None if value is None else quantize(ledger_sum(value), currency)


def fx_margin(
    *, paid: Decimal, fee: Decimal, cny: Decimal, mid: Decimal | None, currency: str
) -> Decimal:
    if not mid or currency == SETTLEMENT_CURRENCY:
        return quantize(ZERO, currency)
    return quantize(paid - fee - quantize(cny / mid, currency), currency)


@dataclass
class SettlementLine:
    at: datetime
    line: str
    reference: str
    order_reference: str
    merchant: str
    supplier: str
    currency: str
    paid: Decimal | None
    mid_rate: Decimal | None
    client_rate: Decimal | None
    markup_bps: int | None
    goods_cny: Decimal | None
    fx_margin: Decimal | None
    fee: Decimal | None
    supplier_cost_cny: Decimal | None
    freight_charged: Decimal | None
    freight_paid_cny: Decimal | None
    state: str
    is_payable: bool = False

    def as_row(self) -> list:
        return [
            timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M:%S"),
            self.line,
            self.reference,
            self.order_reference,
            self.merchant,
            self.supplier,
            self.currency,
            self.paid,
            self.mid_rate,
            self.client_rate,
            self.markup_bps,
            self.goods_cny,
            self.fx_margin,
            self.fee,
            self.supplier_cost_cny,
            self.freight_charged,
            self.freight_paid_cny,
            self.state,
        ]


SETTLEMENT_CHUNK_ROWS = 2000
_LEDGER_PLACES = Decimal("0.0001")  # ledger_sum()'s precision
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class _Money:
    """Per-currency rounding with the exponent looked up once: `quantize(ledger_sum(v), c)`
    without its per-call currency lookup and string round trip (the export's hot path)."""

    def __init__(self):
        self._exponents: dict[str, Decimal] = {}

    def exponent(self, currency: str) -> Decimal:
        exponent = self._exponents.get(currency)
        if exponent is None:
            exponent = self._exponents[currency] = Decimal(1).scaleb(-minor_unit(currency))
        return exponent

    def amount(self, value, currency: str) -> Decimal:
        """`_amount(value or 0, currency)`: a database sum at ledger precision, then rounded."""
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
        """`fx_margin()`, with this cache."""
        if not mid or currency == SETTLEMENT_CURRENCY:
            return self.round(ZERO, currency)
        return self.round(paid - fee - self.round(cny / mid, currency), currency)


def _transaction_values(*, date_from: date, date_to: date, chunk_size: int) -> Iterator[tuple]:
    """(at, kind, reference, merchant, currency, paid, mid, client, markup, goods_cny,
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
    """(at, reference, order_reference, merchant, supplier, cost_cny, freight_paid_cny, status)
    per supplier payable; the freight counts as paid once the payable is."""
    money = _Money()
    paid_status = SupplierPayable.Status.PAID
    payables = settlement_payables(date_from=date_from, date_to=date_to)
    for (
        at,
        reference,
        order_reference,
        merchant,
        supplier,
        amount,
        freight,
        status,
    ) in payables.iterator(chunk_size=chunk_size):
        yield (
            at,
            reference,
            order_reference,
            merchant,
            supplier,
            None if amount is None else money.amount(amount, SETTLEMENT_CURRENCY),
            None
            if freight is None or status != paid_status
            else money.amount(freight, SETTLEMENT_CURRENCY),
            status,
        )


def settlement_rows(
    *, date_from: date, date_to: date, chunk_size: int | None = None
) -> Iterator[tuple]:
    """The settlement lines of the period as rows in SETTLEMENT_COLUMNS order (what
    `SettlementLine.as_row()` gives), built straight from the query's tuples: the exports' path.
    Streamed from the database in chunks (a server-side cursor on PostgreSQL)."""
    chunk_size = chunk_size or SETTLEMENT_CHUNK_ROWS
    tz = timezone.get_current_timezone()
    kind_labels = {value: str(label) for value, label in TxKind.choices}
    status_labels = {value: str(label) for value, label in SupplierPayable.Status.choices}
    posted = str(_("Posted"))
    payable_label = str(_("Supplier payable"))
    for (
        at,
        kind,
        reference,
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
    ) in _transaction_values(date_from=date_from, date_to=date_to, chunk_size=chunk_size):
        yield (
            at.astimezone(tz).strftime(_DATE_FORMAT),
            kind_labels.get(kind, kind),
            reference,
            reference if reference.startswith("order:") else "",
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
        )
    for (
        at,
        reference,
        order_reference,
        merchant,
        supplier,
        cost,
        freight_paid,
        status,
    ) in _payable_values(date_from=date_from, date_to=date_to, chunk_size=chunk_size):
        yield (
            at.astimezone(tz).strftime(_DATE_FORMAT),
            payable_label,
            reference,
            order_reference,
            merchant,
            supplier,
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
        )


def settlement_lines(
    *, date_from: date, date_to: date, chunk_size: int | None = None
) -> Iterator[SettlementLine]:
    """Every settlement line of the period, streamed from the database in chunks (a server-side
    cursor on PostgreSQL), so memory does not grow with the range."""
    chunk_size = chunk_size or SETTLEMENT_CHUNK_ROWS
    kind_labels = dict(TxKind.choices)
    status_labels = dict(SupplierPayable.Status.choices)
    posted = _("Posted")
    payable_label = _("Supplier payable")
    for (
        at,
        kind,
        reference,
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
    ) in _transaction_values(date_from=date_from, date_to=date_to, chunk_size=chunk_size):
        yield SettlementLine(
            at=at,
            line=str(kind_labels.get(kind, kind)),
            reference=reference,
            order_reference=reference if reference.startswith("order:") else "",
            merchant=merchant,
            supplier="",
            currency=currency,
            paid=paid,
            mid_rate=mid,
            client_rate=client,
            markup_bps=markup,
            goods_cny=goods_cny,
            fx_margin=margin,
            fee=fee,
            supplier_cost_cny=None,
            freight_charged=freight,
            freight_paid_cny=None,
            state=str(posted),
        )
    for (
        at,
        reference,
        order_reference,
        merchant,
        supplier,
        cost,
        freight_paid,
        status,
    ) in _payable_values(date_from=date_from, date_to=date_to, chunk_size=chunk_size):
        yield SettlementLine(
            at=at,
            line=str(payable_label),
            reference=reference,
            order_reference=order_reference,
            merchant=merchant,
            supplier=supplier,
            currency=SETTLEMENT_CURRENCY,
            paid=None,
            mid_rate=None,
            client_rate=None,
            markup_bps=None,
            goods_cny=None,
            fx_margin=None,
            fee=None,
            supplier_cost_cny=cost,
            freight_charged=None,
            freight_paid_cny=freight_paid,
            state=str(status_labels.get(status, status)),
            is_payable=True,
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
    """Lines grouped by reference, with totals per currency, merchant and supplier. Totals cover
    the whole period; only the first `max_orders` references are kept for display."""
    orders: dict[str, OrderSettlement] = {}
    per_currency: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    per_merchant: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    per_supplier: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    count = 0
    truncated = False
    for line in settlement_lines(date_from=date_from, date_to=date_to):
        count += 1
        key = line.order_reference or line.reference
        group = orders.get(key)
        if group is None and len(orders) < max_orders:
            group = orders[key] = OrderSettlement(reference=key)
        elif group is None:
            truncated = True
        if line.is_payable:
            supplier = per_supplier[line.supplier]
            supplier["cost_cny"] += line.supplier_cost_cny
            supplier["count"] += 1
            if line.freight_paid_cny is not None:
                supplier["paid_cny"] += line.supplier_cost_cny
            per_currency[SETTLEMENT_CURRENCY]["supplier_cost"] += line.supplier_cost_cny
            if group is not None:
                group.merchant = group.merchant or line.merchant
                group.supplier_cost_cny += line.supplier_cost_cny
                group.freight_paid_cny += line.freight_paid_cny or ZERO
                group.purchase_orders.append(
                    (line.reference, line.supplier, line.supplier_cost_cny, line.state)
                )
            continue
        totals = per_currency[line.currency]
        merchant = per_merchant[(line.merchant, line.currency)]
        for bucket in (totals, merchant):
            bucket["paid"] += line.paid
            bucket["fx_margin"] += line.fx_margin
            bucket["fee"] += line.fee
            bucket["goods_cny"] += line.goods_cny
            bucket["freight_charged"] += line.freight_charged
        if group is not None:
            group.merchant = line.merchant
            group.currency = line.currency
            group.paid += line.paid
            group.goods_cny += line.goods_cny
            group.fx_margin += line.fx_margin
            group.fee += line.fee
            group.freight_charged += line.freight_charged
            if group.mid_rate is None and line.mid_rate is not None:
                group.mid_rate, group.client_rate = line.mid_rate, line.client_rate
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


# --- Reconciliation -------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    description: str
    exceptions: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.exceptions


@dataclass
class Reconciliation:
    date_from: date
    date_to: date
    checks: list[Check]
    figures: dict[str, Decimal]

    @property
    def clean(self) -> bool:
        return all(check.ok for check in self.checks)


def _check_wallets() -> Check:
    check = Check(
        _("Wallet balances"),
        _("Each wallet's balance equals the sum of its postings and is not negative."),
    )
    accounts = (
        Account.objects.filter(kind=Kind.WALLET)
        .select_related("company")
        .annotate(posted=Sum("postings__amount"))
        .order_by("pk")
    )
    for account in accounts:
        check.checked += 1
        posted = ledger_sum(account.posted)
        if posted != account.balance:
            check.exceptions.append(
                _("%(account)s shows %(balance)s but its postings sum to %(posted)s.")
                % {"account": account, "balance": account.balance, "posted": posted}
            )
        if account.balance < 0:
            check.exceptions.append(_("%(account)s is negative.") % {"account": account})
    return check


def _check_balanced(start: datetime, end: datetime) -> Check:
    check = Check(
        _("Balanced transactions"),
        _("Every ledger transaction of the period sums to zero in each currency."),
    )
    txs = LedgerTransaction.objects.filter(created_at__gte=start, created_at__lt=end)
    check.checked = txs.count()
    rows = (
        Posting.objects.filter(transaction__in=txs)
        .values("transaction_id", "transaction__reference", "currency")
        .annotate(total=Sum("amount"))
        .order_by("transaction_id", "currency")
    )
    for row in rows:
        if ledger_sum(row["total"]) != 0:
            check.exceptions.append(
                _("Transaction %(pk)s (%(reference)s) is off by %(total)s %(currency)s.")
                % {
                    "pk": row["transaction_id"],
                    "reference": row["transaction__reference"],
                    "total": ledger_sum(row["total"]),
                    "currency": row["currency"],
                }
            )
    few = txs.annotate(n=Count("postings")).filter(n__lt=2).values_list("pk", flat=True)
    check.exceptions.extend(
        _("Transaction %(pk)s has fewer than two postings.") % {"pk": pk} for pk in few
    )
    return check


def _top_up_credits(**filters) -> QuerySet:
    return (
        LedgerTransaction.objects.filter(kind=TxKind.TOP_UP, **filters)
        .annotate(
            wallet=_posting_sum(account__kind=Kind.WALLET),
            currency=Subquery(
                Posting.objects.filter(transaction=OuterRef("pk"), account__kind=Kind.WALLET)
                .order_by()
                .values("currency")[:1]
            ),
        )
        .values_list("pk", "reference", "wallet", "currency")
        .order_by("pk")
    )


def _check_top_ups(start: datetime, end: datetime) -> Check:
    check = Check(
        _("Gateway top-ups"),
        _(
            "Each succeeded top-up is credited exactly once, for its amount and currency, and "
            "every top-up credit belongs to a succeeded top-up."
        ),
    )
    in_period = list(_top_up_credits(created_at__gte=start, created_at__lt=end))
    credited_pks = [
        int(ref.split(":", 1)[1])
        for _pk, ref, _w, _c in in_period
        if ref.startswith("topup:") and ref.split(":", 1)[1].isdigit()
    ]
    top_ups = list(
        TopUp.objects.filter(
            Q(created_at__gte=start, created_at__lt=end) | Q(pk__in=credited_pks)
        ).order_by("pk")
    )
    # Credits of these top-ups at any time: a duplicate may fall outside the period.
    credits: dict[str, list] = defaultdict(list)
    for row in _top_up_credits(reference__in=[t.reference for t in top_ups]):
        credits[row[1]].append(row)
    for top_up in top_ups:
        check.checked += 1
        matched = credits.get(top_up.reference, [])
        if top_up.status != TopUp.Status.SUCCEEDED:
            if matched:
                check.exceptions.append(
                    _("Top-up #%(pk)s is %(status)s but was credited (transaction %(tx)s).")
                    % {
                        "pk": top_up.pk,
                        "status": top_up.get_status_display(),
                        "tx": matched[0][0],
                    }
                )
            continue
        if not matched:
            check.exceptions.append(
                _("Top-up #%(pk)s succeeded but was never credited.") % {"pk": top_up.pk}
            )
        elif len(matched) > 1:
            check.exceptions.append(
                _("Top-up #%(pk)s was credited %(n)s times (transactions %(txs)s).")
                % {
                    "pk": top_up.pk,
                    "n": len(matched),
                    "txs": ", ".join(str(row[0]) for row in matched),
                }
            )
        for tx_pk, _ref, wallet, currency in matched:
            if ledger_sum(wallet) != top_up.amount or currency != top_up.currency:
                check.exceptions.append(
                    _(
                        "Transaction %(tx)s credits %(amount)s %(currency)s for top-up "
                        "#%(pk)s of %(expected)s %(expected_currency)s."
                    )
                    % {
                        "tx": tx_pk,
                        "amount": ledger_sum(wallet),
                        "currency": currency,
                        "pk": top_up.pk,
                        "expected": top_up.amount,
                        "expected_currency": top_up.currency,
                    }
                )
    known = {t.reference for t in top_ups}
    for tx_pk, reference, _w, _c in in_period:
        if reference not in known:
            check.exceptions.append(
                _("Credit transaction %(tx)s (%(reference)s) matches no top-up.")
                % {"tx": tx_pk, "reference": reference}
            )
    return check


def _check_payables(start: datetime, end: datetime) -> Check:
    check = Check(
        _("Supplier payables and payouts"),
        _(
            "Every payable placed by the end of the period is paid, each paid payable is in "
            "exactly one paid batch, and each paid batch posted its total to the ledger."
        ),
    )
    payables = SupplierPayable.objects.filter(placed_at__lt=end).exclude(
        status=SupplierPayable.Status.CANCELLED
    )
    active_lines = PayoutLine.objects.filter(active=True).select_related("batch")
    lines_by_payable: dict[int, list[PayoutLine]] = defaultdict(list)
    for line in active_lines.filter(payable__in=payables):
        lines_by_payable[line.payable_id].append(line)
    for payable in payables.order_by("placed_at", "pk"):
        check.checked += 1
        lines = lines_by_payable.get(payable.pk, [])
        if payable.status != SupplierPayable.Status.PAID:
            check.exceptions.append(
                _("%(reference)s (%(payee)s, %(amount)s CNY) is unpaid: %(status)s.")
                % {
                    "reference": payable.reference,
                    "payee": payable.payee_name,
                    "amount": payable.amount_cny,
                    "status": payable.get_status_display(),
                }
            )
            continue
        paid_lines = [line for line in lines if line.batch.status == PayoutBatch.Status.PAID]
        if len(paid_lines) != 1:
            check.exceptions.append(
                _("%(reference)s is marked paid but is in %(n)s paid batches.")
                % {"reference": payable.reference, "n": len(paid_lines)}
            )
    batches = PayoutBatch.objects.filter(
        status=PayoutBatch.Status.PAID, paid_at__gte=start, paid_at__lt=end
    ).annotate(
        lines_total=Sum("lines__amount_cny", filter=Q(lines__active=True)),
        posted=_posting_sum_for_batch(),
    )
    for batch in batches:
        lines_total = ledger_sum(batch.lines_total)
        posted = ledger_sum(batch.posted)
        if not (lines_total == batch.total_cny == posted):
            check.exceptions.append(
                _("%(batch)s: lines %(lines)s, total %(total)s, posted to the bank %(posted)s CNY.")
                % {"batch": batch, "lines": lines_total, "total": batch.total_cny, "posted": posted}
            )
    return check


def _posting_sum_for_batch() -> Subquery:
    return Subquery(
        Posting.objects.filter(transaction=OuterRef("transaction"), account__kind=PAYOUT_BANK)
        .order_by()
        .values("transaction")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )


def reconciliation(*, date_from: date, date_to: date) -> Reconciliation:
    start, end = period_bounds(date_from, date_to)
    checks = [
        _check_balanced(start, end),
        _check_wallets(),
        _check_top_ups(start, end),
        _check_payables(start, end),
    ]
    payable_ledger = Account.objects.filter(
        kind=Kind.SUPPLIER_PAYABLE, company__isnull=True, currency=SETTLEMENT_CURRENCY
    ).first()
    open_total = SupplierPayable.objects.filter(
        status__in=[SupplierPayable.Status.OPEN, SupplierPayable.Status.BATCHED]
    ).aggregate(total=Sum("amount_cny"))["total"]
    figures = {
        "supplier_payable_ledger": payable_ledger.balance if payable_ledger else ZERO,
        "open_payables": ledger_sum(open_total),
        "payouts_in_period": ledger_sum(
            Posting.objects.filter(
                account__kind=PAYOUT_BANK,
                transaction__kind=SUPPLIER_PAYOUT,
                transaction__created_at__gte=start,
                transaction__created_at__lt=end,
            ).aggregate(total=Sum("amount"))["total"]
        ),
    }
    return Reconciliation(date_from=date_from, date_to=date_to, checks=checks, figures=figures)


# --- Merchant statements --------------------------------------------------------------------------


@dataclass
class StatementSection:
    currency: str
    opening: Decimal
    closing: Decimal
    credits: Decimal
    debits: Decimal
    postings: list


def merchant_statement(*, company: Company, year: int, month: int) -> list[StatementSection]:
    """One section per wallet currency: opening balance, the month's postings, closing balance."""
    first, last = month_bounds(year, month)
    start, end = period_bounds(first, last)
    sections = []
    for account in Account.objects.filter(company=company, kind=Kind.WALLET).order_by("currency"):
        before = (
            Posting.objects.filter(account=account, transaction__created_at__lt=start)
            .order_by("-transaction__created_at", "-pk")
            .values_list("balance_after", flat=True)
            .first()
        )
        opening = before if before is not None else ZERO
        postings = list(
            Posting.objects.filter(
                account=account,
                transaction__created_at__gte=start,
                transaction__created_at__lt=end,
            )
            .select_related("transaction")
            .order_by("transaction__created_at", "pk")
        )
        credits = sum((p.amount for p in postings if p.amount > 0), ZERO)
        debits = sum((p.amount for p in postings if p.amount < 0), ZERO)
        currency = account.currency
        sections.append(
            StatementSection(
                currency=currency,
                opening=quantize(opening, currency),
                closing=quantize(opening + credits + debits, currency),
                credits=quantize(credits, currency),
                debits=quantize(debits, currency),
                postings=postings,
            )
        )
    return sections


def statement_months(*, company: Company) -> list[date]:
    """Months in which the company's wallets moved, newest first."""
    months = (
        Posting.objects.filter(account__company=company, account__kind=Kind.WALLET)
        .annotate(month=TruncMonth("transaction__created_at"))
        .values_list("month", flat=True)
        .distinct()
        .order_by("-month")
    )
    return [m.date() if isinstance(m, datetime) else m for m in months]


# --- Dashboard ------------------------------------------------------------------------------------


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
