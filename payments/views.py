"""Merchant wallet pages, the sandbox gateway's hosted page and the gateway webhook."""

import csv
import logging
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import exceptions, selectors, services
from payments.adapters import gateway_names
from payments.adapters import sandbox as sandbox_gateway
from payments.forms import SandboxActionForm, StatementFilterForm, TopUpForm
from payments.models import TopUp
from payments.money import minor_unit, quantize
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability, role_can
from procurement.core import references
from procurement.core.exceptions import DomainError

logger = logging.getLogger(__name__)

STATEMENT_PAGE_SIZE = 50


def sandbox_enabled() -> bool:
    """The sandbox gateway (its page and its webhook) exists only where it is the gateway in use,
    unless PAYMENTS_SANDBOX_ENABLED says otherwise: its development secret is public."""
    default = getattr(settings, "PAYMENTS_GATEWAY", "sandbox") == "sandbox"
    return bool(getattr(settings, "PAYMENTS_SANDBOX_ENABLED", default))


def _wallet_crumbs(*extra):
    return [
        (_("Dashboard"), reverse("dashboard")),
        (_("Wallet"), reverse("payments:wallet")),
        *extra,
    ]


def _wallet_context(request, form=None):
    company = request.company
    balances = {company.wallet_currency: quantize(Decimal(0), company.wallet_currency)}
    balances.update((a.currency, a.balance) for a in selectors.wallet_accounts(company=company))
    can_top_up = role_can(request.membership.role, Capability.TOP_UP)
    if can_top_up and form is None:
        form = TopUpForm(currency=company.wallet_currency)
    return {
        "crumbs": [(_("Dashboard"), reverse("dashboard")), (_("Wallet"), "")],
        "balances": sorted(balances.items(), key=lambda item: item[0] != company.wallet_currency),
        "top_ups": selectors.company_top_ups(company=company)[:10],
        "recent": selectors.wallet_statement(company=company)[:5],
        "fee": selectors.fee_quote(company=company, amount_usd=0),
        "can_top_up": can_top_up,
        "form": form if can_top_up else None,
        "limits": services.top_up_limits(company.wallet_currency),
    }


@company_required(Capability.VIEW_WALLET)
def wallet(request):
    return render(request, "payments/wallet.html", _wallet_context(request))


RETURN_SESSION_KEY = "top_up_return:%s"


def _safe_next(request, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def _prefill_amount(raw: str | None, currency: str) -> Decimal | None:
    """The amount asked for (an order's shortfall), rounded up to the currency's minor unit and
    raised to the smallest top-up allowed."""
    try:
        amount = Decimal(raw or "")
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0:
        return None
    low, high = services.top_up_limits(currency)
    exponent = Decimal(1).scaleb(-minor_unit(currency))
    return min(max(amount.quantize(exponent, rounding=ROUND_CEILING), low), high)


@company_required(Capability.TOP_UP)
def top_up_create(request):
    """GET: the top-up form, prefilled with `?amount=` (an order's shortfall) and returning to
    `?next=` once paid. POST: open the top-up and go to the gateway's page."""
    company = request.company
    currency = company.wallet_currency
    if request.method != "POST":
        form = TopUpForm(
            currency=currency,
            initial={
                "amount": _prefill_amount(request.GET.get("amount"), currency),
                "next": _safe_next(request, request.GET.get("next")),
            },
        )
        return render(request, "payments/wallet.html", _wallet_context(request, form))
    form = TopUpForm(request.POST, currency=currency)
    if form.is_valid():
        try:
            top_up = services.top_up_create(
                company=company, amount=form.cleaned_data["amount"], actor=request.user
            )
        except DomainError as error:
            form.add_error("amount", str(error.message))
        else:
            back = _safe_next(request, form.cleaned_data.get("next"))
            if back:
                request.session[RETURN_SESSION_KEY % top_up.pk] = back
            return redirect(top_up.redirect_url)
    return render(request, "payments/wallet.html", _wallet_context(request, form), status=400)


@company_required(Capability.VIEW_WALLET)
def top_up_detail(request, pk: int):
    top_up = selectors.top_up_with_events(company=request.company, pk=pk)
    if top_up is None:
        raise Http404
    back = request.session.get(RETURN_SESSION_KEY % top_up.pk, "")
    if back and top_up.status == TopUp.Status.SUCCEEDED:
        del request.session[RETURN_SESSION_KEY % top_up.pk]
        messages.success(request, _("Your wallet has been topped up. You can pay now."))
        return redirect(back)
    return render(
        request,
        "payments/top_up_detail.html",
        {
            "top_up": top_up,
            "crumbs": _wallet_crumbs((_("Top-up #%(pk)s") % {"pk": top_up.pk}, "")),
            "back": back,
            "can_continue": top_up.status == TopUp.Status.PENDING
            and bool(top_up.redirect_url)
            and role_can(request.membership.role, Capability.TOP_UP),
        },
    )


@company_required(Capability.VIEW_WALLET)
def statement(request):
    form = StatementFilterForm(request.GET or None)
    postings = selectors.wallet_statement(company=request.company, **form.filters())
    page = Paginator(postings, STATEMENT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "payments/statement.html"
    if request.htmx:
        template += "#statement-results"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "crumbs": _wallet_crumbs((_("Statement"), "")),
        },
    )


class _Echo:
    def write(self, value):
        return value


@company_required(Capability.VIEW_WALLET)
def statement_csv(request):
    form = StatementFilterForm(request.GET or None)
    postings = selectors.wallet_statement(company=request.company, **form.filters())
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(
            [
                _("Date"),
                _("Type"),
                _("Reference"),
                _("Description"),
                _("Amount"),
                _("Currency"),
                _("Balance after"),
                _("Transaction"),
            ]
        )
        stream = references.resolve_stream(
            postings.iterator(chunk_size=1000),
            lambda posting: posting.transaction.reference,
            references.viewer_for(request),
        )
        for posting, name in stream:
            tx = posting.transaction
            yield writer.writerow(
                [
                    timezone.localtime(tx.created_at).isoformat(timespec="seconds"),
                    tx.get_kind_display(),
                    _csv_safe(name.label),
                    _csv_safe(tx.memo),
                    quantize(posting.amount, posting.currency),
                    posting.currency,
                    quantize(posting.balance_after, posting.currency),
                    tx.pk,
                ]
            )

    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="wallet-statement-{stamp}.csv"'
    return response


def _csv_safe(text: str) -> str:
    """Keep spreadsheet programs from running a memo as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def sandbox_page(request, payment_id: str):
    """The sandbox gateway's hosted payment page: Pay, Cancel or Fail, then back to the shop."""
    if not sandbox_enabled():
        raise Http404
    top_up = get_object_or_404(
        TopUp.objects.select_related("company"), gateway="sandbox", provider_reference=payment_id
    )
    form = SandboxActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        event_type = {
            "pay": "payment.succeeded",
            "cancel": "payment.canceled",
            "fail": "payment.failed",
        }[form.cleaned_data["action"]]
        body = sandbox_gateway.event_body(
            event_type=event_type,
            payment_id=payment_id,
            merchant_reference=top_up.reference,
            amount=top_up.amount,
            currency=top_up.currency,
        )
        # Delivered through the same verifying entry point as an HTTP webhook.
        services.gateway_webhook_handle(
            provider="sandbox",
            headers={sandbox_gateway.SIGNATURE_HEADER: sandbox_gateway.sign(body)},
            body=body,
            path=reverse("payments:webhook", args=["sandbox"]),
        )
        return redirect("payments:top-up-detail", pk=top_up.pk)
    return render(request, "payments/sandbox_page.html", {"top_up": top_up, "form": form})


@csrf_exempt
@require_POST
def webhook(request, provider: str):
    """A provider's signed notification. 400 when not authentic; 200 once recorded (replays too),
    so the provider stops retrying."""
    if provider not in gateway_names() or (provider == "sandbox" and not sandbox_enabled()):
        raise Http404
    try:
        event = services.gateway_webhook_handle(
            provider=provider, headers=request.headers, body=request.body, path=request.path
        )
    except exceptions.WebhookRejected as error:
        logger.warning("rejected %s webhook: %s", provider, error)
        return JsonResponse({"error": str(error.message)}, status=400)
    return JsonResponse({"received": True, "event": event.event_id, "outcome": event.outcome})
