"""Resolves the current company on every request, from the session, among the user's own."""

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from procurement.accounts import selectors

SESSION_KEY = "current_company_id"


def _memberships(request) -> list:
    """All of the user's memberships with their companies, from one query: the current one is
    picked from them and the navbar's company switcher lists them (a user has a handful)."""
    cached = getattr(request, "_memberships_cache", None)
    if cached is None:
        user = request.user
        if not user.is_authenticated:
            cached = []
        else:
            # accounts.backends read them with the user; other sign-ins (API keys) did not.
            cached = getattr(user, "prefetched_memberships", None)
            if cached is None:
                cached = selectors.memberships_with_companies(user=user)
        request._memberships_cache = cached
    return cached


def _resolve(request):
    if not request.user.is_authenticated:
        return None
    memberships = _memberships(request)
    company_id = request.session.get(SESSION_KEY)
    membership = None
    if company_id is not None:
        membership = next((m for m in memberships if m.company_id == company_id), None)
    if membership is None and memberships:
        membership = memberships[0]
    if membership is not None and company_id != membership.company_id:
        request.session[SESSION_KEY] = membership.company_id
    return membership


class CurrentCompanyMiddleware:
    """Sets `request.membership` (lazily) and `request.company` from it, and
    `request.memberships` (lazily): all of the user's, for the company switcher."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _resolve(request))
        request.company = SimpleLazyObject(
            lambda: request.membership.company if request.membership else None
        )
        request.memberships = SimpleLazyObject(lambda: _memberships(request))
        # Dates and times render in the company's zone for its people (the admin and staff
        # pages in the site's own zone).
        membership = request.membership if request.user.is_authenticated else None
        zone = membership.company.time_zone if membership else None
        with timezone.override(zone):
            return self.get_response(request)


# Sessions signed in before the project had its own authentication backends name Django's and
# allauth's, which are no longer listed: Django would sign their holders out.
RENAMED_BACKENDS = {
    "django.contrib.auth.backends.ModelBackend": "procurement.accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": (
        "procurement.accounts.backends.AuthenticationBackend"
    ),
}


class RenamedBackendMiddleware:
    """Points sessions at the renamed authentication backends, so nobody is signed out by the
    rename. Sits between the session and authentication middleware; it can go once sessions
    older than the rename have expired (SESSION_COOKIE_AGE, two weeks)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.COOKIES.get(settings.SESSION_COOKIE_NAME):
            renamed = RENAMED_BACKENDS.get(request.session.get(BACKEND_SESSION_KEY))
            if renamed:
                request.session[BACKEND_SESSION_KEY] = renamed
        return self.get_response(request)
