"""Site-wide template context composed from the apps (the composition root may import them)."""

from django.utils.functional import SimpleLazyObject

from orders import selectors as order_selectors
from procurement.accounts.roles import Capability, role_can


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    if not membership or not role_can(membership.role, Capability.BUY):
        return {}
    # Lazy: only pages that render the navbar's cart badge pay for the query.
    return {
        "cart_count": SimpleLazyObject(
            lambda: order_selectors.cart_count(user=user, company=membership.company)
        ),
        "show_cart": True,
    }
