"""What catalog search reads: one row per product holding its words as a `tsvector`, and the
vocabulary of English words that corrects a typo before searching.

Both are derived data, like an index, and PostgreSQL keeps them current itself: the triggers of
migration 0016 rewrite a product's row when its titles or category change (or a category is
renamed or moved) and add new words to the vocabulary, whoever writes (services, the admin,
imports, seeding's COPY). On SQLite the tables stay empty: search there is a plain contains.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models.products import Product


class ProductSearch(models.Model):
    """A product's searchable words: the English title stemmed and the Chinese title as its
    characters and bigrams (weight A), the names of its category and the categories above it
    the same way (weight B). One GIN index on `document` answers every query word.

    On PostgreSQL the table is partitioned by product id, 500,000 to a partition, each with
    its own GIN index (migration 0017); `services.search_partitions_extend` makes them ahead."""

    product = models.OneToOneField(
        Product,
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_row",
    )
    document = SearchVectorField(_("search document"))

    class Meta:
        verbose_name = _("product search row")
        verbose_name_plural = _("product search rows")

    def __str__(self) -> str:
        return str(self.product_id)


class SearchWord(models.Model):
    """An English word of some product title or category name, as written (lower case): a query
    word found in no document is corrected to its nearest word here (trigram index)."""

    word = models.CharField(_("word"), max_length=100, primary_key=True)

    class Meta:
        verbose_name = _("search word")
        verbose_name_plural = _("search words")

    def __str__(self) -> str:
        return self.word
