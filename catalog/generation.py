"""The catalog's generation: what tells a cached catalog page whether it is still current.

Listings and the category tree are rendered once and kept in the shared page cache
(catalog.views). Each kept page carries the generation it was rendered at and is used only
while that is still the current generation, which the page reads in the same round trip as the
page itself.

Every change a listing or the tree could show moves the generation once its transaction
commits (`catalog_changed()`), so the next page renders from the committed rows:

- any product, SKU, price tier, supplier or category saved or deleted one at a time (the
  admin, the services, the import and seed commands, the shell): the receivers below (product
  images reach a listing only through the product's cover column, which
  `product_summary_refresh` writes);
- the services' bulk writes, which send no signals (`product_summary_refresh`,
  `category_counts_refresh`, `supplier_scorecard_refresh`, and so the COPY-based seeding,
  which ends with the counts): they call `catalog_changed()` themselves.

A generation is a new random value each time, never a counter, so a page kept from before the
generation was lost (a cache flush or eviction) can never match the one made after it.

When the cache is unreachable, pages render without it; a change committed meanwhile cannot move
the generation, so what was kept before it (pages, each process's category tree) can show for
up to five minutes once the cache is back: catalog.views' RESULTS_TTL and TREE_TTL,
catalog.selectors' TREE_MEMO_SECONDS.
"""

import secrets

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from catalog.models import Category, PriceTier, Product, Sku, Supplier
from procurement.core.caching import cache_call, page_cache

GENERATION_KEY = "catalog:generation"


def new_generation() -> str:
    return secrets.token_hex(8)


def catalog_changed() -> None:
    """Call from any write a catalog page could show: the generation moves once it commits."""
    transaction.on_commit(_move_generation)


def _move_generation() -> None:
    cache_call(page_cache, "set", GENERATION_KEY, new_generation(), None, purpose="Catalog")


# One receiver per model: a receiver for every sender would also stop Django from deleting any
# other model's rows in bulk (it sends post_delete one row at a time to whoever listens).
@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=PriceTier)
@receiver([post_save, post_delete], sender=Product)
@receiver([post_save, post_delete], sender=Sku)
@receiver([post_save, post_delete], sender=Supplier)
def _listed_row_changed(**kwargs) -> None:
    catalog_changed()
