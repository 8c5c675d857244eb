"""The page frame every merchant page shares: the navbar and footer are kept per process
({% cache %} in base.html) under the values they show, so each person must still see their own,
with a CSRF token and a path that belong to this request; the shared Redis cache keeps one
client per connection pool."""

import html
import os
import re
import uuid

import pytest
from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from procurement.accounts.models import Role
from tests.accounts.factories import CompanyFactory
from tests.services import require_redis

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("TEST_CACHE_REDIS_URL", "redis://127.0.0.1:6379/13")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _signed_in(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _user_menu(page: str) -> str:
    return page.split('id="user-menu-button"', 1)[1].split("</ul>", 1)[0]


def test_each_member_sees_their_own_name_company_and_role(company, other_company, member_of):
    owner = member_of(company, Role.OWNER)
    buyer = member_of(other_company, Role.BUYER)
    url = reverse("dashboard")

    owner_menu = _user_menu(_signed_in(owner).get(url).text)
    buyer_menu = _user_menu(_signed_in(buyer).get(url).text)

    assert owner.email in owner_menu
    assert company.legal_name in owner_menu
    assert "Owner" in owner_menu
    assert buyer.email in buyer_menu
    assert other_company.legal_name in buyer_menu
    assert "Buyer" in buyer_menu
    assert owner.email not in buyer_menu


def test_a_renamed_company_shows_on_the_next_page(owner, company):
    client = _signed_in(owner)
    url = reverse("dashboard")
    assert company.legal_name in client.get(url).text

    company.legal_name = "Renamed Trading Ltd"
    company.save()

    assert "Renamed Trading Ltd" in _user_menu(client.get(url).text)


def test_a_second_company_adds_the_switcher_at_once(owner, member_of):
    client = _signed_in(owner)
    url = reverse("dashboard")
    assert 'id="company-switch"' not in client.get(url).text

    second = CompanyFactory(legal_name="Second Sourcing Ltd")
    member_of(second, Role.BUYER, user=owner)

    page = client.get(url).text
    assert 'id="company-switch"' in page
    assert "Second Sourcing Ltd" in page


def test_the_navbar_is_rendered_once_then_reused(owner):
    client = _signed_in(owner)
    url = reverse("dashboard")
    caches["template_fragments"].clear()
    first = client.get(url)
    assert "partials/navbar.html" in [t.name for t in first.templates]

    again = client.get(url)

    assert again.status_code == 200
    assert "partials/navbar.html" not in [t.name for t in again.templates]
    assert owner.email in _user_menu(again.text)


def test_a_new_role_and_a_cart_line_show_on_the_next_page(owner, company):
    from orders import services
    from tests.orders.factories import SupplierFactory, product_with_skus

    client = _signed_in(owner)
    url = reverse("dashboard")
    client.get(url)
    membership = owner.memberships.get(company=company)
    membership.role = Role.BUYER
    membership.save()
    company.uses_sourcing = True
    company.save()
    product, (sku, _other) = product_with_skus(supplier=SupplierFactory())
    services.cart_add(user=owner, company=company, product=product, quantities={sku: 10})

    page = client.get(url).text

    assert "Buyer" in _user_menu(page)
    assert "Owner" not in _user_menu(page)
    assert '<span class="visually-hidden">1 line</span>' in page


def test_values_that_run_together_alike_are_kept_apart():
    """The navbar is kept under the dict of its values, whose str() quotes each one: values
    that read the same once joined (as {% cache %} joins separate arguments) are kept apart."""
    one = {"user_name": "Ann:Lee", "email": "x@example.com"}
    other = {"user_name": "Ann", "email": "Lee:x@example.com"}

    assert make_template_fragment_key("navbar", [one]) != make_template_fragment_key(
        "navbar", [other]
    )


def test_a_name_with_markup_is_shown_escaped(owner, company):
    company.legal_name = '<b>Bold</b> & "Co"'
    company.save()

    page = _signed_in(owner).get(reverse("dashboard")).text

    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;Co&quot;" in _user_menu(page)
    assert "<b>Bold</b>" not in page


def test_the_navbar_forms_carry_this_requests_own_csrf_token(owner):
    """Two browsers of the same person get the same kept navbar, each with its own token:
    each can sign itself out, and a token taken from the other browser is refused."""
    first, second = _signed_in(owner), _signed_in(owner)
    url = reverse("dashboard")
    first_tokens = set(TOKEN.findall(first.get(url).text))
    second_tokens = set(TOKEN.findall(second.get(url).text))
    assert first_tokens
    assert second_tokens

    stolen = second.post(reverse("account_logout"), {"csrfmiddlewaretoken": first_tokens.pop()})
    assert stolen.status_code == 403

    own = second.post(reverse("account_logout"), {"csrfmiddlewaretoken": second_tokens.pop()})
    assert own.status_code == 302
    assert "_auth_user_id" not in second.session
    assert "_auth_user_id" in first.session


def test_the_language_form_returns_to_this_page_escaped(owner):
    client = _signed_in(owner)
    for path in (reverse("dashboard"), reverse("catalog:search") + '?q=a"<b>&sort=price'):
        page = client.get(path).text
        found = re.search(r'name="next" value="([^"]*)"', page)
        assert found, path
        assert html.unescape(found.group(1)) == client.get(path).wsgi_request.get_full_path()
        assert "<b>" not in found.group(1)


def test_visitors_get_the_sign_in_links_and_no_user_menu(client):
    page = client.get(reverse("home")).text

    assert reverse("account_login") in page
    assert 'id="user-menu-button"' not in page


def test_the_footer_shows_this_year(client):
    assert f"© {timezone.localdate().year} Procurement portal" in client.get(reverse("home")).text


@override_settings(DEBUG=True)
def test_with_debug_on_nothing_is_kept_so_template_edits_show(owner):
    client = _signed_in(owner)
    url = reverse("dashboard")
    client.get(url)

    again = client.get(url)

    assert "partials/navbar.html" in [t.name for t in again.templates]
    assert "partials/footer.html" in [t.name for t in again.templates]


def test_the_redis_cache_keeps_one_client_per_pool():
    """The production cache (django-redis, as settings.base configures it for a redis:// URL)
    answers every call through one Redis client."""
    from django.conf import settings
    from django.core.cache import caches
    from django_redis import get_redis_connection

    url = require_redis(REDIS_URL, "TEST_CACHE_REDIS_URL")
    production = {
        **settings.CACHES,
        "frame-test": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"frame-test-{uuid.uuid4().hex}",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        },
    }
    with override_settings(CACHES=production):
        cache = caches["frame-test"]
        try:
            assert get_redis_connection("frame-test") is get_redis_connection("frame-test")
            cache.set("answer", {"n": 42}, 30)
            assert cache.get("answer") == {"n": 42}
            assert cache.get_many(["answer", "none"]) == {"answer": {"n": 42}}
            assert cache.add("counter", 0)
            assert cache.incr("counter") == 1
            assert get_redis_connection("frame-test") is get_redis_connection("frame-test")
        finally:
            cache.delete_many(["answer", "counter"])
