"""Reconciliation: proof that wallets, gateway top-ups and supplier payouts agree with the
ledger: wallets against their postings, gateway top-ups against ledger credits, payables against
payouts, every transaction balanced per currency."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils.translation import gettext as _

from payments import money
from payments.models import (
    Account,
    LedgerTransaction,
    PayoutBatch,
    PayoutLine,
    Posting,
    SupplierPayable,
    TopUp,
)
from payments.payouts import PAYOUT_BANK, SUPPLIER_PAYOUT
from payments.reports.periods import period_bounds
from payments.selectors import ledger_sum
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.core import references

Kind = Account.Kind
TxKind = LedgerTransaction.Kind
ZERO = Decimal(0)
# Reconciliation is read by finance staff: references read as names, without merchant scope.
STAFF = references.Viewer(staff=True)


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


def _posting_sum(**filters) -> Subquery:
    return Subquery(
        Posting.objects.filter(transaction=OuterRef("pk"), **filters)
        .order_by()
        .values("transaction")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )


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
    unknown = [
        (tx_pk, reference) for tx_pk, reference, _w, _c in in_period if reference not in known
    ]
    names = references.resolve_many([reference for _tx, reference in unknown], STAFF)
    for tx_pk, reference in unknown:
        check.exceptions.append(
            _("Credit transaction %(tx)s (%(reference)s) matches no top-up.")
            % {"tx": tx_pk, "reference": names[reference].label if reference else ""}
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
    payable_rows = list(payables.order_by("placed_at", "pk"))
    names = references.resolve_many([p.reference for p in payable_rows], STAFF)
    for payable in payable_rows:
        check.checked += 1
        lines = lines_by_payable.get(payable.pk, [])
        if payable.status != SupplierPayable.Status.PAID:
            check.exceptions.append(
                _("%(reference)s (%(payee)s, %(amount)s CNY) is unpaid: %(status)s.")
                % {
                    "reference": names[payable.reference].label,
                    "payee": payable.payee_name,
                    "amount": money.quantize(payable.amount_cny, SETTLEMENT_CURRENCY),
                    "status": payable.get_status_display(),
                }
            )
            continue
        paid_lines = [line for line in lines if line.batch.status == PayoutBatch.Status.PAID]
        if len(paid_lines) != 1:
            check.exceptions.append(
                _("%(reference)s is marked paid but is in %(n)s paid batches.")
                % {"reference": names[payable.reference].label, "n": len(paid_lines)}
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
