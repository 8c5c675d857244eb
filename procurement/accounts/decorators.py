"""Gates for merchant pages: signed in, a member of the current company, allowed by role."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from procurement.accounts.roles import Capability, role_can


def company_required(capability: Capability = Capability.VIEW) -> Callable:
    """The view runs only for a member of a current company whose role has `capability`.

    A signed-in user with no company is sent to create one; a role without the capability
    gets 403.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            membership = request.membership
            if not membership:
                return redirect("accounts:company-create")
            if not role_can(membership.role, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
