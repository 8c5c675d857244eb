"""The channel a store's orders travel by: the connection's default channel and one rule per
destination country, each checked against what the channel carries where (the logistics rule
that also refuses parcels and prices the channel comparison)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django_countries import countries

from logistics import rates
from logistics import selectors as logistics_selectors
from logistics.models import ShippingChannel
from orders.stores.models import ChannelRule, StoreConnection
from procurement.core.exceptions import DomainError


def _country(code: str) -> str:
    code = (code or "").strip().upper()
    if code not in dict(countries):
        raise DomainError(_("Choose a destination country."), field="country")
    return code


@transaction.atomic
def channel_rule_set(
    *, connection: StoreConnection, country: str, channel: ShippingChannel
) -> ChannelRule:
    """Send the store's orders to `country` by `channel` (replacing the country's rule): a
    channel the company may choose that serves the country and has a rate for it."""
    country = _country(country)
    allowed = logistics_selectors.channels_for_company(company=connection.company)
    if not allowed.filter(pk=channel.pk).exists():
        raise DomainError(_("Choose one of the shipping channels offered to you."), field="channel")
    why = rates.channel_refusal(channel=channel, destination_country=country)
    if why:
        raise DomainError(
            _("%(channel)s cannot be used for %(country)s: %(why)s")
            % {"channel": channel, "country": countries.name(country), "why": why},
            field="channel",
        )
    rule, _created = ChannelRule.objects.update_or_create(
        connection=connection, country=country, defaults={"channel": channel}
    )
    return rule


@transaction.atomic
def channel_rule_remove(*, connection: StoreConnection, country: str) -> int:
    """Orders to `country` go by the default channel again. Returns how many rules went."""
    deleted, _detail = ChannelRule.objects.filter(
        connection=connection, country=(country or "").strip().upper()
    ).delete()
    return deleted
