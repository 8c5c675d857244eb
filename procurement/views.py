"""Site pages that compose the apps: the public home page and the merchant dashboard."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from procurement.accounts import selectors as account_selectors
from procurement.accounts.decorators import company_required


def home(request):
    return render(request, "procurement/home.html")


@company_required()
def dashboard(request):
    company = request.company
    members = account_selectors.company_members(company=company)
    return render(
        request,
        "procurement/dashboard.html",
        {"company": company, "members": members},
    )


def accessibility(request):
    return render(request, "procurement/accessibility.html")


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No RequestContext: the context processors query the database, which may be what failed.
    return HttpResponseServerError(loader.render_to_string("500.html"))


def healthz(request):
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
