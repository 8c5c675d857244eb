"""Chinese words found through an index: the bigrams of `title_zh` as a `tsvector`, on
PostgreSQL only (SQLite searches with a plain contains).

A trigram index cannot serve a two-character word, and most Chinese words are two characters.
`catalog_zh_bigrams(title_zh)` is the expression `catalog.search.ChineseBigrams` emits:
保温杯 -> '保温' '温杯' '杯' (the last character alone, so a one-character query finds it as a
prefix). The function is IMMUTABLE (a fixed text search configuration), as an index needs.
"""

from django.db import migrations

from catalog.migration_operations import PostgresOnlySQL

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION catalog_zh_bigrams(title text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT to_tsvector(
            'simple'::regconfig,
            array_to_string(
                ARRAY(SELECT substr(title, i, 2) FROM generate_series(1, char_length(title)) AS i),
                ' '
            )
        )
    $$
    """,
    "CREATE INDEX IF NOT EXISTS catalog_product_title_zh_bigrams "
    "ON catalog_product USING gin (catalog_zh_bigrams(title_zh))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS catalog_product_title_zh_bigrams",
    "DROP FUNCTION IF EXISTS catalog_zh_bigrams(text)",
]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0011_seed_category_hazard_rules")]

    operations = [PostgresOnlySQL(sql=FORWARD, reverse_sql=BACKWARD)]
