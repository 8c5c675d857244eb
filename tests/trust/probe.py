"""Walking the URL configuration, filling URL kwargs with the victim's objects, and sorting
responses into outcome classes."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver

# Outcome classes.
OK = "ok"  # 2xx, or a redirect that is not to a sign-in or set-up page
LOGIN = "login"  # redirect to the merchant or admin sign-in page
NO_COMPANY = "no_company"  # redirect to "create your company" (signed in, member of none)
MFA = "mfa"  # redirect to "set up two-factor authentication"
FORBIDDEN = "forbidden"  # 403
NOT_FOUND = "not_found"  # 404
NOT_ALLOWED = "not_allowed"  # 405
BAD = "bad_request"  # 400 (an unsigned webhook, an invalid form)
GONE = "gone"  # 410
UNAUTHORIZED = "unauthorized"  # 401 (API)
INVALID = "invalid"  # 422 (API)
REFUSED = {LOGIN, NO_COMPANY, MFA, FORBIDDEN, NOT_FOUND, NOT_ALLOWED, BAD, GONE, UNAUTHORIZED}


def classify(response) -> str:
    status = response.status_code
    if 300 <= status < 400:
        location = response.get("Location", "")
        path = location.split("?")[0]
        if path.endswith(("/accounts/login/", "/admin/login/")):
            return LOGIN
        if path.endswith("/company/new/"):
            return NO_COMPANY
        if path.endswith("/accounts/2fa/totp/activate/"):
            return MFA
        return OK
    if 200 <= status < 300:
        return OK
    return {
        400: BAD,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        404: NOT_FOUND,
        405: NOT_ALLOWED,
        410: GONE,
        422: INVALID,
    }.get(status, f"status {status}")


def walk(patterns=None, prefix="", namespace=None):
    """(qualified name or route, route, pattern) for every URL pattern of the project."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if pattern.name:
                key = f"{namespace}:{pattern.name}" if namespace else pattern.name
            else:
                key = route
            yield key, route, pattern


ADMIN_KINDS = ("changelist", "add", "history", "delete", "change")


def admin_models() -> dict[str, type]:
    """ "app_model" -> model for every model registered in the admin."""
    return {f"{m._meta.app_label}_{m._meta.model_name}": m for m in admin.site._registry}


def admin_model_url(name: str) -> tuple[str, str] | None:
    """("app_model", kind) for a ModelAdmin's standard URL name, else None."""
    bare = name.removeprefix("admin:")
    for key in admin_models():
        for kind in ADMIN_KINDS:
            if bare == f"{key}_{kind}":
                return key, kind
    return None


def admin_object(model, world):
    """The victim's object of `model` when the world holds one, else any row."""
    for obj in world.objects.values():
        if isinstance(obj, model):
            return obj
    label = model._meta.label_lower
    special = {
        "accounts.company": world.company,
        "accounts.user": world.users["buyer"],
        "accounts.membership": world.objects["viewer_membership"],
        "payments.payoutbatch": world.objects["batch"],
        "payments.exportjob": world.objects["export"],
    }
    if label in special:
        return special[label]
    return model._base_manager.order_by("pk").first()


def company_content_type_kwargs(world) -> dict:
    return {
        "content_type_id": ContentType.objects.get_for_model(world.company).pk,
        "object_id": str(world.company.pk),
    }
