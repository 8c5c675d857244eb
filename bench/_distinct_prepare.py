"""Database side of bench/catalog_bench.py, run in its own process with the measured code on
PYTHONPATH (so the same driver can measure an older checkout):

    python bench/_distinct_prepare.py OUT_DIR

It migrates, seeds up to BENCH_PRODUCTS products, creates the bench's merchants (a browsing
buyer, an API key with orders behind it, buyers who fill carts, buyers with 50-line carts to
check out) and writes the request lists the wrk runs walk through, one request per line
(`METHOD<TAB>PATH[<TAB>BODY[<TAB>COOKIE]]`), generated from the seeded data so that every
request of a run is a different URL. Writes OUT_DIR/plan.json.
"""

# ruff: noqa: S311 - random shuffles request lists, not secrets

from __future__ import annotations

import json
import math
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench._catalog_settings")

PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "1000000"))
API_ORDERS = int(os.environ.get("BENCH_API_ORDERS", "200"))
CART_USERS = 100  # add-to-cart requests spread over them, as many buyers would send them
CHECKOUTS = int(os.environ.get("BENCH_CHECKOUTS", "20"))
CHECKOUT_SUPPLIERS, CHECKOUT_LINES_EACH = 10, 5  # 50 lines from 10 suppliers
FUNDS = Decimal("1000000")
RNG = random.Random(20261204)


def _shuffled(items) -> list:
    items = list(dict.fromkeys(items))
    RNG.shuffle(items)
    return items


def _typo(word: str) -> str:
    """One edit a hurried typist makes: a letter dropped, doubled, swapped or replaced."""
    i = RNG.randrange(1, len(word) - 1)
    kind = RNG.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return word[:i] + RNG.choice("aeiourstnl".replace(word[i], "")) + word[i + 1 :]


def search_lists() -> dict[str, list[str]]:
    """Queries as merchants type them, from the seed's own words: English and Chinese
    (adjective + noun, with or without a colour), and the English ones with one typo."""
    from catalog.seeding import ADJECTIVES, COLOURS, NOUNS

    nouns = [noun for leaf in NOUNS.values() for noun in leaf]
    english, chinese = [], []
    for adjective_en, adjective_zh in ADJECTIVES:
        for noun_en, noun_zh in nouns:
            english.append(f"{adjective_en} {noun_en}")
            chinese.append(f"{adjective_zh}{noun_zh}")
            for colour_en, colour_zh in COLOURS:
                english.append(f"{colour_en} {adjective_en} {noun_en}")
                chinese.append(f"{colour_zh}{adjective_zh}{noun_zh}")
    for noun_en, noun_zh in nouns:
        english.append(noun_en)
        chinese.append(noun_zh)
    typos = []
    for query in english:
        words = query.split()
        longest = max(range(len(words)), key=lambda n: len(words[n]))
        if len(words[longest]) >= 5:
            words[longest] = _typo(words[longest])
            typos.append(" ".join(words))
    return {"en": _shuffled(english), "zh": _shuffled(chinese), "typo": _shuffled(typos)}


# Listing URLs: enough for a whole run (about 350 a second for 12 s, three rounds) to visit
# each once, so that a listing is measured the way a first visit costs, not from the cache.
LISTINGS = int(os.environ.get("BENCH_LISTINGS", "30000"))
# Bounds as merchants type them, in their currency.
PRICES = ["1", "2", "3", "5", "8", "10", "12", "15", "20", "25", "30", "40", "50", "75", "100"]
MOQS = ["5", "10", "20", "30", "50", "100", "200", "500", "1000"]


def _listing_filter(provinces: list[str]) -> dict:
    """One to three of the filters a merchant sets, with values as they would set them."""
    choices = {
        "max_price": lambda: {"max_price": RNG.choice(PRICES)},
        "price_range": lambda: dict(
            zip(("min_price", "max_price"), sorted(RNG.sample(PRICES, 2), key=float), strict=True)
        ),
        "max_moq": lambda: {"max_moq": RNG.choice(MOQS)},
        "min_rating": lambda: {"min_rating": RNG.choice(["3", "4", "4.5"])},
        "province": lambda: {"province": RNG.choice(provinces)},
        "in_stock": lambda: {"in_stock": "on"},
    }
    kinds = RNG.sample(sorted(choices), RNG.choices([1, 2, 3], weights=[50, 35, 15])[0])
    if "max_price" in kinds and "price_range" in kinds:
        kinds.remove("max_price")
    chosen = {}
    for kind in kinds:
        chosen.update(choices[kind]())
    return chosen


def listing_paths() -> list[str]:
    """Every category in every sort, unfiltered and with filters drawn at random (LISTINGS
    distinct URLs in all)."""
    from catalog.models import Category, Supplier

    sorts = ["", "newest", "price", "-price", "moq"]
    provinces = sorted(set(Supplier.objects.values_list("province", flat=True)) - {""})
    slugs = list(Category.objects.values_list("slug", flat=True))
    paths = {f"/catalog/c/{slug}/" + (f"?sort={sort}" if sort else "") for slug in slugs
             for sort in sorts}  # fmt: skip
    while len(paths) < LISTINGS:
        query = _listing_filter(provinces)
        sort = RNG.choice(sorts)
        if sort:
            query["sort"] = sort
        paths.add(f"/catalog/c/{RNG.choice(slugs)}/?{urlencode(query)}")
    return _shuffled(sorted(paths))


def _bench_company(name: str, owner_email: str):
    from payments import services as payment_services
    from payments.models import TopUp
    from procurement.accounts.models import Company, Membership, Role, User

    company, created = Company.objects.get_or_create(
        legal_name=name,
        defaults={"country": "US", "wallet_currency": "USD", "uses_sourcing": True},
    )
    owner, _ = User.objects.get_or_create(email=owner_email, defaults={"full_name": "Bench Owner"})
    Membership.objects.get_or_create(user=owner, company=company, defaults={"role": Role.OWNER})
    if created:
        top_up = payment_services.top_up_create(company=company, amount=FUNDS, actor=owner)
        payment_services.top_up_transition(
            top_up=top_up, to_status=TopUp.Status.SUCCEEDED, actor=owner, reason="Bench funds"
        )
    return company, owner


def _buyer(company, email: str):
    from procurement.accounts.models import Membership, Role, User

    user, _ = User.objects.get_or_create(email=email, defaults={"full_name": "Bench Buyer"})
    # No spending limit: orders go straight to payment.
    Membership.objects.get_or_create(user=user, company=company, defaults={"role": Role.BUYER})
    return user


def _session(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _orderables(per_supplier: int, suppliers: int) -> list[dict]:
    """Products of `suppliers` approved suppliers, `per_supplier` each, that a cart takes at
    their smallest valid quantity: {product, sku, quantity, supplier}."""
    from django.db.models import Count, Prefetch, Q

    from catalog.models import Sku, Supplier
    from catalog.pricing import price_quote
    from catalog.selectors import products_visible

    chosen = list(
        Supplier.objects.filter(status=Supplier.Status.APPROVED)
        .annotate(cheap=Count("products", filter=Q(products__moq__lte=10)))
        .filter(cheap__gte=per_supplier)
        .order_by("pk")
        .values_list("pk", flat=True)[:suppliers]
    )
    found = []
    for supplier_id in chosen:
        products = (
            products_visible()
            .filter(supplier_id=supplier_id, moq__lte=10)
            .order_by("id")
            .prefetch_related("tiers", Prefetch("skus", queryset=Sku.objects.order_by("pk")))
        )[: per_supplier * 2]
        taken = 0
        for product in products:
            quantity = math.ceil(max(product.moq, 1) / product.order_multiple)
            quantity *= product.order_multiple
            skus = list(product.skus.all())
            sku = skus[0] if skus else None
            quote = price_quote(
                product=product, quantities={sku: quantity}, tiers=product.tiers.all()
            )
            if quote.ok and quote.total_cny > 0 and taken < per_supplier:
                taken += 1
                found.append(
                    {
                        "product": product.pk,
                        "sku": sku.pk if sku else None,
                        "quantity": quantity,
                        "supplier": supplier_id,
                    }
                )
    return found


def _api_orders(company, owner, orderables: list[dict]) -> None:
    """Orders behind the API key, placed through the API's own service."""
    from orders.models import Order
    from orders.services import RequestedLine, order_place_from_lines
    from procurement.accounts.models import Membership

    membership = Membership.objects.get(user=owner, company=company)
    have = Order.objects.filter(company=company).count()
    for n in range(have, API_ORDERS):
        picked = orderables[(n * 3) % len(orderables) : (n * 3) % len(orderables) + 3]
        lines = [
            RequestedLine(product_id=item["product"], sku_id=item["sku"], quantity=item["quantity"])
            for item in picked
        ]
        order_place_from_lines(
            company=company,
            actor=owner,
            membership=membership,
            lines=lines,
            checkout_key=f"bench-api-{n}",
        )


def _fill_cart(user, company, items: list[dict]) -> None:
    from catalog.models import Product
    from orders import services

    for item in items:
        product = Product.objects.get(pk=item["product"])
        sku = product.skus.get(pk=item["sku"]) if item["sku"] else None
        change = services.cart_add(
            user=user, company=company, product=product, quantities={sku: item["quantity"]}
        )
        if not change.ok:
            raise SystemExit(f"cart_add refused {item}: {change.errors}")


def _checkout_carts(company, orderables: list[dict]) -> list[str]:
    """CHECKOUTS buyers, each with a 50-line cart: 5 products from each of 10 suppliers."""
    from orders.models import Cart

    by_supplier: dict[int, list[dict]] = {}
    for item in orderables:
        by_supplier.setdefault(item["supplier"], []).append(item)
    rich = [items for items in by_supplier.values() if len(items) >= CHECKOUT_LINES_EACH]
    if len(rich) < CHECKOUT_SUPPLIERS:
        raise SystemExit("not enough suppliers with cheap products for a 50-line cart")
    items = [item for items in rich[:CHECKOUT_SUPPLIERS] for item in items[:CHECKOUT_LINES_EACH]]
    sessions = []
    for n in range(CHECKOUTS):
        user = _buyer(company, f"bench-checkout-{n}@example.com")
        Cart.objects.filter(user=user, company=company).delete()
        _fill_cart(user, company, items)
        sessions.append(_session(user))
    return sessions


# The server settings that move the figures most (README, Production): printed with the
# results, so that runs on differently configured servers are not compared unawares.
POSTGRES_SETTINGS = ("shared_buffers", "effective_cache_size", "random_page_cost", "jit")


def prepare(out: Path) -> dict:
    import django

    django.setup()
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from catalog.selectors import category_tree, products_visible
    from orders.models import Cart
    from procurement.accounts import integrations
    from procurement.core.models import ApiScope

    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    have = products_visible().model.objects.count()
    if have < PRODUCTS:
        call_command("seed_catalog", "--products", str(PRODUCTS - have), "--no-progress")
    timings["migrate_and_seed_s"] = round(time.perf_counter() - started, 1)
    for alias in ("default", "pages", "sessions"):
        cache = caches[alias]
        cache.delete_pattern("*") if hasattr(cache, "delete_pattern") else cache.clear()

    started = time.perf_counter()
    company, owner = _bench_company("Bench Imports Ltd", "bench-owner@example.com")
    browser = _buyer(company, "bench@example.com")
    orderables = _orderables(per_supplier=15, suppliers=200)
    _api_orders(company, owner, orderables)
    token = integrations.api_key_create(
        company=company,
        actor=owner,
        name="Bench ERP",
        scopes=[ApiScope.CATALOG_READ, ApiScope.ORDERS_READ],
    ).token
    timings["api_orders_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    checkout_company, _ = _bench_company("Bench Checkout Ltd", "bench-checkout-owner@example.com")
    checkout_sessions = _checkout_carts(checkout_company, orderables)
    timings["checkout_carts_s"] = round(time.perf_counter() - started, 1)

    client = Client()
    client.force_login(browser)
    client.get("/catalog/")
    csrf = client.cookies["csrftoken"].value
    cart_cookies = []
    for n in range(CART_USERS):
        user = _buyer(company, f"bench-cart-{n}@example.com")
        Cart.objects.filter(user=user, company=company).delete()
        cart_cookies.append(f"sessionid={_session(user)}; csrftoken={csrf}")

    searches = search_lists()
    visible = products_visible()
    product_ids = list(visible.order_by("?").values_list("id", flat=True)[:30000])
    tree = category_tree()
    api_products = [
        "/api/v1/products?" + urlencode({"q": q, "sort": sort})
        for q in searches["en"][:4000]
        for sort in ("relevance", "price")
    ] + [
        "/api/v1/products?" + urlencode({"category": pk, "sort": sort, "limit": limit})
        for pk in tree.nodes
        for sort in ("newest", "price", "-price", "moq")
        for limit in (12, 24, 48)
    ]
    statuses = ["", "awaiting_payment", "paid", "cancelled"]
    api_orders = [
        "/api/v1/orders?" + urlencode({k: v for k, v in (("status", s), ("limit", n)) if v})
        for s in statuses
        for n in range(5, 101)
    ]
    signed_in = (
        ["/dashboard/"] * 3
        + [f"/orders/?page={page}" for page in range(1, 9)]
        + [f"/orders/?status={s}" for s in statuses[1:]]
        + ["/wallet/", "/wallet/statement/"]
        + [f"/wallet/statement/?page={page}" for page in range(2, 5)]
    )
    adds = []
    for n, item in enumerate(orderables):
        body = {"product": item["product"]}
        body[f"qty-{item['sku']}" if item["sku"] else "qty"] = item["quantity"]
        adds.append(("POST", "/orders/cart/add/", urlencode(body), cart_cookies[n % CART_USERS]))

    def write(name: str, requests: list) -> str:
        path = out / f"{name}.txt"
        rows = [r if isinstance(r, tuple) else ("GET", r) for r in requests]
        path.write_text("".join("\t".join(map(str, row)) + "\n" for row in rows))
        return str(path)

    def searches_of(kind: str) -> list[str]:
        return [f"/catalog/search/?{urlencode({'q': q})}" for q in searches[kind]]

    with connection.cursor() as cursor:
        server = {}
        for name in POSTGRES_SETTINGS:
            cursor.execute(f"SHOW {name}")  # nosec B608 - fixed names
            server[name] = cursor.fetchone()[0]
    plan = {
        "products": visible.model.objects.count(),
        "postgres": server,
        "cookie": f"sessionid={_session(browser)}; csrftoken={csrf}",
        "csrf": csrf,
        "api_token": token,
        "checkout_sessions": checkout_sessions,
        "timings": timings,
        "lists": {
            "search_en": write("search_en", searches_of("en")),
            "search_zh": write("search_zh", searches_of("zh")),
            "search_typo": write("search_typo", searches_of("typo")),
            "listings": write("listings", listing_paths()),
            "product": write("product", [f"/catalog/p/{pk}/" for pk in product_ids]),
            "api_products": write("api_products", _shuffled(api_products)),
            "api_orders": write("api_orders", _shuffled(api_orders)),
            "signed_in": write("signed_in", signed_in),
            "add_to_cart": write("add_to_cart", adds),
        },
    }
    connection.close()
    (out / "plan.json").write_text(json.dumps(plan, indent=2))
    return plan


if __name__ == "__main__":
    prepare(Path(sys.argv[1]))
