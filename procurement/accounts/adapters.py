from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # A user with no company yet goes straight to onboarding (the dashboard sends them on).
        return super().get_login_redirect_url(request) or reverse("dashboard")
