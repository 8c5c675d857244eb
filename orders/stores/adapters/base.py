"""What both store clients share: the order as the portal reads it, and the call loop with its
timeouts, retries and backoff, mapping failures to the app's DomainErrors."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from orders.stores import conf
from orders.stores.exceptions import (
    CredentialsRefused,
    StoreRefused,
    StoreThrottled,
    StoreUnavailable,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExternalLine:
    line_id: str
    variant_id: str
    product_id: str
    sku: str
    title: str
    quantity: int


@dataclass(frozen=True)
class ExternalOrder:
    """A store order in the portal's words; `raw` keeps the platform's own payload whole."""

    external_id: str
    number: str
    customer_name: str
    email: str
    address: dict[str, str]  # logistics address fields: name, phone, line1, ..., country
    lines: list[ExternalLine]
    cancelled: bool
    updated_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    # False while the customer has not paid (a WooCommerce order pending payment): not fulfilled.
    payable: bool = True

    def lines_json(self) -> list[dict[str, Any]]:
        return [line.__dict__ for line in self.lines]


@dataclass(frozen=True)
class PublishedVariant:
    external_variant_id: str
    sku: str


@dataclass(frozen=True)
class PublishedProduct:
    external_product_id: str
    variants: list[PublishedVariant]


class Retry(Exception):
    """This attempt failed in a way worth repeating; `wait` is the platform's own hint."""

    def __init__(self, error: Exception, wait: float | None = None):
        self.error = error
        self.wait = wait
        super().__init__(str(error))


class StoreClient:
    """One store's API over httpx. Subclasses build the requests and read the answers."""

    platform = ""

    def __init__(self, *, base_url: str, transport: httpx.BaseTransport | None = None, **kwargs):
        self.http = httpx.Client(
            base_url=base_url,
            timeout=conf.timeout_seconds(),
            transport=transport,
            follow_redirects=False,
            **kwargs,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # The call loop ------------------------------------------------------------------------------

    def _call(self, method: str, url: str, **kwargs) -> httpx.Response:
        """Send, retrying timeouts, connection errors, 429 and 5xx with exponential backoff
        (or the platform's own wait hint); 401/403 raise CredentialsRefused at once."""
        attempts = conf.max_attempts()
        delay = conf.backoff_seconds()
        last: Exception = StoreUnavailable()
        for attempt in range(1, attempts + 1):
            try:
                response = self.http.request(method, url, **kwargs)
                return self._check(response)
            except Retry as retry:
                last = retry.error
                wait = retry.wait if retry.wait is not None else delay * 2 ** (attempt - 1)
            except httpx.TimeoutException:
                last = StoreUnavailable()
                wait = delay * 2 ** (attempt - 1)
            except httpx.TransportError:
                last = StoreUnavailable()
                wait = delay * 2 ** (attempt - 1)
            if attempt < attempts:
                logger.info("%s call %s %s retried after %s", self.platform, method, url, last)
                time.sleep(min(wait, 30) if delay else 0)
        raise last

    def _check(self, response: httpx.Response) -> httpx.Response:
        status = response.status_code
        if status in (401, 403):
            raise CredentialsRefused
        if status == 429:
            retry_after = response.headers.get("Retry-After")
            wait = float(retry_after) if retry_after and retry_after.isdigit() else None
            raise Retry(StoreThrottled(), wait)
        if status >= 500:
            raise Retry(StoreUnavailable())
        if status == 404:
            raise StoreRefused(self._message(response) or "Not found.", status=404)
        if status >= 400:
            raise StoreRefused(self._message(response) or f"HTTP {status}")
        return response

    @staticmethod
    def _message(response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        if isinstance(body, dict):
            return str(body.get("message") or body.get("errors") or "")[:300]
        return ""

    # What each platform answers -----------------------------------------------------------------

    def check(self) -> str:
        """One read call: the shop's name when the credentials work."""
        raise NotImplementedError

    def webhooks_register(self, *, callback_url: str, secret: str) -> list[str]:
        raise NotImplementedError

    def webhooks_delete(self, ids: list[str]) -> None:
        raise NotImplementedError

    def order_get(self, external_id: str) -> ExternalOrder:
        raise NotImplementedError

    def orders_updated_since(self, since: datetime) -> list[ExternalOrder]:
        raise NotImplementedError

    def fulfil(
        self, *, external_id: str, tracking_number: str, carrier: str, url: str, notify: bool
    ) -> str:
        raise NotImplementedError

    def product_publish(
        self, *, title: str, description: str, images: list[str], variants: list[dict]
    ) -> PublishedProduct:
        raise NotImplementedError

    # Carrier events after the fulfillment, by the logistics kind of the event ("delivered",
    # "out_for_delivery", ...): a platform passes on the kinds it has a place for.
    TRACKING_EVENT_KINDS: frozenset[str] = frozenset()

    def supports_tracking_event(self, kind: str) -> bool:
        return kind in self.TRACKING_EVENT_KINDS

    def tracking_event(
        self,
        *,
        external_id: str,
        fulfillment_id: str,
        kind: str,
        message: str,
        happened_at: datetime,
        notify: bool,
    ) -> str:
        """Pass one carrier event on to the store; the store's id of what it recorded."""
        raise NotImplementedError
