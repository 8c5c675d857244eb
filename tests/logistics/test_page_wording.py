"""Parcel pages say what is true: a channel named after its carrier does not repeat it, and a
shipped parcel does not promise events "once it has shipped"."""

import pytest
from django.urls import reverse
from django.utils import timezone

from logistics import services
from logistics.models import Parcel
from tests.logistics.factories import (
    AddressFactory,
    ChannelFactory,
    StockItemFactory,
    channel_with_zone,
)

pytestmark = pytest.mark.django_db


def test_a_channel_named_after_its_carrier_does_not_repeat_it():
    assert str(ChannelFactory.build(carrier="DHL", name="DHL Express Worldwide")) == (
        "DHL Express Worldwide"
    )
    assert str(ChannelFactory.build(carrier="SF", name="Economy Air")) == "SF Economy Air"


def test_a_shipped_parcel_without_events_says_so(owner_client, owner, company):
    channel = channel_with_zone(carrier="DHL", name="DHL Express Worldwide")
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel,
        item_ids=[StockItemFactory(company=company).pk],
    )
    url = reverse("logistics:parcel-detail", args=[parcel.pk])
    draft = owner_client.get(url).text
    assert "DHL DHL" not in draft
    assert "once the parcel has shipped" in draft

    Parcel.objects.filter(pk=parcel.pk).update(shipped_at=timezone.now())
    shipped = owner_client.get(url).text

    assert "once the parcel has shipped" not in shipped
    assert "the carrier has not reported any event yet" in shipped
