"""The wallet through the API: balances and the statement; and money as every API answer shows it.

`Money` and `money()` live here, not in the kernel, because an amount is shown rounded to its
currency's minor unit, a rule `payments.money` owns; the apps above (catalog, logistics, orders)
import them from here.
"""

from datetime import datetime
from decimal import Decimal

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from payments import selectors
from payments.money import quantize
from procurement.accounts.api import KeyAuth
from procurement.core.api import READ_ERRORS, KeysetPagination, Listing

wallet_router = Router(tags=["wallet"], auth=KeyAuth("wallet:read"))


class Money(Schema):
    """An amount as a decimal string, rounded to its currency's minor unit, and its currency."""

    amount: str = Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", examples=["12.50"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])


def money(amount: Decimal | None, currency: str) -> dict | None:
    if amount is None:
        return None
    return {"amount": str(quantize(amount, currency)), "currency": currency}


class BalanceOut(Schema):
    balance: Money


class StatementLineOut(Schema):
    id: int
    created_at: datetime
    kind: str
    memo: str
    reference: str
    amount: Money
    balance_after: Money


class StatementPage(Schema):
    items: list[StatementLineOut]
    next_cursor: str | None


_STATEMENT_ROW = (
    "id",
    "transaction__created_at",
    "transaction__kind",
    "transaction__memo",
    "transaction__reference",
    "amount",
    "balance_after",
    "currency",
)


def _statement_line(row: dict) -> dict:
    currency = row["currency"]
    return {
        "id": row["id"],
        "created_at": row["transaction__created_at"],
        "kind": row["transaction__kind"],
        "memo": row["transaction__memo"],
        "reference": row["transaction__reference"],
        "amount": money(row["amount"], currency),
        "balance_after": money(row["balance_after"], currency),
    }


@wallet_router.get("/wallet", response={200: list[BalanceOut], **READ_ERRORS})
def wallet_balances(request):
    company = request.auth.company
    accounts = list(selectors.wallet_accounts(company=company))
    if not accounts:
        return [{"balance": money(Decimal(0), company.wallet_currency)}]
    return [{"balance": money(a.balance, a.currency)} for a in accounts]


@wallet_router.get("/wallet/statement", response={200: StatementPage, **READ_ERRORS})
@paginate(KeysetPagination)
def wallet_statement(request, currency: str = ""):
    postings = selectors.wallet_statement(
        company=request.auth.company, currency=currency.upper()[:3] or None
    )
    # Plain rows of the posting and its transaction, written as StatementPage declares them.
    return Listing(postings.values(*_STATEMENT_ROW), show=_statement_line, direct=True)
