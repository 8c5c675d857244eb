"""Every merchant page and the main staff pages, checked with axe-core in real Chromium in
English and Simplified Chinese: no serious or critical violation. And the purchase journey done
with the keyboard alone, the focus visible at every step."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.e2e.a11y import (
    PASSWORD,
    axe_violations,
    build_portal,
    focused,
    language_cookie,
    session_cookie,
)
from tests.e2e.conftest import TIMEOUT_MS

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data. Serialized rollback restores what the migrations
    # seeded (content types, staff groups) after the flush, for the transactional tests after it.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LANGUAGES = ["en", "zh-hans"]
ANONYMOUS_PAGES = {"login": "/accounts/login/", "signup": "/accounts/signup/"}
MERCHANT_PAGES = [
    "home",
    "dashboard",
    "company",
    "members",
    "invite",
    "integrations",
    "catalog-index",
    "catalog-category",
    "catalog-search",
    "catalog-product",
    "cart",
    "checkout",
    "orders",
    "order-detail",
    "approvals",
    "sourcing-list",
    "sourcing-create",
    "sourcing-detail",
    "wallet",
    "statement",
    "top-up-detail",
    "stock",
    "parcels",
    "parcel-create",
    "parcel-detail",
    "addresses",
    "inbound",
    "channel-compare",
]
STAFF_PAGES = [
    "admin-index",
    "admin-changelist",
    "finance-dashboard",
    "payout-batches",
    "settlement",
]
# The top-up form is on the wallet page: /wallet/top-ups/new/ only takes its POST.
# Known violations still open: page -> reason. Each is strict,
# so the case fails again as soon as the page is fixed and the entry must go.
KNOWN: dict[str, str] = {}


def _cases():
    for name in [*ANONYMOUS_PAGES, *MERCHANT_PAGES, *STAFF_PAGES]:
        for language in LANGUAGES:
            marks = []
            reason = KNOWN.get(name) or KNOWN.get(f"{name}[{language}]")
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            yield pytest.param(name, language, marks=marks, id=f"{name}[{language}]")


@pytest.mark.parametrize(("name", "language"), list(_cases()))
def test_page_has_no_serious_accessibility_violation(browser, live_server, name, language):
    portal = build_portal()
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    cookies = [language_cookie(language, live_server.url)]
    if name in ANONYMOUS_PAGES:
        url = ANONYMOUS_PAGES[name]
    else:
        user = portal.staff if name in STAFF_PAGES else portal.owner
        cookies.append(session_cookie(user, live_server.url))
        url = portal.urls[name]
    context.add_cookies(cookies)
    try:
        page = context.new_page()
        response = page.goto(url)
        assert response is not None
        assert response.status == 200, f"{url} answered {response.status}"
        assert response.url.endswith(url.split("?")[0]) or "?" in url, response.url
        assert page.locator("html").get_attribute("lang") == language
        violations = axe_violations(page)
    finally:
        context.close()
    assert not violations, f"{url} [{language}]:\n" + "\n".join(str(v) for v in violations)


# --- Keyboard only ------------------------------------------------------------------------------

MAX_TABS = 250


def _tab_to(page, matches, what: str) -> dict:
    """Press Tab until the focused element matches; every element passed must show its focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        element = focused(page)
        if element is None:
            continue
        assert element["visible"], f"no visible focus on {element} while tabbing to {what}"
        if matches(element):
            return element
    pytest.fail(f"{what} was not reached with {MAX_TABS} presses of Tab")


def test_purchase_journey_with_the_keyboard_only(page, live_server):
    portal = build_portal()
    owner = portal.owner
    product_url = portal.urls["catalog-product"]

    page.goto("/accounts/login/")
    _tab_to(page, lambda e: e["tag"] == "input" and e["type"] == "email", "the email field")
    page.keyboard.type(owner.email)
    _tab_to(page, lambda e: e["type"] == "password", "the password field")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    _tab_to(page, lambda e: e["href"].rstrip("/").endswith("/catalog"), "the catalog link")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/catalog/$"))
    category_url = portal.urls["catalog-category"]
    _tab_to(page, lambda e: e["href"].startswith(category_url), "the category")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(category_url)))
    _tab_to(page, lambda e: e["href"].startswith(product_url), "the product")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(product_url) + "$"))

    _tab_to(page, lambda e: e["tag"] == "input" and e["type"] == "number", "a quantity field")
    page.keyboard.press("Control+A")
    page.keyboard.type("20")
    _tab_to(page, lambda e: re.search(r"add to cart", e["label"], re.I), "Add to cart")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_be_visible()

    _tab_to(page, lambda e: e["href"].endswith("/orders/cart/"), "the cart link")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/orders/cart/$"))
    _tab_to(page, lambda e: re.search(r"check ?out", e["label"], re.I), "Check out")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/orders/checkout/"))
    _tab_to(page, lambda e: re.search(r"place order", e["label"], re.I), "Place order")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay/$"))

    _tab_to(page, lambda e: e["tag"] == "button" and re.search(r"\bpay\b", e["label"], re.I), "Pay")
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    newest = Order.objects.filter(company__memberships__user=owner).order_by("-pk").first()
    assert newest.status == Order.Status.PAID
