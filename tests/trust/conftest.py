"""The trust suite's world: a "victim" company holding one of everything, an attacker company,
every company role, every staff group (with TOTP) and a superuser; and a database snapshot to
prove that a refused write changed nothing."""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.core.cache import cache
from django.utils import timezone

from logistics import services as logistics_services
from logistics.models import CustomsProfile, StorageCharge
from logistics.photos import photo_check
from orders import services as orders_services
from orders.models import InspectionPhoto
from orders.stores import crypto as store_crypto
from orders.stores.models import StoreConnection, StoreOrder, VariantLink
from payments import exports, payouts
from payments import services as payments_services
from payments.adapters import sandbox as sandbox_gateway
from procurement.accounts import integrations
from procurement.accounts import services as accounts_services
from procurement.accounts.models import Membership, Role
from procurement.accounts.staff_groups import ACCOUNT_MANAGERS, FINANCE, WAREHOUSE
from procurement.core.models import ApiScope, WebhookDelivery
from tests.accounts.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.logistics.factories import (
    AddressFactory,
    StockItemFactory,
    WarehouseFactory,
    channel_with_zone,
    fx_rate,
    image_upload,
)
from tests.orders.factories import (
    SourcingRequestFactory,
    SupplierFactory,
    paid_order,
    place_order,
    product_with_skus,
    staff_in,
)
from tests.payments.factories import FxMarkupFactory, fund_wallet, seed_rates

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
ROLES = [Role.OWNER, Role.BUYER, Role.APPROVER, Role.FINANCE, Role.VIEWER]
STAFF = {"account_manager": ACCOUNT_MANAGERS, "finance_staff": FINANCE, "warehouse": WAREHOUSE}
# Actor classes of the matrix, in the order the table's columns are written.
ACTORS = [
    "anonymous",
    "other",
    *ROLES,
    *STAFF,
    "superuser",
]
D = Decimal


@pytest.fixture(autouse=True)
def _trust_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True
    cache.clear()
    yield
    cache.clear()


@dataclass
class World:
    company: object
    other_company: object
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


def _build_world(django_capture_on_commit_callbacks) -> World:
    seed_rates()
    fx_rate("CNY", "USD", "0.14")
    company = CompanyFactory(legal_name="Victim Trading Ltd")
    other = CompanyFactory(legal_name="Attacker Imports Ltd")
    world = World(company=company, other_company=other)
    for role in ROLES:
        world.users[role] = MembershipFactory(company=company, role=role).user
    world.users["other"] = MembershipFactory(company=other, role=Role.OWNER).user
    for name, group in STAFF.items():
        world.users[name] = staff_in(group)
    superuser = UserFactory(is_staff=True, is_superuser=True)
    TOTP.activate(superuser, TOTP_SECRET)
    world.users["superuser"] = superuser
    owner, buyer = world.users[Role.OWNER], world.users[Role.BUYER]
    am = world.users["account_manager"]
    fund_wallet(company, "5000")
    fund_wallet(other, "5000")
    o = world.objects

    # Catalog: a visible product and one of an unapproved supplier.
    o["product"], o["skus"] = product_with_skus(supplier=SupplierFactory())
    o["hidden_product"], o["hidden_skus"] = product_with_skus(
        supplier=SupplierFactory(status="pending")
    )
    product, skus = o["product"], o["skus"]

    # Orders: one paid (its purchase order placed with the supplier), one awaiting payment.
    o["paid_order"] = paid_order(buyer, company, (product, {skus[0]: 30}), balance="1000")
    o["po"] = o["paid_order"].purchase_orders.get()
    orders_services.purchase_order_place(
        po=o["po"],
        actor=am,
        supplier_order_no="1688-1",
        actual_total_cny=o["po"].expected_total_cny,
    )
    o["po_line"] = o["po"].lines.first()
    checked = photo_check(image_upload("goods.jpg"))
    o["inspection_photo"] = InspectionPhoto.objects.create(
        line=o["po_line"], image=checked.image, thumbnail=checked.thumbnail
    )
    o["customs_profile"] = CustomsProfile.objects.create(company=company, eori_number="DE123")
    o["order"] = place_order(buyer, company, (product, {skus[1]: 20}))
    orders_services.message_post(author=buyer, body="Where is it?", order=o["order"])
    orders_services.cart_add(user=buyer, company=company, product=product, quantities={skus[0]: 10})
    o["cart_line"] = orders_services.selectors.cart_for(user=buyer, company=company).lines.first()

    # Sourcing: a request with a sent quote.
    o["sourcing"] = SourcingRequestFactory(company=company, created_by=buyer)
    o["quote"] = orders_services.sourcing_quote_create(
        request=o["sourcing"],
        actor=am,
        lines=[
            {
                "supplier": product.supplier,
                "description": "Phone case",
                "unit_price_cny": D("5.00"),
                "moq": 100,
                "quantity": 500,
                "lead_time_days": 7,
            }
        ],
    )
    orders_services.sourcing_quote_send(quote=o["quote"], actor=am)
    orders_services.message_post(author=buyer, body="Any colours?", sourcing_request=o["sourcing"])

    # Logistics: an address, stock, a parcel, an inbound parcel.
    o["warehouse"] = WarehouseFactory()
    o["address"] = AddressFactory(company=company)
    o["stock"] = StockItemFactory(company=company, warehouse=o["warehouse"])
    parcel_stock = StockItemFactory(company=company, warehouse=o["warehouse"])
    o["channel"] = channel_with_zone()
    o["parcel"] = logistics_services.parcel_create(
        company=company,
        actor=owner,
        destination=o["address"],
        channel=o["channel"],
        item_ids=[parcel_stock.pk],
    )
    packed = logistics_services.parcel_create(
        company=company,
        actor=owner,
        destination=o["address"],
        channel=o["channel"],
        item_ids=[StockItemFactory(company=company, warehouse=o["warehouse"]).pk],
    )
    logistics_services.parcel_request_packing(parcel=packed, actor=owner)
    StorageCharge.objects.create(
        item=o["stock"],
        company=company,
        period=timezone.localdate().replace(day=1),
        idempotency_key="trust-storage",
        amount_cny=D("3.00"),
        currency="USD",
    )
    o["inbound"] = logistics_services.inbound_declare(
        company=company,
        actor=owner,
        warehouse=o["warehouse"],
        carrier="SF",
        tracking_number="SF100200300",
        contents="Mugs",
        declared_value=D("100"),
    )

    # Wallet: a pending sandbox top-up.
    o["top_up"] = payments_services.top_up_create(
        company=company, amount=D("50"), actor=owner, gateway="sandbox"
    )

    # Wallet: a finance adjustment and a paid sandbox top-up (its gateway event).
    o["adjustment"] = payments_services.manual_adjustment(
        company=company,
        amount=D("5"),
        reason="Goodwill",
        actor=world.users["finance_staff"],
        idempotency_key="trust-adjustment",
    )
    paid = payments_services.top_up_create(
        company=company, amount=D("20"), actor=owner, gateway="sandbox"
    )
    body = sandbox_gateway.event_body(
        event_type="payment.succeeded",
        payment_id=paid.provider_reference,
        merchant_reference=paid.reference,
        amount=paid.amount,
        currency=paid.currency,
    )
    payments_services.gateway_webhook_handle(
        provider="sandbox",
        headers={sandbox_gateway.SIGNATURE_HEADER: sandbox_gateway.sign(body)},
        body=body,
        path="/wallet/webhooks/sandbox/",
    )
    FxMarkupFactory(currency="USD")

    # Company: an open invitation, API keys, a webhook endpoint.
    o["invitation_token"] = accounts_services.invitation_create(
        company=company, invited_by=owner, email="new@example.com", role=Role.BUYER
    )
    o["invitation"] = company.invitations.get()
    o["viewer_membership"] = Membership.objects.get(company=company, role=Role.VIEWER)
    issued = integrations.api_key_create(
        company=company, actor=owner, name="ERP", scopes=list(ApiScope.values)
    )
    o["api_key"] = issued.key
    world.tokens["victim"] = issued.token
    world.tokens["victim_catalog_only"] = integrations.api_key_create(
        company=company, actor=owner, name="Shop", scopes=[ApiScope.CATALOG_READ]
    ).token
    world.tokens["other"] = integrations.api_key_create(
        company=other, actor=world.users["other"], name="ERP", scopes=list(ApiScope.values)
    ).token
    revoked = integrations.api_key_create(
        company=company, actor=owner, name="Old", scopes=list(ApiScope.values)
    )
    integrations.api_key_revoke(key=revoked.key, actor=owner)
    world.tokens["revoked"] = revoked.token
    o["webhook_endpoint"] = integrations.webhook_endpoint_create(
        company=company, actor=owner, url="https://erp.example.com/hook", events=["order.paid"]
    ).endpoint
    # Written as the emitter writes it, without sending it anywhere.
    o["webhook_delivery"] = WebhookDelivery.objects.create(
        endpoint=o["webhook_endpoint"], company=company, event="order.paid", payload={}
    )

    # Finance: a payable in a payout batch, an export job.
    finance = world.users["finance_staff"]
    payouts.supplier_payable_record(
        reference="po:victim",
        order_reference="order:victim",
        company=company,
        supplier_reference="supplier:1",
        payee_name="义乌星光",
        payee_account="6222000011112222",
        payee_bank="工商银行",
        amount_cny=D("321.00"),
        placed_at=timezone.now() - timedelta(days=1),
        idempotency_key="po:victim:placed",
    )
    o["batch"] = payouts.payout_batch_create(actor=finance)
    o["batch_line"] = o["batch"].lines.first()
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        o["export"] = exports.export_job_start(actor=finance, date_from=today, date_to=today)
    o["today"] = today

    # A connected store (dropshipping) with a variant and an order of its customers.
    o["store"] = StoreConnection.objects.create(
        company=company,
        platform="shopify",
        name="Victim shop",
        shop="victim-shop.myshopify.com",
        created_by=owner,
        access_key_encrypted=store_crypto.encrypt("shpat_victim"),
        webhook_secret_encrypted=store_crypto.encrypt("shpss_victim"),
    )
    o["variant_link"] = VariantLink.objects.create(
        connection=o["store"], external_variant_id="1", title="Victim mug"
    )
    o["store_order"] = StoreOrder.objects.create(
        connection=o["store"], company=company, external_id="1", number="#1001"
    )
    return world


@pytest.fixture
def world(db, django_capture_on_commit_callbacks) -> World:
    return _build_world(django_capture_on_commit_callbacks)


# --- Database snapshots ---------------------------------------------------------------------------

# Columns that legitimately move on a refused request (a key's last use, a login's timestamp).
VOLATILE = {"last_used_at", "last_login", "updated_at"}
# Caches that a read fills: a parcel's PDF is built (and its row written) when first opened.
CACHE_MODELS = {"logistics.ParcelDocument"}
SNAPSHOT_APPS = {
    "accounts",
    "catalog",
    "payments",
    "logistics",
    "orders",
    "stores",
    "auth",
    "mfa",
    "account",
}


def db_snapshot() -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row of the project's tables (and auth's, allauth's)."""
    snapshot = {}
    for model in apps.get_models():
        if model._meta.app_label not in SNAPSHOT_APPS or model._meta.proxy:
            continue
        if model._meta.label in CACHE_MODELS:
            continue
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE]
        rows = list(model._base_manager.order_by("pk").values_list(*names))
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        snapshot[model._meta.label] = (len(rows), digest)
    return snapshot


def snapshot_diff(before: dict, after: dict) -> list[str]:
    return [
        f"{label}: {before.get(label, (0, ''))[0]} -> {after.get(label, (0, ''))[0]} rows"
        + (" (content changed)" if before.get(label) != after.get(label) else "")
        for label in sorted(set(before) | set(after))
        if before.get(label) != after.get(label)
    ]
