"""Merchant statements: a company's wallet postings for a month with opening and closing
balances."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models.functions import TruncMonth

from payments.models import Account, Posting
from payments.money import quantize
from payments.reports.periods import month_bounds, period_bounds
from procurement.accounts.models import Company

Kind = Account.Kind
ZERO = Decimal(0)


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
