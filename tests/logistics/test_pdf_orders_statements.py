"""The merchant's order confirmation / pro forma invoice and monthly statement as PDF
in English or Simplified Chinese, built on the exports queue and read back."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from orders.documents import order_confirmation_pdf_build
from payments.reports import merchant_statement
from payments.statement_pdf import statement_pdf_build
from procurement.core.pdf import pdf_open
from tests.orders.factories import paid_order, place_order, product_with_skus
from tests.payments.factories import fund_wallet, seed_rates

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_storage(settings):
    """Primary keys repeat between tests; stored PDFs of an earlier test must not answer."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def text_of(path: str) -> str:
    with pdf_open(path) as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def earbuds():
    seed_rates()
    product, skus = product_with_skus(skus=1)
    product.title_en = "Wireless earbuds"
    product.save(update_fields=["title_en"])
    return product, skus[0]


def test_order_confirmation_in_english_and_chinese(owner, company, earbuds):
    product, sku = earbuds
    order = paid_order(owner, company, (product, {sku: 20}))
    line = order.lines.get()
    english = text_of(order_confirmation_pdf_build(order_id=order.pk, language="en"))
    assert "Order confirmation" in english
    assert order.number in english
    assert str(line.line_total_cny) in english
    assert str(order.total_cny) in english
    assert f"Total paid {order.quote.total_charge:.2f} USD" in english

    chinese = text_of(order_confirmation_pdf_build(order_id=order.pk, language="zh-hans"))
    assert "订单确认单" in chinese
    assert "货款" in chinese
    assert str(order.total_cny) in chinese


def test_an_unpaid_order_gets_a_pro_forma_invoice(owner, company, earbuds):
    product, sku = earbuds
    fund_wallet(company, "1000")
    order = place_order(owner, company, (product, {sku: 20}))
    text = text_of(order_confirmation_pdf_build(order_id=order.pk, language="en"))
    assert "Pro forma invoice" in text
    assert str(order.goods_cny) in text


def test_order_pdf_is_company_scoped_and_built_on_request(
    owner_client,
    owner,
    company,
    other_company,
    member_of,
    earbuds,
    django_capture_on_commit_callbacks,
):
    product, sku = earbuds
    order = paid_order(owner, company, (product, {sku: 20}))
    url = reverse("orders:order-confirmation-pdf", args=[order.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = owner_client.get(url)
    assert first.status_code == 302  # queued on the exports queue, built on commit
    ready = owner_client.get(url)
    assert ready.status_code == 200
    assert ready["Content-Type"] == "application/pdf"
    owner_client.force_login(member_of(other_company))
    assert owner_client.get(url).status_code == 404


def test_monthly_statement_in_chinese_with_its_balances(owner, company, earbuds):
    product, sku = earbuds
    paid_order(owner, company, (product, {sku: 20}))
    today = timezone.localdate()
    path = statement_pdf_build(
        company_id=company.pk, year=today.year, month=today.month, language="zh-hans"
    )
    text = text_of(path)
    assert "期初余额" in text
    assert company.legal_name in text
    (usd,) = merchant_statement(company=company, year=today.year, month=today.month)
    assert f"收入 {usd.credits}" in text  # money in
    assert f"期末余额 {usd.closing}" in text


def test_statement_pdf_follows_new_postings(owner_client, owner, company, earbuds):
    today = timezone.localdate()
    fund_wallet(company, "50")
    first = statement_pdf_build(
        company_id=company.pk, year=today.year, month=today.month, language="en"
    )
    fund_wallet(company, "70")
    second = statement_pdf_build(
        company_id=company.pk, year=today.year, month=today.month, language="en"
    )
    assert first != second
    assert "Closing balance 1120.00" in text_of(second)  # 1000 + 50 + 70
