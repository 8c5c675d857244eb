from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from payments import services
from payments.models import FxMarkup, FxRate, TopUp
from tests.accounts.factories import UserFactory

# 1 EUR = rate X, close to real late-2026 ECB figures.
EUR_RATES = {
    "USD": Decimal("1.0825"),
    "CNY": Decimal("7.8421"),
    "JPY": Decimal("162.47"),
    "GBP": Decimal("0.84155"),
    "AUD": Decimal("1.6545"),
    "CAD": Decimal("1.5150"),
    "HKD": Decimal("8.4230"),
    "SGD": Decimal("1.4490"),
}


class FxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FxRate

    base = "EUR"
    quote = "USD"
    rate = Decimal("1.0825")
    source = FxRate.Source.SEED
    as_of = factory.LazyFunction(timezone.now)


class FxMarkupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FxMarkup
        django_get_or_create = ["currency"]

    currency = "USD"
    markup_bps = 150


def seed_rates(*, age: timedelta = timedelta(hours=1), rates: dict | None = None) -> None:
    as_of = timezone.now() - age
    for code, rate in (rates or EUR_RATES).items():
        FxRateFactory(quote=code, rate=rate, as_of=as_of)


def fund_wallet(company, amount, *, currency: str | None = None) -> TopUp:
    """A succeeded sandbox top-up of `amount` into the company's wallet."""
    top_up = services.top_up_create(
        company=company, amount=Decimal(amount), currency=currency, actor=None, gateway="sandbox"
    )
    return services.top_up_transition(top_up=top_up, to_status=TopUp.Status.SUCCEEDED)


def finance_user(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name="Finance"))
    return user
