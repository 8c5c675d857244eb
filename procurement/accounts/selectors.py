"""Reads for companies and members, with their relations fetched."""

from django.db.models import QuerySet

from procurement.accounts.models import Company, Invitation, Membership, User


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("company")
        .order_by("company__legal_name", "pk")
    )


def memberships_with_companies(*, user: User) -> list[Membership]:
    """All of `memberships_for_user`, each with its company: the current-company middleware
    picks the current one from them and the navbar's company switcher lists them."""
    return list(memberships_for_user(user=user))


def user_with_memberships(*, user_id) -> tuple[User | None, list[Membership]]:
    """The user with that id (None if there is none) and their `memberships_with_companies`:
    what every signed-in request reads first (see accounts.backends).

    One query for a user with a membership (every merchant): the memberships with their
    user and company; a second, for the user alone, only when there is none.
    """
    memberships = list(
        Membership.objects.filter(user_id=user_id)
        .select_related("user", "company")
        .order_by("company__legal_name", "pk")
    )
    if not memberships:
        return User.objects.filter(pk=user_id).first(), []
    user = memberships[0].user
    for membership in memberships:
        membership.user = user  # one instance of the signed-in user
    return user, memberships


def company_members(*, company: Company) -> QuerySet[Membership]:
    return company.memberships.select_related("user").order_by("role", "user__email")


def company_open_invitations(*, company: Company) -> QuerySet[Invitation]:
    from django.utils import timezone

    return company.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")
