"""The company's side of API keys and webhooks: who may manage them, and whom a key acts for.

The keys, endpoints, deliveries and their mechanics are the kernel's (`procurement.core.apikeys`,
`procurement.core.webhooks`). What needs companies and roles stays here: only an owner creates,
revokes or changes them, and a key works only while its creator is still a member of the company
(the API acts as that member: approval limits, event authors). The owner's integrations page, the
API and the demo data call these functions.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import F, FilteredRelation, Q
from django.utils.translation import gettext as _

from procurement.accounts import exceptions
from procurement.accounts.models import Company, Membership, Role, User
from procurement.core import apikeys, webhooks
from procurement.core.exceptions import DomainError
from procurement.core.models import ApiKey, WebhookDelivery, WebhookEndpoint


def _require_owner(*, company: Company, actor: User) -> None:
    if not Membership.objects.filter(company=company, user=actor, role=Role.OWNER).exists():
        raise exceptions.AccountsError(_("Only an owner can manage integrations."))


@contextmanager
def _as_accounts_refusal() -> Iterator[None]:
    """The kernel's refusal (a bad URL, no scope chosen) reaches the owner as this app's own
    error, with its message and code, as every other refusal of these services."""
    try:
        yield
    except exceptions.AccountsError:
        raise
    except DomainError as error:
        raise exceptions.AccountsError(error.message, code=error.code) from error


# --- API keys ------------------------------------------------------------------------------------


@transaction.atomic
def api_key_create(
    *, company: Company, actor: User, name: str, scopes: list[str]
) -> apikeys.IssuedKey:
    _require_owner(company=company, actor=actor)
    with _as_accounts_refusal():
        return apikeys.api_key_create(company=company, created_by=actor, name=name, scopes=scopes)


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: User) -> ApiKey:
    _require_owner(company=key.company, actor=actor)
    return apikeys.api_key_revoke(key=key)


def api_key_authenticate(*, token: str) -> ApiKey | None:
    """The active key for a bearer token, or None. A key whose creator left the company stops
    working too: the API acts as that person (approval limits, event authors).
    `key.membership` is the creator's membership, with its user and company loaded.

    One query on every API call: the key, its company, its creator and the creator's membership
    of that company (none when they left it) are read together."""
    keys = ApiKey.objects.annotate(
        creator_membership=FilteredRelation(
            "company__memberships",
            condition=Q(company__memberships__user=F("created_by")),
        )
    ).select_related("company", "created_by", "creator_membership")
    key = apikeys.api_key_find(token=token, keys=keys)
    if key is None:
        return None
    # Not set at all when the join found no membership.
    membership = getattr(key, "creator_membership", None)
    if membership is None or not key.created_by.is_active:
        return None
    membership.user, membership.company = key.created_by, key.company
    key.membership = membership
    apikeys.api_key_touch(key=key)
    return key


# --- Webhook endpoints ---------------------------------------------------------------------------


@transaction.atomic
def webhook_endpoint_create(
    *, company: Company, actor: User, url: str, events: list[str]
) -> webhooks.IssuedEndpoint:
    _require_owner(company=company, actor=actor)
    with _as_accounts_refusal():
        return webhooks.webhook_endpoint_create(
            company=company, created_by=actor, url=url, events=events
        )


@transaction.atomic
def webhook_endpoint_set_active(
    *, endpoint: WebhookEndpoint, actor: User, active: bool
) -> WebhookEndpoint:
    _require_owner(company=endpoint.company, actor=actor)
    return webhooks.webhook_endpoint_set_active(endpoint=endpoint, active=active)


@transaction.atomic
def webhook_endpoint_test(*, endpoint: WebhookEndpoint, actor: User) -> WebhookDelivery:
    """Send a harmless test event to one endpoint, even a disabled one."""
    _require_owner(company=endpoint.company, actor=actor)
    return webhooks.webhook_endpoint_test(endpoint=endpoint)


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, actor: User
) -> webhooks.IssuedEndpoint:
    """A new signing secret for one endpoint, shown once."""
    _require_owner(company=endpoint.company, actor=actor)
    return webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint)


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """Send one delivery again, with its event id, to its endpoint."""
    _require_owner(company=delivery.company, actor=actor)
    with _as_accounts_refusal():
        return webhooks.webhook_delivery_redeliver(delivery=delivery)
