import pytest
from django.core import mail
from django.urls import reverse

from orders import services
from orders.models import Message
from tests.orders.factories import place_order, product_with_skus

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer, company, rates, account_manager):
    company.account_manager = account_manager
    company.save()
    product, (red, _blue) = product_with_skus()
    return place_order(buyer, company, (product, {red: 10}))


def test_merchant_message_mails_the_account_manager(
    buyer_client, order, account_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        buyer_client.post(reverse("orders:order-message", args=[order.pk]), {"body": "When?"})

    message = Message.objects.get()
    assert (message.order, message.from_staff) == (order, False)
    assert mail.outbox[-1].to == [account_manager.email]
    assert "When?" in mail.outbox[-1].body


def test_staff_answer_from_the_admin_mails_the_merchant(
    client, buyer, order, account_manager, django_capture_on_commit_callbacks
):
    client.force_login(account_manager)
    url = reverse("admin:orders_order_change", args=[order.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if isinstance(value, str | int)
    }
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for field in management:
            data[field.html_name] = field.value()
    prefix = next(
        f.formset.prefix
        for f in page.context["inline_admin_formsets"]
        if f.formset.model is Message and f.formset.extra
    )
    data[f"{prefix}-0-body"] = "Next Tuesday."

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    message = Message.objects.get()
    assert (message.author, message.from_staff) == (account_manager, True)
    assert mail.outbox[-1].to == [buyer.email]


def test_sourcing_thread(buyer, company, account_manager, django_capture_on_commit_callbacks):
    request = services.sourcing_request_create(
        company=company, actor=buyer, title="Cases", description="x"
    )
    request.assigned_to = account_manager
    request.save()

    with django_capture_on_commit_callbacks(execute=True):
        services.message_post(author=buyer, body="Any news?", sourcing_request=request)
        services.message_post(
            author=account_manager, body="Tomorrow", sourcing_request=request, from_staff=True
        )

    assert [m.to for m in mail.outbox[-2:]] == [[account_manager.email], [buyer.email]]
