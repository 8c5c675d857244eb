"""The ledger's one writer: balanced transactions, accounts and their cached balances.

Rules (DESIGN.md, Money rules):

* A transaction's postings sum to zero in each currency; an exchange is two balanced legs
  through the platform's FX position accounts.
* Every money-moving service takes an `idempotency_key`; the same key returns the transaction
  already written and never posts twice. A key reused for something else raises
  IdempotencyConflict.
* Locks are taken in one order: the domain row (quote, top-up, batch) first, then the ledger
  accounts in primary-key order. Wallet balances are checked under those locks and never go
  negative.

`_post`, `_platform_account` and `_wallet_account` are this app's own: the other service modules
and `payments.payouts` write every posting through them; nothing outside `payments` does.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from payments import exceptions
from payments.models import Account, FxQuote, LedgerTransaction, Posting
from payments.money import quantize
from procurement.accounts.models import Company, User
from procurement.core import references

Kind = Account.Kind
TxKind = LedgerTransaction.Kind


def _platform_account(kind: str, currency: str) -> Account:
    account, _created = Account.objects.get_or_create(kind=kind, company=None, currency=currency)
    return account


def _platform_accounts(*pairs: tuple[str, str]) -> dict[tuple[str, str], Account]:
    """Several platform accounts, by (kind, currency), in one read; a missing one is created."""
    found = {
        (account.kind, account.currency): account
        for account in Account.objects.filter(
            company=None,
            kind__in={kind for kind, _currency in pairs},
            currency__in={currency for _kind, currency in pairs},
        )
    }
    for kind, currency in pairs:
        if (kind, currency) not in found:
            found[kind, currency] = _platform_account(kind, currency)
    return found


def _wallet_account(company: Company, currency: str) -> Account:
    account, _created = Account.objects.get_or_create(
        kind=Kind.WALLET, company=company, currency=currency
    )
    return account


def _existing(idempotency_key: str, *, kind: str, company: Company | None):
    tx = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if tx is not None and (tx.kind != kind or tx.company_id != (company.pk if company else None)):
        raise exceptions.IdempotencyConflict
    return tx


def _post(
    *,
    kind: str,
    company: Company | None,
    reference: str,
    idempotency_key: str,
    legs: Iterable[tuple[Account, Decimal]],
    memo: str = "",
    actor: User | None = None,
    quote: FxQuote | None = None,
    related: LedgerTransaction | None = None,
    volume_usd: Decimal = Decimal(0),
) -> LedgerTransaction:
    """Write one balanced transaction. The caller holds `transaction.atomic`."""
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    per_account: dict[int, Decimal] = defaultdict(Decimal)
    accounts: dict[int, Account] = {}
    for account, amount in legs:
        if amount != quantize(amount, account.currency):
            raise ValueError(f"{amount} is not rounded to {account.currency}'s minor unit")
        per_account[account.pk] += amount
        accounts[account.pk] = account
    per_currency: dict[str, Decimal] = defaultdict(Decimal)
    for pk, amount in per_account.items():
        per_currency[accounts[pk].currency] += amount
    if any(total != 0 for total in per_currency.values()):
        raise ValueError(f"unbalanced transaction: {dict(per_currency)}")
    moving = {pk: amount for pk, amount in per_account.items() if amount != 0}
    if len(moving) < 2:
        raise ValueError("a transaction needs at least two non-zero postings")

    locked = list(Account.objects.select_for_update().filter(pk__in=moving).order_by("pk"))
    # Checked again under the account locks: a concurrent twin committed first wins.
    existing = _existing(idempotency_key, kind=kind, company=company)
    if existing is not None:
        return existing
    for account in locked:
        new_balance = account.balance + moving[account.pk]
        if account.kind == Kind.WALLET and new_balance < 0:
            raise exceptions.InsufficientBalance
        account.balance = new_balance

    tx = LedgerTransaction.objects.create(
        kind=kind,
        company=company,
        reference=reference,
        # What the reference reads now, kept as written (a query per language, none for a
        # reference of no registered kind).
        reference_labels=references.labels_to_store([reference]).get(reference, {}),
        idempotency_key=idempotency_key,
        memo=memo[:255],
        actor=actor if actor is not None and actor.is_authenticated else None,
        quote=quote,
        related=related,
        volume_usd=volume_usd,
    )
    Posting.objects.bulk_create(
        Posting(
            transaction=tx,
            account=account,
            amount=moving[account.pk],
            currency=account.currency,
            balance_after=account.balance,
        )
        for account in locked
    )
    # One statement for every balance (the accounts are locked above, in primary-key order).
    Account.objects.bulk_update(locked, ["balance"])
    return tx


def _require_positive(amount: Decimal) -> Decimal:
    amount = Decimal(amount)
    if amount <= 0:
        raise exceptions.InvalidAmount
    return amount
