"""Demo people and companies for development. Credentials here are for development only."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.db import transaction

from procurement.accounts import staff_groups
from procurement.accounts.models import Company, Membership, Role, User

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - development-only, documented in the README
# Base32 TOTP secret shared by the demo staff; `manage.py demo_totp` prints the current code.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105

STAFF = [
    ("admin@example.com", "Ada Admin", None, True),
    ("manager@example.com", "Ming Manager", staff_groups.ACCOUNT_MANAGERS, False),
    ("finance@example.com", "Fay Finance", staff_groups.FINANCE, False),
    ("warehouse@example.com", "Wang Warehouse", staff_groups.WAREHOUSE, False),
]

COMPANIES = [
    {
        "legal_name": "Acme Trading LLC",
        "country": "US",
        "wallet_currency": "USD",
        "uses_sourcing": True,
        "uses_forwarding": True,
        "members": [
            ("owner@acme.example", "Olivia Owner", Role.OWNER, None),
            ("buyer@acme.example", "Ben Buyer", Role.BUYER, "5000.00"),
            ("approver@acme.example", "Alice Approver", Role.APPROVER, None),
            ("finance@acme.example", "Fiona Finance", Role.FINANCE, None),
            ("viewer@acme.example", "Victor Viewer", Role.VIEWER, None),
        ],
    },
    {
        "legal_name": "Nordhaus Einrichtung GmbH",
        "country": "DE",
        "wallet_currency": "EUR",
        "uses_sourcing": True,
        "uses_forwarding": False,
        "members": [
            ("owner@nordhaus.example", "Nora Owner", Role.OWNER, None),
            ("buyer@nordhaus.example", "Bastian Buyer", Role.BUYER, "2000.00"),
        ],
    },
]


def _user(email: str, full_name: str, *, staff: bool = False, superuser: bool = False) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "full_name": full_name,
            "is_staff": staff or superuser,
            "is_superuser": superuser,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    if staff and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Create the demo set; running it again changes nothing. Returns what was created."""
    before = {
        "users": User.objects.count(),
        "companies": Company.objects.count(),
        "memberships": Membership.objects.count(),
    }
    admin_user = None
    for email, name, group_name, superuser in STAFF:
        user = _user(email, name, staff=True, superuser=superuser)
        if superuser:
            admin_user = user
        if group_name:
            user.groups.add(Group.objects.get(name=group_name))
    manager = User.objects.get(email="manager@example.com")
    for spec in COMPANIES:
        company, _created = Company.objects.get_or_create(
            legal_name=spec["legal_name"],
            defaults={
                "country": spec["country"],
                "wallet_currency": spec["wallet_currency"],
                "uses_sourcing": spec["uses_sourcing"],
                "uses_forwarding": spec["uses_forwarding"],
                "account_manager": manager,
            },
        )
        for email, name, role, limit in spec["members"]:
            user = _user(email, name)
            Membership.objects.get_or_create(
                user=user, company=company, defaults={"role": role, "spending_limit": limit}
            )
    assert admin_user is not None  # noqa: S101
    return {
        "users": User.objects.count() - before["users"],
        "companies": Company.objects.count() - before["companies"],
        "memberships": Membership.objects.count() - before["memberships"],
    }
