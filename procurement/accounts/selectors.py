"""Reads for companies and members, with their relations fetched."""

from django.db.models import QuerySet

from procurement.accounts.models import Company, Invitation, Membership, User


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("company")
        .order_by("company__legal_name", "pk")
    )


def membership_for(*, user: User, company_id: int | None) -> Membership | None:
    qs = memberships_for_user(user=user)
    if company_id is not None:
        found = qs.filter(company_id=company_id).first()
        if found is not None:
            return found
    return qs.first()


def company_members(*, company: Company) -> QuerySet[Membership]:
    return company.memberships.select_related("user").order_by("role", "user__email")


def company_open_invitations(*, company: Company) -> QuerySet[Invitation]:
    from django.utils import timezone

    return company.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")
