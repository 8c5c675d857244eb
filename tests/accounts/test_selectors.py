"""`memberships_with_companies` and `user_with_memberships` (what every signed-in request reads)
give what `memberships_for_user` gives: the same rows, order, values and types, on SQLite and
PostgreSQL."""

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


def test_the_user_and_their_memberships_in_one_query(member_of, django_assert_num_queries):
    user = UserFactory()
    member_of(CompanyFactory(legal_name="Zeta Trading"), Role.BUYER, user=user)
    member_of(CompanyFactory(legal_name="Alpha Imports"), Role.OWNER, user=user)

    with django_assert_num_queries(1):
        found, memberships = selectors.user_with_memberships(user_id=user.pk)
        names = [m.company.legal_name for m in memberships]

    assert _fields(found) == _fields(type(user).objects.get(pk=user.pk))
    assert names == ["Alpha Imports", "Zeta Trading"]
    assert [_fields(m) for m in memberships] == [
        _fields(m) for m in selectors.memberships_for_user(user=user)
    ]


def test_a_user_without_memberships_and_a_missing_user():
    user = UserFactory()

    found, memberships = selectors.user_with_memberships(user_id=user.pk)
    assert found == user
    assert memberships == []
    assert selectors.user_with_memberships(user_id=user.pk + 1000) == (None, [])


def test_the_backends_leave_the_memberships_on_the_user(member_of):
    from procurement.accounts.backends import AuthenticationBackend, ModelBackend

    user = UserFactory()
    member_of(CompanyFactory(), Role.BUYER, user=user)
    for backend in (ModelBackend(), AuthenticationBackend()):
        loaded = backend.get_user(user.pk)
        assert loaded == user
        assert [m.user_id for m in loaded.prefetched_memberships] == [user.pk]

    user.is_active = False
    user.save()
    assert ModelBackend().get_user(user.pk) is None


def test_a_signed_in_page_reads_the_user_and_memberships_together(owner_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    url = reverse("catalog:index")  # a page that shows no other membership
    owner_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert owner_client.get(url).status_code == 200

    membership_reads = [q["sql"] for q in queries if "accounts_membership" in q["sql"]]
    assert len(membership_reads) == 1
    assert "accounts_user" in membership_reads[0]
