"""Who may open the finance pages: staff of the Finance group (or superusers) with a TOTP
authenticator. The admin site enforces the same MFA rule (procurement.admin_site.has_mfa); this
app sits below procurement and cannot import it, so the small check is repeated here."""

from collections.abc import Callable
from functools import wraps

from allauth.mfa.models import Authenticator
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

FINANCE_PERMISSION = "payments.view_finance_reports"
PAYOUT_PERMISSION = "payments.manage_payouts"


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def is_finance(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(FINANCE_PERMISSION)
    )


def finance_required(view: Callable) -> Callable:
    """Signed in, active staff holding payments.view_finance_reports, with TOTP set up; staff
    without an authenticator are sent to set one up, everyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_finance(request.user):
            raise PermissionDenied
        if not has_totp(request.user):
            return redirect("mfa_activate_totp")
        return view(request, *args, **kwargs)

    return wrapped
