"""Site pages that compose the apps: the public home page and the merchant dashboard."""

from decimal import Decimal

from django.db.models import Count, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from logistics.models import Parcel, StockItem
from orders import selectors as order_selectors
from orders.models import Order
from payments import selectors as payment_selectors
from procurement.accounts import selectors as account_selectors
from procurement.accounts.decorators import company_required
from procurement.accounts.models import Company, Membership
from procurement.accounts.roles import Capability, role_can
from procurement.onboarding import onboarding_facts, onboarding_steps


def fee_rows(schedule) -> list[dict]:
    """The schedule's tiers as rows (from, up to, percent), for the public fee table."""
    if schedule is None:
        return []
    tiers = sorted(schedule.tiers.all(), key=lambda tier: tier.volume_from_usd)
    rows = []
    for index, tier in enumerate(tiers):
        upper = tiers[index + 1].volume_from_usd if index + 1 < len(tiers) else None
        rows.append(
            {"from": tier.volume_from_usd, "to": upper, "percent": Decimal(tier.rate_bps) / 100}
        )
    return rows


def home(request):
    schedule = payment_selectors.fee_schedule_in_force()
    rows = fee_rows(schedule)
    return render(
        request,
        "procurement/home.html",
        {
            "fee_rows": rows,
            "lowest_fee_percent": min((row["percent"] for row in rows), default=None),
            "minimum_fee_usd": schedule.minimum_fee_usd if schedule else None,
        },
    )


DASHBOARD_RECENT_ORDERS = 5
# The members panel names the first few; the rest are a number and a link.
DASHBOARD_MEMBERS_SHOWN = 5


@company_required()
def dashboard(request):
    """The merchant's home: company, members, and a panel per service the role may see."""
    company = request.company
    role = request.membership.role
    context = {
        "company": company,
        "members": account_selectors.company_members(company=company)[:DASHBOARD_MEMBERS_SHOWN],
    }
    if role_can(role, Capability.VIEW_WALLET):
        context["wallet_balances"] = payment_selectors.wallet_accounts(company=company)
        context["show_wallet"] = True
    counted = {
        "member_count": Membership.objects.filter(company=company),
        "stock_in_warehouse": StockItem.objects.filter(
            company=company, status=StockItem.Status.IN_STOCK
        ),
        "parcels_open": Parcel.objects.filter(company=company).exclude(
            status__in=[Parcel.Status.DELIVERED, Parcel.Status.CANCELLED]
        ),
    }
    if company.uses_sourcing:
        context["recent_orders"] = order_selectors.orders_of(company=company).order_by(
            "-created_at", "-pk"
        )[:DASHBOARD_RECENT_ORDERS]
        if role_can(role, Capability.APPROVE):
            counted["approvals_waiting"] = order_selectors.orders_of(company=company).filter(
                status=Order.Status.PENDING_APPROVAL
            )
    row = _company_row(company, counted, onboarding_facts())
    context.update({name: row[name] for name in counted})
    context["members_more"] = max(0, context["member_count"] - DASHBOARD_MEMBERS_SHOWN)
    steps = onboarding_steps(company=company, role=role, facts=row)
    if steps and not all(step.done for step in steps):
        context["first_steps"] = steps
        context["first_steps_done"] = sum(step.done for step in steps)
    return render(request, "procurement/dashboard.html", context)


def _company_row(company, counted: dict, facts: dict) -> dict:
    """The company's row with how many rows each of `counted` holds and the `facts`
    annotations, in one query: the panels' numbers were one COUNT each (the parcels' over a
    join grouped by parcel, for an item count nobody reads here), and the first steps another
    query."""
    annotations = {
        name: Coalesce(
            Subquery(rows.order_by().values("company").annotate(n=Count("pk")).values("n")[:1]),
            0,
        )
        for name, rows in counted.items()
    }
    annotations.update(facts)
    return Company.objects.filter(pk=company.pk).annotate(**annotations).values(*annotations).get()


def accessibility(request):
    return render(request, "procurement/accessibility.html")


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No RequestContext: the context processors query the database, which may be what failed.
    return HttpResponseServerError(loader.render_to_string("500.html"))
