import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders import services
from orders.models import CartLine
from tests.orders.factories import product_with_skus

pytestmark = pytest.mark.django_db


def test_bad_rows_are_reported_with_reasons_and_good_rows_added(buyer, company):
    _product, (red, blue) = product_with_skus(moq=10)
    _small, (tiny,) = product_with_skus(moq=100, skus=1)
    text = "\n".join(
        [
            "sku,quantity",
            f"{red.code},6",
            f"{blue.code.lower()},6",
            "NOPE-1,5",
            f"{red.code},lots",
            f"{blue.code},0",
            f"{tiny.code},5",
            "just-one-cell",
        ]
    )

    result = services.cart_quick_order(user=buyer, company=company, text=text)

    assert result.added == 2
    lines = {line.sku_id: line.quantity for line in CartLine.objects.all()}
    assert lines == {red.pk: 6, blue.pk: 6}
    reasons = {number: reason for number, _raw, reason in result.rows}
    assert "No product with SKU code “NOPE-1”" in reasons[4]
    assert "not a whole number" in reasons[5]
    assert "at least 1" in reasons[6]
    assert "Minimum order is 100" in reasons[7]
    assert "SKU code and a quantity" in reasons[8]


def test_rows_of_one_product_count_together_with_the_cart(buyer, company):
    product, (red, blue) = product_with_skus(moq=10)
    services.cart_add(user=buyer, company=company, product=product, quantities={red: 10})

    result = services.cart_quick_order(user=buyer, company=company, text=f"{blue.code},2")

    assert result.added == 1
    assert not result.rows


def test_csv_upload_through_the_page(buyer_client, company):
    _product, (red, _blue) = product_with_skus(moq=10)
    upload = SimpleUploadedFile(
        "order.csv", f"SKU;Qty\n{red.code};12\nBAD;1\n".encode(), content_type="text/csv"
    )

    response = buyer_client.post(reverse("orders:quick-order"), {"file": upload})

    assert response.status_code == 200
    assert "1 row was not added" in response.text
    assert "BAD" in response.text
    assert CartLine.objects.get().quantity == 12


def test_all_good_rows_redirect_to_the_cart(buyer_client, company):
    _product, (red, _blue) = product_with_skus(moq=10)

    response = buyer_client.post(reverse("orders:quick-order"), {"rows": f"{red.code}, 20"})

    assert response.url == reverse("orders:cart")
