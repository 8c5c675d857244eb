import pytest
from django.contrib.auth.models import Group, Permission

from procurement.accounts.staff_groups import ACCOUNT_MANAGERS
from procurement.core.caching import page_cache


@pytest.fixture
def account_manager(staff_user):
    """A staff member in the Account managers group (its permissions come from migrations)."""
    staff_user.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS))
    return staff_user


@pytest.fixture
def vet_permission():
    return Permission.objects.get(codename="vet_supplier", content_type__app_label="catalog")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Display rates are cached; no test may see another test's rate."""
    page_cache.clear()
    yield
    page_cache.clear()


def refuse_network(url: str) -> bytes:
    raise AssertionError(f"a test tried to fetch {url}: inject a fetcher")


@pytest.fixture(autouse=True)
def _no_image_downloads(settings):
    """Offer images are fetched through `settings.CATALOG_IMAGE_FETCHER`: never the network."""
    settings.CATALOG_IMAGE_FETCHER = "tests.catalog.conftest.refuse_network"
