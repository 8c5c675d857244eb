"""What "supplier:3" reads as (procurement.core.references): the supplier's name."""

from catalog.models import Supplier
from procurement.core import references


def register() -> None:
    references.register(
        "supplier", references.model_resolver(Supplier, label=lambda s: s.display_name)
    )
