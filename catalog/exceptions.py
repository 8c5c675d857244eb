"""Errors the catalog raises to its callers, with messages fit to show a person."""

from procurement.core.exceptions import DomainError


class CatalogError(DomainError):
    """Base class: `error.message` (and `str(error)`) is what a merchant or staff member reads."""


class ReasonRequired(CatalogError):
    pass


class UnsupportedLink(CatalogError):
    """A pasted link that is not a 1688, Taobao or Tmall product link."""


class OfferImportError(CatalogError):
    """A 1688 offer record that cannot be imported; the message says which field and why."""


class ImageRejected(CatalogError):
    pass
