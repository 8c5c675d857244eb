from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from payments import exports, payouts
from payments.models import ExportJob, PayoutBatch, SupplierPayable
from procurement.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.payments.factories import finance_user, fund_wallet

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _payable(company, n):
    return payouts.supplier_payable_record(
        reference=f"po:{n}",
        order_reference=f"order:{n}",
        company=company,
        supplier_reference="supplier:1",
        payee_name="义乌星光",
        payee_account="6222000011112222",
        payee_bank="工商银行",
        amount_cny=Decimal("321.00"),
        placed_at=timezone.now(),
        idempotency_key=f"po:{n}:placed",
    )


@pytest.fixture
def world(company, finance_admin, django_capture_on_commit_callbacks):
    fund_wallet(company, "100.00")
    _payable(company, 1)
    batch = payouts.payout_batch_create(actor=finance_admin)
    payouts.payout_batch_export(batch=batch, actor=finance_admin)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_job_start(actor=finance_admin, date_from=today, date_to=today)
    return {"company": company, "batch": batch, "job": job, "today": today}


def _get_urls(world):
    batch, job, company, today = world["batch"], world["job"], world["company"], world["today"]
    return [
        reverse("finance:dashboard"),
        reverse("finance:payables"),
        reverse("finance:payout-batches"),
        reverse("finance:payout-batch", args=[batch.pk]),
        reverse("finance:payout-batch-csv", args=[batch.pk]),
        reverse("finance:settlement"),
        reverse("finance:settlement-csv"),
        reverse("finance:reconciliation"),
        reverse("finance:exports"),
        reverse("finance:export", args=[job.pk]),
        reverse("finance:export-download", args=[job.pk]),
        reverse("finance:statements"),
        reverse("finance:statement", args=[company.pk, today.year, today.month]),
        reverse("finance:statement-csv", args=[company.pk, today.year, today.month]),
    ]


def _post_urls(world):
    batch, job = world["batch"], world["job"]
    line = batch.lines.first()
    return [
        reverse("finance:payout-batch-export", args=[batch.pk]),
        reverse("finance:payout-batch-paid", args=[batch.pk]),
        reverse("finance:payout-batch-cancel", args=[batch.pk]),
        reverse("finance:payout-line-remove", args=[batch.pk, line.pk]),
        reverse("finance:export-retry", args=[job.pk]),
    ]


def _account_manager():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Account managers"))
    TOTP.activate(user, SECRET)
    return user


def test_finance_sees_every_page_and_file(client, world, finance_admin):
    client.force_login(finance_admin)
    for url in _get_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url


def test_superuser_with_totp_sees_the_reports(client, world):
    admin = UserFactory(is_staff=True, is_superuser=True)
    TOTP.activate(admin, SECRET)
    client.force_login(admin)
    assert client.get(reverse("finance:settlement")).status_code == 200


@pytest.mark.parametrize("who", ["account_manager", "merchant_owner", "plain_staff"])
def test_others_are_refused_every_page_file_and_action(client, world, member_of, who):
    user = {
        "account_manager": _account_manager,
        "merchant_owner": lambda: member_of(world["company"], Role.OWNER),
        "plain_staff": lambda: UserFactory(is_staff=True),
    }[who]()
    client.force_login(user)
    for url in _get_urls(world):
        assert client.get(url).status_code == 403, url
    for url in _post_urls(world):
        assert client.post(url, {"bank_reference": "X"}).status_code == 403, url
    assert PayoutBatch.objects.get().status == PayoutBatch.Status.EXPORTED


def test_anonymous_is_sent_to_sign_in(client, world):
    for url in _get_urls(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"], url


def test_finance_without_totp_is_sent_to_set_it_up(client, world):
    client.force_login(finance_user())
    response = client.get(reverse("finance:settlement"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_payout_actions_through_the_pages(client, world, finance_admin):
    client.force_login(finance_admin)
    batch = world["batch"]
    response = client.get(reverse("finance:payout-batch-csv", args=[batch.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert "收款人".encode() in response.content
    response = client.post(
        reverse("finance:payout-batch-paid", args=[batch.pk]), {"bank_reference": "ICBC-1"}
    )
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.PAID
    assert SupplierPayable.objects.get().status == SupplierPayable.Status.PAID

    _payable(world["company"], 2)
    response = client.post(reverse("finance:payout-batches"), {"supplier_reference": ""})
    new = PayoutBatch.objects.exclude(pk=batch.pk).get()
    assert response["Location"] == reverse("finance:payout-batch", args=[new.pk])
    response = client.post(reverse("finance:payout-batches"), {"supplier_reference": ""})
    assert response.status_code == 400


def test_export_progress_fragment_polls_until_done(client, world, finance_admin):
    client.force_login(finance_admin)
    job = world["job"]
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, progress=40)
    response = client.get(reverse("finance:export", args=[job.pk]), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in response.text
    assert 'value="40"' in response.text
    assert "<html" not in response.text
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.SUCCEEDED, progress=100)
    response = client.get(reverse("finance:export", args=[job.pk]), headers={"HX-Request": "true"})
    assert "hx-trigger" not in response.text
    assert reverse("finance:export-download", args=[job.pk]) in response.text


def test_expired_export_cannot_be_downloaded(client, world, finance_admin):
    client.force_login(finance_admin)
    job = world["job"]
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(reverse("finance:export-download", args=[job.pk])).status_code == 404


def test_settlement_csv_is_streamed(client, world, finance_admin):
    client.force_login(finance_admin)
    response = client.get(reverse("finance:settlement-csv"))
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.startswith("Date,Line,Reference")


def test_dashboard_passes_chart_data_without_inline_script(client, world, finance_admin):
    client.force_login(finance_admin)
    response = client.get(reverse("finance:dashboard"))
    assert 'id="chart-gmv" type="application/json"' in response.text
    assert "finance_charts" in response.text
    assert "<script>" not in response.text


@pytest.mark.parametrize("role", [Role.OWNER, Role.FINANCE])
def test_merchant_finance_and_owner_see_their_statements(client, world, member_of, role):
    company, today = world["company"], world["today"]
    client.force_login(member_of(company, role))
    assert client.get(reverse("finance:my-statements")).status_code == 200
    response = client.get(reverse("finance:my-statement", args=[today.year, today.month]))
    assert response.status_code == 200
    assert company.legal_name in response.text
    assert "100.00" in response.text
    csv = client.get(reverse("finance:my-statement-csv", args=[today.year, today.month]))
    assert "Closing balance" in csv.content.decode("utf-8-sig")


def test_a_merchant_sees_only_its_own_company(client, world, other_company, member_of):
    today = world["today"]
    client.force_login(member_of(other_company, Role.FINANCE))
    response = client.get(reverse("finance:my-statement", args=[today.year, today.month]))
    assert world["company"].legal_name not in response.text
    staff_url = reverse("finance:statement", args=[world["company"].pk, today.year, today.month])
    assert client.get(staff_url).status_code == 403


@pytest.mark.parametrize("role", [Role.VIEWER, Role.APPROVER])
def test_other_roles_see_no_statements(client, world, member_of, role):
    today = world["today"]
    client.force_login(member_of(world["company"], role))
    assert client.get(reverse("finance:my-statements")).status_code == 403
    url = reverse("finance:my-statement", args=[today.year, today.month])
    assert client.get(url).status_code == 403
