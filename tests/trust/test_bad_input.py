"""Attacks and bad input across the portal: tampered money, mass assignment, absurd quantities,
bad currencies, other companies' ids, hostile uploads, CSRF and XSS. Every case gets a clear
refusal and leaves the database as it was."""

import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from catalog.models import Supplier
from logistics.exceptions import LogisticsError
from logistics.models import Address, Parcel
from logistics.photos import photo_check
from orders import selectors as orders_selectors
from orders.models import CartLine, Message, Order, SourcingRequest
from procurement.accounts.models import Company, Membership, Role
from tests.trust.conftest import db_snapshot, snapshot_diff

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(world, key="victim") -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[key]}"}


def api_post(client, path, body, world, key="victim", n=[0]):  # noqa: B006 - a counter
    n[0] += 1
    return client.post(
        "/api/v1" + path,
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=f"bad-input-{n[0]}",
        **api(world, key),
    )


class Unchanged:
    """`with Unchanged():` fails if the block wrote anything."""

    def __enter__(self):
        self.before = db_snapshot()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            assert not snapshot_diff(self.before, db_snapshot())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Tampered money ------------------------------------------------------------------------------


def test_tampered_price_fields_in_cart_and_checkout_are_ignored(world):
    buyer, product, sku = world.users[Role.BUYER], world.product, world.skus[1]
    client = signed_in(buyer)
    client.post(
        reverse("orders:cart-add"),
        {
            "product": product.pk,
            f"qty-{sku.pk}": "20",
            "price": "0.01",
            "unit_price_cny": "0.01",
            "total": "0.01",
        },
    )
    line = CartLine.objects.get(sku=sku, cart__user=buyer)
    assert line.quantity == 20
    cart = orders_selectors.cart_for(user=buyer, company=world.company)
    priced = orders_selectors.priced_cart(cart=cart)
    response = client.post(
        reverse("orders:checkout"),
        {
            "signature": priced.signature(None, None),
            "total": "0.01",
            "fee": "0",
            "service_fee": "0",
            "fx_rate": "1000",
            "amount": "0.01",
            "currency": "JPY",
        },
    )
    assert response.status_code in (302, 409)
    order = Order.objects.filter(company=world.company).order_by("-pk").first()
    assert order.currency == world.company.wallet_currency
    # 10 + 20 units at the MOQ tier of ¥10, whatever the form said.
    assert order.goods_cny == Decimal("300.00")
    assert order.estimated_total > Decimal("20")


def test_tampered_prices_in_an_api_order_are_ignored(world):
    client = Client()
    product, sku = world.product, world.skus[0]
    response = api_post(
        client,
        "/orders",
        {
            "lines": [
                {"product_id": product.pk, "sku_id": sku.pk, "quantity": 20, "unit_price": "0.01"}
            ],
            "total": "0.01",
            "fee": "0",
            "currency": "JPY",
            "company_id": world.other_company.pk,
            "status": "paid",
        },
        world,
    )
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["id"])
    assert order.company == world.company
    assert order.status != Order.Status.PAID
    assert order.currency == world.company.wallet_currency
    assert order.lines.get().unit_price_cny == Decimal("10.00")


# --- Mass assignment -----------------------------------------------------------------------------


def test_extra_fields_on_company_member_address_and_top_up_pages_have_no_effect(world):
    owner, company, other = world.users[Role.OWNER], world.company, world.other_company
    viewer = world.objects["viewer_membership"]
    client = signed_in(owner)
    client.post(
        reverse("accounts:company"),
        {
            "legal_name": "Victim Trading Ltd",
            "country": "US",
            "uses_sourcing": "on",
            "wallet_currency": "JPY",
            "account_manager": world.users["superuser"].pk,
            "balance": "1000000",
        },
    )
    company.refresh_from_db()
    assert (company.wallet_currency, company.account_manager_id) == ("USD", None)
    client.post(
        reverse("accounts:member-edit", args=[viewer.pk]),
        {"role": "viewer", "company": other.pk, "user": owner.pk, "is_staff": "on"},
    )
    viewer.refresh_from_db()
    assert viewer.company == company
    assert viewer.user != owner
    assert not Membership.objects.filter(company=other, user=viewer.user).exists()
    client.post(
        reverse("logistics:address-create"),
        {
            "kind": "end_customer",
            "name": "Jo",
            "phone": "+14155550123",
            "line1": "1 A St",
            "city": "SF",
            "region": "CA",
            "postcode": "94105",
            "country": "US",
            "company": other.pk,
        },
    )
    assert not Address.objects.filter(company=other).exists()
    response = client.post(
        reverse("payments:top-up-create"), {"amount": "100", "currency": "JPY", "status": "paid"}
    )
    assert response.status_code == 302
    top_up = company.top_ups.order_by("-pk").first()
    assert (top_up.currency, top_up.status) == ("USD", "pending")


def test_mass_assignment_in_an_api_sourcing_request_has_no_effect(world):
    response = api_post(
        Client(),
        "/sourcing-requests",
        {
            "title": "Mugs",
            "description": "Blue, 350 ml",
            "company_id": world.other_company.pk,
            "status": "accepted",
        },
        world,
    )
    assert response.status_code == 201, response.content
    request = SourcingRequest.objects.get(pk=response.json()["id"])
    assert request.company == world.company
    assert request.status == SourcingRequest.Status.SUBMITTED


# --- Quantities ----------------------------------------------------------------------------------

BAD_QUANTITIES = ["0", "-1", "1.5", str(10**12), "1e3", "", "abc"]


@pytest.mark.parametrize(
    "quantity",
    BAD_QUANTITIES,
)
def test_bad_quantities_in_cart_add_are_refused(world, quantity):
    client = signed_in(world.users[Role.OWNER])
    sku = world.skus[1]
    with Unchanged():
        response = client.post(
            reverse("orders:cart-add"),
            {"product": world.product.pk, f"qty-{sku.pk}": quantity},
            follow=True,
        )
    assert response.status_code == 200
    assert messages_of(response), "the refusal says why"


@pytest.mark.parametrize("quantity", BAD_QUANTITIES)
def test_bad_quantities_in_quick_order_are_refused(world, quantity):
    client = signed_in(world.users[Role.OWNER])
    with Unchanged():
        response = client.post(
            reverse("orders:quick-order"), {"text": f"{world.skus[1].code},{quantity}"}
        )
    assert response.status_code in (200, 400)
    assert response.context["result"] is None or response.context["result"].added == 0


@pytest.mark.parametrize("quantity", [0, -1, 1.5, 10**12, "1e3", "ten", None])
def test_bad_quantities_in_api_order_lines_are_refused(world, quantity):
    body = {
        "lines": [
            {"product_id": world.product.pk, "sku_id": world.skus[0].pk, "quantity": quantity}
        ]
    }
    with Unchanged():
        response = api_post(Client(), "/orders", body, world)
    assert response.status_code == 422
    assert response.json()["field"] == "lines.0.quantity"


# --- Currencies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("currency", ["usd", "XXX", "CNY ", "", "BTC"])
def test_unknown_or_lowercase_currencies_are_refused_at_company_creation(world, currency):
    client = signed_in(world.users["account_manager"])
    with Unchanged():
        response = client.post(
            reverse("accounts:company-create"),
            {"legal_name": "New Co", "country": "US", "wallet_currency": currency},
        )
    assert response.status_code == 200
    assert response.context["form"].errors["wallet_currency"]


@pytest.mark.parametrize("amount", ["-5", "0", "10.001", "abc", "NaN", "Infinity", str(10**12)])
def test_bad_top_up_amounts_are_refused(world, amount):
    client = signed_in(world.users[Role.OWNER])
    with Unchanged():
        response = client.post(reverse("payments:top-up-create"), {"amount": amount})
    assert response.status_code == 400
    assert response.context["form"].errors


# --- Other companies' ids ------------------------------------------------------------------------


def test_a_product_of_an_unapproved_supplier_cannot_be_added(world):
    client = signed_in(world.users[Role.OWNER])
    hidden, sku = world.hidden_product, world.hidden_skus[0]
    assert hidden.supplier.status != Supplier.Status.APPROVED
    with Unchanged():
        response = client.post(
            reverse("orders:cart-add"), {"product": hidden.pk, f"qty-{sku.pk}": "10"}
        )
        assert response.status_code == 404
        body = {"lines": [{"product_id": hidden.pk, "sku_id": sku.pk, "quantity": 10}]}
        assert api_post(Client(), "/orders", body, world).status_code in (404, 422)


def test_the_attacker_cannot_use_the_victims_address_stock_or_quote(world):
    attacker = world.users["other"]
    client = signed_in(attacker)
    mine = world.other_company
    with Unchanged():
        # Parcel page: the victim's stock and address are not choices.
        response = client.post(
            reverse("logistics:parcel-create"),
            {
                "items": [world.stock.pk],
                "destination": world.address.pk,
                "channel": world.channel.pk,
            },
        )
        assert response.status_code in (200, 400)
        assert response.context["form"].errors
        # API: the same with the attacker's key.
        for body in (
            {"item_ids": [world.stock.pk], "channel_id": world.channel.pk, "address_id": 0},
            {
                "item_ids": [world.stock.pk],
                "channel_id": world.channel.pk,
                "address_id": world.address.pk,
            },
        ):
            response = api_post(Client(), "/parcels", body, world, key="other")
            assert response.status_code in (404, 422), response.content
        response = api_post(
            Client(), f"/sourcing-quotes/{world.quote.pk}/accept", {}, world, key="other"
        )
        assert response.status_code == 404
        response = api_post(
            Client(),
            "/orders",
            {
                "lines": [
                    {"product_id": world.product.pk, "sku_id": world.skus[0].pk, "quantity": 20}
                ],
                "destination_id": world.address.pk,
                "channel_id": world.channel.pk,
            },
            world,
            key="other",
        )
        assert response.status_code in (404, 422), response.content
    assert not Parcel.objects.filter(company=mine).exists()


def test_cart_lines_of_another_user_cannot_be_changed(world):
    client = signed_in(world.users["other"])
    with Unchanged():
        for name in ("orders:cart-line-update", "orders:cart-line-remove"):
            url = reverse(name, args=[world.cart_line.pk])
            assert client.post(url, {"quantity": "99"}).status_code == 404


# --- Uploads -------------------------------------------------------------------------------------


def _png(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 20, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


HOSTILE = {
    "svg_with_script": lambda: SimpleUploadedFile(
        "x.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        content_type="image/svg+xml",
    ),
    "html_named_jpg": lambda: SimpleUploadedFile(
        "x.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg"
    ),
    "oversized": lambda: SimpleUploadedFile(
        "big.jpg", b"\xff\xd8\xff" + b"0" * (11 * 1024 * 1024), content_type="image/jpeg"
    ),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_sourcing_photos_are_refused(world, kind):
    client = signed_in(world.users[Role.OWNER])
    with Unchanged():
        response = client.post(
            reverse("orders:sourcing-create"),
            {"title": "Mugs", "target_quantity": "100", "photos": [HOSTILE[kind]()]},
        )
    assert response.status_code == 400
    assert response.context["form"].errors["photos"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_stock_and_inspection_photos_are_refused(kind):
    # Stock photos (inbound receiving) and inspection photos share this check.
    with pytest.raises(LogisticsError):
        photo_check(HOSTILE[kind]())


def test_a_path_in_an_upload_name_is_dropped(world):
    client = signed_in(world.users[Role.OWNER])
    response = client.post(
        reverse("orders:sourcing-create"),
        {"title": "Mugs", "target_quantity": "100", "photos": [_png("../../../etc/x.png")]},
    )
    assert response.status_code == 302
    photo = SourcingRequest.objects.order_by("-pk").first().photos.get()
    assert ".." not in photo.image.name
    assert "etc" not in photo.image.name
    assert photo.image.name.startswith("orders/sourcing/")


@pytest.mark.parametrize("kind", ["svg_with_script", "oversized"])
def test_hostile_licence_files_are_refused(kind):
    supplier = Supplier(name_zh="测试", name_en="Test", member_id="b2b-x", province="zhejiang")
    supplier.licence_file = HOSTILE[kind]()
    with pytest.raises(ValidationError) as refused:
        supplier.full_clean()
    assert "licence_file" in refused.value.message_dict


def test_an_html_document_named_as_an_image_is_refused_as_a_licence():
    supplier = Supplier(name_zh="测试", name_en="Test", member_id="b2b-y", province="zhejiang")
    supplier.licence_file = HOSTILE["html_named_jpg"]()
    with pytest.raises(ValidationError):
        supplier.full_clean()


# --- CSRF ----------------------------------------------------------------------------------------


def test_an_htmx_post_without_the_csrf_header_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[Role.OWNER])
    sku = world.skus[1]
    with Unchanged():
        response = client.post(
            reverse("orders:cart-add"),
            {"product": world.product.pk, f"qty-{sku.pk}": "10"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 403
        response = client.post(
            reverse("orders:order-cancel", args=[world.order.pk]), HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 403


# --- XSS -----------------------------------------------------------------------------------------


def test_hostile_text_renders_escaped_in_merchant_pages_and_the_admin(world):
    company, owner = world.company, world.users[Role.OWNER]
    Company.objects.filter(pk=company.pk).update(legal_name=XSS)
    type(owner).objects.filter(pk=owner.pk).update(full_name=XSS)
    Address.objects.filter(pk=world.address.pk).update(
        name=XSS, company_name=XSS, line1=XSS, line2=XSS, city=XSS, region=XSS
    )
    SourcingRequest.objects.filter(pk=world.sourcing.pk).update(title=XSS, description=XSS)
    Message.objects.update(body=XSS)
    world.inbound.__class__.objects.filter(pk=world.inbound.pk).update(contents=XSS)
    world.stock.__class__.objects.filter(pk=world.stock.pk).update(description=XSS)
    merchant_pages = [
        reverse("dashboard"),
        reverse("accounts:company"),
        reverse("accounts:members"),
        reverse("logistics:address-list"),
        reverse("logistics:address-edit", args=[world.address.pk]),
        reverse("logistics:parcel-detail", args=[world.parcel.pk]),
        reverse("logistics:parcel-create"),
        reverse("logistics:inbound-list"),
        reverse("logistics:stock-list"),
        reverse("logistics:stock-detail", args=[world.stock.pk]),
        reverse("orders:sourcing-list"),
        reverse("orders:sourcing-detail", args=[world.sourcing.pk]),
        reverse("orders:order-detail", args=[world.order.pk]),
    ]
    admin_pages = [
        reverse("admin:accounts_company_changelist"),
        reverse("admin:accounts_company_change", args=[company.pk]),
        reverse("admin:accounts_user_change", args=[owner.pk]),
        reverse("admin:logistics_address_change", args=[world.address.pk]),
        reverse("admin:orders_sourcingrequest_change", args=[world.sourcing.pk]),
        reverse("admin:orders_sourcingrequest_changelist"),
        reverse("admin:orders_order_change", args=[world.order.pk]),
        reverse("admin:logistics_inboundparcel_changelist"),
        reverse("admin:logistics_stockitem_change", args=[world.stock.pk]),
        reverse("finance:statements"),
    ]
    leaks = []
    for client, pages in (
        (signed_in(owner), merchant_pages),
        (signed_in(world.users["superuser"]), admin_pages),
    ):
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            for raw in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>"):
                if raw in body:
                    leaks.append(f"{url}: {raw}")
    assert not leaks
