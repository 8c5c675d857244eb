"""Every write to companies, memberships and invitations."""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from procurement.accounts import exceptions
from procurement.accounts.models import Company, Invitation, Membership, Role, User
from procurement.accounts.time_zones import zone_for_country
from procurement.core.models import hash_token


@transaction.atomic
def company_create(
    *,
    owner: User,
    legal_name: str,
    country: str,
    wallet_currency: str,
    uses_sourcing: bool,
    uses_forwarding: bool,
) -> Company:
    company = Company(
        legal_name=legal_name.strip(),
        country=country,
        wallet_currency=wallet_currency,
        uses_sourcing=uses_sourcing,
        uses_forwarding=uses_forwarding,
        time_zone=zone_for_country(country),
    )
    company.full_clean()
    company.save()
    Membership.objects.create(user=owner, company=company, role=Role.OWNER)
    return company


@transaction.atomic
def company_update(
    *,
    company: Company,
    legal_name: str,
    country: str,
    uses_sourcing: bool,
    uses_forwarding: bool,
    time_zone: str | None = None,
) -> Company:
    company = Company.objects.select_for_update().get(pk=company.pk)
    company.legal_name = legal_name.strip()
    company.country = country
    company.uses_sourcing = uses_sourcing
    company.uses_forwarding = uses_forwarding
    if time_zone:
        company.time_zone = time_zone
    company.full_clean()
    company.save(
        update_fields=[
            "legal_name",
            "country",
            "uses_sourcing",
            "uses_forwarding",
            "time_zone",
            "updated_at",
        ]
    )
    return company


def _send_invitation_mail(invitation_id: int, token: str) -> None:
    invitation = Invitation.objects.select_related("company", "invited_by").get(pk=invitation_id)
    url = settings.SITE_URL.rstrip("/") + reverse("accounts:invitation-accept", args=[token])
    context = {"invitation": invitation, "url": url}
    send_mail(
        subject=_("You are invited to join %(company)s") % {"company": invitation.company},
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_create(*, company: Company, invited_by: User, email: str, role: str) -> str:
    """Create an invitation and mail its link on commit. Returns the raw token (shown once).

    The mail is sent in-process right after commit, not through the task outbox
    (`procurement.core.outbox`), on purpose: the link carries the raw token, which exists
    only here; the database keeps its hash alone, so a copy of the database or of a backup does
    not open invitations. An outbox row would have to hold the token in clear until it is sent
    and then for the retention period, readable in the admin. The send does not use the Celery
    broker, so a Redis outage does not touch it. The trade: if the mail server fails at that
    moment the mail is lost (the error is logged and, the send being "robust", the request still
    succeeds); the invitation stays open on the company's member page, and an owner can revoke
    it and invite again.
    """
    email = email.strip().lower()
    if Membership.objects.filter(company=company, user__email__iexact=email).exists():
        raise exceptions.AlreadyMember
    if role not in Role.values:
        raise exceptions.AccountsError(_("Choose a valid role."))
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        company=company,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    transaction.on_commit(lambda: _send_invitation_mail(invitation.pk, token), robust=True)
    return token


def invitation_check(*, token: str, user: User | None = None) -> Invitation:
    """The invitation behind a token, or the reason it cannot be accepted."""
    invitation = (
        Invitation.objects.select_related("company").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise exceptions.InvitationInvalid
    if invitation.accepted_at is not None:
        raise exceptions.InvitationUsed
    if invitation.is_expired:
        raise exceptions.InvitationExpired
    if user is not None and user.email.lower() != invitation.email.lower():
        raise exceptions.InvitationWrongUser
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    found = invitation_check(token=token, user=user)
    invitation = Invitation.objects.select_for_update().get(pk=found.pk)
    # Checked again under the lock: two tabs accepting at once create one membership.
    invitation_check(token=token, user=user)
    if Membership.objects.filter(company_id=invitation.company_id, user=user).exists():
        raise exceptions.AlreadyMember
    membership = Membership.objects.create(
        user=user, company_id=invitation.company_id, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> None:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])


def _lock_owners(company_id: int) -> list[Membership]:
    return list(
        Membership.objects.select_for_update()
        .filter(company_id=company_id, role=Role.OWNER)
        .order_by("pk")
    )


@transaction.atomic
def membership_change(
    *, membership: Membership, role: str, spending_limit: Decimal | None
) -> Membership:
    if role not in Role.values:
        raise exceptions.AccountsError(_("Choose a valid role."))
    owners = _lock_owners(membership.company_id)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.OWNER and role != Role.OWNER and len(owners) <= 1:
        raise exceptions.LastOwner
    membership.role = role
    membership.spending_limit = spending_limit
    membership.full_clean(exclude=["user", "company"])
    membership.save(update_fields=["role", "spending_limit", "updated_at"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    owners = _lock_owners(membership.company_id)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.OWNER and len(owners) <= 1:
        raise exceptions.LastOwner
    membership.delete()


def invitations_expire_stale(*, older_than_days: int = 30) -> int:
    """Delete invitations that expired long ago and were never used; returns how many."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _detail = Invitation.objects.filter(
        accepted_at__isnull=True, expires_at__lt=cutoff
    ).delete()
    return deleted
