"""Authentication backends: Django's and allauth's, reading the signed-in user together with
their memberships.

Every signed-in request loads its user, and the current-company middleware then needs all of
that user's memberships with their companies. Read one after the other, that is two database
round trips on every page; these backends read both in one for a user with a company
(`selectors.user_with_memberships`) and leave the memberships on the user as
`prefetched_memberships` for the middleware.
"""

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends as django_backends

from procurement.accounts import selectors


class _UserWithMemberships:
    def get_user(self, user_id):
        user, memberships = selectors.user_with_memberships(user_id=user_id)
        if user is None or not self.user_can_authenticate(user):
            return None
        user.prefetched_memberships = memberships
        return user


class ModelBackend(_UserWithMemberships, django_backends.ModelBackend):
    """Django's username (email) and password backend, used by the admin's login."""


class AuthenticationBackend(_UserWithMemberships, allauth_backends.AuthenticationBackend):
    """allauth's backend, used by the site's login."""
