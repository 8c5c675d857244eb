"""The staff admin, signed in through allauth (its rate limits and MFA) and closed to staff
who have not set up two-factor authentication."""

from allauth.account.decorators import secure_admin_login
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _


def has_mfa(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class PortalAdminSite(admin.AdminSite):
    site_header = _("Procurement portal administration")
    site_title = _("Procurement admin")
    index_title = _("Operations")

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and has_mfa(request.user)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            user = request.user
            if user.is_authenticated and user.is_active and user.is_staff and not has_mfa(user):
                return redirect("mfa_activate_totp")
            return inner(request, *args, **kwargs)

        guarded.__wrapped__ = inner
        return guarded

    def get_urls(self):
        from django.urls import path

        from procurement import operations

        return [
            path(
                "operations/",
                self.admin_view(lambda request: operations.operations(request, self)),
                name="operations",
            ),
            *super().get_urls(),
        ]

    def login(self, request, extra_context=None):
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff and not has_mfa(user):
            return redirect("mfa_activate_totp")
        return secure_admin_login(super().login)(request, extra_context)
