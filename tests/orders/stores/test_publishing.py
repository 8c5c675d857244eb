"""Publishing a portal product to the store as a draft, priced from the landed cost."""

from decimal import Decimal

from django.urls import reverse

from orders import selectors as order_selectors
from orders.stores import services
from orders.stores.models import StoreOrder, VariantLink
from tests.orders.stores.conftest import SHOP, SITE


def test_shopify_draft_with_variants_priced_at_landed_cost_times_markup(
    shop_connection, shopify, goods, wallet, company
):
    product, skus = goods
    links = services.product_publish(connection=shop_connection, product=product)
    published = next(iter(shopify.shops[SHOP].products.values()))
    assert published["status"] == "DRAFT"
    assert published["title"] == product.title_en
    assert sorted(v["sku"] for v in published["variants"]) == sorted(s.code for s in skus)
    cost = order_selectors.landed_cost(
        company=company, goods_cny=Decimal("10.00"), supplier_count=1
    )
    # Markup 100 %: twice the landed cost of one unit.
    assert {v["price"] for v in published["variants"]} == {
        str((cost.total_local * 2).quantize(Decimal("0.01")))
    }
    assert {link.sku for link in links} == set(skus)
    assert all(link.published for link in links)


def test_orders_of_published_variants_need_no_mapping(client, woo_connection, woo, goods, wallet):
    product, skus = goods
    links = services.product_publish(connection=woo_connection, product=product)
    site = woo.site(SITE)
    draft = next(iter(site.products.values()))
    assert draft["status"] == "draft"
    assert draft["type"] == "variable"
    link = next(link for link in links if link.sku == skus[1])
    order = woo.create_order(
        SITE,
        lines=[
            {
                "product_id": draft["id"],
                "variation_id": link.external_variant_id,
                "sku": "",
                "name": "Published",
                "quantity": 2,
            }
        ],
    )
    body, headers = woo.webhook(SITE, "order.created", order["id"])
    extra = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"
    }
    client.post(
        reverse("stores:webhook", args=[woo_connection.webhook_token]),
        data=body,
        content_type="application/json",
        **extra,
    )
    store_order = StoreOrder.objects.get()
    assert store_order.status == StoreOrder.Status.AWAITING_APPROVAL
    assert [(line.sku, line.quantity) for line in store_order.order.lines.all()] == [(skus[1], 2)]
    assert VariantLink.objects.filter(product__isnull=True).count() == 0


def test_publish_button(owner_client, shop_connection, goods, wallet, shopify):
    product, _skus = goods
    response = owner_client.post(
        reverse("stores:publish", args=[shop_connection.pk]),
        {"product_id": product.pk},
        follow=True,
    )
    assert "as a draft" in response.content.decode()
    assert len(shopify.shops[SHOP].products) == 1


def test_the_fake_store_refuses_a_variant_field_productset_does_not_take(shopify, shop_connection):
    """The fake answers productSet as the 2025-01 schema does: fields outside
    ProductVariantSetInput, or option values not among the product's options, are userErrors."""
    from orders.stores.adapters.fake_shopify import VARIANT_SET_FIELDS

    assert {"sku", "price", "optionValues"} <= VARIANT_SET_FIELDS
    answer = shopify._op_ProductPublish(
        shopify.shops[SHOP],
        {
            "input": {
                "title": "T",
                "productOptions": [{"name": "Variant", "values": [{"name": "Red"}]}],
                "variants": [
                    {
                        "optionValues": [{"optionName": "Variant", "name": "Blue"}],
                        "price": "1.00",
                        "weight": 2,
                    }
                ],
            }
        },
    )["productSet"]

    assert answer["product"] is None
    assert len(answer["userErrors"]) == 2
