"""What every API router shares: key authentication with scopes and rate limits, the error
shape, money fields and `Idempotency-Key` handling."""

import json
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.security import HttpBearer

from payments.money import quantize
from procurement.accounts import integrations
from procurement.core import apikeys, idempotency
from procurement.core.models import ApiKey

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 255
PAGE_LIMIT_MAX = 100


class ApiError(Exception):
    """A refusal answered as {"code", "message", "field"} with `status`."""

    def __init__(self, status: int, code: str, message, field: str | None = None, headers=None):
        self.status = status
        self.code = code
        self.message = str(message)
        self.field = field
        self.headers = headers or {}
        super().__init__(self.message)


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("Not found."))


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


ERRORS = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
READ_ERRORS = {k: v for k, v in ERRORS.items() if k != 409}


def error_body(code: str, message, field: str | None = None) -> dict:
    return {"code": code, "message": str(message), "field": field}


class KeyAuth(HttpBearer):
    """`Authorization: Bearer pk_<prefix>.<secret>`; the key must hold `scope`.

    An unknown or revoked key -> 401; a key without the scope -> 403; over the per-key rate
    limit -> 429. `request.auth` is the ApiKey, with `.company` and `.membership` loaded.
    """

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = integrations.api_key_authenticate(token=token)
        if key is None:
            return None
        wait = apikeys.api_rate_limit_hit(key=key)
        if wait is not None:
            raise ApiError(
                429,
                "rate_limited",
                _("Too many requests; try again in %(s)s seconds.") % {"s": wait},
                headers={"Retry-After": str(wait)},
            )
        if self.scope not in key.scopes:
            raise ApiError(
                403,
                "scope_missing",
                _("This API key lacks the “%(scope)s” scope.") % {"scope": self.scope},
            )
        return key


def company_of(request: HttpRequest):
    return request.auth.company


class Money(Schema):
    amount: str
    currency: str


def money(amount: Decimal | None, currency: str) -> dict | None:
    if amount is None:
        return None
    return {"amount": str(quantize(amount, currency)), "currency": currency}


def page_limit(limit: int) -> int:
    return max(1, min(limit, PAGE_LIMIT_MAX))


def id_cursor(cursor: str) -> int | None:
    """Lists newest first page by primary key: the cursor is the last id seen."""
    if not cursor:
        return None
    try:
        return int(cursor)
    except ValueError as error:
        raise ApiError(422, "invalid", _("The cursor is not valid."), "cursor") from error


def idempotent(request: HttpRequest, *, status: int, run: Callable[[], dict]) -> JsonResponse:
    """Run a creating or paying POST once per `Idempotency-Key`.

    The key, the request line, a hash of the body and the answer are stored in the same
    transaction as the effect: a retry with the same key replays the first answer, the same
    key with another body or path is refused (409), and concurrent retries wait for the first
    (unique constraint) and then replay it. Refusals roll back, so the key can be used again.
    Without the header the request simply runs.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        with transaction.atomic():
            return JsonResponse(run(), status=status)
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise ApiError(
            422,
            "invalid",
            _("The Idempotency-Key is longer than %(n)s characters.") % {"n": IDEMPOTENCY_KEY_MAX},
            IDEMPOTENCY_HEADER,
        )
    method_path = f"{request.method} {request.path}"
    body_hash = idempotency.request_body_hash(request.body)
    with transaction.atomic():
        record, created = idempotency.idempotent_request_claim(
            company=company_of(request), key=key, method_path=method_path, body_hash=body_hash
        )
        if not created:
            if record.method_path != method_path or record.body_hash != body_hash:
                raise ApiError(
                    409,
                    "idempotency_mismatch",
                    _(
                        "This Idempotency-Key was already used for a different request. "
                        "Use a new key for a new request."
                    ),
                    IDEMPOTENCY_HEADER,
                )
            response = JsonResponse(record.response_body, status=record.status_code, safe=False)
            response["Idempotent-Replayed"] = "true"
            return response
        body = json.loads(json.dumps(run(), default=str))
        idempotency.idempotent_request_finish(record=record, status_code=status, body=body)
    return JsonResponse(body, status=status)
