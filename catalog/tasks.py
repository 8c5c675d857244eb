"""Celery tasks: thin, primitive arguments, each calls a service."""

from celery import shared_task

from catalog import services
from catalog.adapters.alibaba1688 import parse_offer
from catalog.models import Category


@shared_task
def category_counts_refresh() -> None:
    services.category_counts_refresh()


@shared_task
def search_partitions_extend() -> int:
    return services.search_partitions_extend()


@shared_task
def offer_import(
    response: dict, default_category_id: int | None = None, language: str = "en"
) -> int:
    """Import one open-platform offer response (e.g. pushed by a feed); returns the product id."""
    category = (
        Category.objects.get(pk=default_category_id) if default_category_id is not None else None
    )
    product, _created = services.offer_import(
        offer=parse_offer(response, language=language), default_category=category
    )
    return product.pk


@shared_task
def offer_images_fetch(product_id: int) -> int:
    """Download an imported offer's images into storage, with thumbnails."""
    return services.offer_images_download(product_id=product_id)
