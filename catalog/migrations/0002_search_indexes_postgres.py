"""Search indexes, on PostgreSQL only (SQLite searches with a plain contains).

- pg_trgm, and trigram GIN indexes on both titles: typo-tolerant English and Chinese substrings.
- A GIN index on to_tsvector('english', title_en): the exact expression that
  `catalog.selectors.EnglishTitleVector` emits, so full-text queries can use it.
"""

from django.db import migrations

from catalog.migration_operations import PostgresOnlySQL

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS catalog_product_title_en_fts "
    "ON catalog_product USING gin (to_tsvector('english'::regconfig, title_en))",
    "CREATE INDEX IF NOT EXISTS catalog_product_title_en_trgm "
    "ON catalog_product USING gin (title_en gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS catalog_product_title_zh_trgm "
    "ON catalog_product USING gin (title_zh gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS catalog_product_title_zh_trgm",
    "DROP INDEX IF EXISTS catalog_product_title_en_trgm",
    "DROP INDEX IF EXISTS catalog_product_title_en_fts",
]


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_suppliers_categories_products")]

    operations = [PostgresOnlySQL(sql=FORWARD, reverse_sql=BACKWARD)]
