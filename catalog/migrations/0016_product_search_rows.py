"""One search row per product, kept by the database, and the vocabulary that corrects typos.

A search used to match each word against expressions of `catalog_product` (the English
full-text index, the Chinese bigram index, the category ids named by the word) and rank every
match. Now each product's words sit in `catalog_productsearch.document`, one `tsvector` behind
one GIN index, so a query of any words is one index lookup:

- the English title, stemmed ('english'), and the Chinese title as every character and every
  pair of neighbouring characters of its Chinese runs ('simple'), weight A;
- the names of its category and the categories above it the same way, weight B (so "earphones"
  and 杯子 find the category's products through the same index).

The Chinese is split into characters and pairs rather than into jieba's words: jieba cuts
不锈钢保温杯子 into 不锈钢/保温杯/子, so 杯子 would not be found there; pairs find every
substring, and a two-character word, most Chinese words, is one lexeme. It is also plain SQL,
so the database computes the row in the same trigger as the English. Queries still segment
with jieba, so 蓝牙耳机 asks for 蓝牙 and 耳机 wherever they are in the title.

Triggers keep the rows current for every writer: a statement trigger on INSERT (one set-based
refresh per statement, so seeding's COPY stays a bulk write), a row trigger when a title or
the category changes, and one when a category is renamed or moved. The same refresh adds the
English words of titles and category names to `catalog_searchword`, whose trigram index corrects
a misspelt query word against a few thousand words instead of a million titles.

The old expression indexes go (nothing reads them); the trigram indexes on the titles stay for
the admin's contains search.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

from catalog.migration_operations import PostgresOnlySQL

CJK = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"

FUNCTIONS = [
    # Every character and every pair of neighbouring characters of the Chinese runs:
    # 保温杯 -> 保 保温 温 温杯 杯.
    f"""
    CREATE OR REPLACE FUNCTION catalog_zh_terms(title text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(string_agg(
            CASE WHEN i < char_length(m[1]) THEN substr(m[1], i, 1) || ' ' || substr(m[1], i, 2)
                 ELSE substr(m[1], i, 1) END, ' '), '')
        FROM regexp_matches(title, '{CJK}', 'g') AS m,
             generate_series(1, char_length(m[1])) AS i
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION catalog_search_vector(en text, zh text, weight "char")
    RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('english'::regconfig, coalesce(en, '')), weight)
            || setweight(to_tsvector('simple'::regconfig, catalog_zh_terms(coalesce(zh, ''))),
                         weight)
    $$
    """,
    # The search rows of `product_ids` (all products when NULL), and their new English words.
    # Dynamic SQL: a plan cached for one id would be reused for a million.
    """
    CREATE OR REPLACE FUNCTION catalog_product_search_refresh(product_ids bigint[])
    RETURNS void LANGUAGE plpgsql AS $fn$
    DECLARE
        chosen text := CASE WHEN product_ids IS NULL THEN 'TRUE' ELSE 'p.id = ANY($1)' END;
    BEGIN
        EXECUTE format($sql$
            WITH names AS MATERIALIZED (
                SELECT c.id,
                       concat_ws(' ', c.name_en, up.name_en, top.name_en) AS names_en,
                       catalog_search_vector(
                           concat_ws(' ', c.name_en, up.name_en, top.name_en),
                           concat_ws(' ', c.name_zh, up.name_zh, top.name_zh), 'B') AS document
                FROM catalog_category c
                LEFT JOIN catalog_category up ON up.id = c.parent_id
                LEFT JOIN catalog_category top ON top.id = up.parent_id
            )
            INSERT INTO catalog_productsearch (product_id, document)
            SELECT p.id, catalog_search_vector(p.title_en, p.title_zh, 'A') || n.document
            FROM catalog_product p JOIN names n ON n.id = p.category_id
            WHERE %1$s
            ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document
        $sql$, chosen) USING product_ids;
        -- Sorted, so concurrent writers take the words' locks in one order.
        EXECUTE format($sql$
            INSERT INTO catalog_searchword (word)
            SELECT DISTINCT w FROM (
                SELECT unnest(tsvector_to_array(to_tsvector('simple'::regconfig, p.title_en)))
                FROM catalog_product p WHERE %1$s
                UNION ALL
                SELECT unnest(tsvector_to_array(to_tsvector('simple'::regconfig,
                    concat_ws(' ', c.name_en, up.name_en, top.name_en))))
                FROM catalog_category c
                LEFT JOIN catalog_category up ON up.id = c.parent_id
                LEFT JOIN catalog_category top ON top.id = up.parent_id
                WHERE c.id IN (SELECT p.category_id FROM catalog_product p WHERE %1$s)
            ) AS found(w)
            WHERE w ~ '^[[:alpha:]][[:alpha:]''-]{2,99}$'
            ORDER BY w
            ON CONFLICT (word) DO NOTHING
        $sql$, chosen) USING product_ids;
    END
    $fn$
    """,
    """
    CREATE OR REPLACE FUNCTION catalog_product_search_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM catalog_product_search_refresh(ARRAY(SELECT id FROM inserted));
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION catalog_product_search_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM catalog_product_search_refresh(ARRAY[NEW.id]);
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION catalog_category_search_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM catalog_product_search_refresh(ARRAY(
            WITH RECURSIVE below(id) AS (
                SELECT NEW.id
                UNION ALL
                SELECT c.id FROM catalog_category c JOIN below b ON c.parent_id = b.id
            )
            SELECT p.id FROM catalog_product p WHERE p.category_id IN (SELECT id FROM below)
        ));
        RETURN NULL;
    END
    $$
    """,
]
TRIGGERS = [
    "CREATE TRIGGER catalog_product_search_insert AFTER INSERT ON catalog_product "
    "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
    "EXECUTE FUNCTION catalog_product_search_inserted()",
    "CREATE TRIGGER catalog_product_search_update "
    "AFTER UPDATE OF title_en, title_zh, category_id ON catalog_product FOR EACH ROW "
    "WHEN (OLD.title_en IS DISTINCT FROM NEW.title_en OR OLD.title_zh IS DISTINCT FROM "
    "NEW.title_zh OR OLD.category_id IS DISTINCT FROM NEW.category_id) "
    "EXECUTE FUNCTION catalog_product_search_updated()",
    "CREATE TRIGGER catalog_category_search_update "
    "AFTER UPDATE OF name_en, name_zh, parent_id ON catalog_category FOR EACH ROW "
    "WHEN (OLD.name_en IS DISTINCT FROM NEW.name_en OR OLD.name_zh IS DISTINCT FROM "
    "NEW.name_zh OR OLD.parent_id IS DISTINCT FROM NEW.parent_id) "
    "EXECUTE FUNCTION catalog_category_search_updated()",
]
# The GIN indexes search reads; seeding drops them for a large load and builds them after.
INDEXES = [
    (
        "CREATE INDEX IF NOT EXISTS catalog_productsearch_document "
        "ON catalog_productsearch USING gin (document)",
        "DROP INDEX IF EXISTS catalog_productsearch_document",
    ),
    (
        "CREATE INDEX IF NOT EXISTS catalog_searchword_trgm "
        "ON catalog_searchword USING gin (word gin_trgm_ops)",
        "DROP INDEX IF EXISTS catalog_searchword_trgm",
    ),
]
OLD_INDEXES = [
    (
        "CREATE INDEX IF NOT EXISTS catalog_product_title_en_fts "
        "ON catalog_product USING gin (to_tsvector('english'::regconfig, title_en))",
        "DROP INDEX IF EXISTS catalog_product_title_en_fts",
    ),
    (
        "CREATE INDEX IF NOT EXISTS catalog_product_title_zh_bigrams "
        "ON catalog_product USING gin (catalog_zh_bigrams(title_zh))",
        "DROP INDEX IF EXISTS catalog_product_title_zh_bigrams",
    ),
]

FORWARD = [
    *FUNCTIONS,
    # Rows first, indexes after: building a GIN index once is far faster than growing it.
    "SET LOCAL maintenance_work_mem = '256MB'",
    "SELECT catalog_product_search_refresh(NULL)",
    *[create for create, _drop in INDEXES],
    *TRIGGERS,
    *[drop for _create, drop in OLD_INDEXES],
    "ANALYZE catalog_productsearch, catalog_searchword",
]
BACKWARD = [
    *[create for create, _drop in OLD_INDEXES],
    "DROP TRIGGER IF EXISTS catalog_category_search_update ON catalog_category",
    "DROP TRIGGER IF EXISTS catalog_product_search_update ON catalog_product",
    "DROP TRIGGER IF EXISTS catalog_product_search_insert ON catalog_product",
    *[drop for _create, drop in INDEXES],
    "DROP FUNCTION IF EXISTS catalog_category_search_updated()",
    "DROP FUNCTION IF EXISTS catalog_product_search_updated()",
    "DROP FUNCTION IF EXISTS catalog_product_search_inserted()",
    "DROP FUNCTION IF EXISTS catalog_product_search_refresh(bigint[])",
    'DROP FUNCTION IF EXISTS catalog_search_vector(text, text, "char")',
    "DROP FUNCTION IF EXISTS catalog_zh_terms(text)",
]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0015_event_reasons_in_the_readers_language")]

    operations = [
        migrations.CreateModel(
            name="ProductSearch",
            fields=[
                (
                    "product",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_row",
                        serialize=False,
                        to="catalog.product",
                        verbose_name="product",
                    ),
                ),
                (
                    "document",
                    django.contrib.postgres.search.SearchVectorField(
                        verbose_name="search document"
                    ),
                ),
            ],
            options={
                "verbose_name": "product search row",
                "verbose_name_plural": "product search rows",
            },
        ),
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "word",
                    models.CharField(
                        max_length=100, primary_key=True, serialize=False, verbose_name="word"
                    ),
                ),
            ],
            options={"verbose_name": "search word", "verbose_name_plural": "search words"},
        ),
        PostgresOnlySQL(sql=FORWARD, reverse_sql=BACKWARD),
    ]
