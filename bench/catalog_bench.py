"""Catalog benchmark: not a test. Run with `make bench` or

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/catalog_bench PYTHONPATH=. \
        .venv/bin/python bench/catalog_bench.py

It (1) makes sure the database holds BENCH_PRODUCTS products (default 1,000,000; seeding the
missing ones with `seed_catalog`), (2) starts gunicorn with 2 workers, (3) drives each page
with 8 concurrent keep-alive connections for BENCH_SECONDS seconds, and (4) prints requests
per second and p50/p95/p99 latency for each page, and each as a ratio to a bare Django view
rendering 24 rows from one query, measured in the same run. Results also go to
bench/results/catalog-<time>.json.

Targets: every listing and search page >= 50% of the bare view's throughput and
p95 <= 50 ms; a results fragment <= 15 KB.
"""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/catalog_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "bench._catalog_settings"

PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "1000000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
DEEP_PAGES = int(os.environ.get("BENCH_DEEP_PAGES", "40"))
COMMON_WORD = os.environ.get("BENCH_COMMON_WORD", "stainless")
RARE_WORD = os.environ.get("BENCH_RARE_WORD", "tourmaline")
CACHE = os.environ.get("BENCH_CACHE", "redis")  # or "none": see bench/_catalog_settings.py
# Comma-separated parts of page names to measure (the bare view always is), e.g. "index,fragment".
ONLY = [part for part in os.environ.get("BENCH_ONLY", "").split(",") if part]


def _ensure_database(name: str) -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare() -> dict:
    """Seed if needed; create the bench merchant; find the URLs to measure."""
    import django

    django.setup()
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from catalog.models import Category, Product
    from catalog.selectors import products_visible
    from procurement.accounts.models import Company, Membership, Role, User

    if connection.vendor != "postgresql":
        sys.exit("The catalog benchmark needs PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    _ensure_database(connection.settings_dict["NAME"])
    call_command("migrate", verbosity=0)
    for alias in ("default", "pages", "sessions"):
        # Only the bench's own keys: the page cache shares its Redis database with others.
        cache = caches[alias]
        if hasattr(cache, "delete_pattern"):
            cache.delete_pattern("*")
        else:
            cache.clear()
    have = Product.objects.count()
    if have < PRODUCTS:
        print(f"Seeding {PRODUCTS - have} products (have {have})...", flush=True)
        call_command("seed_catalog", "--products", str(PRODUCTS - have))

    user, _ = User.objects.get_or_create(email="bench@example.com")
    company, _ = Company.objects.get_or_create(
        legal_name="Bench Imports Ltd",
        defaults={"country": "US", "wallet_currency": "USD", "uses_sourcing": True},
    )
    Membership.objects.get_or_create(user=user, company=company, defaults={"role": Role.BUYER})
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    # A browser sends back the CSRF cookie its first page set; the bench does too.
    client.get("/catalog/")
    csrf = client.cookies["csrftoken"].value

    root = Category.objects.filter(depth=0).order_by("position", "pk").first()
    mid = Category.objects.filter(depth=1).order_by("position", "pk").first()
    leaf = Category.objects.filter(depth=2).order_by("position", "pk").first()
    product_ids = list(products_visible().order_by("-id").values_list("id", flat=True)[:2000:20])

    # Follow "load more" DEEP_PAGES times to get a real deep keyset cursor.
    url = f"/catalog/c/{root.slug}/?sort=price"
    for _ in range(DEEP_PAGES):
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
        found = re.search(r'id="load-more".*?href="([^"]+)"', response.content.decode(), re.S)
        if not found:
            break
        url = f"/catalog/c/{root.slug}/" + html.unescape(found.group(1))
    deep = url
    filtered = f"/catalog/c/{mid.slug}/?" + urlencode(
        {"sort": "price", "in_stock": "on", "max_moq": "100", "max_price": "20"}
    )
    connection.close()
    return {
        "session": session,
        "csrf": csrf,
        "targets": [
            ("bare view (baseline)", ["/bench/bare/"], {}),
            ("catalog index", ["/catalog/"], {}),
            ("category page (root)", [f"/catalog/c/{root.slug}/"], {}),
            ("category page (leaf, by price)", [f"/catalog/c/{leaf.slug}/?sort=price"], {}),
            (f"search common word '{COMMON_WORD}'", [f"/catalog/search/?q={COMMON_WORD}"], {}),
            (f"search rare word '{RARE_WORD}'", [f"/catalog/search/?q={RARE_WORD}"], {}),
            ("search Chinese '不锈钢'", ["/catalog/search/?" + urlencode({"q": "不锈钢"})], {}),
            ("filtered results fragment (htmx)", [filtered], {"HX-Request": "true"}),
            (f"deep page ({DEEP_PAGES} pages in, keyset)", [deep], {}),
            ("product page", [f"/catalog/p/{pk}/" for pk in product_ids], {}),
        ],
    }


def hit(conn: http.client.HTTPConnection, path: str, headers: dict) -> tuple[int, int]:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    return response.status, len(body)


def load(paths: list[str], headers: dict, seconds: float) -> dict:
    latencies: list[float] = []
    errors = [0]
    sizes: list[int] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(offset: int):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine, i = [], offset
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                status, size = hit(conn, path, headers)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                with lock:
                    errors[0] += 1
                continue
            mine.append(time.perf_counter() - started)
            if status != 200:
                with lock:
                    errors[0] += 1
            elif len(sizes) < 50:
                sizes.append(size)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONNECTIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "bytes": int(statistics.median(sizes)) if sizes else 0,
    }


def main() -> None:
    setup = prepare()
    cookie = {
        "Cookie": f"sessionid={setup['session']}; csrftoken={setup['csrf']}",
        "Host": "127.0.0.1",
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(  # noqa: S603 - fixed argv, our own venv's gunicorn
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "procurement.wsgi:application",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                hit(conn, "/bench/bare/", {})
                break
            except OSError:
                time.sleep(0.2)
        results = []
        for name, paths, headers in setup["targets"]:
            if ONLY and name != "bare view (baseline)" and not any(p in name for p in ONLY):
                continue
            load(paths, {**cookie, **headers}, min(2.0, SECONDS))  # warm caches and workers
            result = load(paths, {**cookie, **headers}, SECONDS)
            result["name"] = name
            results.append(result)
            print(f"  {name}: {result['rps']:.0f} req/s, p95 {result['p95_ms']:.1f} ms", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    base = results[0]
    print()
    print(
        f"{PRODUCTS:,} products, gunicorn {WORKERS} workers, {CONNECTIONS} connections, "
        f"{SECONDS:.0f} s per page, cache: {CACHE}"
    )
    print()
    print(
        "| page | req/s | p50 ms | p95 ms | p99 ms | req/s vs bare | p95 vs bare | size | errors |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['name']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {r['rps'] / base['rps']:.0%} "
            f"| {r['p95_ms'] / base['p95_ms']:.1f}x | {r['bytes'] / 1024:.1f} KB | {r['errors']} |"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"catalog-{stamp}.json").write_text(
        json.dumps(
            {
                "products": PRODUCTS,
                "workers": WORKERS,
                "connections": CONNECTIONS,
                "seconds": SECONDS,
                "cache": CACHE,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
