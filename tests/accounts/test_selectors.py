"""`memberships_with_companies` reads with its own SQL what `memberships_for_user` reads with the
ORM: the same rows, order, values and types, on SQLite and PostgreSQL."""

from decimal import Decimal

import pytest

from procurement.accounts import selectors
from procurement.accounts.models import Role
from tests.accounts.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_same_memberships_and_companies_as_the_orm(member_of):
    user = UserFactory()
    for name, role, limit in [
        ("Zeta Trading", Role.BUYER, Decimal("2500.50")),
        ("Alpha Imports", Role.OWNER, None),
        ("Mid Wholesale", Role.APPROVER, Decimal("0.00")),
    ]:
        member_of(CompanyFactory(legal_name=name), role, user=user, spending_limit=limit)
    member_of(CompanyFactory(legal_name="Not Mine Ltd"), Role.OWNER)  # another user's

    fast = selectors.memberships_with_companies(user=user)
    orm = list(selectors.memberships_for_user(user=user))

    assert [m.company.legal_name for m in fast] == [
        "Alpha Imports",
        "Mid Wholesale",
        "Zeta Trading",
    ]
    assert [_fields(m) for m in fast] == [_fields(m) for m in orm]
    assert [_fields(m.company) for m in fast] == [_fields(m.company) for m in orm]
    assert all(
        type(a) is type(b)
        for m, o in zip(fast, orm, strict=True)
        for a, b in zip(_fields(m).values(), _fields(o).values(), strict=True)
    )
    assert fast[2].spending_limit == Decimal("2500.50")
    assert fast[0].created_at.tzinfo is not None
    assert fast[0].company.created_at.tzinfo is not None
    assert not fast[0]._state.adding


def test_a_user_with_no_membership_gets_none():
    assert selectors.memberships_with_companies(user=UserFactory()) == []
