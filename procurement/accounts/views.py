"""Merchant pages for the company: onboarding, profile, members, invitations, switching."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from procurement.accounts import exceptions, selectors, services
from procurement.accounts.decorators import company_required
from procurement.accounts.forms import (
    FOLLOW_COUNTRY,
    CompanyCreateForm,
    CompanyUpdateForm,
    InvitationForm,
    MembershipForm,
)
from procurement.accounts.middleware import SESSION_KEY
from procurement.accounts.models import Invitation, Membership
from procurement.accounts.roles import Capability
from procurement.core.exceptions import DomainError


@login_required
def company_create(request):
    if request.htmx and request.htmx.target == "wallet-currency-field":
        # The country changed: the currency field again, naming that country's currency.
        form = CompanyCreateForm(
            initial={
                "country": request.GET.get("country", ""),
                "wallet_currency": request.GET.get("wallet_currency") or FOLLOW_COUNTRY,
            }
        )
        return render(request, "accounts/company_create.html#wallet-currency-field", {"form": form})
    form = CompanyCreateForm(request.POST or None, initial={"uses_sourcing": True})
    if request.method == "POST" and form.is_valid():
        company = services.company_create(owner=request.user, **form.cleaned_data)
        request.session[SESSION_KEY] = company.pk
        messages.success(request, _("Welcome! %(company)s is ready.") % {"company": company})
        return redirect("dashboard")
    return render(request, "accounts/company_create.html", {"form": form})


@company_required()
def company_detail(request):
    company = request.company
    form = None
    if request.membership.role == "owner":
        form = CompanyUpdateForm(
            request.POST or None,
            initial={
                "legal_name": company.legal_name,
                "country": company.country.code,
                "time_zone": company.time_zone,
                "uses_sourcing": company.uses_sourcing,
                "uses_forwarding": company.uses_forwarding,
            },
        )
        if request.method == "POST" and form.is_valid():
            services.company_update(company=company, **form.cleaned_data)
            messages.success(request, _("Company profile saved."))
            return redirect("accounts:company")
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "accounts/company_detail.html", {"company": company, "form": form})


@company_required()
def member_list(request):
    company = request.company
    return render(
        request,
        "accounts/member_list.html",
        {
            "members": selectors.company_members(company=company),
            "invitations": selectors.company_open_invitations(company=company),
            "invite_form": InvitationForm(),
        },
    )


@company_required(Capability.MANAGE_MEMBERS)
def member_invite(request):
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                company=request.company,
                invited_by=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except DomainError as error:
            form.add_error("email", error.message)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("accounts:members")
    return render(request, "accounts/member_invite.html", {"form": form}, status=200)


@company_required(Capability.MANAGE_MEMBERS)
@require_POST
def invitation_revoke(request, pk: int):
    invitation = get_object_or_404(Invitation, pk=pk, company=request.company)
    services.invitation_revoke(invitation=invitation)
    messages.success(request, _("Invitation to %(email)s revoked.") % {"email": invitation.email})
    return redirect("accounts:members")


@company_required(Capability.MANAGE_MEMBERS)
def member_edit(request, pk: int):
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, company=request.company
    )
    form = MembershipForm(
        request.POST or None,
        initial={"role": membership.role, "spending_limit": membership.spending_limit},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_change(
                membership=membership,
                role=form.cleaned_data["role"],
                spending_limit=form.cleaned_data["spending_limit"],
            )
        except DomainError as error:
            form.add_error("role", error.message)
        else:
            messages.success(request, _("%(user)s updated.") % {"user": membership.user})
            return redirect("accounts:members")
    return render(request, "accounts/member_edit.html", {"form": form, "member": membership})


@company_required(Capability.MANAGE_MEMBERS)
@require_POST
def member_remove(request, pk: int):
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, company=request.company
    )
    try:
        services.membership_remove(membership=membership)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(user)s removed from the company.") % {"user": membership.user}
        )
    return redirect("accounts:members")


@login_required
@require_POST
def company_switch(request):
    try:
        company_id = int(request.POST.get("company", ""))
    except ValueError:
        raise Http404 from None
    membership = (
        selectors.memberships_for_user(user=request.user).filter(company_id=company_id).first()
    )
    if membership is None:
        raise Http404
    request.session[SESSION_KEY] = membership.company_id
    messages.info(
        request, _("You are now working for %(company)s.") % {"company": membership.company}
    )
    return redirect("dashboard")


def invitation_accept(request, token: str):
    """Shows the invitation; a signed-in invitee accepts it with a POST."""
    user = request.user if request.user.is_authenticated else None
    try:
        invitation = services.invitation_check(token=token, user=user)
    except exceptions.InvitationInvalid as error:
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"reason": error.message},
            status=410
            if isinstance(error, exceptions.InvitationExpired | exceptions.InvitationUsed)
            else 404
            if type(error) is exceptions.InvitationInvalid
            else 403,
        )
    if request.method == "POST" and user is not None:
        try:
            membership = services.invitation_accept(token=token, user=user)
        except DomainError as error:
            return render(
                request, "accounts/invitation_invalid.html", {"reason": error.message}, status=409
            )
        request.session[SESSION_KEY] = membership.company_id
        messages.success(
            request, _("You have joined %(company)s.") % {"company": membership.company}
        )
        return redirect("dashboard")
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})
