"""API keys as members of a company: the bearer authentication every app's router uses; and the
company's webhook endpoints and deliveries, managed through the API with their own scope.

A key acts as the member who created it (approval limits, event authors), so resolving it needs
the company's memberships; that is why it lives here and not in the kernel's `apikeys`.
"""

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.security import HttpBearer

from procurement.accounts import integrations
from procurement.core import apikeys, webhooks
from procurement.core.api import (
    ERRORS,
    READ_ERRORS,
    ApiError,
    BodyIn,
    IdempotencyKey,
    IdPath,
    IdQuery,
    KeysetPagination,
    Listing,
    idempotent,
    not_found,
)
from procurement.core.models import (
    ApiKey,
    ApiScope,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


class KeyAuth(HttpBearer):
    """`Authorization: Bearer pk_<prefix>.<secret>`; the key must hold `scope`.

    An unknown or revoked key -> 401; a key without the scope -> 403; over the per-key rate
    limit -> 429 with `Retry-After` and the `RateLimit-*` headers. `request.auth` is the ApiKey,
    with `.company` and `.membership` loaded.

    The keys whose prefixes `settings.API_RATE_LIMIT_EXEMPT_KEYS` lists are not counted: the
    schema fuzzer's own key, so that it can run hundreds of requests while every other key,
    and every test of the limit, keeps it. Production settings leave the list empty.
    """

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = integrations.api_key_authenticate(token=token)
        if key is None:
            return None
        exempt = key.prefix in getattr(settings, "API_RATE_LIMIT_EXEMPT_KEYS", ())
        wait = None if exempt else apikeys.api_rate_limit_hit(key=key)
        if wait is not None:
            raise ApiError(
                429,
                "rate_limited",
                _("Too many requests; try again in %(s)s seconds.") % {"s": wait},
                headers={
                    "Retry-After": str(wait),
                    "RateLimit-Limit": str(apikeys.api_rate_limit_per_minute()),
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(wait),
                },
            )
        if self.scope not in key.scopes:
            raise ApiError(
                403,
                "scope_missing",
                _("This API key lacks the “%(scope)s” scope.") % {"scope": self.scope},
            )
        return key


# --- webhooks ------------------------------------------------------------------------------------

webhooks_router = Router(tags=["webhooks"], auth=KeyAuth(ApiScope.WEBHOOKS_MANAGE))


class WebhookEndpointOut(Schema):
    id: int
    url: str
    events: list[str]
    is_active: bool
    created_at: datetime


class WebhookEndpointSecretOut(WebhookEndpointOut):
    secret: str = Field(description="The signing secret; shown only in this answer.")


class WebhookEndpointPage(Schema):
    items: list[WebhookEndpointOut]
    next_cursor: str | None


class WebhookEndpointIn(BodyIn):
    url: str = Field(..., min_length=1, max_length=500)
    events: list[WebhookEvent] = Field(..., min_length=1, max_length=len(WebhookEvent.values))


class WebhookDeliveryOut(Schema):
    id: int
    endpoint_id: int
    event: str
    event_id: str = Field(description="What receivers see as X-Webhook-Id.")
    status: str
    attempt_count: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


class WebhookDeliveryPage(Schema):
    items: list[WebhookDeliveryOut]
    next_cursor: str | None


def _endpoint(endpoint: WebhookEndpoint) -> dict:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "is_active": endpoint.is_active,
        "created_at": endpoint.created_at,
    }


def _issued(issued: webhooks.IssuedEndpoint) -> dict:
    return {**_endpoint(issued.endpoint), "secret": issued.secret}


def _delivery(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.pk,
        "endpoint_id": delivery.endpoint_id,
        "event": delivery.event,
        "event_id": str(delivery.event_id),
        "status": delivery.status,
        "attempt_count": delivery.attempt_count,
        "next_attempt_at": delivery.next_attempt_at,
        "delivered_at": delivery.delivered_at,
        "created_at": delivery.created_at,
    }


def _endpoint_of(request, pk: int) -> WebhookEndpoint:
    endpoint = webhooks.webhook_endpoints_of(company=request.auth.company).filter(pk=pk).first()
    if endpoint is None:
        raise not_found()
    return endpoint


@webhooks_router.get("/webhook-endpoints", response={200: WebhookEndpointPage, **READ_ERRORS})
@paginate(KeysetPagination)
def webhook_endpoint_list(request):
    return Listing(webhooks.webhook_endpoints_of(company=request.auth.company), show=_endpoint)


@webhooks_router.post("/webhook-endpoints", response={201: WebhookEndpointSecretOut, **ERRORS})
def webhook_endpoint_create(
    request, payload: WebhookEndpointIn, idempotency_key: IdempotencyKey = ""
):
    """Register an https URL for the chosen events; the answer holds its signing secret, once."""
    key = request.auth

    def run() -> dict:
        issued = integrations.webhook_endpoint_create(
            company=key.company,
            actor=key.created_by,
            url=payload.url,
            events=[str(event) for event in payload.events],
        )
        return _issued(issued)

    return idempotent(request, status=201, run=run)


@webhooks_router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    response={200: WebhookEndpointSecretOut, **ERRORS},
)
def webhook_endpoint_rotate_secret(
    request, endpoint_id: IdPath, idempotency_key: IdempotencyKey = ""
):
    """A new signing secret, shown once; the old one stops signing at once."""
    key = request.auth
    endpoint = _endpoint_of(request, endpoint_id)

    def run() -> dict:
        return _issued(
            integrations.webhook_endpoint_rotate_secret(endpoint=endpoint, actor=key.created_by)
        )

    return idempotent(request, status=200, run=run)


@webhooks_router.post(
    "/webhook-endpoints/{endpoint_id}/disable", response={200: WebhookEndpointOut, **ERRORS}
)
def webhook_endpoint_disable(request, endpoint_id: IdPath, idempotency_key: IdempotencyKey = ""):
    """Stop sending events to the endpoint; deliveries still open fail instead of being sent."""
    key = request.auth
    endpoint = _endpoint_of(request, endpoint_id)

    def run() -> dict:
        return _endpoint(
            integrations.webhook_endpoint_set_active(
                endpoint=endpoint, actor=key.created_by, active=False
            )
        )

    return idempotent(request, status=200, run=run)


@webhooks_router.get("/webhook-deliveries", response={200: WebhookDeliveryPage, **READ_ERRORS})
@paginate(KeysetPagination)
def webhook_delivery_list(request, endpoint_id: IdQuery = None):
    deliveries = webhooks.webhook_deliveries_of(
        company=request.auth.company, endpoint_id=endpoint_id
    )
    return Listing(deliveries, show=_delivery)


@webhooks_router.post(
    "/webhook-deliveries/{delivery_id}/redeliver",
    response={202: WebhookDeliveryOut, **ERRORS},
)
def webhook_delivery_redeliver(request, delivery_id: IdPath, idempotency_key: IdempotencyKey = ""):
    """Send a delivery again with the same event id (`X-Webhook-Id`), whatever became of it."""
    key = request.auth
    delivery = webhooks.webhook_deliveries_of(company=key.company).filter(pk=delivery_id).first()
    if delivery is None:
        raise not_found()

    def run() -> dict:
        return _delivery(
            integrations.webhook_delivery_redeliver(delivery=delivery, actor=key.created_by)
        )

    return idempotent(request, status=202, run=run)
