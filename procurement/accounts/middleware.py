"""Resolves the current company on every request, from the session, among the user's own."""

from django.utils.functional import SimpleLazyObject

from procurement.accounts import selectors

SESSION_KEY = "current_company_id"


def _resolve(request):
    user = request.user
    if not user.is_authenticated:
        return None
    membership = selectors.membership_for(user=user, company_id=request.session.get(SESSION_KEY))
    if membership is not None and request.session.get(SESSION_KEY) != membership.company_id:
        request.session[SESSION_KEY] = membership.company_id
    return membership


class CurrentCompanyMiddleware:
    """Sets `request.membership` (lazily) and `request.company` from it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _resolve(request))
        request.company = SimpleLazyObject(
            lambda: request.membership.company if request.membership else None
        )
        return self.get_response(request)
