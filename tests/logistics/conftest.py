import pytest

from tests.accounts.factories import CompanyFactory
from tests.logistics.factories import WarehouseFactory, fx_rate
from tests.payments.factories import fund_wallet, seed_rates


@pytest.fixture(autouse=True)
def fresh_rates(db):
    """Current reference rates (through EUR), so the ledger can quote logistics charges."""
    seed_rates()


@pytest.fixture
def company(db):
    """The merchant, with 1000 USD in its wallet to pay freight."""
    company = CompanyFactory()
    fund_wallet(company, "1000")
    return company


@pytest.fixture
def other_company(db):
    company = CompanyFactory(legal_name="Other Imports Ltd")
    fund_wallet(company, "1000")
    return company


@pytest.fixture
def warehouse(db):
    return WarehouseFactory()


@pytest.fixture
def cny_usd(db):
    """1 CNY = 0.14 USD, newer than the seeded rates, so it is the one used."""
    return fx_rate("CNY", "USD", "0.14")
