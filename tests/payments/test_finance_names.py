"""Finance pages speak in names and the current month: suppliers picked by name, payables and
batches showing order numbers and supplier names, freight in its own currency."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from payments import payouts
from payments.forms_finance import PeriodForm
from payments.models import PayoutBatch
from tests.catalog.factories import SupplierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier():
    return SupplierFactory(name_en="Ningbo Cups Ltd")


@pytest.fixture
def payable(company, supplier):
    return payouts.supplier_payable_record(
        reference="po:424242",
        order_reference="order:434343",
        company=company,
        supplier_reference=f"supplier:{supplier.pk}",
        payee_name="宁波杯业",
        payee_account="6222000011112222",
        payee_bank="工商银行",
        amount_cny=Decimal("12345.6"),
        placed_at=timezone.now(),
        idempotency_key="po:424242:placed",
    )


@pytest.fixture
def finance_client(client, finance_admin):
    client.force_login(finance_admin)
    return client


def test_reports_default_to_the_current_month():
    form = PeriodForm()
    today = timezone.localdate()
    assert form.period() == (today.replace(day=1), today)


def test_payout_batches_pick_a_supplier_by_name(finance_client, payable, supplier):
    page = finance_client.get(reverse("finance:payout-batches")).text
    assert f'<option value="supplier:{supplier.pk}">Ningbo Cups Ltd</option>' in page
    assert "supplier:3" not in page.replace(f'value="supplier:{supplier.pk}"', "")

    response = finance_client.post(
        reverse("finance:payout-batches"), {"supplier_reference": f"supplier:{supplier.pk}"}
    )

    batch = PayoutBatch.objects.get()
    assert response.status_code == 302
    assert batch.supplier_reference == f"supplier:{supplier.pk}"
    detail = finance_client.get(reverse("finance:payout-batch", args=[batch.pk])).text
    assert "Ningbo Cups Ltd" in detail
    assert "12,345.60" in detail
    listing = finance_client.get(reverse("finance:payout-batches")).text
    assert "Ningbo Cups Ltd" in listing


def test_a_supplier_not_offered_is_refused(finance_client, payable):
    response = finance_client.post(
        reverse("finance:payout-batches"), {"supplier_reference": "supplier:999999"}
    )
    assert response.status_code == 400
    assert not PayoutBatch.objects.exists()


def test_payables_show_names_not_references(finance_client, payable):
    page = finance_client.get(reverse("finance:payables")).text
    assert "Ningbo Cups Ltd" in page
    for raw in ("po:424242", "order:434343", "supplier:"):
        assert raw not in page


def test_freight_charged_names_its_currency(finance_client):
    page = finance_client.get(reverse("finance:settlement")).text
    assert "Freight charged (CNY)" in page
