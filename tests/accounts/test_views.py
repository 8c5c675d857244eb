import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from procurement.accounts import services
from procurement.accounts.middleware import SESSION_KEY
from procurement.accounts.models import Company, Invitation, Membership, Role, User
from tests.accounts.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_signup_verification_and_onboarding_create_a_company(client):
    response = client.post(
        reverse("account_signup"),
        {
            "full_name": "Maria",
            "email": "Maria@Shop.example",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email__iexact="maria@shop.example")

    # Unverified: the dashboard is out of reach, login is refused until the email is confirmed.
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "maria@shop.example", "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session

    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    path = "/" + link.group(0).split("/", 3)[3]
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    # No company yet: the dashboard leads to onboarding.
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:company-create")

    response = client.post(
        reverse("accounts:company-create"),
        {
            "legal_name": "Maria's Shop SL",
            "country": "ES",
            "wallet_currency": "EUR",
            "uses_sourcing": "on",
        },
    )
    assert response.status_code == 302
    company = Company.objects.get()
    assert company.memberships.get().user == user
    assert client.session[SESSION_KEY] == company.pk
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "Maria&#x27;s Shop SL" in response.text


def test_onboarding_form_reports_missing_services(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("accounts:company-create"),
        {"legal_name": "Nothing Co", "country": "FR", "wallet_currency": "EUR"},
    )
    assert response.status_code == 200
    assert "Choose at least one service." in response.text
    assert not Company.objects.exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.OWNER, True),
        (Role.BUYER, False),
        (Role.APPROVER, False),
        (Role.FINANCE, False),
        (Role.VIEWER, False),
    ],
)
def test_only_owners_invite(client, company, member_of, role, allowed):
    client.force_login(member_of(company, role))
    response = client.post(
        reverse("accounts:member-invite"), {"email": "new@example.com", "role": "buyer"}
    )
    assert response.status_code == (302 if allowed else 403)
    assert Invitation.objects.filter(email="new@example.com").exists() is allowed


def test_buyer_cannot_change_roles_or_remove_members(client, company, member_of):
    buyer = member_of(company, Role.BUYER)
    viewer = Membership.objects.get(user=member_of(company, Role.VIEWER))
    client.force_login(buyer)

    response = client.post(reverse("accounts:member-edit", args=[viewer.pk]), {"role": "owner"})
    assert response.status_code == 403
    response = client.post(reverse("accounts:member-remove", args=[viewer.pk]))
    assert response.status_code == 403
    viewer.refresh_from_db()
    assert viewer.role == Role.VIEWER


def test_owner_changes_a_role_and_sets_a_spending_limit(owner_client, company, member_of):
    buyer = Membership.objects.get(user=member_of(company, Role.BUYER))
    response = owner_client.post(
        reverse("accounts:member-edit", args=[buyer.pk]),
        {"role": "buyer", "spending_limit": "2500.00"},
    )
    assert response.status_code == 302
    buyer.refresh_from_db()
    assert str(buyer.spending_limit) == "2500.00"


def test_owner_cannot_remove_the_last_owner(owner_client, owner):
    membership = Membership.objects.get(user=owner)
    response = owner_client.post(
        reverse("accounts:member-remove", args=[membership.pk]), follow=True
    )
    assert "A company must keep at least one owner." in response.text
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_member_of_a_gets_404_on_b_objects(owner_client, other_company, member_of):
    foreign = Membership.objects.get(user=member_of(other_company, Role.BUYER))
    services.invitation_create(
        company=other_company,
        invited_by=foreign.user,
        email="someone@example.com",
        role="buyer",
    )
    foreign_invitation = Invitation.objects.get()

    assert owner_client.get(reverse("accounts:member-edit", args=[foreign.pk])).status_code == 404
    assert (
        owner_client.post(reverse("accounts:member-remove", args=[foreign.pk])).status_code == 404
    )
    assert (
        owner_client.post(
            reverse("accounts:invitation-revoke", args=[foreign_invitation.pk])
        ).status_code
        == 404
    )
    # Switching to a company one does not belong to is a 404 too, and changes nothing.
    response = owner_client.post(reverse("accounts:company-switch"), {"company": other_company.pk})
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_session_pointing_at_a_foreign_company_falls_back_to_own(client, company, owner):
    stranger_company = CompanyFactory(legal_name="Stranger Things Inc")
    client.force_login(owner)
    session = client.session
    session[SESSION_KEY] = stranger_company.pk
    session.save()

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    assert company.legal_name in response.text
    assert "Stranger Things Inc" not in response.text


def test_user_with_two_companies_switches(client, company, member_of):
    user = member_of(company, Role.OWNER)
    second = CompanyFactory(legal_name="Second Venture BV")
    MembershipFactory(user=user, company=second, role=Role.VIEWER)
    client.force_login(user)

    response = client.post(reverse("accounts:company-switch"), {"company": second.pk})

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == second.pk
    response = client.get(reverse("accounts:company"))
    assert "Second Venture BV" in response.text
    # As a viewer there, the profile cannot be edited.
    response = client.post(
        reverse("accounts:company"),
        {"legal_name": "Hijacked", "country": "NL", "uses_sourcing": "on"},
    )
    assert response.status_code == 403
    second.refresh_from_db()
    assert second.legal_name == "Second Venture BV"


class TestInvitationPages:
    def _invite(self, company, inviter, email="guest@example.com", role=Role.BUYER):
        return services.invitation_create(
            company=company, invited_by=inviter, email=email, role=role
        )

    def test_invitee_accepts(self, client, company, owner):
        token = self._invite(company, owner)
        guest = UserFactory(email="guest@example.com")
        client.force_login(guest)
        url = reverse("accounts:invitation-accept", args=[token])

        assert client.get(url).status_code == 200
        response = client.post(url)

        assert response.status_code == 302
        assert Membership.objects.get(user=guest).company == company
        assert client.session[SESSION_KEY] == company.pk

    def test_anonymous_sees_the_invitation_and_how_to_sign_in(self, client, company, owner):
        token = self._invite(company, owner)
        response = client.get(reverse("accounts:invitation-accept", args=[token]))
        assert response.status_code == 200
        assert company.legal_name in response.text
        assert reverse("account_login") in response.text

    def test_expired_used_foreign_and_unknown_tokens_get_a_clear_page(self, client, company, owner):
        expired = self._invite(company, owner, email="late@example.com")
        Invitation.objects.filter(email="late@example.com").update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        used = self._invite(company, owner, email="used@example.com")
        services.invitation_accept(token=used, user=UserFactory(email="used@example.com"))
        foreign = self._invite(company, owner, email="meant-for-someone@example.com")

        client.force_login(UserFactory(email="intruder@example.com"))
        cases = {
            expired: (410, "expired"),
            used: (410, "already been used"),
            foreign: (403, "another email address"),
            "made-up-token": (404, "not valid"),
        }
        for token, (status, text) in cases.items():
            response = client.get(reverse("accounts:invitation-accept", args=[token]))
            assert response.status_code == status, token
            assert text in response.text
            response = client.post(reverse("accounts:invitation-accept", args=[token]))
            assert response.status_code == status, token
        assert not Membership.objects.filter(user__email="intruder@example.com").exists()
