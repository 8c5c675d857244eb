"""The search rows partitioned by product id (migration 0017): a partition per 500,000 ids,
made ahead of the ids; a DEFAULT partition for rows none covers; relevance pages that read the
partitions in turn and stop at the one that completes their candidates."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from catalog import services
from catalog.models import Product, ProductSearch
from catalog.search import partitions_in_turn, search_tsquery
from catalog.selectors import (
    RELEVANCE_CANDIDATES,
    ProductFilters,
    Sort,
    paginate,
    product_listing,
)
from tests.catalog.factories import CategoryFactory, ProductFactory, SupplierFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Product ids to a partition.
PARTITION = importlib.import_module(
    "catalog.migrations.0017_product_search_partitions"
).PARTITION_PRODUCTS


def partitions() -> dict[str, int]:
    """Each partition of the search rows and how many rows it holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'catalog_productsearch'::regclass"
        )
        names = [name for (name,) in cursor.fetchall()]
        counts = {}
        for name in names:
            cursor.execute(f'SELECT count(*) FROM "{name}"')  # noqa: S608  # nosec B608
            (counts[name],) = cursor.fetchone()
    return counts


def found(query: str) -> set[int]:
    filters = ProductFilters(query=query, sort=Sort.RELEVANCE)
    return {p.pk for p in paginate(product_listing(filters), sort=Sort.RELEVANCE).items}


@pytest.fixture
def product_ids_restored():
    """Seeding sets the product id sequence past what it wrote, and a sequence is not rolled
    back with the test: put it back, so later tests' products land where they expect."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM catalog_product_id_seq")
        (last,) = cursor.fetchone()
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('catalog_product_id_seq', %s)", [last])


def test_the_first_ids_and_the_next_have_partitions_and_nothing_waits_in_default():
    ProductFactory(id=12)

    counts = partitions()
    assert counts["catalog_productsearch_p0"] == 1
    assert counts["catalog_productsearch_p1"] == 0
    assert counts["catalog_productsearch_default"] == 0


def test_a_row_no_partition_covers_is_found_and_moves_to_its_partition_when_extended():
    near = ProductFactory(title_en="Walnut serving board")
    far = ProductFactory(id=3 * PARTITION + 17, title_en="Walnut salad bowl")
    document = ProductSearch.objects.get(pk=far.pk).document

    assert partitions()["catalog_productsearch_default"] == 1
    assert found("walnut") == {near.pk, far.pk}

    assert services.search_partitions_extend() == 3  # p2 and p3 up to the far id, p4 ahead

    counts = partitions()
    assert counts["catalog_productsearch_default"] == 0
    assert counts["catalog_productsearch_p3"] == 1
    assert {"catalog_productsearch_p2", "catalog_productsearch_p4"} <= set(counts)
    assert ProductSearch.objects.get(pk=far.pk).document == document
    assert found("walnut") == {near.pk, far.pk}
    assert found("salad bowl") == {far.pk}
    # A product written later into the partition ahead goes to its partition.
    later = ProductFactory(id=4 * PARTITION + 3, title_en="Walnut coaster")
    assert partitions()["catalog_productsearch_p4"] == 1
    assert found("walnut") == {near.pk, far.pk, later.pk}


def test_extending_again_makes_nothing_and_a_product_moved_in_default_keeps_its_words():
    assert services.search_partitions_extend() == 0

    product = ProductFactory(id=7 * PARTITION, title_en="Bamboo steamer")
    Product.objects.filter(pk=product.pk).update(title_en="Bamboo whisk")

    assert found("whisk") == {product.pk}
    assert services.search_partitions_extend() == 7  # p2 to p7, and p8 ahead
    assert found("whisk") == {product.pk}
    assert not found("steamer")
    assert services.search_partitions_extend() == 0


def test_seeding_makes_the_partitions_of_the_ids_it_writes_before_writing_them(
    product_ids_restored,
):
    from catalog.seeding import seed_catalog

    ProductFactory(id=2 * PARTITION - 5)

    seed_catalog(products=12, suppliers=2, batch_size=6)

    counts = partitions()
    assert counts["catalog_productsearch_default"] == 0
    assert counts["catalog_productsearch_p1"] == 5  # the factory's product and four seeded
    assert counts["catalog_productsearch_p2"] == 8
    assert "catalog_productsearch_p3" in counts  # the partition ahead


def test_the_matches_are_read_partition_by_partition_up_to_the_candidates_needed():
    """RELEVANCE_CANDIDATES matches in the first partition: the second is never read.
    (The page's own plan around this read depends on the rows' statistics, and with a few
    hundred rows the planner hashes them rather than reading them in turn as at a million;
    the bench measures the page.)"""
    supplier = SupplierFactory()
    category = CategoryFactory()
    Product.objects.bulk_create(
        [
            Product(
                id=100_000 + n, supplier=supplier, category=category, title_en=f"Linen apron {n}"
            )
            for n in range(RELEVANCE_CANDIDATES + 10)
        ]
    )
    far = ProductFactory(id=PARTITION + 1, title_en="Linen apron far", supplier=supplier)
    matches = ProductSearch.objects.filter(document=search_tsquery(["linen", "apron"]))

    with partitions_in_turn(matches.db), connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        (workers,) = cursor.fetchone()
        sql, params = matches.values("product_id")[:RELEVANCE_CANDIDATES].query.sql_with_params()
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}", params)
        plan = [line for (line,) in cursor.fetchall()]

    assert workers == "0"
    assert not [line for line in plan if "Gather" in line]
    first = [line for line in plan if "on catalog_productsearch_p0 " in line]
    second = [line for line in plan if "on catalog_productsearch_p1 " in line]
    assert first
    assert "never executed" not in first[0]
    assert second
    assert all("never executed" in line for line in second), "\n".join(plan)
    assert matches.filter(product_id=far.pk).exists()


def test_a_relevance_page_allows_no_parallel_workers():
    ProductFactory(title_en="Linen apron")
    filters = ProductFilters(query="linen apron", sort=Sort.RELEVANCE)

    with CaptureQueriesContext(connection) as queries:
        page = paginate(product_listing(filters), sort=Sort.RELEVANCE)

    sql = [q["sql"] for q in queries.captured_queries]
    setting = sql.index("SET LOCAL max_parallel_workers_per_gather = 0")
    assert "ts_rank" in sql[setting + 1]
    assert [p.title_en for p in page.items] == ["Linen apron"]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()


def _partitioned() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table "
            "WHERE partrelid = 'catalog_productsearch'::regclass)"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_every_row_into_the_partitions_and_back():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    near = ProductFactory(title_en="Oak cutting board")
    far = ProductFactory(id=2 * PARTITION + 9, title_en="Oak spoon rest")
    try:
        _migrate([("catalog", "0016_product_search_rows")])

        assert not _partitioned()
        assert found("oak") == {near.pk, far.pk}

        _migrate(leaves)

        assert _partitioned()
        counts = partitions()
        assert counts["catalog_productsearch_p0"] == 1
        assert counts["catalog_productsearch_p2"] == 1
        assert counts["catalog_productsearch_default"] == 0
        assert "catalog_productsearch_p3" in counts
        assert found("oak") == {near.pk, far.pk}
        assert found("spoon") == {far.pk}
    finally:
        # The partitions the far product made stay with the table: made again without it.
        Product.objects.filter(pk=far.pk).delete()
        _migrate([("catalog", "0016_product_search_rows")])
        _migrate(leaves)


def test_words_none_of_the_first_rows_hold_are_found_in_the_first_partition_that_has_them(
    monkeypatch,
):
    """The lookup of the words none of the first rows hold reads the rows found in turn until
    one holds the word: the next partitions are not read."""
    import catalog.search

    ProductFactory(id=40, title_en="Quartz wall clock")
    ProductFactory(id=PARTITION + 40, title_en="Quartz desk clock")
    monkeypatch.setattr(catalog.search, "PROBE_ROWS", 0)  # as if the first rows held neither

    with CaptureQueriesContext(connection) as queries:
        match = catalog.search.search_match(Product.objects.all(), "quartz clock")
    (statement,) = [q["sql"] for q in queries.captured_queries if "AS MATERIALIZED" in q["sql"]]
    assert statement.count("AS MATERIALIZED") == 2  # one lookup a word, in one statement
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {statement}")
        plan = [line for (line,) in cursor.fetchall()]

    assert match.words == ("quartz", "clock")
    assert match.products.count() == 2
    second = [line for line in plan if "on catalog_productsearch_p1 " in line]
    assert second
    assert all("never executed" in line for line in second), "\n".join(plan)
