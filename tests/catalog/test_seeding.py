from io import StringIO

import pytest
from django.core.management import call_command

from catalog.demo import seed_demo_catalog
from catalog.models import Category, PriceTier, Product, ProductImage, Sku, Supplier
from catalog.selectors import products_visible
from payments.models import FxRate

pytestmark = pytest.mark.django_db


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Category, Supplier, Product, Sku, PriceTier, ProductImage, FxRate)
    }


def test_demo_catalog_is_complete_and_idempotent():
    created = seed_demo_catalog()
    first = counts()

    again = seed_demo_catalog()

    assert counts() == first
    assert created["products"] == 40
    assert again["products"] == again["suppliers"] == again["categories"] == 0
    assert Category.objects.filter(depth=2).count() == 16
    assert products_visible().count() == 39  # one supplier is still under review
    assert first["ProductImage"] == 80
    assert all(p.cover_thumbnail for p in Product.objects.all())
    assert Supplier.objects.filter(status="approved", rating__isnull=False).count() == 5
    assert first["FxRate"] > 0


def test_seed_catalog_adds_products_with_skus_and_tiers():
    out = StringIO()

    call_command("seed_catalog", "--products", "120", "--batch-size", "50", "--no-progress",
                 stdout=out)  # fmt: skip

    assert "Added 120 products" in out.getvalue()
    assert Product.objects.count() == 120
    assert Sku.objects.count() >= 240
    assert PriceTier.objects.count() == 360
    assert products_visible().exists()
    product = Product.objects.order_by("pk").first()
    assert product.min_price_cny == min(t.unit_price_cny for t in product.tiers.all())

    call_command("seed_catalog", "--products", "10", "--no-progress", stdout=StringIO())
    assert Product.objects.count() == 130


def test_demo_catalog_pages_render(owner_client):
    from django.urls import reverse

    seed_demo_catalog()
    product = Product.objects.get(title_en="Floral summer midi dress")

    index = owner_client.get(reverse("catalog:index"))
    leaf = owner_client.get(reverse("catalog:category", args=["dresses"]))
    page = owner_client.get(reverse("catalog:product", args=[product.pk]))

    assert index.status_code == leaf.status_code == page.status_code == 200
    assert "Floral summer midi dress" in leaf.content.decode()
    html = page.content.decode()
    assert "<img" in html
    assert "Colour by Size" in html
    assert "Guangzhou Jinxiu Apparel" in html
