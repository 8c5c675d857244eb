"""Hazards of imported products, derived from their 1688 category by the rules staff keep."""

from catalog.adapters.alibaba1688 import offer_category
from catalog.models import HazardRule
from procurement.core.hazards import hazards_clean


def hazards_for_category(*, category_id: str, category_name: str) -> list[str]:
    """Every hazard of every rule matching the 1688 category (sorted, once each)."""
    if not category_id and not category_name:
        return []
    found: set[str] = set()
    for rule in HazardRule.objects.all():
        if rule.matches(category_id=category_id, category_name=category_name):
            found.update(rule.hazards)
    return hazards_clean(found)


def hazards_for_offer(payload: dict) -> list[str]:
    """The hazards of an offer as the platform sent it (`OfferRecord.payload`)."""
    category_id, name = offer_category(payload)
    return hazards_for_category(category_id=category_id, category_name=name)
