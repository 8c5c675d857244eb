"""The 1688 part of the demo, run against the local fake platform (``ALIBABA_OPEN_FAKE=1``):
offers imported from responses shaped as 1688 sends them, a merchant's order for one of them,
its purchase order placed on the fake 1688 from the account manager's side, and 1688's events
moving it (paid, shipped by the seller with a domestic carrier and tracking number, a carrier
scan): the warehouse sees it as expected inbound. Every step goes through the same services
and signed client the admin uses. Idempotent: with a demo purchase order already on 1688 it
does nothing. With real credentials it does nothing either: a demo never orders on 1688."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction

from catalog.adapters.fake1688.gateway import PLATFORM
from catalog.models import Category, Product, Supplier
from catalog.services import offer_import_from_platform, supplier_transition
from orders import selectors, services
from orders.models import AlibabaOrder
from orders.services import alibaba as alibaba_services
from procurement.accounts.models import Company, Membership, User

FIXTURES = Path(__file__).resolve().parents[2] / "catalog" / "fixtures" / "1688"
# The responses the fake answers, and where each imported offer is filed.
OFFERS = {
    "query_product_detail_en_sku_prices_bag.json": "storage-baskets",
    "query_product_detail_en_no_skus_bottle.json": "mugs-cups",
}
MERCHANT = ("buyer@acme.example", "Acme Trading LLC")
MANAGER = "manager@example.com"


def _import_offers(manager: User) -> list[Product]:
    products = []
    for name, slug in OFFERS.items():
        offer_id = PLATFORM.product(json.loads((FIXTURES / name).read_text(encoding="utf-8")))
        product, _created = offer_import_from_platform(
            offer_id=offer_id,
            category=Category.objects.get(slug=slug),
            actor=manager,
            language="en",
        )
        supplier = product.supplier
        for step in (Supplier.Status.UNDER_REVIEW, Supplier.Status.APPROVED):
            if supplier.can_become(step):
                supplier = supplier_transition(
                    supplier=supplier, to_status=step, actor=manager, reason="Demo supplier"
                )
        products.append(product)
    return products


def _order_bags(bags: Product):
    """The merchant's buyer orders 30 + 20 bags of two colours and pays from the wallet."""
    user = User.objects.get(email=MERCHANT[0])
    company = Company.objects.get(legal_name=MERCHANT[1])
    membership = Membership.objects.get(user=user, company=company)
    red, blue = list(bags.skus.order_by("position", "pk"))[:2]
    for sku in (red, blue):
        PLATFORM.offer(bags.source_offer_id, sku.spec_id, price_cny=sku.price_cny)
    services.cart_add(user=user, company=company, product=bags, quantities={red: 30, blue: 20})
    priced = selectors.priced_cart(cart=selectors.cart_for(user=user, company=company))
    order = services.order_place_from_cart(
        user=user,
        company=company,
        membership=membership,
        checkout_key=uuid.uuid4().hex,
        signature=priced.signature(None, None),
    )
    return services.order_pay(order=order, actor=user, membership=membership)


def seed_demo_1688() -> dict[str, int]:
    """Returns how many offers were imported and purchase orders placed on the fake 1688."""
    if not settings.ALIBABA_OPEN_FAKE:
        return {"offers": 0, "purchase_orders": 0}
    if AlibabaOrder.objects.exists():
        return {"offers": 0, "purchase_orders": 0}
    manager = User.objects.get(email=MANAGER)
    with transaction.atomic():
        bags, *others = _import_offers(manager)
        order = _order_bags(bags)
    po = order.purchase_orders.get()
    # The supplier's freight on 1688 is what the merchant paid for it: no price difference.
    PLATFORM.freight_cny = po.domestic_freight_cny
    alibaba_services.alibaba_preview_request(po=po, actor=manager)
    alibaba_services.alibaba_preview_run(po_id=po.pk)
    alibaba_services.alibaba_place_request(po=po, actor=manager)
    alibaba_services.alibaba_place_run(po_id=po.pk)  # a no-op if the task already ran it
    (order_id,) = AlibabaOrder.objects.get(purchase_order=po).order_ids
    PLATFORM.pay(order_id)
    alibaba_services.alibaba_sync_run(po_id=po.pk)
    PLATFORM.ship(order_id, carrier="中通快递", bill_no="73500012345678", remark="[金华市]已揽收")
    PLATFORM.trace(order_id, remark="[广州市]到达广州白云转运中心", at="2026-12-04 06:12:00")
    alibaba_services.alibaba_sync_run(po_id=po.pk)
    return {"offers": 1 + len(others), "purchase_orders": 1}
