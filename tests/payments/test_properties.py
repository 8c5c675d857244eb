"""Property: any sequence of top-ups, charges, refunds, price differences and adjustments keeps
the books sound (each transaction balances per currency, no wallet below zero, every cached
balance equals the sum of its postings) and every refusal leaves no trace."""

from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from payments import exceptions, selectors, services
from payments.models import LedgerTransaction, Posting
from tests.accounts.factories import CompanyFactory
from tests.payments.factories import finance_user, fund_wallet, seed_rates

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2)
operation = st.one_of(
    st.tuples(st.just("top_up"), st.integers(0, 1), st.integers(10, 3000)),
    st.tuples(st.just("charge"), st.integers(0, 1), amounts, st.booleans()),
    st.tuples(st.just("refund"), st.integers(0, 20), st.one_of(st.none(), amounts)),
    st.tuples(st.just("price_difference"), st.integers(0, 20), amounts, st.booleans()),
    st.tuples(st.just("adjust"), st.integers(0, 1), amounts, st.booleans()),
)


class NothingToDo(Exception):
    pass


class LedgerInvariantTests(TestCase):
    def setUp(self):
        seed_rates()
        self.companies = [
            CompanyFactory(wallet_currency="USD"),
            CompanyFactory(wallet_currency="JPY"),
        ]
        self.finance = finance_user()

    def check_books(self):
        assert selectors.ledger_problems() == []
        for company in self.companies:
            balance = selectors.wallet_balance(company=company, currency=company.wallet_currency)
            assert balance >= 0
            posted = sum(
                (
                    p.amount
                    for p in Posting.objects.filter(
                        account__company=company, account__kind="wallet"
                    )
                ),
                Decimal(0),
            )
            assert posted == balance

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(operation, min_size=1, max_size=12))
    def test_books_stay_sound(self, operations):
        charges: list[LedgerTransaction] = []
        for step, op in enumerate(operations):
            before = LedgerTransaction.objects.count()
            try:
                self.apply(step, op, charges)
                event(f"{op[0]}: done")
            except NothingToDo:
                continue
            except exceptions.PaymentsError as error:
                event(f"{op[0]}: {type(error).__name__}")
                assert LedgerTransaction.objects.count() == before
            self.check_books()

    def apply(self, step, op, charges):
        kind = op[0]
        if kind == "top_up":
            _, who, amount = op
            company = self.companies[who]
            # Roughly the same value in either wallet: 1 USD is about 150 JPY.
            fund_wallet(company, Decimal(amount) * (150 if company.wallet_currency == "JPY" else 1))
        elif kind == "charge":
            _, who, amount, with_fee = op
            quote = services.fx_quote_create(
                company=self.companies[who], amount=amount, with_fee=with_fee
            )
            charges.append(
                services.checkout_charge(
                    quote=quote, reference=f"order:{step}", idempotency_key=f"charge-{step}"
                )
            )
        elif kind == "refund" and charges:
            _, index, amount = op
            charge = charges[index % len(charges)]
            if amount is not None:
                amount = (
                    amount.quantize(Decimal(1)) if charge.quote.from_currency == "JPY" else amount
                )
                amount = max(amount, Decimal(1))
            services.wallet_refund(charge=charge, amount=amount, idempotency_key=f"refund-{step}")
        elif kind == "price_difference" and charges:
            _, index, amount, more = op
            services.price_difference_adjust(
                charge=charges[index % len(charges)],
                difference=amount if more else -amount,
                idempotency_key=f"difference-{step}",
            )
        elif kind in ("refund", "price_difference"):
            raise NothingToDo
        elif kind == "adjust":
            _, who, amount, credit = op
            company = self.companies[who]
            if company.wallet_currency == "JPY":
                amount = max(amount.quantize(Decimal(1)), Decimal(1))
            services.manual_adjustment(
                company=company,
                amount=amount if credit else -amount,
                reason="property test",
                actor=self.finance,
                idempotency_key=f"adjust-{step}",
            )
