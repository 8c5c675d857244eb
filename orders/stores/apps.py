from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StoresConfig(AppConfig):
    """Merchants' own online stores (Shopify, WooCommerce) connected for dropshipping.

    It lives inside `orders` because turning a store order into a portal order needs the order
    services, the catalog (variant links to SKUs) and logistics (the end customer's address and
    the parcel whose tracking goes back to the store): orders is the lowest layer that sees all
    three.
    """

    name = "orders.stores"
    label = "stores"
    verbose_name = _("Store connections")

    def ready(self) -> None:
        from orders.stores import receivers  # noqa: F401  (connects the parcel-shipped hook)
