import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from orders import exceptions, selectors, services
from orders.models import CartLine, Order, PurchaseOrder
from payments import exceptions as payments_exceptions
from payments import selectors as payments_selectors
from payments.models import LedgerTransaction
from tests.orders.factories import (
    SupplierFactory,
    expire,
    fund_wallet,
    membership,
    place_order,
    product_with_skus,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def goods(rates):
    """Two suppliers: A sells two SKUs, B one."""
    a, b = SupplierFactory(), SupplierFactory()
    shirt, (red, blue) = product_with_skus(supplier=a)
    mug, (white,) = product_with_skus(supplier=b, skus=1)
    return {"shirt": shirt, "red": red, "blue": blue, "mug": mug, "white": white, "a": a, "b": b}


def _order(buyer, company, goods):
    return place_order(
        buyer,
        company,
        (goods["shirt"], {goods["red"]: 30, goods["blue"]: 20}),
        (goods["mug"], {goods["white"]: 10}),
    )


def _balance(company):
    return payments_selectors.wallet_balance(company=company, currency=company.wallet_currency)


def test_checkout_page_shows_the_landed_cost(buyer_client, buyer, company, goods):
    services.cart_add(
        user=buyer, company=company, product=goods["shirt"], quantities={goods["red"]: 50}
    )

    response = buyer_client.get(reverse("orders:checkout"))

    text = response.text
    assert response.status_code == 200
    assert "¥400.00" in text  # 50 x ¥8
    assert "Domestic freight to our warehouse" in text
    assert "¥15.00" in text  # one supplier, flat fee
    assert "markup" in text
    assert "Tier 1" in text
    assert "Shipping is chosen later" in text
    assert 'name="checkout_key"' in text


def test_placing_an_order_locks_a_quote_and_empties_the_cart(buyer, company, goods):
    order = _order(buyer, company, goods)

    assert order.status == Order.Status.AWAITING_PAYMENT
    assert order.number == f"ORD-{order.pk:06d}"
    assert order.goods_cny == Decimal("500.00")  # 50 shirts at ¥8, 10 mugs at ¥10
    assert order.domestic_freight_cny == Decimal("30.00")  # two suppliers at ¥15
    assert order.quote.amount == Decimal("530.00")
    assert order.quote.fee_amount > 0
    assert not CartLine.objects.exists()
    assert list(order.events.values_list("to_status", flat=True)) == ["awaiting_payment"]


def test_paying_debits_the_wallet_once_and_splits_per_supplier(buyer, company, goods):
    fund_wallet(company, Decimal("500.00"))
    order = _order(buyer, company, goods)
    total = order.quote.total_charge

    services.order_pay(order=order, actor=buyer, membership=membership(buyer, company))
    services.order_pay(order=order, actor=buyer, membership=membership(buyer, company))

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert LedgerTransaction.objects.filter(kind="checkout").count() == 1
    assert _balance(company) == Decimal("500.00") - total
    pos = list(PurchaseOrder.objects.order_by("supplier_id"))
    assert [po.supplier for po in pos] == [goods["a"], goods["b"]]
    assert sorted(
        (line.sku_id, line.quantity, line.unit_price_cny) for line in pos[0].lines.all()
    ) == sorted([(goods["red"].pk, 30, Decimal("8.00")), (goods["blue"].pk, 20, Decimal("8.00"))])
    assert [(line.sku_id, line.quantity) for line in pos[1].lines.all()] == [
        (goods["white"].pk, 10)
    ]
    assert sum(po.domestic_freight_cny for po in pos) == Decimal("30.00")
    assert all(po.status == "pending" for po in pos)


def test_double_submit_of_the_pay_form_charges_once(buyer_client, buyer, company, goods):
    fund_wallet(company, Decimal("500.00"))
    order = _order(buyer, company, goods)
    url = reverse("orders:order-pay", args=[order.pk])

    first = buyer_client.post(url, {"quote": order.quote_id})
    second = buyer_client.post(url, {"quote": order.quote_id})

    assert first.status_code == second.status_code == 302
    assert LedgerTransaction.objects.filter(kind="checkout", reference=order.reference).count() == 1


def test_double_submit_of_the_checkout_form_makes_one_order(buyer_client, buyer, company, goods):
    services.cart_add(
        user=buyer, company=company, product=goods["shirt"], quantities={goods["red"]: 10}
    )
    page = buyer_client.get(reverse("orders:checkout"))
    data = {
        "checkout_key": page.context["checkout_key"],
        "signature": page.context["signature"],
    }

    first = buyer_client.post(reverse("orders:checkout"), data)
    second = buyer_client.post(reverse("orders:checkout"), data)

    assert Order.objects.count() == 1
    order = Order.objects.get()
    assert first.url == second.url == reverse("orders:order-pay", args=[order.pk])


def test_insufficient_balance_keeps_the_order_and_offers_a_top_up(
    buyer_client, buyer, company, goods
):
    fund_wallet(company, Decimal("10.00"))
    order = _order(buyer, company, goods)

    response = buyer_client.post(
        reverse("orders:order-pay", args=[order.pk]), {"quote": order.quote_id}, follow=True
    )

    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert not LedgerTransaction.objects.filter(kind="checkout").exists()
    assert _balance(company) == Decimal("10.00")
    assert "not enough" in response.text
    assert reverse("payments:wallet") in response.text
    assert not PurchaseOrder.objects.exists()


def test_expired_quote_asks_to_refresh_then_pays(buyer_client, buyer, company, goods):
    fund_wallet(company, Decimal("500.00"))
    order = _order(buyer, company, goods)
    expire(order.quote)

    with pytest.raises(payments_exceptions.QuoteExpired):
        services.order_pay(order=order, actor=buyer, membership=membership(buyer, company))
    page = buyer_client.get(reverse("orders:order-pay", args=[order.pk]))
    assert "Refresh the rate" in page.text

    buyer_client.post(reverse("orders:order-quote-refresh", args=[order.pk]))
    order.refresh_from_db()
    assert not order.quote.is_expired
    services.order_pay(order=order, actor=buyer, membership=membership(buyer, company))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_paying_with_a_replaced_quote_charges_nothing(buyer, company, goods):
    fund_wallet(company, Decimal("500.00"))
    order = _order(buyer, company, goods)
    old_quote = order.quote_id
    services.order_quote_refresh(order=order, actor=buyer)

    with pytest.raises(exceptions.PricesChanged):
        services.order_pay(order=order, actor=buyer, quote_id=old_quote)
    assert not LedgerTransaction.objects.filter(kind="checkout").exists()


def test_price_change_between_cart_and_checkout_is_refused(buyer, company, goods):
    services.cart_add(
        user=buyer, company=company, product=goods["shirt"], quantities={goods["red"]: 10}
    )
    priced = selectors.priced_cart(cart=selectors.cart_for(user=buyer, company=company))
    signature = priced.signature(None, None)
    goods["shirt"].tiers.filter(min_quantity=10).update(unit_price_cny=Decimal("12.00"))

    with pytest.raises(exceptions.PricesChanged):
        services.order_place_from_cart(
            user=buyer,
            company=company,
            membership=membership(buyer, company),
            checkout_key=uuid.uuid4().hex,
            signature=signature,
        )
    assert not Order.objects.exists()


def test_checkout_page_shows_changed_prices_and_needs_confirmation(
    buyer_client, buyer, company, goods
):
    services.cart_add(
        user=buyer, company=company, product=goods["shirt"], quantities={goods["red"]: 10}
    )
    goods["shirt"].tiers.filter(min_quantity=10).update(unit_price_cny=Decimal("12.00"))

    page = buyer_client.get(reverse("orders:checkout"))
    data = {"checkout_key": page.context["checkout_key"], "signature": page.context["signature"]}
    refused = buyer_client.post(reverse("orders:checkout"), data)
    accepted = buyer_client.post(reverse("orders:checkout"), data | {"accept_new_prices": "1"})

    assert "was ¥10.00, now ¥12.00" in page.text
    assert refused.status_code == 409
    assert accepted.status_code == 302
    assert Order.objects.get().goods_cny == Decimal("120.00")


def test_order_paid_mail_is_sent_on_commit(
    buyer, company, goods, django_capture_on_commit_callbacks
):
    fund_wallet(company, Decimal("500.00"))
    order = _order(buyer, company, goods)

    with django_capture_on_commit_callbacks(execute=True):
        services.order_pay(order=order, actor=buyer, membership=membership(buyer, company))

    assert [m.subject for m in mail.outbox] == [f"Order {order.number} is paid"]
    assert mail.outbox[0].to == [buyer.email]


def test_international_freight_is_estimated_for_a_chosen_channel(
    buyer_client, buyer, company, goods
):
    from tests.logistics.factories import AddressFactory, channel_with_zone

    channel = channel_with_zone()
    address = AddressFactory(company=company)
    services.cart_add(
        user=buyer, company=company, product=goods["shirt"], quantities={goods["red"]: 50}
    )

    response = buyer_client.get(
        reverse("orders:checkout"),
        {"destination": address.pk, "channel": channel.pk},
        headers={"HX-Request": "true", "HX-Target": "landed-cost"},
    )

    # 50 x 0.5 kg = 25 kg beats 10 kg volumetric: ¥100 for 0.5 kg + 49 x ¥30.
    assert response.text.lstrip().startswith('<section id="landed-cost"')
    assert "¥1,570.00" in response.text
    assert "25 kg chargeable" in response.text
    assert f'name="destination" value="{address.pk}"' in response.text


def test_another_companys_address_is_not_a_choice(buyer_client, buyer, company, goods):
    from tests.logistics.factories import AddressFactory, channel_with_zone

    channel = channel_with_zone()
    foreign = AddressFactory()
    services.cart_add(
        user=buyer, company=company, product=goods["shirt"], quantities={goods["red"]: 50}
    )

    response = buyer_client.get(
        reverse("orders:checkout"), {"destination": foreign.pk, "channel": channel.pk}
    )

    assert "Shipping is chosen later" in response.text


@pytest.mark.parametrize("field", ["destination", "channel"])
def test_checkout_refuses_an_id_that_is_not_the_companys(
    buyer_client, buyer, company, goods, field
):
    from tests.logistics.factories import AddressFactory, channel_with_zone

    channel = channel_with_zone()
    own = AddressFactory(company=company)
    foreign = {"destination": AddressFactory().pk, "channel": channel.pk + 1000}
    services.cart_add(
        user=buyer, company=company, product=goods["shirt"], quantities={goods["red"]: 10}
    )
    page = buyer_client.get(reverse("orders:checkout"))
    data = {
        "checkout_key": page.context["checkout_key"],
        "signature": page.context["signature"],
        "destination": own.pk,
        "channel": channel.pk,
    } | {field: foreign[field]}

    response = buyer_client.post(reverse("orders:checkout"), data)

    assert response.status_code == 400
    assert response.context["shipping_form"].errors[field]
    assert 'aria-invalid="true"' in response.text
    assert not Order.objects.exists()


def test_stale_checkout_form_is_shown_again_with_the_new_prices(
    buyer_client, buyer, company, goods
):
    services.cart_add(
        user=buyer, company=company, product=goods["shirt"], quantities={goods["red"]: 10}
    )
    page = buyer_client.get(reverse("orders:checkout"))
    services.cart_add(
        user=buyer, company=company, product=goods["shirt"], quantities={goods["blue"]: 40}
    )

    response = buyer_client.post(
        reverse("orders:checkout"),
        {"checkout_key": page.context["checkout_key"], "signature": page.context["signature"]},
    )

    assert response.status_code == 409
    assert "Prices changed since you opened this page" in response.text
    assert response.context["checkout_key"] != page.context["checkout_key"]
    assert not Order.objects.exists()
