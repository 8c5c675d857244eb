"""API keys issued through the real service, and the headers that carry them."""

from procurement.accounts import integrations
from procurement.accounts.models import Membership, Role
from procurement.core.models import ApiScope

ALL_SCOPES = list(ApiScope.values)


def api_token(company, *, scopes=None, owner=None) -> str:
    """A fresh key's token for `company`, issued by an owner (one is made if not given)."""
    if owner is None:
        membership = Membership.objects.filter(company=company, role=Role.OWNER).first()
        if membership is None:
            from tests.accounts.factories import MembershipFactory

            membership = MembershipFactory(company=company, role=Role.OWNER)
        owner = membership.user
    issued = integrations.api_key_create(
        company=company, actor=owner, name="ERP", scopes=scopes or ALL_SCOPES
    )
    return issued.token


def bearer(token: str, **extra) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", **extra}
