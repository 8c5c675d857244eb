"""The staff admin is reached only through allauth's login, and only by staff with TOTP."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_the_allauth_login(client):
    response = client.get("/admin/", follow=True)

    final_url, status = response.redirect_chain[-1]
    assert status == 302
    assert urlsplit(final_url).path == reverse("account_login")
    assert parse_qs(urlsplit(final_url).query)["next"] == ["/admin/"]


def test_the_admin_login_page_hands_over_to_allauth(client):
    response = client.get("/admin/login/?next=/admin/accounts/company/")

    assert response.status_code == 302
    assert urlsplit(response.url).path == reverse("account_login")
    assert parse_qs(urlsplit(response.url).query)["next"] == ["/admin/accounts/company/"]


def test_a_merchant_is_refused(client):
    client.force_login(UserFactory())

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403


def test_staff_without_two_factor_are_sent_to_set_it_up(client):
    client.force_login(UserFactory(is_staff=True))

    response = client.get("/admin/accounts/company/")

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


def test_staff_with_two_factor_see_the_admin(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save(update_fields=["is_superuser"])
    client.force_login(staff_user)

    index = client.get("/admin/")
    companies = client.get("/admin/accounts/company/")

    assert index.status_code == 200
    assert companies.status_code == 200
