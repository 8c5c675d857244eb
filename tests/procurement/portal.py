"""A portal with demo-like data for the page scans: a USD company with one person per role,
JPY and EUR companies, large amounts, tiny and huge weights, a placed purchase order with its
supplier payable and a payout batch; and what a person reads on a page, as text.

Used by the rendering scan (tests/procurement/test_page_text.py) and the browser crawl
(tests/e2e/test_crawl.py).
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

from logistics import services as logistics_services
from orders import services as order_services
from payments import payouts
from payments.money import minor_unit
from procurement.accounts.models import Role
from procurement.accounts.staff_groups import ACCOUNT_MANAGERS, FINANCE
from tests.accounts.factories import CompanyFactory, MembershipFactory
from tests.catalog.factories import CategoryFactory, SupplierFactory
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
    staff_in,
)
from tests.payments.factories import fund_wallet

ROLES = [Role.OWNER, Role.BUYER, Role.APPROVER, Role.FINANCE, Role.VIEWER]
# Owners of the JPY (no minor unit) and EUR companies, beside the five roles of the USD one.
OTHER_CURRENCIES = ["jpy-owner", "eur-owner"]
BANK = ("义乌市测试有限公司", "6222 0202 0000 1234", "中国工商银行义乌分行")

# What must never be read on a page (numbers, names, references).
EXPONENT = re.compile(r"\d(?:\.\d+)?E[+-]?\d", re.IGNORECASE)
LONG_DECIMAL = re.compile(r"\d\.\d{7,}")
INTERNAL_REFERENCE = re.compile(r"\b(?:order|po|supplier|parcel|stock|inbound|topup|payout):\d+\b")
# An amount before its currency code (or after ¥) with more or fewer places than the currency's
# minor unit: "432.000 USD", "1,500.00 JPY".
AMOUNT = re.compile(r"(?<![\d.])(\d[\d,]*(?:\.(\d+))?) ?(USD|EUR|GBP|JPY|AUD|CAD|HKD|SGD|CNY)\b")
YUAN = re.compile(r"¥(\d[\d,]*(?:\.(\d+))?)")


@dataclass
class Portal:
    people: dict[str, object]
    staff: object
    finance: object
    start_urls: dict[str, list[str]] = field(default_factory=dict)


def _company_with_order(currency: str, country: str, *, balance: str, product, skus, name: str):
    company = CompanyFactory(legal_name=name, wallet_currency=currency, country=country)
    owner = MembershipFactory(company=company, role=Role.OWNER).user
    paid_order(owner, company, (product, {skus[0]: 20}), balance=balance)
    return company, owner


def build_portal() -> Portal:
    seed_rates()
    warehouse = WarehouseFactory()
    supplier = SupplierFactory()
    supplier.payee_name, supplier.bank_account, supplier.bank_name = BANK
    supplier.save(update_fields=["payee_name", "bank_account", "bank_name"])
    category = CategoryFactory(name_en="Phone accessories", name_zh="手机配件", slug="phone")
    # 70 kg stored as Decimal("7E+1") reads "7E+1" unless formatted.
    product, skus = product_with_skus(supplier=supplier, weight="70.000")
    product.category = category
    product.weight_kg = Decimal("7E+1")
    product.save(update_fields=["category", "weight_kg"])
    tiny, tiny_skus = product_with_skus(supplier=supplier, weight="0.001")
    tiny.category = category
    tiny.save(update_fields=["category"])

    company = CompanyFactory(legal_name="Harbour Goods Pty Ltd", country="AU")
    people = {role: MembershipFactory(company=company, role=role).user for role in ROLES}
    owner = people[Role.OWNER]
    buyer_membership = people[Role.BUYER].memberships.get(company=company)
    buyer_membership.spending_limit = Decimal("1")
    buyer_membership.save(update_fields=["spending_limit"])

    for _ in range(3):
        fund_wallet(company, "987654.32")
    order = paid_order(owner, company, (product, {skus[0]: 20}), balance="1000.00")
    place_order(people[Role.BUYER], company, (tiny, {tiny_skus[0]: 20}))
    order_services.cart_add(
        user=owner, company=company, product=tiny, quantities={tiny_skus[1]: 10}
    )
    SourcingRequestFactory(company=company, created_by=owner)

    _jpy, people["jpy-owner"] = _company_with_order(
        "JPY", "JP", balance="987654", product=product, skus=skus, name="Tokyo Trading KK"
    )
    _eur, people["eur-owner"] = _company_with_order(
        "EUR", "DE", balance="987654.32", product=tiny, skus=tiny_skus, name="Rhein Handel GmbH"
    )

    manager = staff_in(ACCOUNT_MANAGERS)
    po = order.purchase_orders.order_by("pk").first()
    order_services.purchase_order_place(
        po=po,
        actor=manager,
        supplier_order_no="1688-77",
        actual_total_cny=po.expected_total_cny + Decimal("12.00"),
    )

    items = [
        StockItemFactory(company=company, warehouse=warehouse, source_reference=po.reference),
        StockItemFactory(company=company, warehouse=warehouse, weight_kg=Decimal("0.001")),
        StockItemFactory(company=company, warehouse=warehouse, weight_kg=Decimal("1.5E+2")),
    ]
    destination = AddressFactory(company=company)
    channel = channel_with_zone(zone__max_weight_kg=Decimal("7E+1"))
    logistics_services.parcel_create(
        company=company,
        actor=owner,
        destination=destination,
        channel=channel,
        item_ids=[items[0].pk],
    )

    finance = staff_in(FINANCE)
    payouts.payout_batch_create(actor=finance, supplier_reference=f"supplier:{supplier.pk}")
    staff = finance
    return Portal(people=people, staff=staff, finance=finance)


CELLS = {"td", "th", "tr", "li", "p", "div", "dd", "dt", "option", "h1", "h2", "h3", "br"}


class _Text(HTMLParser):
    """The text a person reads (no scripts, styles or attribute values) and the links shown."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "template"}:
            self._skip += 1
        if tag in CELLS:
            # Table cells and blocks are read apart: "0.00" in one cell and "JPY" in the next
            # are not one amount.
            self.parts.append("|")
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag in {"script", "style", "template"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def read(html: str) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split()), parser.links


def _wrong_places(text: str) -> list[str]:
    """Amounts written with decimals other than their currency's minor unit. Whole numbers
    (round thresholds such as "10,000 USD") and rates ("1 USD = ¥7.1358") are not amounts."""
    found = []
    for pattern, currency_of in ((AMOUNT, lambda m: m.group(3)), (YUAN, lambda m: "CNY")):
        for match in pattern.finditer(text):
            places = match.group(2)
            before = text[max(match.start() - 10, 0) : match.start()]
            if places is None or "=" in before or "mid" in before or "中间价" in before:
                continue
            if len(places) != minor_unit(currency_of(match)):
                found.append(f"amount with {len(places)} decimals: {match.group(0)}")
    return found


def problems(text: str) -> list[str]:
    found = _wrong_places(text)
    for name, pattern in (
        ("exponent", EXPONENT),
        ("long decimal", LONG_DECIMAL),
        ("internal reference", INTERNAL_REFERENCE),
    ):
        for match in pattern.finditer(text):
            start = max(match.start() - 40, 0)
            found.append(f"{name}: …{text[start : match.end() + 40]}…")
    return found


# Links not followed: signing out, downloads, and places outside the pages under test.
SKIPPED = re.compile(
    r"^/(?:accounts/logout|admin/|static/|media/|api/|i18n/)|\.(?:csv|xlsx|pdf|xml)$|/download/"
)


def same_site_path(href: str) -> str | None:
    """The path (and query) of a link to this site, or None for anything else."""
    href, _fragment = urldefrag(href)
    parts = urlsplit(href)
    if parts.scheme not in {"", "http", "https"}:
        return None
    host = parts.netloc.split(":")[0]
    if parts.netloc and host not in {"testserver", "localhost", "127.0.0.1"}:
        return None
    path = parts.path
    if not path.startswith("/") or SKIPPED.search(path):
        return None
    return path + (f"?{parts.query}" if parts.query else "")
