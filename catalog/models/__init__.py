"""Suppliers and their vetting, categories, products, SKUs and quantity-break prices.

Writes go through `catalog.services`; reads through `catalog.selectors`. What merchants may see
is decided in one place: `catalog.selectors.products_visible()`.
"""

from catalog.models.hazards import HazardRule
from catalog.models.products import (
    Category,
    OfferImport,
    PriceTier,
    Product,
    ProductImage,
    Sku,
    attribute_in,
)
from catalog.models.search import ProductSearch, SearchWord
from catalog.models.suppliers import Province, Supplier, SupplierEvent, SupplierPerformance
from catalog.models.uploads import (
    CATEGORY_MAX_DEPTH,
    IMAGE_EXTENSIONS,
    IMAGE_MAX_BYTES,
    LICENCE_EXTENSIONS,
    LICENCE_MAX_BYTES,
    GeneratedName,
    UploadCheck,
)

__all__ = [
    "CATEGORY_MAX_DEPTH",
    "IMAGE_EXTENSIONS",
    "IMAGE_MAX_BYTES",
    "LICENCE_EXTENSIONS",
    "LICENCE_MAX_BYTES",
    "Category",
    "GeneratedName",
    "HazardRule",
    "OfferImport",
    "PriceTier",
    "Product",
    "ProductImage",
    "ProductSearch",
    "Province",
    "SearchWord",
    "Sku",
    "Supplier",
    "SupplierEvent",
    "SupplierPerformance",
    "UploadCheck",
    "attribute_in",
]
