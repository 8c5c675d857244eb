from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from procurement.accounts import exceptions, services
from procurement.accounts.models import Company, Invitation, Membership, Role
from tests.accounts.factories import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_company_create_makes_the_creator_its_owner():
    user = UserFactory()

    company = services.company_create(
        owner=user,
        legal_name="  Harbour Goods Pty  ",
        country="AU",
        wallet_currency="AUD",
        uses_sourcing=True,
        uses_forwarding=False,
    )

    assert company.legal_name == "Harbour Goods Pty"
    assert company.memberships.get().user == user
    assert company.memberships.get().role == Role.OWNER


def test_company_needs_at_least_one_service():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.company_create(
            owner=UserFactory(),
            legal_name="Nothing Ltd",
            country="GB",
            wallet_currency="GBP",
            uses_sourcing=False,
            uses_forwarding=False,
        )
    assert not Company.objects.exists()
    assert not Membership.objects.exists()


def test_company_refuses_an_unsupported_wallet_currency():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.company_create(
            owner=UserFactory(),
            legal_name="Rouble Ltd",
            country="GB",
            wallet_currency="RUB",
            uses_sourcing=True,
            uses_forwarding=False,
        )


def test_database_refuses_a_company_without_services():
    with pytest.raises(IntegrityError):
        CompanyFactory(uses_sourcing=False, uses_forwarding=False)


def test_invitation_is_mailed_on_commit_and_stores_only_a_hash(django_capture_on_commit_callbacks):
    membership = MembershipFactory()

    with django_capture_on_commit_callbacks(execute=True):
        token = services.invitation_create(
            company=membership.company,
            invited_by=membership.user,
            email="New.Person@Example.com",
            role=Role.BUYER,
        )

    invitation = Invitation.objects.get()
    assert invitation.email == "new.person@example.com"
    assert token not in invitation.token_hash
    assert len(mail.outbox) == 1
    assert token in mail.outbox[0].body
    assert mail.outbox[0].to == ["new.person@example.com"]


def test_invitation_accept_creates_the_membership_once():
    membership = MembershipFactory()
    invitee = UserFactory(email="invitee@example.com")
    token = services.invitation_create(
        company=membership.company, invited_by=membership.user, email=invitee.email, role="viewer"
    )

    joined = services.invitation_accept(token=token, user=invitee)

    assert joined.role == Role.VIEWER
    assert joined.company == membership.company
    with pytest.raises(exceptions.InvitationUsed):
        services.invitation_accept(token=token, user=invitee)
    assert Membership.objects.filter(user=invitee).count() == 1


def test_invitation_refusals():
    membership = MembershipFactory()
    invitee = UserFactory(email="invitee@example.com")
    token = services.invitation_create(
        company=membership.company, invited_by=membership.user, email=invitee.email, role="buyer"
    )

    with pytest.raises(exceptions.InvitationWrongUser):
        services.invitation_accept(token=token, user=UserFactory())
    with pytest.raises(exceptions.InvitationInvalid):
        services.invitation_accept(token="not-a-token", user=invitee)

    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(exceptions.InvitationExpired):
        services.invitation_accept(token=token, user=invitee)
    assert not Membership.objects.filter(user=invitee).exists()


def test_revoked_invitation_cannot_be_accepted():
    membership = MembershipFactory()
    token = services.invitation_create(
        company=membership.company, invited_by=membership.user, email="x@example.com", role="buyer"
    )
    services.invitation_revoke(invitation=Invitation.objects.get())

    with pytest.raises(exceptions.InvitationInvalid):
        services.invitation_accept(token=token, user=UserFactory(email="x@example.com"))


def test_cannot_invite_an_existing_member():
    membership = MembershipFactory()
    with pytest.raises(exceptions.AlreadyMember):
        services.invitation_create(
            company=membership.company,
            invited_by=membership.user,
            email=membership.user.email.upper(),
            role="buyer",
        )


def test_last_owner_can_be_neither_demoted_nor_removed():
    owner = MembershipFactory(role=Role.OWNER)

    with pytest.raises(exceptions.LastOwner):
        services.membership_change(membership=owner, role=Role.BUYER, spending_limit=None)
    with pytest.raises(exceptions.LastOwner):
        services.membership_remove(membership=owner)

    second = MembershipFactory(company=owner.company, role=Role.OWNER)
    services.membership_change(membership=owner, role=Role.BUYER, spending_limit=Decimal("500"))
    owner.refresh_from_db()
    assert owner.role == Role.BUYER
    assert owner.spending_limit == Decimal("500.00")
    with pytest.raises(exceptions.LastOwner):
        services.membership_remove(membership=second)


def test_stale_invitations_are_cleaned_up_by_the_task():
    from procurement.accounts.tasks import invitations_expire

    membership = MembershipFactory()
    services.invitation_create(
        company=membership.company,
        invited_by=membership.user,
        email="old@example.com",
        role="buyer",
    )
    Invitation.objects.update(expires_at=timezone.now() - timedelta(days=40))

    assert invitations_expire.delay().get() == 1
    assert not Invitation.objects.exists()
