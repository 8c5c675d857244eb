"""Refusals from the orders services. Each message is safe to show to the person who asked."""

from django.utils.translation import gettext_lazy as _

from procurement.core.exceptions import DomainError
from procurement.core.exceptions import InvalidTransition as InvalidTransition


class OrdersError(DomainError):
    """A refusal a person should read; nothing was written when it is raised."""

    default_message = _("That could not be done.")


class CartError(OrdersError):
    default_message = _("That could not be added to the cart.")


class CartEmpty(CartError):
    default_message = _("Your cart is empty.")


class CartInvalid(CartError):
    """Some product in the cart breaks its MOQ or order multiple."""

    default_message = _("Some quantities in your cart cannot be ordered as they are.")


class PricesChanged(OrdersError):
    default_message = _(
        "Prices changed since you opened this page. Check the new prices and place the order again."
    )


class QuoteNotAcceptable(OrdersError):
    default_message = _("This quote can no longer be accepted.")


class PermissionRefused(OrdersError):
    code = "permission_refused"
    status = 403
    default_message = _("You are not allowed to do that.")


class LineRefused(OrdersError):
    """One line of an order requested without a cart (the API) cannot be ordered. `index` is its
    position in the request and `field` the part at fault ("product_id", "sku_id" or
    "quantity"), so the caller can point at it."""

    def __init__(self, message=None, *, index: int, field: str, code: str | None = None):
        super().__init__(message, code=code)
        self.index = index
        self.field = field


class LineNotFound(LineRefused):
    """No product (on sale, of an approved supplier) with that id."""

    code = "not_found"
    status = 404
    default_message = _("Not found.")


class LineInvalid(LineRefused):
    code = "invalid"


class LineQuantity(LineRefused):
    """The product's total breaks its MOQ or order multiple (catalog.pricing)."""

    code = "quantity"


class InspectionRefused(OrdersError):
    """One or more lines of an inspection cannot be recorded as entered; nothing was written.
    `errors` maps each line's id to what is wrong with it, so a form can show it by the line."""

    code = "inspection_refused"

    def __init__(self, *, errors: dict[int, str], labels: dict[int, str]):
        self.errors = errors
        super().__init__(
            " ".join(f"{labels[pk]}: {message}" for pk, message in sorted(errors.items()))
        )
