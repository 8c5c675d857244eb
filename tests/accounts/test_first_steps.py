"""A new merchant's first minutes: the sign-up asks a name, the mail names the site, confirming
signs the person in, the company's currency follows its country; staff land on the admin."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from procurement.accounts.currencies import currency_for_country
from procurement.accounts.models import Company, User
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def sign_up(client, **fields):
    data = {
        "full_name": "Maria  Lopez",
        "email": "maria@shop.example",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **fields,
    }
    return client.post(reverse("account_signup"), data)


def confirmation_path(message) -> str:
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
    assert link, message.body
    return "/" + link.group(0).split("/", 3)[3]


def test_signup_asks_a_name_and_the_navbar_shows_it(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert 'name="full_name"' in page
    assert 'autocomplete="name"' in page

    assert sign_up(client, full_name="").status_code == 200  # the name is required
    assert not User.objects.exists()

    sign_up(client)
    user = User.objects.get()
    assert user.full_name == "Maria Lopez"

    client.post(confirmation_path(mail.outbox[-1]))
    navbar = client.get(reverse("accounts:company-create")).content.decode()
    assert "Maria" in navbar.split("user-menu-button", 1)[1].split("</button>", 1)[0]
    assert "maria@shop.example" not in navbar.split("user-menu-button", 1)[1].split("</button>")[0]


def test_the_verification_mail_names_the_site_from_settings(client, settings):
    settings.SITE_NAME = "Harbour Sourcing"
    settings.SITE_URL = "https://portal.example.com"

    sign_up(client)

    message = mail.outbox[-1]
    assert "Hello from Harbour Sourcing" in message.body
    assert "portal.example.com" in message.body
    assert "Hello from testserver" not in message.body
    assert message.subject.startswith("[Procurement Portal] ")


def test_confirming_the_email_signs_the_person_in(client):
    sign_up(client)
    user = User.objects.get()
    assert "_auth_user_id" not in client.session

    path = confirmation_path(mail.outbox[-1])
    assert client.get(path).status_code == 200
    response = client.post(path)

    assert client.session["_auth_user_id"] == str(user.pk)
    # No company yet: on to creating one.
    assert response.status_code == 302
    assert client.get(response.url, follow=True).request["PATH_INFO"] == reverse(
        "accounts:company-create"
    )


def test_staff_who_sign_in_land_on_the_admin(client):
    staff = UserFactory(is_staff=True)

    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_merchants_who_sign_in_land_on_the_dashboard(client, owner):
    response = client.post(reverse("account_login"), {"login": owner.email, "password": PASSWORD})

    assert response.url == reverse("dashboard")


@pytest.mark.parametrize(
    ("country", "currency"),
    [("DE", "EUR"), ("FR", "EUR"), ("GB", "GBP"), ("JP", "JPY"), ("AU", "AUD"), ("BR", None)],
)
def test_a_country_names_its_wallet_currency(country, currency):
    assert currency_for_country(country) == currency


def company_form(**fields):
    return {
        "legal_name": "Müller Handel GmbH",
        "country": "DE",
        "wallet_currency": "country",
        "uses_sourcing": "on",
        **fields,
    }


def test_the_wallet_currency_follows_the_country_unless_changed(client):
    user = UserFactory()
    client.force_login(user)

    client.post(reverse("accounts:company-create"), company_form())
    assert Company.objects.get().wallet_currency == "EUR"

    other = UserFactory()
    client.force_login(other)
    client.post(reverse("accounts:company-create"), company_form(legal_name="B", country="BR"))
    assert Company.objects.get(legal_name="B").wallet_currency == "USD"

    third = UserFactory()
    client.force_login(third)
    client.post(
        reverse("accounts:company-create"), company_form(legal_name="C", wallet_currency="GBP")
    )
    assert Company.objects.get(legal_name="C").wallet_currency == "GBP"


def test_choosing_a_country_renders_the_currency_field_naming_its_currency(client):
    client.force_login(UserFactory())
    page = client.get(reverse("accounts:company-create")).content.decode()
    assert 'hx-get="/company/new/"' in page
    assert 'hx-target="#wallet-currency-field"' in page

    fragment = client.get(
        reverse("accounts:company-create"),
        {"country": "DE", "wallet_currency": "country"},
        headers={"HX-Request": "true", "HX-Target": "wallet-currency-field"},
    ).content.decode()

    assert fragment.lstrip().startswith('<div id="wallet-currency-field">')
    assert "The country&#x27;s currency (EUR)" in fragment
    assert re.search(r'<option value="country"[^>]*selected', fragment)

    # A currency the person chose stays chosen when the country changes.
    fragment = client.get(
        reverse("accounts:company-create"),
        {"country": "DE", "wallet_currency": "JPY"},
        headers={"HX-Request": "true", "HX-Target": "wallet-currency-field"},
    ).content.decode()
    assert re.search(r'<option value="JPY"[^>]*selected', fragment)
