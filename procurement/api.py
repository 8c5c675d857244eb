"""The merchant API under /api/v1/: one NinjaAPI composed from the apps' routers (catalog/api.py,
orders/api.py, logistics/api.py, payments/api.py); what they share is procurement/core/api.py.

Every refusal answers {"code", "message", "field"}: validation (422), an unknown or revoked key
(401), a missing scope (403), another company's or an unknown id (404), an idempotency key
reused for another request (409), too many requests (429) and the apps' own refusals
(`DomainError`: its own code and status, 422 unless the error says otherwise).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from catalog.api import router as catalog_router
from logistics.api import router as logistics_router
from orders.api import router as orders_router
from orders.api import sourcing_router
from orders.stores.api import router as stores_router
from payments.api import wallet_router
from procurement.accounts.api import webhooks_router
from procurement.core.api import RATE_LIMIT_HEADERS, ApiError, error_body
from procurement.core.exceptions import DomainError

# Operation ids are part of the published schema (generated clients name their methods after
# them). They were made from the module that held each endpoint when every router lived in
# procurement/api_*.py; they keep those names now that the routers live in their apps.
OPERATION_ID_PREFIXES = {
    "catalog.api": "procurement_api_catalog",
    "orders.api": "procurement_api_orders",
    "logistics.api": "procurement_api_logistics",
    "payments.api": "procurement_api_logistics",
    "procurement.accounts.api": "procurement_api_webhooks",
    # One router in three modules since it outgrew one (orders/stores/api/).
    "orders.stores.api.reads": "procurement_api_stores",
    "orders.stores.api.connections": "procurement_api_stores",
}


class PortalAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        view = operation.view_func
        prefix = OPERATION_ID_PREFIXES.get(view.__module__)
        if prefix is None:
            return super().get_openapi_operation_id(operation)
        return f"{prefix}_{view.__name__}"

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """ninja's document, with what a route's `response=` cannot say: the headers of a 429."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        headers = {
            name: {"description": description, "required": True, "schema": {"type": "string"}}
            for name, description in RATE_LIMIT_HEADERS.items()
        }
        for operations in schema["paths"].values():
            for operation in operations.values():
                limited = operation.get("responses", {}).get(429)
                if limited is not None:
                    limited["headers"] = headers
        return schema


api = PortalAPI(
    title="Procurement portal API",
    version="1.0.0",
    description=(
        "Catalog, orders, sourcing, logistics and wallet for merchants' ERPs and shops. "
        "Authenticate with `Authorization: Bearer <API key>`; send `Idempotency-Key` on POSTs."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request, status: int, code: str, message, field: str | None = None, headers=None):
    response = api.create_response(request, error_body(code, message, field), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return _error(request, exc.status, exc.code, exc.message, exc.field, exc.headers)


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    response = _error(
        request, 401, "unauthorized", _("Send a valid, unrevoked API key as a bearer token.")
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    first = exc.errors[0] if exc.errors else {}
    location = [str(part) for part in first.get("loc", ())]
    # ("body", "payload", "lines", 0, "quantity") -> "lines.0.quantity"
    if location and location[0] in ("body", "query", "path", "header"):
        location = location[1:]
        if location and location[0] == "payload":
            location = location[1:]
    return _error(
        request,
        422,
        "invalid",
        first.get("msg", _("The request is not valid.")),
        ".".join(location) or None,
    )


@api.exception_handler(DjangoValidationError)
def _model_invalid(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.message_dict.items()))
        return _error(request, 422, "invalid", " ".join(errors), field)
    return _error(request, 422, "invalid", " ".join(exc.messages))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400:
        # ninja's only 400: a body that is not JSON (or not UTF-8, which JSON must be).
        return _error(request, 400, "malformed", _("The request body is not valid UTF-8 JSON."))
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(DomainError)
def _refused(request, exc: DomainError):
    """Every app's refusal, one shape: the error's own code, message and HTTP status."""
    return _error(request, exc.status, exc.code, exc.message, exc.field)


api.add_router("", catalog_router)
api.add_router("", orders_router)
api.add_router("", sourcing_router)
api.add_router("", logistics_router)
api.add_router("", wallet_router)
api.add_router("", webhooks_router)
api.add_router("", stores_router)
