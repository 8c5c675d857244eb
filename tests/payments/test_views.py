from decimal import Decimal

import pytest
from django.urls import reverse

from payments import selectors, services
from payments.models import TopUp
from procurement.accounts.models import Role
from tests.payments.factories import fund_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client, member_of):
    def as_role(company, role):
        client.force_login(member_of(company, role))
        return client

    return as_role


@pytest.mark.parametrize("role", [Role.OWNER, Role.BUYER, Role.FINANCE])
def test_finance_owner_and_buyer_see_the_wallet(login, company, role):
    fund_wallet(company, "123.45")
    client = login(company, role)
    response = client.get(reverse("payments:wallet"))
    assert response.status_code == 200
    assert "123.45" in response.text
    assert reverse("payments:top-up-create") in response.text
    assert client.get(reverse("payments:statement")).status_code == 200
    assert client.get(reverse("payments:statement-csv")).status_code == 200


def test_viewer_reads_the_wallet_but_cannot_top_up(login, company):
    fund_wallet(company, "42.00")
    client = login(company, Role.VIEWER)
    response = client.get(reverse("payments:wallet"))
    assert response.status_code == 200
    assert "42.00" in response.text
    assert reverse("payments:top-up-create") not in response.text
    assert client.get(reverse("payments:statement")).status_code == 200
    top_ups_before = TopUp.objects.count()
    response = client.post(reverse("payments:top-up-create"), {"amount": "100"})
    assert response.status_code == 403
    assert TopUp.objects.count() == top_ups_before


def test_approver_neither_sees_nor_tops_up(login, company):
    client = login(company, Role.APPROVER)
    assert client.get(reverse("payments:wallet")).status_code == 403
    assert client.get(reverse("payments:statement")).status_code == 403
    assert client.get(reverse("payments:statement-csv")).status_code == 403
    response = client.post(reverse("payments:top-up-create"), {"amount": "100"})
    assert response.status_code == 403
    assert not TopUp.objects.exists()


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("payments:wallet"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_merchant_sees_only_its_own_wallet_statement_and_top_ups(login, company, other_company):
    fund_wallet(company, "11.11")
    theirs = fund_wallet(other_company, "99.99")
    client = login(company, Role.OWNER)
    wallet = client.get(reverse("payments:wallet")).text
    assert "11.11" in wallet
    assert "99.99" not in wallet
    statement = client.get(reverse("payments:statement")).text
    assert "99.99" not in statement
    csv_text = b"".join(client.get(reverse("payments:statement-csv")).streaming_content).decode()
    assert "11.11" in csv_text
    assert "99.99" not in csv_text
    assert client.get(reverse("payments:top-up-detail", args=[theirs.pk])).status_code == 404


def test_top_up_through_the_sandbox_page(login, company):
    client = login(company, Role.BUYER)
    response = client.post(reverse("payments:top-up-create"), {"amount": "250.00"})
    assert response.status_code == 302
    top_up = TopUp.objects.get()
    assert response["Location"] == reverse(
        "payments:sandbox-page", args=[top_up.provider_reference]
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'name="action" value="pay"' in page.text
    done = client.post(response["Location"], {"action": "pay"})
    assert done["Location"] == reverse("payments:top-up-detail", args=[top_up.pk])
    detail = client.get(done["Location"])
    assert 'data-status="succeeded"' in detail.text
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("250")
    statement = client.get(reverse("payments:statement")).text
    assert "250.00" in statement
    # Pressing Pay again (back button) changes nothing.
    client.post(response["Location"], {"action": "pay"})
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("250")


def test_cancel_on_the_sandbox_page_fails_the_top_up(login, company):
    client = login(company, Role.FINANCE)
    response = client.post(reverse("payments:top-up-create"), {"amount": "40"})
    client.post(response["Location"], {"action": "cancel"})
    assert TopUp.objects.get().status == TopUp.Status.FAILED
    assert selectors.wallet_balance(company=company, currency="USD") == 0


@pytest.mark.parametrize("amount", ["0", "-5", "1.234", "abc", "5", "99999999"])
def test_top_up_form_refuses_bad_amounts(login, company, amount):
    client = login(company, Role.OWNER)
    response = client.post(reverse("payments:top-up-create"), {"amount": amount})
    assert response.status_code == 400
    assert not TopUp.objects.exists()


def test_jpy_top_up_takes_whole_yen(login, member_of):
    from tests.accounts.factories import CompanyFactory

    company = CompanyFactory(wallet_currency="JPY")
    client = login(company, Role.OWNER)
    assert client.post(reverse("payments:top-up-create"), {"amount": "1000.5"}).status_code == 400
    assert client.post(reverse("payments:top-up-create"), {"amount": "10000"}).status_code == 302


def test_statement_filters_and_htmx_fragment(login, company, rates):
    fund_wallet(company, "500")
    quote = services.fx_quote_create(company=company, amount=Decimal("700"))
    services.checkout_charge(quote=quote, reference="order:77", idempotency_key="o77")
    client = login(company, Role.OWNER)
    url = reverse("payments:statement")
    checkout_only = client.get(url, {"kind": "checkout"}).text
    assert "order:77" in checkout_only
    assert "topup:" not in checkout_only
    fragment = client.get(url, {"kind": "top_up"}, HTTP_HX_REQUEST="true")
    assert fragment.text.lstrip().startswith('<section id="statement-results"')
    assert "<html" not in fragment.text
    empty = client.get(url, {"date_from": "2001-01-01", "date_to": "2001-01-31"}).text
    assert "No statement lines match" in empty
    bad = client.get(url, {"date_from": "2001-02-01", "date_to": "2001-01-01"})
    assert bad.status_code == 200
    assert "start date is after the end date" in bad.text


def test_csv_has_running_balance_and_follows_filters(login, company, rates):
    fund_wallet(company, "500")
    quote = services.fx_quote_create(company=company, amount=Decimal("700"))
    services.checkout_charge(quote=quote, reference="order:78", idempotency_key="o78")
    client = login(company, Role.FINANCE)
    response = client.get(reverse("payments:statement-csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = b"".join(response.streaming_content).decode().strip().splitlines()
    assert rows[0].startswith("Date,Type,Reference")
    assert len(rows) == 3
    assert rows[1].split(",")[6] == str(Decimal(500) - quote.charge_amount)
    assert rows[2].split(",")[6] == "500.00"
    filtered = client.get(reverse("payments:statement-csv"), {"kind": "top_up"})
    assert len(b"".join(filtered.streaming_content).decode().strip().splitlines()) == 2


def test_wallet_shows_fee_tier_and_distance(login, company):
    text = login(company, Role.OWNER).get(reverse("payments:wallet")).text
    assert "3.00%" in text
    assert "10,000.00" in text
