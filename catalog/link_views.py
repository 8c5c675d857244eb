"""Product links pasted into the catalog.

- `respond_to_link(request)`: the search view asks it first. A query that is a product link or
  share text opens the product when it is already imported, and otherwise answers with a page
  offering a sourcing request with the link kept (and, for staff who may import offers, an
  "import this offer" button). Any other query gets None and is searched as words.
- `offer_import_view`: staff paste a 1688 link and import the offer through the open-platform
  client (`catalog.services.offer_import_from_platform`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from catalog import services
from catalog.exceptions import UnsupportedLink
from catalog.links import ParsedLink, imported_product, looks_like_link, parse_product_link
from catalog.models import CATEGORY_MAX_DEPTH, Category, Product
from payments.finance_access import has_totp
from procurement.core.exceptions import DomainError

IMPORT_PERMISSION = "catalog.import_offer"
TEMPLATE = "catalog/link_result.html"
# The sourcing request form (orders); it reads the pasted link from `?links=`.
SOURCING_URL_NAMES = ("orders:sourcing-create", "orders:sourcing-request-create")


def _sourcing_url(link_url: str) -> str | None:
    for name in SOURCING_URL_NAMES:
        try:
            return f"{reverse(name)}?{urlencode({'links': link_url})}"
        except NoReverseMatch:
            continue
    return None


def may_import(user) -> bool:
    return bool(user.is_authenticated and user.is_staff and user.has_perm(IMPORT_PERMISSION))


class OfferImportForm(forms.Form):
    url = forms.CharField(label=gettext_lazy("1688 link"), max_length=2000)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category for a new product"),
        queryset=Category.objects.filter(depth=CATEGORY_MAX_DEPTH).order_by("name_en"),
        required=False,
    )

    def clean_url(self) -> ParsedLink:
        try:
            link = parse_product_link(self.cleaned_data["url"])
        except UnsupportedLink as error:
            raise forms.ValidationError(str(error.message)) from error
        if link.source != Product.Source.ALIBABA_1688:
            raise forms.ValidationError(_("Only 1688 offers can be imported."))
        return link


def _link_context(request, query: str) -> dict:
    link, error = None, ""
    try:
        link = parse_product_link(query)
    except UnsupportedLink as refused:
        error = str(refused.message)
    staff_product = None
    if link is not None and may_import(request.user):
        staff_product = imported_product(link, visible_only=False)
    return {
        "query": query,
        "link": link,
        "error": error,
        "sourcing_url": _sourcing_url(link.canonical_url if link else query),
        "may_import": may_import(request.user) and bool(link) and link.source == "1688",
        "staff_product": staff_product,
        "import_form": OfferImportForm(initial={"url": link.canonical_url}) if link else None,
        "crumbs": [(_("Catalog"), reverse("catalog:index")), (_("Pasted link"), "")],
    }


def respond_to_link(request) -> HttpResponse | None:
    """The search view's answer to a pasted link, or None for a query of words."""
    query = request.GET.get("q", "")
    if not looks_like_link(query):
        return None
    context = _link_context(request, query)
    link = context["link"]
    product = imported_product(link) if link else None
    if product is not None:
        url = reverse("catalog:product", args=[product.pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = TEMPLATE + "#product-results" if request.htmx else TEMPLATE
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def offer_import_view(request):
    """Staff: paste a 1688 link, import the offer (GET shows the form, POST imports)."""
    if not may_import(request.user):
        raise PermissionDenied
    if not has_totp(request.user):
        return redirect("mfa_activate_totp")
    form = OfferImportForm(request.POST or None, initial={"url": request.GET.get("url", "")})
    if request.method == "POST" and form.is_valid():
        link = form.cleaned_data["url"]
        try:
            product, created = services.offer_import_from_platform(
                offer_id=link.external_id,
                category=form.cleaned_data["category"],
                actor=request.user,
                language="en",
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Offer %(id)s imported.") % {"id": link.external_id}
                if created
                else _("Offer %(id)s updated.") % {"id": link.external_id},
            )
            return redirect("admin:catalog_product_change", product.pk)
    return render(
        request,
        "catalog/offer_import.html",
        {
            "form": form,
            "crumbs": [(_("Catalog"), reverse("catalog:index")), (_("Import a 1688 offer"), "")],
        },
        status=400 if request.method == "POST" else 200,
    )
