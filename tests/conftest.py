import pytest
from django.core.cache import caches
from django.db import connection
from pytest_django.fixtures import validate_django_db

from procurement.accounts.models import Role
from procurement.core.caching import DEFAULT, PAGES, SESSIONS
from tests.accounts.factories import CompanyFactory, MembershipFactory, UserFactory


def _serialize_transactional_tests(items) -> None:
    """Every transactional test restores the database's data afterwards.

    A transactional test ends by flushing every table, which wipes what data migrations
    created (staff groups, the fee schedule) and, once content types are re-created with new
    ids, breaks later tests that restore a serialized copy. Serialized rollback for all of them
    keeps the database the same for whichever test runs next.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional, reset_sequences, databases, _serialized, available_apps = (
            validate_django_db(marker) if marker else (False, False, None, False, None)
        )
        fixtures = set(getattr(item, "fixturenames", ()))
        if transactional or {"transactional_db", "live_server"} & fixtures:
            item.add_marker(
                pytest.mark.django_db(
                    transaction=True,
                    reset_sequences=reset_sequences,
                    databases=databases,
                    serialized_rollback=True,
                    available_apps=available_apps,
                ),
                append=False,
            )


def pytest_collection_modifyitems(config, items):
    """Transactional tests roll back by serialization; tests marked `postgres` skip, with their
    reason, when the database is not PostgreSQL."""
    from django.conf import settings

    _serialize_transactional_tests(items)
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL to a postgres:// URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with empty caches (rate-limit counters, rendered listings and rates,
    sessions)."""
    for alias in (DEFAULT, PAGES, SESSIONS):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a task or a service run in a test for a
    Chinese-speaking company activates Chinese in the thread, and nothing else would undo it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def other_company(db):
    return CompanyFactory(legal_name="Other Imports Ltd")


@pytest.fixture
def member_of(db):
    """member_of(company, role) -> a user holding that role in that company."""

    def make(company, role=Role.OWNER, **kwargs):
        return MembershipFactory(company=company, role=role, **kwargs).user

    return make


@pytest.fixture
def owner(company, member_of):
    return member_of(company, Role.OWNER)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def staff_user(db):
    from allauth.mfa.totp.internal.auth import TOTP

    user = UserFactory(is_staff=True)
    TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return user


__all__ = ["UserFactory"]
