from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse


@dataclass(frozen=True)
class SiteFromSettings:
    """What allauth's mails read as `current_site`: the site as settings name it, not the
    host a request happened to come in on ("Hello from 127.0.0.1:8000")."""

    name: str
    domain: str


def site_from_settings() -> SiteFromSettings:
    return SiteFromSettings(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # Staff who work for no merchant company go to the admin, where their work is.
        user = request.user
        if user.is_authenticated and user.is_staff and not user.memberships.exists():
            return reverse("admin:index")
        # A user with no company yet goes straight to onboarding (the dashboard sends them on).
        return super().get_login_redirect_url(request) or reverse("dashboard")

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(template_prefix, email, {**context, "current_site": site_from_settings()})
