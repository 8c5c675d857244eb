"""Merchant pages for customs: the company's customs numbers, the declaration of a parcel
(its lines and currency) and the parcel's PDFs. Everything is scoped to request.company (404
for others)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from logistics import services
from logistics.exceptions import DeclarationRefused
from logistics.forms import (
    CustomsProfileForm,
    DeclarationCurrencyForm,
    MerchantDeclarationFormSet,
)
from logistics.models import CustomsProfile, DeclarationLine, Parcel, ParcelDocument
from logistics.views import _crumbs, _parcel_or_404, _validation_messages, parcel_page
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability
from procurement.core.exceptions import DomainError


@company_required(Capability.EDIT_COMPANY)
def customs_profile(request):
    company = request.company
    profile = CustomsProfile.objects.filter(company=company).first()
    form = CustomsProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.customs_profile_save(company=company, **form.cleaned_data)
        except ValidationError as error:
            for field, texts in _validation_messages(error).items():
                for text in texts:
                    form.add_error(field if field in form.fields else None, text)
        else:
            messages.success(request, _("Customs details saved."))
            return redirect("logistics:customs-profile")
    return render(
        request,
        "logistics/customs_profile.html",
        {"form": form, "crumbs": _crumbs((_("Customs details"), None))},
    )


@company_required(Capability.BUY)
@require_POST
def parcel_declaration_currency(request, pk: int):
    parcel = get_object_or_404(Parcel, pk=pk, company=request.company)
    form = DeclarationCurrencyForm(request.POST, currencies=services.declaration_currencies(parcel))
    if form.is_valid():
        try:
            services.declaration_currency_set(
                parcel=parcel, actor=request.user, currency=form.cleaned_data["currency"]
            )
        except (DomainError, ValidationError) as error:
            messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The declaration is now in %(c)s.") % {"c": form.cleaned_data["currency"]},
            )
    return redirect("logistics:parcel-detail", pk=parcel.pk)


@company_required(Capability.BUY)
@require_POST
def parcel_declaration_edit(request, pk: int):
    """The merchant's corrections to its parcel's declaration, saved together or not at all;
    refused ones come back on the parcel's page with each fault on its field."""
    parcel = _parcel_or_404(request, pk)
    if not services.declaration_open(parcel):
        messages.error(request, _("The declaration of a packed parcel cannot change."))
        return redirect(reverse("logistics:parcel-detail", args=[parcel.pk]) + "#declaration")
    forms = MerchantDeclarationFormSet(
        request.POST,
        queryset=DeclarationLine.objects.filter(parcel=parcel).order_by("position"),
        prefix="line",
    )
    if forms.is_valid():
        changes = {
            form.instance.pk: {name: form.cleaned_data[name] for name in form._meta.fields}
            for form in forms.forms
            if form.instance.pk and form.has_changed()
        }
        try:
            if changes:
                services.declaration_lines_update(
                    parcel=parcel, actor=request.user, changes=changes
                )
        except DeclarationRefused as refused:
            for form in forms.forms:
                for field, texts in refused.errors.get(form.instance.pk, {}).items():
                    form.add_error(field if field in form.fields else None, texts)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(reverse("logistics:parcel-detail", args=[parcel.pk]) + "#declaration")
        else:
            messages.success(
                request,
                _("Declaration saved.") if changes else _("Nothing in the declaration changed."),
            )
            return redirect(reverse("logistics:parcel-detail", args=[parcel.pk]) + "#declaration")
    return parcel_page(request, parcel, declaration_forms=forms)


@company_required()
def parcel_document(request, pk: int, kind: str):
    """The PDF, built on request and kept: served when current, else queued and the merchant
    is told it is being prepared."""
    parcel = get_object_or_404(Parcel, pk=pk, company=request.company)
    if kind not in ParcelDocument.Kind.values:
        raise Http404
    try:
        document = services.parcel_document_request(
            parcel=parcel, kind=kind, language=get_language() or "en"
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("logistics:parcel-detail", pk=parcel.pk)
    document.refresh_from_db()
    document.parcel = parcel
    parcel.refresh_from_db(fields=["documents_version"])
    if document.is_current:
        return FileResponse(
            document.file.open("rb"),
            content_type="application/pdf",
            as_attachment=False,
            filename=document.file.name.rsplit("/", 1)[-1],
        )
    if document.status == ParcelDocument.Status.FAILED:
        # The reason is for staff (the parcel's page in the admin shows it).
        messages.error(
            request,
            _("The %(document)s could not be prepared; our team has been told.")
            % {"document": document.get_kind_display().lower()},
        )
    else:
        messages.info(
            request,
            _("The %(document)s is being prepared. Open it again in a moment.")
            % {"document": document.get_kind_display().lower()},
        )
    return redirect(reverse("logistics:parcel-detail", args=[parcel.pk]) + "#documents")
