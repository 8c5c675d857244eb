import pytest
from django.core.cache import cache

from tests.api.factories import api_token
from tests.payments.factories import seed_rates


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _allow_local_webhooks(settings):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True


@pytest.fixture
def rates(db):
    seed_rates()


@pytest.fixture
def token(company, owner):
    return api_token(company, owner=owner)
