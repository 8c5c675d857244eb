"""Accessibility helpers for the browser tests: axe-core (shipped inside the
axe-playwright-python wheel, so nothing is downloaded at run time), a portal full of real data,
and signed-in browser contexts in either language."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from django.utils import timezone

from logistics import services as logistics_services
from orders.models import Order
from procurement.accounts import integrations
from procurement.accounts.models import Role
from tests.accounts.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory
from tests.catalog.factories import CategoryFactory
from tests.logistics.factories import (
    AddressFactory,
    StockItemFactory,
    WarehouseFactory,
    channel_with_zone,
)
from tests.orders.factories import (
    SourcingRequestFactory,
    paid_order,
    place_order,
    product_with_skus,
    seed_rates,
)
from tests.payments.factories import fund_wallet

# What the issue forbids; "moderate" and "minor" findings are reported by axe but do not fail.
BLOCKING_IMPACTS = {"serious", "critical"}
# WCAG 2.0/2.1/2.2 A and AA, plus axe's best practices.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
}
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

_axe = Axe()


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    targets: tuple[str, ...]
    help: str

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}): {self.help} -> {', '.join(self.targets)}"


def axe_violations(page) -> list[Violation]:
    """The serious and critical violations axe finds on the page as it is now."""
    results = _axe.run(page, options=AXE_OPTIONS)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        targets = tuple(
            " ".join(str(part) for part in node["target"]) for node in violation["nodes"]
        )
        found.append(Violation(violation["id"], violation["impact"], targets, violation["help"]))
    return found


# Shows the computed focus indicator of the focused element; null when nothing has focus.
FOCUS_SCRIPT = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const shadow = !!style.boxShadow && style.boxShadow !== "none";
    return {
        tag: el.tagName.toLowerCase(),
        label: (el.getAttribute("aria-label") || el.innerText || el.value || el.name || "")
            .trim().slice(0, 60),
        href: el.getAttribute("href") || "",
        type: el.getAttribute("type") || "",
        visible: outline || shadow,
        outline: style.outlineStyle + " " + style.outlineWidth,
        shadow: style.boxShadow,
    };
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUS_SCRIPT)


def session_cookie(user, live_server_url: str) -> dict:
    """The session cookie of `user`, signed in without the login form."""
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server_url,
    }


def language_cookie(language: str, live_server_url: str) -> dict:
    return {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server_url}


@dataclass
class Portal:
    """One merchant with every list filled, and staff to see the admin and finance pages."""

    owner: object
    staff: object
    urls: dict[str, str]


def build_portal() -> Portal:
    seed_rates()
    warehouse = WarehouseFactory()
    company = CompanyFactory(legal_name="Harbour Goods Pty Ltd")
    owner = MembershipFactory(company=company, role=Role.OWNER).user
    buyer = MembershipFactory(company=company, role=Role.BUYER).user
    integrations.api_key_create(company=company, actor=owner, name="ERP", scopes=["orders:read"])

    category = CategoryFactory(name_en="Phone accessories", name_zh="手机配件", slug="phone")
    product, skus = product_with_skus()
    product.category = category
    product.save(update_fields=["category"])
    for _ in range(3):
        extra, _extra_skus = product_with_skus()
        extra.category = category
        extra.save(update_fields=["category"])

    fund_wallet(company, "2000.00")
    order = paid_order(owner, company, (product, {skus[0]: 20}))
    # A buyer's order above a limit of 0 waits for approval; it fills the approvals list.
    buyer_membership = buyer.memberships.get(company=company)
    buyer_membership.spending_limit = Decimal("1")
    buyer_membership.save()
    pending = place_order(buyer, company, (product, {skus[1]: 20}))
    assert pending.status == Order.Status.PENDING_APPROVAL
    from orders import services as order_services

    # The owner's cart has goods, so the cart and checkout pages show lines.
    order_services.cart_add(user=owner, company=company, product=product, quantities={skus[0]: 10})

    sourcing = SourcingRequestFactory(company=company, created_by=owner)

    from payments import services as payment_services

    top_up = payment_services.top_up_create(
        company=company, amount=Decimal("100.00"), actor=owner, gateway="sandbox"
    )
    items = [StockItemFactory(company=company, warehouse=warehouse) for _ in range(3)]
    destination = AddressFactory(company=company)
    channel = channel_with_zone()
    parcel = logistics_services.parcel_create(
        company=company,
        actor=owner,
        destination=destination,
        channel=channel,
        item_ids=[items[0].pk],
    )
    logistics_services.inbound_declare(
        company=company,
        actor=owner,
        warehouse=warehouse,
        carrier="SF Express",
        tracking_number="SF12345678",
        contents="Phone cases",
        declared_value=Decimal("250"),
    )

    staff = UserFactory(is_staff=True, is_superuser=True)
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(staff, TOTP_SECRET)

    today = timezone.localdate()
    urls = {
        "home": "/",
        "dashboard": "/dashboard/",
        "company": "/company/",
        "members": "/company/members/",
        "invite": "/company/members/invite/",
        "integrations": "/company/integrations/",
        "catalog-index": "/catalog/",
        "catalog-category": f"/catalog/c/{category.slug}/",
        "catalog-search": "/catalog/search/?q=Sample",
        "catalog-product": f"/catalog/p/{product.pk}/",
        "cart": "/orders/cart/",
        "checkout": "/orders/checkout/",
        "orders": "/orders/",
        "order-detail": f"/orders/{order.pk}/",
        "approvals": "/orders/approvals/",
        "sourcing-list": "/orders/sourcing/",
        "sourcing-create": "/orders/sourcing/new/",
        "sourcing-detail": f"/orders/sourcing/{sourcing.pk}/",
        "wallet": "/wallet/",
        "statement": "/wallet/statement/",
        "top-up-detail": f"/wallet/top-ups/{top_up.pk}/",
        "stock": "/logistics/stock/",
        "parcels": "/logistics/parcels/",
        "parcel-create": "/logistics/parcels/new/",
        "parcel-detail": f"/logistics/parcels/{parcel.pk}/",
        "addresses": "/logistics/addresses/",
        "inbound": "/logistics/inbound/",
        "channel-compare": "/logistics/shipping/compare/?country=US&weight_kg=2",
        "admin-index": "/admin/",
        "admin-changelist": "/admin/orders/order/",
        "finance-dashboard": "/finance/",
        "payout-batches": "/finance/payouts/",
        "settlement": (
            f"/finance/settlement/?date_from={today - timedelta(days=7)}&date_to={today}"
        ),
    }
    assert Order.objects.filter(company=company).count() == 2
    return Portal(owner=owner, staff=staff, urls=urls)


__all__ = ["PASSWORD", "Portal", "Violation", "axe_violations", "build_portal", "focused"]
