"""What "supplier:3" reads as (procurement.core.references): the supplier's name."""

from django.db.models import Expression, F
from django.db.models.functions import Coalesce, NullIf

from catalog.models import Supplier
from procurement.core import references
from procurement.core.references import text


def _supplier_label() -> Expression:
    """`Supplier.display_name`: the English name, else the Chinese one."""
    return Coalesce(NullIf(F("name_en"), text("")), F("name_zh"))


def register() -> None:
    references.register("supplier", references.model_resolver(Supplier, label=_supplier_label))
