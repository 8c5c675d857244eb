"""seed_demo runs the 1688 flow against the fake platform: offers imported from responses
shaped as 1688 sends them, a purchase order placed there and moved by its events."""

import io

import pytest
from django.core.management import call_command

from catalog.adapters.fake1688.gateway import PLATFORM
from catalog.models import OfferImport, Product
from orders.models import AlibabaOrder, PurchaseOrder

pytestmark = pytest.mark.django_db


def test_seed_demo_places_a_purchase_order_on_the_fake_1688_and_it_ships(settings):
    settings.ALIBABA_OPEN_FAKE = True
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert "1688 (fake platform): 2 offers imported" in out.getvalue()
    imported = OfferImport.objects.filter(
        product__source_offer_id__in=["724455667788", "713344556677"], actor__isnull=False
    )
    assert imported.count() == 2
    bags = Product.objects.get(source="1688", source_offer_id="724455667788")
    assert bags.skus.exclude(spec_id="").count() == 4
    link = AlibabaOrder.objects.get()
    po = link.purchase_order
    assert link.status == AlibabaOrder.Status.PLACED
    assert po.status == PurchaseOrder.Status.SHIPPED
    assert po.supplier_order_no == link.order_ids[0]
    assert po.tracking_number == "73500012345678"
    assert link.carrier == "中通快递"
    assert link.latest_parcel["latest"] == "[广州市]到达广州白云转运中心"
    assert po.price_difference is None
    assert PLATFORM.order(link.order_ids[0]).trade_status == "waitbuyerreceive"
    assert PLATFORM.api_calls("alibaba.trade.createCrossOrder") == 1

    call_command("seed_demo", stdout=io.StringIO())

    assert AlibabaOrder.objects.count() == 1
    assert PLATFORM.api_calls("alibaba.trade.createCrossOrder") == 1


def test_with_real_credentials_the_demo_never_orders_on_1688(settings):
    settings.ALIBABA_OPEN_FAKE = False
    settings.ALIBABA_OPEN_APP_KEY = "1234567"

    call_command("seed_demo", stdout=io.StringIO())

    assert not AlibabaOrder.objects.exists()
    assert not PLATFORM.calls
