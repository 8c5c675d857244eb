"""A customer's order in a fake store, taken in as its webhook would be (`make run` only:
the portal answers 404 when the stores are real)."""

from catalog import selectors as catalog_selectors
from catalog.models import Sku
from orders.stores import crypto
from orders.stores.adapters import fake_shopify, fake_woocommerce
from orders.stores.models import Platform, StoreConnection


def demo_order_webhook(connection: StoreConnection, *, quantity: int = 1):
    """The signed (body, headers) of a new order for one catalog SKU, made in the fake store
    of `connection` (which learns the connection's credentials if this process did not know
    the store yet)."""
    sku = (
        Sku.objects.filter(product__in=catalog_selectors.products_visible()).order_by("pk").first()
    )
    if sku is None:
        raise LookupError("the catalog has no SKU to order")
    key = crypto.decrypt(connection.access_key_encrypted)
    if connection.platform == Platform.SHOPIFY:
        fake = fake_shopify.PLATFORM
        if connection.shop not in fake.shops:
            fake.add_shop(
                connection.shop,
                token=key,
                client_secret=crypto.decrypt(connection.webhook_secret_encrypted),
            )
        order = fake.create_order(
            connection.shop,
            lines=[
                {
                    "variant_id": 60000 + sku.pk,
                    "product_id": 60000 + sku.product_id,
                    "sku": sku.code,
                    "title": str(sku.product),
                    "quantity": quantity,
                }
            ],
        )
        return fake.webhook(connection.shop, "orders/create", order["id"])
    fake = fake_woocommerce.PLATFORM
    try:
        fake.site(connection.shop)
    except KeyError:
        fake.add_site(
            connection.shop, key=key, secret=crypto.decrypt(connection.access_secret_encrypted)
        )
    order = fake.create_order(
        connection.shop,
        lines=[
            {
                "product_id": 60000 + sku.product_id,
                "variation_id": 60000 + sku.pk,
                "sku": sku.code,
                "name": str(sku.product),
                "quantity": quantity,
            }
        ],
    )
    return fake.webhook(
        connection.shop,
        "order.created",
        order["id"],
        secret=crypto.decrypt(connection.webhook_secret_encrypted),
    )
