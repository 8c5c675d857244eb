import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from orders import exceptions, services
from orders.models import Order, SourcingQuote, SourcingRequest
from tests.orders.factories import SupplierFactory, expire, membership, product_with_skus

pytestmark = pytest.mark.django_db


def _image(name="case.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (10, 200, 90)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _quote(request, account_manager, *, send=True, **line):
    quote = services.sourcing_quote_create(
        request=request,
        actor=account_manager,
        lines=[
            {
                "supplier": line.pop("supplier", None) or SupplierFactory(),
                "description": "Matte silicone case",
                "unit_price_cny": Decimal("3.20"),
                "moq": 300,
                "quantity": 500,
                "lead_time_days": 12,
                **line,
            }
        ],
    )
    if send:
        services.sourcing_quote_send(quote=quote, actor=account_manager)
        quote.refresh_from_db()
    return quote


def test_request_with_links_and_photos_from_the_page(buyer_client, company):
    response = buyer_client.post(
        reverse("orders:sourcing-create"),
        {
            "title": "Phone cases",
            "links": "https://detail.1688.com/offer/623456789012.html\n"
            "https://item.taobao.com/item.htm?id=55512345678",
            "target_quantity": 500,
            "target_unit_price": "0.45",
            "photos": [_image(), _image("b.png")],
        },
    )

    request = SourcingRequest.objects.get()
    assert response.url == reverse("orders:sourcing-detail", args=[request.pk])
    assert [link["external_id"] for link in request.links] == ["623456789012", "55512345678"]
    assert request.photos.count() == 2
    assert request.target_currency == "USD"
    assert request.events.get().to_status == "submitted"


def test_unreadable_link_is_refused_with_its_reason(buyer_client, company):
    response = buyer_client.post(
        reverse("orders:sourcing-create"),
        {"title": "Cases", "links": "https://m.tb.cn/h.abc"},
    )

    assert response.status_code == 400
    assert "Short share links cannot be read" in response.text
    assert not SourcingRequest.objects.exists()


def test_a_fake_photo_is_refused(buyer_client, company):
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")

    response = buyer_client.post(
        reverse("orders:sourcing-create"), {"title": "Cases", "photos": [fake]}
    )

    assert response.status_code == 400
    assert not SourcingRequest.objects.exists()


def test_request_quote_accept_becomes_an_order_at_quoted_prices(
    client, buyer, company, account_manager, rates, django_capture_on_commit_callbacks
):
    request = services.sourcing_request_create(
        company=company, actor=buyer, title="Cases", description="matte"
    )
    supplier = SupplierFactory()
    with django_capture_on_commit_callbacks(execute=True):
        quote = _quote(request, account_manager, supplier=supplier)
    assert "is ready" in mail.outbox[-1].subject
    assert mail.outbox[-1].to == [buyer.email]

    client.force_login(buyer)
    page = client.get(reverse("orders:sourcing-detail", args=[request.pk]))
    assert "Accept and order" in page.text
    response = client.post(reverse("orders:sourcing-quote-accept", args=[quote.pk]))
    again = client.post(reverse("orders:sourcing-quote-accept", args=[quote.pk]))

    order = Order.objects.get()
    assert response.url == reverse("orders:order-pay", args=[order.pk])
    assert again.status_code == 302
    assert order.source == Order.Source.QUOTE
    line = order.lines.get()
    assert (line.supplier, line.quantity, line.unit_price_cny) == (supplier, 500, Decimal("3.20"))
    assert order.goods_cny == Decimal("1600.00")
    request.refresh_from_db()
    quote.refresh_from_db()
    assert request.status == SourcingRequest.Status.ACCEPTED
    assert quote.status == SourcingQuote.Status.ACCEPTED


def test_expired_quote_cannot_be_accepted(buyer, company, account_manager, rates):
    request = services.sourcing_request_create(
        company=company, actor=buyer, title="Cases", description="x"
    )
    quote = expire(_quote(request, account_manager))

    with pytest.raises(exceptions.QuoteNotAcceptable):
        services.sourcing_quote_accept(
            quote=quote, actor=buyer, membership=membership(buyer, company)
        )
    assert not Order.objects.exists()


def test_decline_needs_a_reason_and_a_new_quote_supersedes(client, buyer, company, account_manager):
    request = services.sourcing_request_create(
        company=company, actor=buyer, title="Cases", description="x"
    )
    first = _quote(request, account_manager)
    client.force_login(buyer)

    client.post(reverse("orders:sourcing-quote-decline", args=[first.pk]), {"reason": ""})
    first.refresh_from_db()
    assert first.status == SourcingQuote.Status.SENT

    client.post(reverse("orders:sourcing-quote-decline", args=[first.pk]), {"reason": "Too dear"})
    request.refresh_from_db()
    assert request.status == SourcingRequest.Status.DECLINED
    assert request.decline_reason == "Too dear"

    second = _quote(request, account_manager, unit_price_cny=Decimal("2.90"))
    request.refresh_from_db()
    assert request.status == SourcingRequest.Status.QUOTED
    assert second.status == SourcingQuote.Status.SENT


def test_quote_below_its_moq_is_refused(buyer, company, account_manager):
    from django.core.exceptions import ValidationError

    request = services.sourcing_request_create(
        company=company, actor=buyer, title="Cases", description="x"
    )
    with pytest.raises(ValidationError):
        _quote(request, account_manager, quantity=100, moq=300)


def test_only_quote_permission_sends(buyer, company, warehouse_staff, account_manager):
    request = services.sourcing_request_create(
        company=company, actor=buyer, title="Cases", description="x"
    )
    quote = _quote(request, account_manager, send=False)

    with pytest.raises(exceptions.PermissionRefused):
        services.sourcing_quote_send(quote=quote, actor=warehouse_staff)


def test_staff_queue_and_send_button_in_the_admin(client, buyer, company, account_manager):
    request = services.sourcing_request_create(
        company=company, actor=buyer, title="Cases", description="x"
    )
    quote = _quote(request, account_manager, send=False)
    client.force_login(account_manager)

    queue = client.get(reverse("admin:orders_sourcingrequest_changelist"))
    change = client.get(reverse("admin:orders_sourcingquote_change", args=[quote.pk]))
    sent = client.post(reverse("admin:orders_sourcingquote_send", args=[quote.pk]))

    assert queue.status_code == change.status_code == 200
    assert "Prepare a quote" in queue.text
    assert "Send to the merchant" in change.text
    assert sent.status_code == 302
    quote.refresh_from_db()
    assert quote.status == SourcingQuote.Status.SENT


def test_request_a_quote_from_a_product_page(buyer_client, company):
    product, _skus = product_with_skus()

    page = buyer_client.get(reverse("orders:sourcing-create"), {"product": product.pk})

    assert product.title_en in page.text
