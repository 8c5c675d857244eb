from procurement.accounts import selectors
from procurement.accounts.roles import ROLE_CAPABILITIES


def current_company(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    membership = getattr(request, "membership", None)
    role = membership.role if membership else None
    # The middleware already read every membership of the user (with the current one), so the
    # switcher costs no second query.
    memberships = getattr(request, "memberships", None)
    if memberships is None:
        memberships = selectors.memberships_for_user(user=user)
    return {
        "current_membership": membership if membership else None,
        "current_company": membership.company if membership else None,
        "can": {cap.value: True for cap in ROLE_CAPABILITIES.get(role, ())},
        "my_memberships": memberships,
    }
