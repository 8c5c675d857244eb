"""A company's address book: where its parcels may go."""

from django.db import transaction

from logistics.models import Address
from procurement.accounts.models import Company

ADDRESS_FIELDS = (
    "kind",
    "name",
    "company_name",
    "phone",
    "line1",
    "line2",
    "city",
    "region",
    "postcode",
    "country",
)


# --- Addresses -----------------------------------------------------------------------------------


@transaction.atomic
def address_create(*, company: Company, **fields) -> Address:
    address = Address(company=company, **{key: fields.get(key, "") for key in ADDRESS_FIELDS})
    address.full_clean()
    address.save()
    return address


@transaction.atomic
def address_update(*, address: Address, **fields) -> Address:
    address = Address.objects.select_for_update().get(pk=address.pk)
    for key in ADDRESS_FIELDS:
        if key in fields:
            setattr(address, key, fields[key])
    address.full_clean()
    address.save(update_fields=[*ADDRESS_FIELDS, "updated_at"])
    return address


@transaction.atomic
def address_archive(*, address: Address) -> Address:
    """Hide an address from the book. Parcels that went there keep pointing at it."""
    address = Address.objects.select_for_update().get(pk=address.pk)
    address.is_archived = True
    address.save(update_fields=["is_archived", "updated_at"])
    return address
