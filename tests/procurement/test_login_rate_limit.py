"""Failed logins are limited on the cache: 5 per 5 minutes per address and per IP
(ACCOUNT_RATE_LIMITS["login_failed"]). The sixth attempt is refused even with the right password.
"""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REFUSED = "Too many failed login attempts. Try again later."


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def log_in(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_limit_is_five_failures_in_five_minutes():
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"] == "5/5m/ip,5/5m/key"


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client):
    user = UserFactory()
    for _attempt in range(5):
        response = log_in(client, user.email, "wrong-password")
        assert REFUSED not in response.content.decode()

    response = log_in(client, user.email, PASSWORD)

    assert REFUSED in response.content.decode()
    assert not signed_in(client)


def test_failures_count_per_ip_across_addresses(client):
    attacked = UserFactory()
    other = UserFactory()
    for _attempt in range(5):
        log_in(client, attacked.email, "wrong-password")

    response = log_in(client, other.email, PASSWORD)

    assert REFUSED in response.content.decode()
    assert not signed_in(client)


def test_a_success_below_the_limit_signs_in(client):
    user = UserFactory()
    for _attempt in range(4):
        log_in(client, user.email, "wrong-password")

    response = log_in(client, user.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)
