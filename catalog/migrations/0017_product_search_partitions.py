"""The search rows partitioned by product id, 500,000 ids to a partition.

A search page ranks the first RELEVANCE_CANDIDATES products that match (`selectors`), not every
match. With one GIN index the database cannot tell which those are before it has read every
posting of every word: a bitmap of all the products holding "green", then of "silicone", and so
on. At five times the catalog that is five times the postings, and the page's query grew with
it (16 of its 29 ms at 5,000,000 products, three times the time at 1,000,000).

Partitioned, each 500,000 products have their own GIN index, and the query reads the
partitions one after the other (an Append under the LIMIT), stopping at the partition that
completes the candidates: a search as common as most reads the postings of one or two
partitions, whatever the catalog's size. A rare search, with fewer candidates than that in a
partition, reads them all, as before; its postings are few.

The size: a query of three common words ("red eco-friendly exercise mat") matches about 250 of
a million products, so its 240 candidates lie within about a million; smaller partitions stop
closer to the page, but each adds to the plan of every search (about 0.1 ms a partition).

`catalog_productsearch_extend(upto)` keeps a partition ready beyond the highest product id:
it creates the partitions missing from the first ids up to the one after the partition that
would hold `upto`, and any partition whose rows wait in the DEFAULT partition, moving those rows
out of DEFAULT first. The DEFAULT
partition keeps any row no partition covers, so a product is always found, even when the
partitions fell behind; the daily `catalog.tasks.search_partitions_extend` and seeding call it.
Creating a partition locks the table briefly; that is why it runs ahead of need, never from
the trigger that writes a product's row (an import's transaction would hold the lock).
"""

from django.db import migrations

from catalog.migration_operations import PostgresOnlySQL

PARTITION_PRODUCTS = 500_000
# As migration 0016 named it (Django's name for the field's constraint).
FOREIGN_KEY = (
    "ALTER TABLE catalog_productsearch ADD CONSTRAINT "
    "catalog_productsearch_product_id_fb551b9e_fk_catalog_product_id "
    "FOREIGN KEY (product_id) REFERENCES catalog_product (id) DEFERRABLE INITIALLY DEFERRED"
)

EXTEND = f"""
CREATE OR REPLACE FUNCTION catalog_productsearch_extend(upto bigint) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    size constant bigint := {PARTITION_PRODUCTS};
    chunk bigint;
    created integer := 0;
    moving boolean;
BEGIN
    -- One caller at a time: a second waits, then finds the partitions made.
    PERFORM pg_advisory_xact_lock(hashtext('catalog_productsearch_extend'));
    FOR chunk IN
        SELECT DISTINCT c FROM (
            SELECT product_id / size FROM catalog_productsearch_default
            UNION ALL SELECT generate_series(0, greatest(upto, 0) / size + 1)
        ) AS chunks(c) ORDER BY c
    LOOP
        CONTINUE WHEN to_regclass(format('catalog_productsearch_p%s', chunk)) IS NOT NULL;
        moving := EXISTS (
            SELECT 1 FROM catalog_productsearch_default
            WHERE product_id >= chunk * size AND product_id < (chunk + 1) * size
        );
        -- A new partition may not take rows the DEFAULT partition holds: they move with it.
        -- (Deferred checks of rows written earlier in the transaction are made now: no table
        -- with pending trigger events can be detached.)
        IF moving THEN
            SET CONSTRAINTS ALL IMMEDIATE;
            ALTER TABLE catalog_productsearch
                DETACH PARTITION catalog_productsearch_default;
        END IF;
        EXECUTE format(
            'CREATE TABLE catalog_productsearch_p%s PARTITION OF catalog_productsearch '
            'FOR VALUES FROM (%s) TO (%s)', chunk, chunk * size, (chunk + 1) * size);
        IF moving THEN
            EXECUTE format(
                'INSERT INTO catalog_productsearch_p%s SELECT product_id, document '
                'FROM catalog_productsearch_default '
                'WHERE product_id >= $1 AND product_id < $2', chunk)
                USING chunk * size, (chunk + 1) * size;
            DELETE FROM catalog_productsearch_default
                WHERE product_id >= chunk * size AND product_id < (chunk + 1) * size;
            ALTER TABLE catalog_productsearch
                ATTACH PARTITION catalog_productsearch_default DEFAULT;
        END IF;
        created := created + 1;
    END LOOP;
    RETURN created;
END
$fn$
"""

FORWARD = [
    "SET LOCAL maintenance_work_mem = '256MB'",
    "ALTER TABLE catalog_productsearch RENAME TO catalog_productsearch_single",
    "ALTER INDEX catalog_productsearch_pkey RENAME TO catalog_productsearch_single_pkey",
    "ALTER INDEX catalog_productsearch_document RENAME TO catalog_productsearch_single_document",
    """
    CREATE TABLE catalog_productsearch (
        product_id bigint NOT NULL,
        document tsvector NOT NULL,
        CONSTRAINT catalog_productsearch_pkey PRIMARY KEY (product_id)
    ) PARTITION BY RANGE (product_id)
    """,
    "CREATE TABLE catalog_productsearch_default PARTITION OF catalog_productsearch DEFAULT",
    EXTEND,
    "SELECT catalog_productsearch_extend("
    "(SELECT coalesce(max(product_id), 0) FROM catalog_productsearch_single))",
    # Rows first, the index after: building a GIN index once is far faster than growing it.
    "INSERT INTO catalog_productsearch (product_id, document) "
    "SELECT product_id, document FROM catalog_productsearch_single ORDER BY product_id",
    "DROP TABLE catalog_productsearch_single",
    "CREATE INDEX catalog_productsearch_document ON catalog_productsearch USING gin (document)",
    # The foreign key last: its deferred checks of the rows copied would otherwise be pending,
    # and PostgreSQL indexes no table with pending trigger events.
    FOREIGN_KEY,
    "ANALYZE catalog_productsearch",
]

BACKWARD = [
    "SET LOCAL maintenance_work_mem = '256MB'",
    "ALTER TABLE catalog_productsearch RENAME TO catalog_productsearch_partitioned",
    "ALTER INDEX catalog_productsearch_pkey RENAME TO catalog_productsearch_partitioned_pkey",
    "ALTER INDEX catalog_productsearch_document "
    "RENAME TO catalog_productsearch_partitioned_document",
    """
    CREATE TABLE catalog_productsearch (
        product_id bigint NOT NULL,
        document tsvector NOT NULL,
        CONSTRAINT catalog_productsearch_pkey PRIMARY KEY (product_id)
    )
    """,
    "INSERT INTO catalog_productsearch (product_id, document) "
    "SELECT product_id, document FROM catalog_productsearch_partitioned ORDER BY product_id",
    "DROP TABLE catalog_productsearch_partitioned",
    "DROP FUNCTION catalog_productsearch_extend(bigint)",
    "CREATE INDEX catalog_productsearch_document ON catalog_productsearch USING gin (document)",
    FOREIGN_KEY,
    "ANALYZE catalog_productsearch",
]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0016_product_search_rows")]

    operations = [PostgresOnlySQL(sql=FORWARD, reverse_sql=BACKWARD)]
