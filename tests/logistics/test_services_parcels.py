from decimal import Decimal

import pytest
from django.core import mail

from logistics import services
from logistics.exceptions import ChannelUnavailable, LogisticsError, StockUnavailable
from logistics.models import Address, FreightCharge, Parcel, ParcelEvent, ShippingChannel, StockItem
from payments.selectors import wallet_balance
from procurement.core.exceptions import InvalidTransition
from tests.logistics.factories import (
    AddressFactory,
    StockItemFactory,
    WarehouseFactory,
    channel_with_zone,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def channel():
    return channel_with_zone()


@pytest.fixture
def address(company):
    return AddressFactory(company=company)


@pytest.fixture
def items(company, warehouse):
    # Each 1.2 kg, 30 x 20 x 10 cm (6000 cm3).
    return [StockItemFactory(company=company, warehouse=warehouse) for _ in range(2)]


def draft(company, owner, address, channel, items, **kwargs):
    return services.parcel_create(
        company=company,
        actor=owner,
        destination=address,
        channel=channel,
        item_ids=[item.pk for item in items],
        **kwargs,
    )


def test_consolidation_reserves_items_and_writes_an_event(company, owner, address, channel, items):
    parcel = draft(company, owner, address, channel, items)
    assert parcel.status == Parcel.Status.DRAFT
    assert set(parcel.items.all()) == set(items)
    assert all(
        item.status == StockItem.Status.RESERVED
        for item in StockItem.objects.filter(pk__in=[i.pk for i in items])
    )
    event = parcel.events.get()
    assert (event.actor, event.to_status) == (owner, Parcel.Status.DRAFT)


def test_items_already_in_a_parcel_or_of_another_company_are_refused(
    company, other_company, owner, address, channel, items
):
    draft(company, owner, address, channel, items[:1])
    with pytest.raises(StockUnavailable):
        draft(company, owner, address, channel, items)
    theirs = StockItemFactory(company=other_company)
    with pytest.raises(StockUnavailable):
        draft(company, owner, address, channel, [items[1], theirs])
    assert StockItem.objects.get(pk=items[1].pk).status == StockItem.Status.IN_STOCK


def test_items_from_two_warehouses_cannot_share_a_parcel(company, owner, address, channel, items):
    elsewhere = StockItemFactory(company=company, warehouse=WarehouseFactory(code="ywu"))
    with pytest.raises(LogisticsError, match="same warehouse"):
        draft(company, owner, address, channel, [items[0], elsewhere])


def test_channel_that_cannot_carry_the_goods_is_refused(company, owner, address, items):
    plain = channel_with_zone()
    battery = StockItemFactory(company=company, restricted_goods=["battery_built_in"])
    with pytest.raises(ChannelUnavailable, match=rf"Item #{battery.pk} .*battery built into"):
        draft(company, owner, address, plain, [battery])
    assert not Parcel.objects.exists()
    assert StockItem.objects.get(pk=battery.pk).status == StockItem.Status.IN_STOCK


def test_address_of_another_company_is_refused(company, other_company, owner, channel, items):
    theirs = AddressFactory(company=other_company)
    with pytest.raises(LogisticsError, match="address book"):
        draft(company, owner, theirs, channel, items)


def test_sourcing_only_company_ships_domestically_to_china(company, owner, items):
    company.uses_forwarding = False
    company.save()
    abroad = AddressFactory(company=company)
    forwarder = AddressFactory(
        company=company,
        kind=Address.Kind.FORWARDER,
        phone="+8613800138000",
        city="Shenzhen",
        postcode="518057",
        country="CN",
    )
    air = channel_with_zone()
    domestic = channel_with_zone(
        service=ShippingChannel.Service.DOMESTIC, countries=["CN"], volumetric_divisor=8000
    )
    with pytest.raises(LogisticsError, match="domestic delivery"):
        draft(company, owner, abroad, air, items)
    with pytest.raises(LogisticsError, match="domestic delivery"):
        draft(company, owner, forwarder, air, items)
    parcel = draft(company, owner, forwarder, domestic, items)
    assert parcel.channel == domestic


def test_estimate_then_actual_freight_and_difference(
    company, owner, address, channel, items, cny_usd
):
    parcel = draft(company, owner, address, channel, items, insured_value=D("200"))
    assert parcel.insurance_fee == D("4.00")  # 2 % of 200 USD
    parcel = services.parcel_request_packing(parcel=parcel, actor=owner)
    # 2.4 kg actual, 12000 cm3 / 5000 = 2.4 kg volumetric -> 2.5 kg: 100 + 4 x 30 = 220 CNY.
    assert parcel.status == Parcel.Status.PACKING_REQUESTED
    assert parcel.estimated_weight_kg == D("2.4")
    assert parcel.estimated_chargeable_kg == D("2.5")
    assert parcel.estimated_freight_cny == D("220.00")
    assert parcel.estimated_freight == D("30.80")

    # The box came out bigger: 40 x 30 x 20 / 5000 = 4.8 kg -> 5.0 kg: 100 + 9 x 30 = 370 CNY.
    parcel = services.parcel_pack(
        parcel=parcel,
        actor=owner,
        weight_kg=D("2.6"),
        length_cm=D("40"),
        width_cm=D("30"),
        height_cm=D("20"),
    )
    assert parcel.status == Parcel.Status.PACKED
    assert parcel.actual_chargeable_kg == D("5.0")
    assert parcel.actual_freight_cny == D("370.00")
    assert parcel.actual_freight == D("51.80")
    assert parcel.freight_difference_cny == D("150.00")
    assert parcel.freight_difference == D("21.00")
    # The wallet paid each step at the quote's client rate (mid 1/0.14 CNY per USD less the
    # default 150 bps markup = 7.0357 CNY per USD): 220 -> 31.27, 150 -> 21.32, insurance 4.00.
    charges = {c.kind: c for c in parcel.charges.all()}
    assert charges[FreightCharge.Kind.ESTIMATE].amount_cny == D("220.00")
    assert charges[FreightCharge.Kind.ESTIMATE].amount == D("31.27")
    assert charges[FreightCharge.Kind.INSURANCE].amount == D("4.00")
    assert charges[FreightCharge.Kind.ADJUSTMENT].amount_cny == D("150.00")
    assert charges[FreightCharge.Kind.ADJUSTMENT].amount == D("21.32")
    assert all(charge.ledger_reference for charge in charges.values())
    assert wallet_balance(company=company, currency="USD") == D("1000") - D("56.59")


def test_lighter_parcel_gives_a_negative_difference(company, owner, address, channel, items):
    parcel = services.parcel_request_packing(
        parcel=draft(company, owner, address, channel, items), actor=owner
    )
    parcel = services.parcel_pack(
        parcel=parcel,
        actor=owner,
        weight_kg=D("1.9"),
        length_cm=D("20"),
        width_cm=D("20"),
        height_cm=D("20"),
    )  # 1.9 kg vs 1.6 kg volumetric -> 2.0 kg: 190 CNY against 220 estimated.
    assert parcel.freight_difference_cny == D("-30.00")
    back = parcel.charges.get(kind=FreightCharge.Kind.ADJUSTMENT)
    assert back.amount_cny == D("-30.00")
    assert back.ledger_reference
    # Refunded at the estimate's own client rate; the wallet ends up paying for 190 CNY.
    estimate = parcel.charges.get(kind=FreightCharge.Kind.ESTIMATE)
    assert back.amount < 0
    paid = D("1000") - wallet_balance(company=company, currency="USD")
    assert paid == estimate.amount + back.amount


def test_packing_uses_the_tariff_fixed_at_request(company, owner, address, channel, items):
    parcel = services.parcel_request_packing(
        parcel=draft(company, owner, address, channel, items), actor=owner
    )
    channel.zones.update(first_price_cny=D("999"))
    parcel = services.parcel_pack(
        parcel=parcel,
        actor=owner,
        weight_kg=D("2.4"),
        length_cm=D("30"),
        width_cm=D("20"),
        height_cm=D("20"),
    )
    assert parcel.actual_freight_cny == D("220.00")
    assert parcel.freight_difference_cny == 0
    assert not parcel.charges.filter(kind=FreightCharge.Kind.ADJUSTMENT).exists()


def test_packed_above_maximum_is_refused_and_stays_requested(
    company, owner, address, channel, items
):
    parcel = services.parcel_request_packing(
        parcel=draft(company, owner, address, channel, items), actor=owner
    )
    with pytest.raises(ChannelUnavailable, match="above this channel"):
        services.parcel_pack(
            parcel=parcel,
            actor=owner,
            weight_kg=D("31"),
            length_cm=D("10"),
            width_cm=D("10"),
            height_cm=D("10"),
        )
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.PACKING_REQUESTED
    assert parcel.actual_freight_cny is None


def test_transitions_follow_the_table(company, owner, address, channel, items):
    parcel = draft(company, owner, address, channel, items)
    with pytest.raises(InvalidTransition):
        services.parcel_ship(parcel=parcel, actor=owner, tracking_number="SF1")
    with pytest.raises(InvalidTransition):
        services.parcel_pack(
            parcel=parcel,
            actor=owner,
            weight_kg=D(1),
            length_cm=D(1),
            width_cm=D(1),
            height_cm=D(1),
        )
    with pytest.raises(InvalidTransition):
        services.parcel_transition(parcel=parcel, to_status=Parcel.Status.DELIVERED, actor=owner)
    parcel = services.parcel_request_packing(parcel=parcel, actor=owner)
    with pytest.raises(InvalidTransition):
        services.parcel_request_packing(parcel=parcel, actor=owner)
    parcel = services.parcel_pack(
        parcel=parcel,
        actor=owner,
        weight_kg=D("2.4"),
        length_cm=D("30"),
        width_cm=D("20"),
        height_cm=D("20"),
    )
    with pytest.raises(InvalidTransition):
        services.parcel_cancel(parcel=parcel, actor=owner)
    parcel = services.parcel_ship(parcel=parcel, actor=owner, tracking_number=" sf 123 ")
    assert parcel.tracking_number == "SF123"
    assert parcel.shipped_at is not None
    assert set(StockItem.objects.filter(parcel=parcel).values_list("status", flat=True)) == {
        StockItem.Status.SHIPPED
    }
    parcel = services.parcel_transition(
        parcel=parcel, to_status=Parcel.Status.DELIVERED, actor=None, note="Signed by J"
    )
    with pytest.raises(InvalidTransition):
        services.parcel_transition(parcel=parcel, to_status=Parcel.Status.IN_TRANSIT, actor=None)
    steps = list(ParcelEvent.objects.filter(parcel=parcel).values_list("from_status", "to_status"))
    assert steps == [
        ("draft", "draft"),
        ("draft", "packing_requested"),
        ("packing_requested", "packed"),
        ("packed", "shipped"),
        ("shipped", "delivered"),
    ]


def test_every_status_is_in_the_table():
    assert set(Parcel.TRANSITIONS) == set(Parcel.Status.values)
    for targets in Parcel.TRANSITIONS.values():
        assert targets <= set(Parcel.Status.values)


def test_cancel_releases_items_and_refunds_the_estimate(company, owner, address, channel, items):
    parcel = services.parcel_request_packing(
        parcel=draft(company, owner, address, channel, items, insured_value=D("100")), actor=owner
    )
    parcel = services.parcel_cancel(parcel=parcel, actor=owner, reason="Changed my mind")
    assert parcel.status == Parcel.Status.CANCELLED
    assert not parcel.items.exists()
    assert set(
        StockItem.objects.filter(pk__in=[i.pk for i in items]).values_list("status", flat=True)
    ) == {StockItem.Status.IN_STOCK}
    refunds = parcel.charges.filter(kind=FreightCharge.Kind.REFUND).order_by("pk")
    assert [r.amount_cny for r in refunds] == [D("-220.00"), D("0.00")]  # freight, insurance
    assert all(r.ledger_reference for r in refunds)
    assert wallet_balance(company=company, currency="USD") == D("1000")
    assert parcel.events.last().note == "Changed my mind"


def test_not_enough_balance_refuses_the_packing_request(owner, address, channel):
    from tests.accounts.factories import CompanyFactory

    poor = CompanyFactory()
    item = StockItemFactory(company=poor)
    parcel = draft(poor, owner, AddressFactory(company=poor), channel, [item])
    with pytest.raises(LogisticsError, match="balance"):
        services.parcel_request_packing(parcel=parcel, actor=owner)
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.DRAFT
    assert not parcel.charges.exists()


def test_unsettled_adjustment_is_retried(company, owner, address, channel, items, monkeypatch):
    from logistics.services import charges
    from payments import exceptions as payment_errors

    parcel = services.parcel_request_packing(
        parcel=draft(company, owner, address, channel, items), actor=owner
    )
    real = charges.payments.logistics_charge

    def refuse(**kwargs):
        raise payment_errors.InsufficientBalance

    monkeypatch.setattr(charges.payments, "logistics_charge", refuse)
    parcel = services.parcel_pack(
        parcel=parcel,
        actor=owner,
        weight_kg=D("5"),
        length_cm=D("10"),
        width_cm=D("10"),
        height_cm=D("10"),
    )
    assert parcel.status == Parcel.Status.PACKED  # packing is not blocked by the wallet
    adjustment = parcel.charges.get(kind=FreightCharge.Kind.ADJUSTMENT)
    assert adjustment.ledger_reference == ""
    assert services.charges_settle_pending() == 0
    monkeypatch.setattr(charges.payments, "logistics_charge", real)
    assert services.charges_settle_pending() == 1
    adjustment.refresh_from_db()
    assert adjustment.ledger_reference
    assert services.charges_settle_pending() == 0


def test_send_back_to_draft_refunds_and_a_new_request_charges_again(
    company, owner, staff_user, address, channel, items
):
    parcel = services.parcel_request_packing(
        parcel=draft(company, owner, address, channel, items), actor=owner
    )
    parcel = services.parcel_send_back(parcel=parcel, actor=staff_user, reason="Too big")
    assert parcel.status == Parcel.Status.DRAFT
    assert parcel.charges.get(kind=FreightCharge.Kind.REFUND).amount_cny == D("-220.00")
    assert parcel.items.count() == 2
    parcel = services.parcel_request_packing(parcel=parcel, actor=owner)
    assert parcel.charges.filter(kind=FreightCharge.Kind.ESTIMATE).count() == 2
    assert wallet_balance(company=company, currency="USD") < D("1000")


def test_tracking_number_unique_per_channel(company, owner, address, channel, items):
    def packed(item):
        parcel = services.parcel_request_packing(
            parcel=draft(company, owner, address, channel, [item]), actor=owner
        )
        return services.parcel_pack(
            parcel=parcel,
            actor=owner,
            weight_kg=D("1"),
            length_cm=D("10"),
            width_cm=D("10"),
            height_cm=D("10"),
        )

    first, second = packed(items[0]), packed(items[1])
    services.parcel_ship(parcel=first, actor=owner, tracking_number="SF1")
    with pytest.raises(LogisticsError, match="already has this tracking number"):
        services.parcel_ship(parcel=second, actor=owner, tracking_number="sf1")


def test_exception_mails_the_merchant_on_commit(
    company, owner, address, channel, items, django_capture_on_commit_callbacks
):
    parcel = services.parcel_request_packing(
        parcel=draft(company, owner, address, channel, items), actor=owner
    )
    parcel = services.parcel_pack(
        parcel=parcel,
        actor=owner,
        weight_kg=D("2"),
        length_cm=D("10"),
        width_cm=D("10"),
        height_cm=D("10"),
    )
    parcel = services.parcel_ship(parcel=parcel, actor=owner, tracking_number="SF9")
    with django_capture_on_commit_callbacks(execute=True):
        services.parcel_transition(
            parcel=parcel, to_status=Parcel.Status.CUSTOMS_HOLD, actor=None, note="Held"
        )
    assert len(mail.outbox) == 1
    assert parcel.reference in mail.outbox[0].subject
    assert owner.email in mail.outbox[0].to


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_parcels_racing_for_the_same_item_reserve_it_once(company, owner, address, channel):
    import threading

    from django.db import connection

    item = StockItemFactory(company=company)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def pick():
        try:
            barrier.wait()
            draft(company, owner, address, channel, [item])
            results.append("ok")
        except StockUnavailable:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=pick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "refused"]
    assert Parcel.objects.count() == 1
