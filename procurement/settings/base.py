"""Settings shared by every environment, read from the environment with safe development defaults.

Every variable read here is listed in the README's configuration table.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from procurement.core.caching import SESSIONS, cache_aliases
from procurement.core.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("DJANGO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# A development-only key; production settings refuse to start without DJANGO_SECRET_KEY.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# The name mail and pages call the site by (allauth's mails greet from it).
SITE_NAME = os.environ.get("SITE_NAME", "Procurement Portal")

INSTALLED_APPS = [
    "procurement.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "ninja",
    "django_htmx",
    "djmoney",
    "django_countries",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "procurement.core",
    "procurement.accounts",
    "procurement",
    "payments",
    "catalog",
    "catalog.adapters.fake1688",
    "logistics",
    "orders",
    "orders.stores",
]

MIDDLEWARE = [
    "procurement.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "procurement.accounts.middleware.RenamedBackendMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "procurement.accounts.middleware.CurrentCompanyMiddleware",
    "procurement.middleware.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "procurement.urls"
WSGI_APPLICATION = "procurement.wsgi.application"
ASGI_APPLICATION = "procurement.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "procurement.accounts.context_processors.current_company",
                "procurement.context_processors.navigation",
            ],
            "builtins": ["django.templatetags.i18n"],
        },
    },
]

# Database: one URL. Unset means the zero-setup SQLite file under var/.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers; a busy timeout keeps concurrent requests from failing at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0


def _pooled(alias: dict, mode: str) -> dict:
    """Settings for an alias reached through PgBouncer in transaction pooling mode, where each
    transaction may run on a different server connection. Django's own defaults already keep
    psycopg from preparing statements (prepare_threshold None: a statement prepared on one server
    connection does not exist on the next). What must change: `.iterator()` and chunked cursors
    outside a transaction declare WITH HOLD cursors that outlive their transaction, so they are
    read client-side instead, in chunks (DISABLE_SERVER_SIDE_CURSORS)."""
    if mode not in ("", "session", "transaction"):
        raise ValueError(f"unknown pool mode {mode!r}: expected session or transaction")
    if mode == "transaction":
        alias["DISABLE_SERVER_SIDE_CURSORS"] = True
    return alias


# DATABASE_POOL_MODE=transaction when DATABASE_URL points at PgBouncer (pool_mode = transaction).
_pooled(DATABASES["default"], os.environ.get("DATABASE_POOL_MODE", ""))

# A streaming replica for reads that may lag (procurement/core/replica.py): reports, exports and
# anonymous catalog pages. Its URL may point at the replica itself or at a pooler in front of it.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
# How long a client that wrote reads from the primary only (read-your-writes): longer than the
# replica's worst expected lag.
DATABASE_REPLICA_PIN_SECONDS = int(os.environ.get("DATABASE_REPLICA_PIN_SECONDS", "10"))
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = _pooled(
        dj_database_url.parse(
            DATABASE_REPLICA_URL,
            conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
            conn_health_checks=True,
        ),
        os.environ.get("DATABASE_REPLICA_POOL_MODE", ""),
    )
    # Tests that create databases point the replica alias at the primary's test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["procurement.core.replica.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches, one per purpose (procurement/core/caching.py): "default" for rate-limit counters and
# small shared state, "pages" for rendered catalog pages, "sessions" for the copy of each
# session. CACHE_URL set to Redis gives each its own database on that server unless
# PAGE_CACHE_URL / SESSION_CACHE_URL place it elsewhere; unset, each is local memory.
CACHE_URL = os.environ.get("CACHE_URL", "")
PAGE_CACHE_URL = os.environ.get("PAGE_CACHE_URL", "")
SESSION_CACHE_URL = os.environ.get("SESSION_CACHE_URL", "")
# Rendered template fragments ({% cache %}: the navbar) are kept per process: their keys hold
# every value they show, so no process can serve a stale one, and reading them costs no round
# trip. Settings that replace CACHES keep this alias (without it, {% cache %} uses "default").
TEMPLATE_FRAGMENTS_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template-fragments",
    "OPTIONS": {"MAX_ENTRIES": 2048},  # about 8 KB a navbar
}
CACHES = {
    **cache_aliases(url=CACHE_URL, pages_url=PAGE_CACHE_URL, sessions_url=SESSION_CACHE_URL),
    "template_fragments": TEMPLATE_FRAGMENTS_CACHE,
}
SESSION_CACHE_ALIAS = SESSIONS
if CACHE_URL.startswith(("redis://", "rediss://")):
    # Sessions stay in the database and are read through Redis (procurement/sessions.py).
    SESSION_ENGINE = "procurement.sessions"
# Otherwise per process: sessions stay in the database alone, so every process sees a logout.

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Django's and allauth's, reading the user and their memberships in one query.
    "procurement.accounts.backends.ModelBackend",
    "procurement.accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: email only, verified before use, rate limited on the cache.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Adds the person's name, shown in the navbar instead of the email.
ACCOUNT_SIGNUP_FORM_CLASS = "procurement.accounts.forms.SignupDetailsForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Signing up, then confirming from the mail, is one login allauth keeps pending in the session
# for this long (its default, 15 minutes, is shorter than some mail takes to arrive).
ACCOUNT_LOGIN_TIMEOUT = 60 * 60
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "procurement.accounts.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login_failed": os.environ.get("ACCOUNT_LOGIN_FAILED_RATE", "5/5m/ip,5/5m/key"),
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Procurement Portal"
MFA_ADAPTER = "allauth.mfa.adapter.DefaultMFAAdapter"

# Email (Django 6.1 MAILERS): the console in development; SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": EMAIL_HOST,
                "port": int(os.environ.get("EMAIL_PORT", "587")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
del EMAIL_HOST
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Procurement Portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The public catalog (visitors browse, search and read product pages without an account):
# whether it shows prices to visitors, or asks them to sign in to see prices.
CATALOG_PUBLIC_PRICES = env_bool("CATALOG_PUBLIC_PRICES", True)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
# One date format and number grouping per language (procurement/formats/<locale>/formats.py).
FORMAT_MODULE_PATH = ["procurement.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Content Security Policy: no inline scripts; every script carries the request's nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie, but the admin's JS does.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Celery: with no broker configured, tasks run in-process (eagerly) so `make run` needs nothing.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Enqueueing after commit is "robust": a broker outage is logged and does not fail a request
# whose data is already committed. A task whose worker died is redelivered after the
# visibility timeout (longer than the longest export).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 3,
    "max_retries": 2,
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "1800")),
}

INVITATION_TTL_DAYS = int(os.environ.get("INVITATION_TTL_DAYS", "7"))

# Housekeeping on beat. An API request's Idempotency-Key is replayed for this long, then purged.
IDEMPOTENCY_KEY_RETENTION_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_RETENTION_HOURS", "168"))
# A running export with no progress for this long lost its worker (longer than the visibility
# timeout, so the broker's own redelivery comes first); it is queued again until it has had
# FINANCE_EXPORT_MAX_ATTEMPTS runs, then failed with a message.
FINANCE_EXPORT_STALL_MINUTES = int(os.environ.get("FINANCE_EXPORT_STALL_MINUTES", "60"))
FINANCE_EXPORT_MAX_ATTEMPTS = int(os.environ.get("FINANCE_EXPORT_MAX_ATTEMPTS", "3"))

# /metrics/ (procurement/metrics.py) answers a bearer token or a client in these networks only.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(network, strict=False) for network in env_list("METRICS_ALLOWED_NETWORKS")
]

# The 1688 open platform (catalog/adapters/open1688.py, orders/adapters/trade1688.py). With no app
# key the portal runs as before (purchase orders placed by hand) and the admin says so.
# ALIBABA_OPEN_FAKE answers every call from the local fake platform
# (catalog/adapters/fake1688/, state in its own table) with its own test credentials: for
# `make run`, `seed_demo` and tests only.
ALIBABA_OPEN_FAKE = env_bool("ALIBABA_OPEN_FAKE", False)
ALIBABA_OPEN_APP_KEY = os.environ.get("ALIBABA_OPEN_APP_KEY", "")
ALIBABA_OPEN_APP_SECRET = os.environ.get("ALIBABA_OPEN_APP_SECRET", "")
ALIBABA_OPEN_REFRESH_TOKEN = os.environ.get("ALIBABA_OPEN_REFRESH_TOKEN", "")
ALIBABA_OPEN_ACCESS_TOKEN = os.environ.get("ALIBABA_OPEN_ACCESS_TOKEN", "")
ALIBABA_OPEN_BASE_URL = os.environ.get("ALIBABA_OPEN_BASE_URL", "https://gw.open.1688.com")
ALIBABA_OPEN_TIMEOUT = float(os.environ.get("ALIBABA_OPEN_TIMEOUT", "15"))
ALIBABA_OPEN_MAX_ATTEMPTS = int(os.environ.get("ALIBABA_OPEN_MAX_ATTEMPTS", "4"))
ALIBABA_OPEN_BACKOFF_SECONDS = float(os.environ.get("ALIBABA_OPEN_BACKOFF_SECONDS", "1"))
# The receiver 1688 sellers ship to: the receiving warehouse's address with this contact.
ALIBABA_RECEIVER_NAME = os.environ.get("ALIBABA_RECEIVER_NAME", "")
ALIBABA_RECEIVER_MOBILE = os.environ.get("ALIBABA_RECEIVER_MOBILE", "")
# Put before the purchase order number in the outOrderId 1688 receives, so that a second
# installation (staging) on the same 1688 account never collides with production's "PO-12".
ALIBABA_OUT_ORDER_PREFIX = os.environ.get("ALIBABA_OUT_ORDER_PREFIX", "")

# Merchants' Shopify and WooCommerce stores (orders/stores/). Their credentials are encrypted
# at rest with STORE_SECRETS_KEY (comma-separated, newest first, to rotate keys); production
# refuses to start without it. STORES_FAKE answers every store call from the in-process fakes
# (orders/stores/adapters/fake_*.py): for tests, `make run` and demos only.
STORE_SECRETS_KEYS = env_list(
    "STORE_SECRETS_KEY", "dev-only-store-secrets-key-do-not-use-in-production"
)
STORES_FAKE = env_bool("STORES_FAKE", DEBUG)
STORES_TIMEOUT_SECONDS = float(os.environ.get("STORES_TIMEOUT_SECONDS", "15"))
STORES_MAX_ATTEMPTS = int(os.environ.get("STORES_MAX_ATTEMPTS", "4"))
STORES_BACKOFF_SECONDS = float(os.environ.get("STORES_BACKOFF_SECONDS", "1"))
STORES_WEBHOOK_BASE_URL = os.environ.get("STORES_WEBHOOK_BASE_URL", SITE_URL)


# Error reporting (procurement/core/errors_reporting.py): only when SENTRY_DSN is set.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from procurement.core import errors_reporting

    errors_reporting.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        release=os.environ.get("SENTRY_RELEASE", ""),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# Structured logs (procurement/core/logs.py): JSON lines when DJANGO_LOG_FORMAT=json (the
# production default), readable lines otherwise; each carries the request id, user and company.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "text")
LOGGING = logging_config(
    json=LOG_FORMAT == "json", level=os.environ.get("DJANGO_LOG_LEVEL", "INFO")
)
