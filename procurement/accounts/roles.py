"""What each company role may do. One table, read by views, templates and later apps."""

from enum import StrEnum

from procurement.accounts.models import Role


class Capability(StrEnum):
    VIEW = "view"
    MANAGE_MEMBERS = "manage_members"
    EDIT_COMPANY = "edit_company"
    BUY = "buy"
    APPROVE = "approve"
    VIEW_FINANCE = "view_finance"
    VIEW_WALLET = "view_wallet"
    TOP_UP = "top_up"


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: frozenset(Capability),
    Role.BUYER: frozenset(
        {
            Capability.VIEW,
            Capability.BUY,
            Capability.VIEW_FINANCE,
            Capability.TOP_UP,
            Capability.VIEW_WALLET,
        }
    ),
    Role.APPROVER: frozenset({Capability.VIEW, Capability.APPROVE}),
    Role.FINANCE: frozenset(
        {Capability.VIEW, Capability.VIEW_FINANCE, Capability.TOP_UP, Capability.VIEW_WALLET}
    ),
    # Viewers see the wallet and its statement read-only; they cannot top up.
    Role.VIEWER: frozenset({Capability.VIEW, Capability.VIEW_WALLET}),
}


def role_can(role: str, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())
