from collections import defaultdict
from decimal import Decimal

import pytest

from payments import exceptions, selectors, services
from payments.models import Account, LedgerTransaction, Posting, WalletAdjustment
from tests.accounts.factories import CompanyFactory
from tests.payments.factories import fund_wallet

pytestmark = pytest.mark.django_db

Kind = Account.Kind


def _legs(tx) -> dict[tuple[str, str], Decimal]:
    out = defaultdict(Decimal)
    for posting in tx.postings.select_related("account"):
        out[(posting.account.kind, posting.currency)] += posting.amount
    return dict(out)


def _balanced(tx) -> bool:
    per_currency = defaultdict(Decimal)
    for posting in tx.postings.all():
        per_currency[posting.currency] += posting.amount
    return all(total == 0 for total in per_currency.values())


def test_top_up_credits_the_wallet_from_gateway_clearing(company):
    top_up = fund_wallet(company, "250.00")
    assert _legs(top_up.transaction) == {
        (Kind.WALLET, "USD"): Decimal("250"),
        (Kind.GATEWAY_CLEARING, "USD"): Decimal("-250"),
    }
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("250")
    assert top_up.transaction.reference == f"topup:{top_up.pk}"


def test_checkout_moves_goods_through_fx_legs_and_fee_to_revenue(company, rates):
    fund_wallet(company, "1000")
    quote = services.fx_quote_create(company=company, amount=Decimal("5000.00"), with_fee=True)
    tx = services.checkout_charge(quote=quote, reference="order:12", idempotency_key="order:12")
    assert tx.kind == LedgerTransaction.Kind.CHECKOUT
    assert tx.reference == "order:12"
    assert _legs(tx) == {
        (Kind.WALLET, "USD"): -(quote.charge_amount + quote.fee_amount),
        (Kind.FX_POSITION, "USD"): quote.charge_amount,
        (Kind.FX_POSITION, "CNY"): Decimal("-5000"),
        (Kind.SUPPLIER_PAYABLE, "CNY"): Decimal("5000"),
        (Kind.FEE_REVENUE, "USD"): quote.fee_amount,
    }
    assert _balanced(tx)
    assert quote.fee_bps == 300
    assert quote.fee_amount == (quote.charge_amount * Decimal("0.03")).quantize(Decimal("0.01"))
    assert tx.volume_usd == quote.amount_usd
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("1000") - (
        quote.charge_amount + quote.fee_amount
    )
    assert selectors.ledger_problems() == []


def test_insufficient_balance_writes_nothing(company, rates):
    fund_wallet(company, "10")
    quote = services.fx_quote_create(company=company, amount=Decimal("5000"), with_fee=True)
    before = LedgerTransaction.objects.count()
    with pytest.raises(exceptions.InsufficientBalance) as caught:
        services.checkout_charge(quote=quote, reference="order:1", idempotency_key="order:1")
    assert "Top up" in str(caught.value)
    assert LedgerTransaction.objects.count() == before
    quote.refresh_from_db()
    assert quote.used_at is None  # the quote can still be used after topping up
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("10")


def test_idempotency_key_reused_for_another_quote_conflicts(company, rates):
    fund_wallet(company, "1000")
    first = services.fx_quote_create(company=company, amount=Decimal("100"))
    second = services.fx_quote_create(company=company, amount=Decimal("100"))
    services.checkout_charge(quote=first, reference="order:1", idempotency_key="same")
    with pytest.raises(exceptions.IdempotencyConflict):
        services.checkout_charge(quote=second, reference="order:1", idempotency_key="same")


def test_full_refund_returns_everything_including_the_fee(company, rates):
    fund_wallet(company, "1000")
    quote = services.fx_quote_create(company=company, amount=Decimal("2000"), with_fee=True)
    charge = services.checkout_charge(quote=quote, reference="order:5", idempotency_key="c5")
    refund = services.wallet_refund(charge=charge, idempotency_key="r5")
    assert refund.related == charge
    assert refund.reference == "order:5"
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("1000")
    assert _legs(refund)[(Kind.SUPPLIER_PAYABLE, "CNY")] == Decimal("-2000")
    assert _legs(refund)[(Kind.FEE_REVENUE, "USD")] == -quote.fee_amount
    assert selectors.ledger_problems() == []
    # Nothing left to refund; the same key is harmless.
    assert services.wallet_refund(charge=charge, idempotency_key="r5").pk == refund.pk
    with pytest.raises(exceptions.RefundExceedsCharge):
        services.wallet_refund(charge=charge, idempotency_key="r5-again")


def test_partial_refunds_go_to_goods_first_then_fee(company, rates):
    fund_wallet(company, "1000")
    quote = services.fx_quote_create(company=company, amount=Decimal("2000"), with_fee=True)
    charge = services.checkout_charge(quote=quote, reference="order:6", idempotency_key="c6")
    part = services.wallet_refund(charge=charge, amount=Decimal("100.00"), idempotency_key="p1")
    assert _legs(part)[(Kind.WALLET, "USD")] == Decimal("100")
    assert (Kind.FEE_REVENUE, "USD") not in _legs(part)
    assert _legs(part)[(Kind.SUPPLIER_PAYABLE, "CNY")] == -(
        Decimal(100) * quote.client_rate
    ).quantize(Decimal("0.01"))
    with pytest.raises(exceptions.RefundExceedsCharge):
        services.wallet_refund(charge=charge, amount=Decimal("10000"), idempotency_key="p2")
    rest = services.wallet_refund(charge=charge, idempotency_key="p3")
    assert _legs(rest)[(Kind.FEE_REVENUE, "USD")] == -quote.fee_amount
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("1000")
    # Supplier payable for the order is back to exactly zero.
    payable = Posting.objects.filter(
        transaction__reference="order:6", account__kind=Kind.SUPPLIER_PAYABLE
    )
    assert sum(p.amount for p in payable) == 0
    assert selectors.ledger_problems() == []


def test_price_difference_charge_and_refund(company, rates):
    fund_wallet(company, "1000")
    quote = services.fx_quote_create(company=company, amount=Decimal("1000"))
    charge = services.checkout_charge(quote=quote, reference="order:7", idempotency_key="c7")
    more = services.price_difference_adjust(
        charge=charge, difference=Decimal("50"), idempotency_key="pd1"
    )
    assert more.kind == LedgerTransaction.Kind.PRICE_DIFFERENCE
    assert more.quote is not None
    assert more.quote.amount == Decimal("50")
    assert _legs(more)[(Kind.SUPPLIER_PAYABLE, "CNY")] == Decimal("50")
    assert _legs(more)[(Kind.WALLET, "USD")] == -more.quote.charge_amount
    less = services.price_difference_adjust(
        charge=charge, difference=Decimal("-80"), idempotency_key="pd2"
    )
    assert _legs(less)[(Kind.SUPPLIER_PAYABLE, "CNY")] == Decimal("-80")
    back = _legs(less)[(Kind.WALLET, "USD")]
    assert back == (Decimal(80) / quote.client_rate).quantize(Decimal("0.01"))
    assert (
        services.price_difference_adjust(
            charge=charge, difference=Decimal("-80"), idempotency_key="pd2"
        ).pk
        == less.pk
    )
    # A later full refund counts the price difference already given back.
    refund = services.wallet_refund(charge=charge, idempotency_key="r7")
    assert _legs(refund)[(Kind.SUPPLIER_PAYABLE, "CNY")] == Decimal("-920")
    assert selectors.ledger_problems() == []


def test_manual_adjustment_needs_finance_and_a_reason(company, finance, staff_user):
    with pytest.raises(exceptions.AdjustmentNotAllowed):
        services.manual_adjustment(
            company=company,
            amount=Decimal("5"),
            reason="goodwill",
            actor=staff_user,
            idempotency_key="a1",
        )
    with pytest.raises(exceptions.AdjustmentNotAllowed):
        services.manual_adjustment(
            company=company, amount=Decimal("5"), reason="  ", actor=finance, idempotency_key="a2"
        )
    adjustment = services.manual_adjustment(
        company=company,
        amount=Decimal("5"),
        reason="Goodwill for late parcel",
        actor=finance,
        idempotency_key="a3",
    )
    assert adjustment.transaction.actor == finance
    assert adjustment.transaction.memo == "Goodwill for late parcel"
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("5")
    again = services.manual_adjustment(
        company=company,
        amount=Decimal("5"),
        reason="Goodwill for late parcel",
        actor=finance,
        idempotency_key="a3",
    )
    assert again.pk == adjustment.pk
    assert WalletAdjustment.objects.count() == 1
    with pytest.raises(exceptions.InsufficientBalance):
        services.manual_adjustment(
            company=company,
            amount=Decimal("-6"),
            reason="Correction",
            actor=finance,
            idempotency_key="a4",
        )
    with pytest.raises(exceptions.InvalidAmount):
        services.manual_adjustment(
            company=company,
            amount=Decimal("0.001"),
            reason="x",
            actor=finance,
            idempotency_key="a5",
        )


def test_wallets_are_separate_per_company(company, rates):
    other = CompanyFactory(wallet_currency="EUR")
    fund_wallet(company, "100")
    fund_wallet(other, "70")
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("100")
    assert selectors.wallet_balance(company=other, currency="EUR") == Decimal("70")
    assert selectors.wallet_balance(company=other, currency="USD") == Decimal("0.00")
    with pytest.raises(exceptions.CurrencyNotEnabled):
        fund_wallet(other, "10", currency="USD")


def test_statement_has_running_balance(company, rates):
    fund_wallet(company, "100")
    fund_wallet(company, "50")
    quote = services.fx_quote_create(company=company, amount=Decimal("100"))
    services.checkout_charge(quote=quote, reference="order:1", idempotency_key="s1")
    lines = list(selectors.wallet_statement(company=company))
    assert [line.balance_after for line in lines] == [
        Decimal(150) - quote.charge_amount,
        Decimal(150),
        Decimal(100),
    ]
    only_top_ups = selectors.wallet_statement(company=company, kind="top_up")
    assert only_top_ups.count() == 2


def test_checkout_refuses_another_companys_quote(company, other_company, rates):
    fund_wallet(company, "1000")
    quote = services.fx_quote_create(company=other_company, amount=Decimal("100"))
    with pytest.raises(exceptions.PaymentsError):
        services.checkout_charge(
            quote=quote, reference="order:1", idempotency_key="x", company=company
        )
    assert not LedgerTransaction.objects.filter(kind="checkout").exists()
