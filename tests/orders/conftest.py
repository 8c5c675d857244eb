import pytest
from django.core.cache import cache

from procurement.accounts.models import Role
from procurement.accounts.staff_groups import ACCOUNT_MANAGERS, WAREHOUSE
from tests.orders.factories import seed_rates, staff_in


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rates(db):
    seed_rates()


@pytest.fixture
def buyer(company, member_of):
    return member_of(company, Role.BUYER)


@pytest.fixture
def buyer_client(client, buyer):
    client.force_login(buyer)
    return client


@pytest.fixture
def approver(company, member_of):
    return member_of(company, Role.APPROVER)


@pytest.fixture
def account_manager(db):
    return staff_in(ACCOUNT_MANAGERS)


@pytest.fixture
def warehouse_staff(db):
    return staff_in(WAREHOUSE)
