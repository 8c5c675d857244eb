"""Catalog search benchmark: not a test. Times what a search page asks of the database and the
ORM (`product_listing` + `paginate`, the first relevance page) for distinct English words,
Chinese words and words with one typo drawn from the seeded vocabulary, so no query repeats.

    DJANGO_SETTINGS_MODULE=bench._catalog_settings \
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/catalog_copy \
        .venv/bin/python bench/search_bench.py [--threads 8] [--explain]

Prints median, p95 and worst milliseconds per kind. `--threads N` runs the same queries from N
threads at once (each with its own connection), as N concurrent requests would; `--explain`
prints EXPLAIN ANALYZE of the listing query of each search instead of timing it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench._catalog_settings")

ENGLISH = [
    "ceramic", "bamboo mug", "stainless steel", "portable speaker", "waterproof tent",
    "wireless earbuds", "cotton socks", "yoga mat", "frying pans", "scented candles",
    "phone case", "power bank", "maxi dress", "bucket hat", "vintage tumbler", "tourmaline",
    "obsidian", "earphones bluetooth", "insulated flask", "kids headphones", "magnetic charger",
    "handmade storage basket", "pilates", "canopy", "subwoofer",
]  # fmt: skip
CHINESE = [
    "陶瓷", "马克杯", "不锈钢", "入耳式耳机", "杯子", "杯", "瑜伽垫", "帐篷", "充电宝", "手机壳",
    "连衣裙", "袜子", "保温壶", "收纳箱", "香薰蜡烛", "电气石", "黑曜石", "防水音箱", "复古茶杯",
    "儿童渔夫帽", "便携", "磁吸数据线", "竹制", "棒球帽", "低音炮",
]  # fmt: skip
TYPOS = [
    "ceramik", "bambo", "stainles", "portabel", "waterprof", "wireles", "coton", "yogga",
    "fryng pan", "scentd candle", "tourmalin", "obsidain", "headphnes", "tumblr", "minimalst",
    "lightweigth", "magentic", "insulatd", "handmad", "premiun", "foldabel", "ceramic mugg",
    "subwofer", "cannopy", "eco-frendly", "earphones bluetooth",
]  # fmt: skip
KINDS = {"english": ENGLISH, "chinese": CHINESE, "typo": TYPOS}


def _setup():
    import django

    django.setup()


def one_search(query: str, tree) -> tuple[float, int]:
    from catalog.selectors import ProductFilters, Sort, paginate, product_listing

    started = time.perf_counter()
    filters = ProductFilters(query=query, sort=Sort.RELEVANCE, categories=tree)
    page = paginate(product_listing(filters), sort=filters.sort)
    return (time.perf_counter() - started) * 1000, len(page.items)


def explain(query: str, tree) -> str:
    from catalog.selectors import ProductFilters, Sort, product_listing

    qs = product_listing(ProductFilters(query=query, sort=Sort.RELEVANCE, categories=tree))
    return qs[:25].explain(analyze=True, buffers=True)


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return (
        f"median {statistics.median(ordered):7.1f}  p95 {p95:7.1f}  worst {ordered[-1]:7.1f} ms"
        f"  ({len(ordered)} searches)"
    )


def run(threads: int) -> None:
    from django.db import connection

    from catalog.search import query_words
    from catalog.selectors import category_tree

    tree = category_tree()
    query_words("预热")  # jieba loads its dictionary once per process
    connection.close()
    for kind, queries in KINDS.items():
        times: list[float] = []
        found: dict[str, int] = {}
        lock = threading.Lock()

        def worker(offset: int, queries=queries, times=times, found=found, lock=lock) -> None:
            # Each thread starts at another query, so concurrent searches differ.
            order = queries[offset:] + queries[:offset]
            for query in order:
                ms, count = one_search(query, tree)
                with lock:
                    times.append(ms)
                    found[query] = count
            connection.close()

        pool = [
            threading.Thread(target=worker, args=(i * len(queries) // threads,))
            for i in range(threads)
        ]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        empty = sorted(q for q, n in found.items() if n == 0)
        print(f"{kind:8} {summary(times)}" + (f"  nothing found: {empty}" if empty else ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--kind", choices=list(KINDS), default=None)
    args = parser.parse_args()
    _setup()
    if args.explain:
        from catalog.selectors import category_tree

        tree = category_tree()
        for kind, queries in KINDS.items():
            if args.kind and kind != args.kind:
                continue
            for query in queries:
                print(f"===== {kind}: {query}\n{explain(query, tree)}\n")
        return
    run(args.threads)


if __name__ == "__main__":
    main()
