"""The 1688 open platform (open.1688.com): a signed API client that catalog and orders share.

Formats this client follows, and where they are published:

* Gateway URL: ``https://gw.open.1688.com/openapi/param2/<version>/<namespace>/<api>/<appKey>``
  (every API page of open.1688.com, e.g. ``apidocdetail.htm?id=com.alibaba.trade:
  alibaba.trade.createCrossOrder-1``, "Request URL").
* ``_aop_signature`` (open.1688.com/doc/signature.htm, quoted in public SDKs): the URL path from
  ``param2`` up to ``?`` (no host, no ``/openapi/``), followed by every request parameter except
  the signature itself as key+value, sorted by key; HMAC-SHA1 with the app secret; hex,
  upper-case. The documented vector, ``param2/1/system/currentTime/1000000`` with ``b=2, a=1``
  and secret ``test123``, gives ``33E54F4F7B989E3E0E912D3FBD2F1A03CA7CCE88`` (tested).
  ``_aop_timestamp`` is milliseconds and is signed like any other parameter.
* Structured parameters (``addressParam``, ``cargoParamList``) travel as JSON text in form fields
  and are signed as that text (every public SDK serialises them so).
* Access token (open.1688.com/doc/apiAuth.htm, mirrored in public SDKs): ``POST
  https://gw.open.1688.com/openapi/http/1/system.oauth2/getToken/<appKey>`` with
  ``grant_type=refresh_token, client_id, client_secret, refresh_token``; not signed; answers
  ``access_token`` and ``expires_in`` (seconds, 36000 in the docs' example). Tokens live ten
  hours; the refresh token months.
* Gateway errors answer a non-2xx HTTP status with ``{"error_code": "gw.…", "error_message": …}``
  (codes seen in public SDK tests: ``gw.APIACLDecline``, ``gw.SignatureMissing``,
  ``gw.AppKeyNotFound``, ``gw.NoUsageLeftError``). Business refusals answer 200 with
  ``success: false`` and ``errorCode`` / ``errorMsg`` / ``errorMessage`` / ``code`` / ``message``
  (each API names them slightly differently; ``error_fields`` reads them all).

Assumptions (not stated in the public docs; adjust here when the app console says otherwise):

* Rate limiting is reported as HTTP 429 or an ``error_code`` containing ``QpsOverLimit``,
  ``FrequencyLimit`` or ``CallLimit``; an expired or revoked token as HTTP 401 or an
  ``error_code`` containing ``AccessToken`` / ``Token``; an invalid signature as an
  ``error_code`` containing ``Signature``. HTTP 5xx and ``gw.ServiceUnavailable``-like codes are
  system errors worth a retry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from procurement.core.exceptions import DomainError

logger = logging.getLogger(__name__)

CHINA_TIME = ZoneInfo("Asia/Shanghai")

DEFAULT_BASE_URL = "https://gw.open.1688.com"
TOKEN_CACHE_KEY = "open1688:access-token"  # noqa: S105
# Parameters whose values never reach a log, a page or an exception message.
SECRET_PARAMS = frozenset({"access_token", "_aop_signature", "client_secret", "refresh_token"})
MASK = "***"


# --- Errors: each one says what happened and whether trying again may help ---------------------


class OpenPlatformError(DomainError):
    """A call to the 1688 open platform did not give an answer we can use."""

    code = "open1688_error"
    default_message = _("The 1688 open platform did not answer as expected.")
    retryable = False
    # True when 1688 may have done the work although we got no answer (a timeout).
    outcome_unknown = False


class NotConfigured(OpenPlatformError):
    code = "open1688_not_configured"
    default_message = _(
        "The 1688 open platform is not configured: set ALIBABA_OPEN_APP_KEY, "
        "ALIBABA_OPEN_APP_SECRET and ALIBABA_OPEN_REFRESH_TOKEN."
    )


class PlatformTimeout(OpenPlatformError):
    code = "open1688_timeout"
    default_message = _("1688 did not answer in time; it may or may not have done it.")
    retryable = True
    outcome_unknown = True


class RateLimited(OpenPlatformError):
    code = "open1688_rate_limited"
    default_message = _("1688 refused the call: too many calls. Try again in a minute.")
    retryable = True


class SystemBusy(OpenPlatformError):
    code = "open1688_system_error"
    default_message = _("1688 had a system error. Try again later.")
    retryable = True


class SignatureRefused(OpenPlatformError):
    code = "open1688_signature"
    default_message = _("1688 refused the request signature: check ALIBABA_OPEN_APP_SECRET.")


class TokenRefused(OpenPlatformError):
    code = "open1688_token"
    default_message = _(
        "1688 refused the access token and it could not be renewed: authorise the app again "
        "and set ALIBABA_OPEN_REFRESH_TOKEN."
    )


class MalformedResponse(OpenPlatformError):
    code = "open1688_malformed"
    default_message = _("1688 answered with something this portal cannot read.")
    retryable = True


class Refused(OpenPlatformError):
    """1688 understood the request and said no (out of stock, below MOQ, supplier closed...)."""

    code = "open1688_refused"
    default_message = _("1688 refused the request.")

    def __init__(self, message=None, *, platform_code: str = "", code: str | None = None):
        super().__init__(message, code=code)
        self.platform_code = platform_code


# --- Signing -----------------------------------------------------------------------------------


def sign(url_path: str, params: Mapping[str, str], secret: str) -> str:
    """``_aop_signature`` of a call: see the module docstring for the published rule."""
    factor = url_path + "".join(f"{k}{params[k]}" for k in sorted(params) if k != "_aop_signature")
    return hmac.new(secret.encode(), factor.encode(), hashlib.sha1).hexdigest().upper()


def api_path(namespace: str, api: str, app_key: str, version: int = 1) -> str:
    return f"param2/{version}/{namespace}/{api}/{app_key}"


def platform_time(moment: datetime) -> str:
    """A moment as the platform's date parameters and fields are written (getBuyerOrderList's
    "20180102211113000+0800"): China time, to the millisecond."""
    local = moment.astimezone(CHINA_TIME)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}+0800"


def encode_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Form values as 1688 reads them: objects and lists as compact JSON, booleans lower-case."""
    out = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, dict | list):
            out[key] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


def masked(params: Mapping[str, str]) -> dict[str, str]:
    return {k: (MASK if k in SECRET_PARAMS else v) for k, v in params.items()}


# --- Transport ---------------------------------------------------------------------------------

# (url, form fields, timeout seconds) -> (HTTP status, body). Raises TimeoutError on a timeout
# and OSError when the connection fails.
Transport = Callable[[str, dict[str, str], float], tuple[int, bytes]]


def urllib_transport(url: str, fields: dict[str, str], timeout: float) -> tuple[int, bytes]:
    if not url.startswith("https://"):
        raise OSError("the 1688 gateway is only called over HTTPS")
    request = urllib.request.Request(  # noqa: S310  # nosec B310: HTTPS checked above
        url,
        data=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError | socket.timeout):
            raise TimeoutError(str(error.reason)) from error
        raise


# --- One recorded exchange --------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, secrets masked: what the caller may store and show."""

    api: str
    request: dict[str, str]
    http_status: int | None
    response: str
    error_code: str
    duration_ms: int


Recorder = Callable[[Exchange], None]


@dataclass(frozen=True)
class Config:
    app_key: str = ""
    app_secret: str = ""
    refresh_token: str = ""
    access_token: str = ""
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 15.0
    max_attempts: int = 4
    backoff_seconds: float = 1.0

    @property
    def configured(self) -> bool:
        return bool(self.app_key and self.app_secret and (self.refresh_token or self.access_token))

    @classmethod
    def from_settings(cls) -> Config:
        return cls(
            app_key=settings.ALIBABA_OPEN_APP_KEY,
            app_secret=settings.ALIBABA_OPEN_APP_SECRET,
            refresh_token=settings.ALIBABA_OPEN_REFRESH_TOKEN,
            access_token=settings.ALIBABA_OPEN_ACCESS_TOKEN,
            base_url=settings.ALIBABA_OPEN_BASE_URL.rstrip("/"),
            timeout=settings.ALIBABA_OPEN_TIMEOUT,
            max_attempts=settings.ALIBABA_OPEN_MAX_ATTEMPTS,
            backoff_seconds=settings.ALIBABA_OPEN_BACKOFF_SECONDS,
        )


def error_fields(data: Any) -> tuple[str, str]:
    """(code, message) of an answer that says no, whichever names this API uses for them."""
    if not isinstance(data, dict):
        return "", ""
    code = next(
        (
            str(data[k])
            for k in ("error_code", "errorCode", "code")
            if data.get(k) not in (None, "")
        ),
        "",
    )
    message = next(
        (
            str(data[k])
            for k in ("error_message", "errorMessage", "errorMsg", "message")
            if data.get(k) not in (None, "")
        ),
        "",
    )
    return code, message


def _classify_gateway(status: int, code: str) -> type[OpenPlatformError] | None:
    lowered = code.lower()
    if status == 429 or any(m in lowered for m in ("qpsoverlimit", "frequencylimit", "calllimit")):
        return RateLimited
    if "signature" in lowered:
        return SignatureRefused
    if status == 401 or "token" in lowered:
        return TokenRefused
    if status >= 500 or "serviceunavailable" in lowered or "systemerror" in lowered:
        return SystemBusy
    return None


@dataclass
class Client:
    """Signed calls with a fresh access token, timeouts, and retries with backoff on rate limits
    and system errors. A timeout is retried only for calls marked ``idempotent``: for the others
    the caller decides (the outcome is unknown)."""

    config: Config
    transport: Transport = urllib_transport
    recorder: Recorder | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    _token: str = field(default="", repr=False)

    def _record(self, exchange: Exchange) -> None:
        if self.recorder is not None:
            self.recorder(exchange)

    # --- token -----------------------------------------------------------------------------

    def access_token(self, *, renew: bool = False) -> str:
        if not renew:
            token = self._token or cache.get(TOKEN_CACHE_KEY) or self.config.access_token
            if token:
                return token
        if not self.config.refresh_token:
            raise TokenRefused
        token, expires_in = self._refresh()
        self._token = token
        # Renew a minute early so a call never leaves with a token about to expire.
        cache.set(TOKEN_CACHE_KEY, token, timeout=max(expires_in - 60, 60))
        return token

    def _refresh(self) -> tuple[str, int]:
        path = f"http/1/system.oauth2/getToken/{self.config.app_key}"
        fields = {
            "grant_type": "refresh_token",
            "client_id": self.config.app_key,
            "client_secret": self.config.app_secret,
            "refresh_token": self.config.refresh_token,
        }
        status, body = self._send("system.oauth2.getToken", path, fields)
        data = _json(body)
        if status != 200 or not isinstance(data, dict) or not data.get("access_token"):
            raise TokenRefused
        try:
            expires_in = int(data.get("expires_in", 36000))
        except (TypeError, ValueError):
            expires_in = 36000
        return str(data["access_token"]), expires_in

    # --- calls -----------------------------------------------------------------------------

    def _send(self, api: str, path: str, fields: dict[str, str]) -> tuple[int, bytes]:
        url = f"{self.config.base_url}/openapi/{path}"
        started = self.clock()
        try:
            status, body = self.transport(url, fields, self.config.timeout)
        except TimeoutError as exc:
            self._record(Exchange(api, masked(fields), None, "", "timeout", self._ms(started)))
            raise PlatformTimeout from exc
        except OSError as exc:
            self._record(Exchange(api, masked(fields), None, str(exc)[:500], "network", 0))
            raise SystemBusy from exc
        code, _message = error_fields(_json(body))
        self._record(
            Exchange(api, masked(fields), status, _masked_text(body), code, self._ms(started))
        )
        return status, body

    def _ms(self, started: float) -> int:
        return int((self.clock() - started) * 1000)

    def call(
        self,
        namespace: str,
        api: str,
        params: Mapping[str, Any],
        *,
        version: int = 1,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """The JSON answer of one API call (a dict), after retries. Business refusals inside a
        200 answer are the caller's to read: each API words them differently."""
        if not self.config.configured:
            raise NotConfigured
        path = api_path(namespace, api, self.config.app_key, version)
        renewed = renew_now = False
        attempt = 0
        while True:
            attempt += 1
            try:
                fields = encode_params(params)
                fields["access_token"] = self.access_token(renew=renew_now)
                renew_now = False
                fields["_aop_timestamp"] = str(int(self.clock() * 1000))
                fields["_aop_signature"] = sign(path, fields, self.config.app_secret)
                status, body = self._send(api, path, fields)
                data = _json(body)
                if status != 200:
                    code, message = error_fields(data)
                    kind = _classify_gateway(status, code)
                    if kind is TokenRefused and not renewed and self.config.refresh_token:
                        # Expired or revoked: renew once, and that is not a retry.
                        renewed = renew_now = True
                        cache.delete(TOKEN_CACHE_KEY)
                        self._token = ""
                        attempt -= 1
                        continue
                    if kind is None:
                        raise Refused(message or code or None, platform_code=code)
                    raise kind
                if not isinstance(data, dict):
                    raise MalformedResponse
                return data
            except OpenPlatformError as error:
                # A refused rate limit did nothing; after a timeout, a system error or an
                # unreadable answer the work may be done, so only idempotent calls go again.
                may_retry = error.retryable and (idempotent or isinstance(error, RateLimited))
                if not may_retry or attempt >= self.config.max_attempts:
                    raise
                delay = self.config.backoff_seconds * (2 ** (attempt - 1))
                logger.info("1688 %s: %s, retry %s in %.1fs", api, error.code, attempt, delay)
                self.sleep(delay)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _masked_text(body: bytes) -> str:
    """The answer as text for the log, with any token it carries masked (getToken answers)."""
    data = _json(body)
    if isinstance(data, dict) and SECRET_PARAMS & data.keys():
        data = {k: (MASK if k in SECRET_PARAMS else v) for k, v in data.items()}
        return json.dumps(data, ensure_ascii=False)[:20000]
    return body.decode("utf-8", "replace")[:20000]


# --- The client the portal uses ----------------------------------------------------------------


def platform_config() -> Config:
    """The real platform's credentials from the environment, or with ``ALIBABA_OPEN_FAKE`` the
    local fake's own (`catalog.adapters.fake1688`)."""
    if settings.ALIBABA_OPEN_FAKE:
        from catalog.adapters.fake1688 import gateway

        return Config(
            app_key=gateway.APP_KEY,
            app_secret=gateway.APP_SECRET,
            refresh_token=gateway.REFRESH_TOKEN,
            timeout=settings.ALIBABA_OPEN_TIMEOUT,
            max_attempts=settings.ALIBABA_OPEN_MAX_ATTEMPTS,
            backoff_seconds=0,
        )
    return Config.from_settings()


def platform_client(*, recorder: Recorder | None = None) -> Client:
    """A client of the configured platform: the real gateway, or the local fake."""
    transport: Transport = urllib_transport
    if settings.ALIBABA_OPEN_FAKE:
        from catalog.adapters.fake1688.gateway import PLATFORM

        transport = PLATFORM
    return Client(config=platform_config(), transport=transport, recorder=recorder)
