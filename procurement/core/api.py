"""What every app's API router shares: key authentication with scopes and rate limits, the error
shape, `Idempotency-Key` handling and the keyset paginator.

It sits in the kernel so that catalog/api.py, orders/api.py, logistics/api.py and payments/api.py
can use it without reaching up into the composition root (procurement/api.py), which only puts
the routers together and answers errors.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Header, Path, Query, Schema
from ninja.pagination import PaginationBase
from ninja.renderers import JSONRenderer
from pydantic import (
    AfterValidator,
    Field,
    ModelWrapValidatorHandler,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from procurement.core import idempotency

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Primary keys are 64-bit: an id above this is not one, and the database cannot even be asked.
ID_MAX = 2**63 - 1
IDEMPOTENCY_KEY_MAX = 255
PAGE_SIZE = 50
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
    """Every refusal of the API, whatever its status."""

    code: str
    message: str
    field: str | None = None


# What a body-less read can answer besides 200; 404 also stands for another company's id.
READ_ERRORS = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
# A POST adds a body that may not parse (400: not JSON, not UTF-8) and an `Idempotency-Key`
# reused for another request (409), which is also how the apps refuse a conflicting state.
ERRORS = {400: ErrorOut, **READ_ERRORS, 409: ErrorOut}

# Sent with every 429 and declared on it in the OpenAPI document (procurement/api.py).
RATE_LIMIT_HEADERS = {
    "Retry-After": "Seconds to wait before the next request.",
    "RateLimit-Limit": "Requests allowed per key per minute.",
    "RateLimit-Remaining": "Requests left in the current minute (0 on a 429).",
    "RateLimit-Reset": "Seconds until the current minute's count starts again.",
}


# --- request bodies ------------------------------------------------------------------------------


class BodyIn(Schema):
    """The base of every request body (and of every object inside one).

    ninja's `Schema` also reads attributes of arbitrary objects, so a JSON body of `5744` or
    `null` would pass as an object whose fields all take their defaults: a pay request would
    pay. A body is a JSON object, as its schema says, or it is refused (422)."""

    @model_validator(mode="wrap")
    @classmethod
    def _an_object(cls, data: Any, handler: ModelWrapValidatorHandler) -> Any:
        # A wrap validator: it runs outside ninja's own, which wraps the data to read it.
        if not isinstance(data, dict | cls):
            raise PydanticCustomError("object_required", _("Send a JSON object."))
        return handler(data)


def _decimal(value: str) -> Decimal:
    return Decimal(value)


# Amounts in and out are decimal strings (no float rounding on either side); the pattern says
# which strings are amounts, so a client or a fuzzer knows "" or "1e3" is not one.
AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$"
POSITIVE_AMOUNT_PATTERN = r"^([1-9][0-9]{0,11}(\.[0-9]{1,2})?|0\.(0[1-9]|[1-9][0-9]?))$"
AmountIn = Annotated[
    str,
    Field(pattern=AMOUNT_PATTERN, examples=["12.50"]),
    AfterValidator(_decimal),
]
PositiveAmountIn = Annotated[
    str,
    Field(pattern=POSITIVE_AMOUNT_PATTERN, examples=["12.50"]),
    AfterValidator(_decimal),
]

# An id in a body, a path or a query: declared with its range, so no client (or fuzzer) sends one
# the database cannot compare.
Id = Annotated[int, Field(ge=1, le=ID_MAX)]
IdPath = Annotated[int, Path(ge=1, le=ID_MAX)]
IdQuery = Annotated[int | None, Query(ge=1, le=ID_MAX)]

# Declared on every POST that honours it (`idempotent()` reads it from the request), so that a
# generated client has an argument for it.
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description=(
            "Any unique string per intended request. A retry with the same key and body replays "
            "the first answer (with `Idempotent-Replayed: true`); the same key with another body "
            "is refused with 409."
        ),
    ),
]


def error_body(code: str, message, field: str | None = None) -> dict:
    return {"code": code, "message": str(message), "field": field}


def company_of(request: HttpRequest):
    return request.auth.company


# --- pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """What a paginated endpoint returns: its rows and how one row is shown.

    `rows` is paged newest first by primary key (the cursor is the last id seen), unless `pages`
    says how this list pages itself: `pages(rows, after=cursor, size=limit)` returns something
    with `items` and `next_cursor` (the catalog's sorted listings, shared with its pages).

    `direct`: `show` already returns each row exactly as the page schema declares it (types
    included: ints, decimal strings, datetimes), so the page is written to JSON as it is,
    without pydantic validating every nested object of every row again; on the busiest lists
    that validation cost more than the query. The schema still documents the page, and the
    tests check the answers against it.
    """

    rows: QuerySet
    show: Callable[[Any], dict]
    pages: Callable[..., Any] | None = None
    direct: bool = False


class KeysetQuery(Schema):
    cursor: str = ""
    limit: int = PAGE_SIZE


class KeysetPagination(PaginationBase):
    """Keyset pages for every list endpoint: `cursor` and `limit` in, `items` and `next_cursor`
    out (None on the last page). `limit` is held to 1..100.

    Use as `@paginate(KeysetPagination)` on a view that returns a `Listing`;
    `page_size=` sets the default `limit` of one endpoint.

    Each endpoint declares its own page schema (`OrderPage`: `items`, `next_cursor`), which is
    what the published OpenAPI document names; so `Output` is None and ninja keeps the declared
    response instead of generating a `Paged<Item>` schema.
    """

    Input = KeysetQuery
    Output = None

    def __init__(self, *, page_size: int = PAGE_SIZE, **kwargs) -> None:
        super().__init__(**kwargs)
        if page_size != PAGE_SIZE:
            # The default shows in the OpenAPI parameters; the name keeps the two apart in its
            # components (a name is one schema there).
            self.Input = create_model(
                f"{KeysetQuery.__name__}{page_size}",
                __base__=KeysetQuery,
                limit=(int, page_size),
            )

    def paginate_queryset(
        self, queryset: Listing, pagination: KeysetQuery, request: HttpRequest, **params
    ) -> dict:
        listing = queryset
        size = max(1, min(pagination.limit, PAGE_LIMIT_MAX))
        if listing.pages is not None:
            page = listing.pages(listing.rows, after=pagination.cursor, size=size)
            items, next_cursor = page.items, page.next_cursor
        else:
            items, next_cursor = self._newest_first(listing.rows, pagination.cursor, size)
        page = {"items": [listing.show(row) for row in items], "next_cursor": next_cursor}
        if listing.direct:
            return json_page(page)
        return page

    @staticmethod
    def _newest_first(rows: QuerySet, cursor: str, size: int) -> tuple[list, str | None]:
        if cursor:
            try:
                after = int(cursor)
            except ValueError as error:
                raise ApiError(422, "invalid", _("The cursor is not valid."), "cursor") from error
            if not 1 <= after <= ID_MAX:
                raise ApiError(422, "invalid", _("The cursor is not valid."), "cursor")
            rows = rows.filter(pk__lt=after)
        found = list(rows.order_by("-pk")[: size + 1])
        items = found[:size]
        if len(found) <= size:
            return items, None
        last = items[-1]
        return items, str(last["id"] if isinstance(last, dict) else last.pk)


_RENDERER = JSONRenderer()
_JSON_CONTENT_TYPE = f"{_RENDERER.media_type}; charset={_RENDERER.charset}"


def json_page(page: dict) -> HttpResponse:
    """A page answered as ninja would answer it after validating it: the same encoder (ISO 8601
    datetimes, as every other answer of the API), the same content type."""
    return HttpResponse(
        _RENDERER.render(None, page, response_status=200), content_type=_JSON_CONTENT_TYPE
    )


# --- idempotency ---------------------------------------------------------------------------------


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
        # The stored answer, the first answer and every replay are one JSON text, written as
        # JsonResponse writes one without a key (ISO 8601 datetimes, decimal strings).
        body = json.loads(json.dumps(run(), cls=DjangoJSONEncoder))
        idempotency.idempotent_request_finish(record=record, status_code=status, body=body)
    return JsonResponse(body, status=status)
