"""The dashboard's first steps: what a new company still has to do, read from its data.

Nothing is stored: a step is done when the data shows it (a top-up that succeeded, an
address in the book, an order, a second member or an invitation). All four are read in one
query, annotations on the company row (`onboarding_facts`), which the dashboard adds to the
query of its own panels' numbers; the checklist goes away once every step the person may take
is done.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, Expression, OuterRef, Subquery
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from logistics.models import Address
from orders.models import Order
from payments.models import TopUp
from procurement.accounts.models import Company, Invitation, Membership
from procurement.accounts.roles import Capability, role_can


@dataclass(frozen=True)
class Step:
    key: str
    title: Promise
    hint: Promise
    url: str
    done: bool


def onboarding_facts() -> dict[str, Expression]:
    """What the steps are read from, as annotations of a company queryset (`Company.objects`
    filtered to the one company)."""
    return {
        "onboarding_topped_up": Exists(
            TopUp.objects.filter(company=OuterRef("pk"), status=TopUp.Status.SUCCEEDED)
        ),
        "onboarding_has_address": Exists(
            Address.objects.filter(company=OuterRef("pk"), is_archived=False)
        ),
        "onboarding_ordered": Exists(Order.objects.filter(company=OuterRef("pk"))),
        "onboarding_invited": Exists(Invitation.objects.filter(company=OuterRef("pk"))),
        "onboarding_members": Subquery(
            Membership.objects.filter(company=OuterRef("pk"))
            .order_by()
            .values("company")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
    }


def onboarding_steps(*, company: Company, role: str, facts: dict | None = None) -> list[Step]:
    """The steps this role can take, in the order a new merchant needs them. `facts` is the
    company's row as read with `onboarding_facts()` among its annotations; without it, the
    row is read here."""
    if facts is None:
        annotations = onboarding_facts()
        facts = (
            Company.objects.filter(pk=company.pk).annotate(**annotations).values(*annotations).get()
        )
    found = {
        key.removeprefix("onboarding_"): value
        for key, value in facts.items()
        if key.startswith("onboarding_")
    }
    found["has_colleague"] = found["invited"] or (found["members"] or 0) > 1
    steps = []
    if role_can(role, Capability.TOP_UP):
        steps.append(
            Step(
                key="top-up",
                title=_("Top up your wallet"),
                hint=_("Orders are paid from the wallet, in your currency."),
                url=reverse("payments:wallet"),
                done=found["topped_up"],
            )
        )
    if role_can(role, Capability.BUY):
        steps.append(
            Step(
                key="address",
                title=_("Add a delivery address"),
                hint=_("Where we ship your goods: your forwarder, a warehouse or a customer."),
                url=reverse("logistics:address-create"),
                done=found["has_address"],
            )
        )
        if company.uses_sourcing:
            steps.append(
                Step(
                    key="order",
                    title=_("Place your first order"),
                    hint=_("Browse the catalog, or send us a link to source a product."),
                    url=reverse("catalog:index"),
                    done=found["ordered"],
                )
            )
    if role_can(role, Capability.MANAGE_MEMBERS):
        steps.append(
            Step(
                key="invite",
                title=_("Invite a colleague"),
                hint=_("Buyers, approvers and finance each see what their role needs."),
                url=reverse("accounts:member-invite"),
                done=found["has_colleague"],
            )
        )
    return steps
