"""The whole demo set for development: people and companies, a catalog, a warehouse with
shipping channels, address books and funded wallets, and (against the fake 1688) offers
imported from the open platform and a purchase order placed there (`procurement.demo.alibaba`).
Idempotent: a second run adds nothing."""

from decimal import Decimal

from django.db import transaction

from catalog.demo import seed_demo_catalog
from logistics.models import Address, RateZone, ShippingChannel, Warehouse
from orders.stores.demo import seed_demo_stores
from payments import services as payment_services
from payments.models import TopUp
from procurement.accounts.demo import seed_demo as seed_demo_accounts
from procurement.accounts.models import Company
from procurement.demo.alibaba import seed_demo_1688

WAREHOUSE = {
    "code": "gz1",
    "name": "Guangzhou Baiyun warehouse",
    "line1": "18 Helong 2nd Road, Baiyun District",
    "city": "Guangzhou",
    "region": "Guangdong",
    "postcode": "510440",
    "phone": "+86 20 8666 0000",
}

ZONES = {
    "north-america": ["US", "CA"],
    "europe": ["DE", "FR", "GB", "NL", "ES", "IT", "IE", "BE", "AT", "PL", "SE", "DK"],
    "asia-pacific": ["JP", "SG", "HK", "AU", "NZ", "KR"],
}
ALL_ABROAD = sorted({code for codes in ZONES.values() for code in codes})

# code, carrier, name, service, divisor, transit, batteries, liquids, countries, zone prices
# (first kg, first price, additional unit kg, additional price, max kg) per zone
CHANNELS = [
    (
        "dhl-express",
        "DHL",
        "DHL Express Worldwide",
        "air_express",
        5000,
        (3, 6),
        False,
        False,
        ALL_ABROAD,
        (Decimal("0.5"), Decimal("150"), Decimal("0.5"), Decimal("45"), Decimal("70")),
    ),
    (
        "air-economy",
        "China Post",
        "Air freight economy",
        "air_freight",
        6000,
        (8, 15),
        True,
        False,
        ALL_ABROAD,
        (Decimal("1"), Decimal("95"), Decimal("1"), Decimal("60"), Decimal("30")),
    ),
    (
        "sea-lcl",
        "COSCO",
        "Sea freight (LCL)",
        "sea",
        8000,
        (30, 45),
        True,
        True,
        ALL_ABROAD,
        (Decimal("21"), Decimal("600"), Decimal("1"), Decimal("12"), Decimal("2000")),
    ),
    (
        "sf-domestic",
        "SF Express",
        "Domestic delivery in China",
        "domestic",
        6000,
        (1, 3),
        True,
        True,
        ["CN"],
        (Decimal("1"), Decimal("12"), Decimal("1"), Decimal("4"), Decimal("50")),
    ),
]

ADDRESSES = {
    "Acme Trading LLC": [
        {
            "kind": Address.Kind.END_CUSTOMER,
            "name": "Jordan Lee",
            "company_name": "",
            "phone": "+1 415 555 0123",
            "line1": "500 Market Street",
            "city": "San Francisco",
            "region": "CA",
            "postcode": "94105",
            "country": "US",
        },
        {
            "kind": Address.Kind.FORWARDER,
            "name": "Chen Wei",
            "company_name": "Yiwu Fast Freight",
            "phone": "+86 579 8555 1234",
            "line1": "88 Chouzhou North Road",
            "city": "Yiwu",
            "region": "Zhejiang",
            "postcode": "322000",
            "country": "CN",
        },
    ],
    "Nordhaus Einrichtung GmbH": [
        {
            "kind": Address.Kind.END_CUSTOMER,
            "name": "Lena Schmidt",
            "company_name": "Nordhaus Lager",
            "phone": "+49 40 1234567",
            "line1": "Billstrasse 12",
            "city": "Hamburg",
            "region": "",
            "postcode": "20539",
            "country": "DE",
        },
    ],
}

WALLET_FUNDS = {"Acme Trading LLC": Decimal("25000"), "Nordhaus Einrichtung GmbH": Decimal("8000")}


def _seed_logistics() -> None:
    Warehouse.objects.get_or_create(code=WAREHOUSE["code"], defaults=WAREHOUSE)
    for code, carrier, name, service, divisor, (
        t_min,
        t_max,
    ), batteries, liquids, countries, prices in CHANNELS:
        channel, created = ShippingChannel.objects.get_or_create(
            code=code,
            defaults={
                "carrier": carrier,
                "name": name,
                "service": service,
                "countries": countries,
                "volumetric_divisor": divisor,
                "accepted_hazards": (
                    ["battery_built_in", "battery_packed", "battery_standalone"]
                    if batteries
                    else []
                )
                + (["liquids"] if liquids else []),
                "needs_declaration": service != "domestic",
                "transit_days_min": t_min,
                "transit_days_max": t_max,
            },
        )
        if not created:
            continue
        first_kg, first_price, unit_kg, unit_price, max_kg = prices
        zones = {"china": ["CN"]} if service == "domestic" else ZONES
        for index, (zone, zone_countries) in enumerate(zones.items()):
            # Further zones cost a little more.
            factor = Decimal(1) + Decimal(index) / 10
            RateZone.objects.create(
                channel=channel,
                name=zone,
                countries=zone_countries,
                first_weight_kg=first_kg,
                first_price_cny=(first_price * factor).quantize(Decimal("0.01")),
                additional_unit_kg=unit_kg,
                additional_price_cny=(unit_price * factor).quantize(Decimal("0.01")),
                max_weight_kg=max_kg,
            )


def _seed_companies() -> None:
    for legal_name, addresses in ADDRESSES.items():
        company = Company.objects.get(legal_name=legal_name)
        for fields in addresses:
            Address.objects.get_or_create(company=company, line1=fields["line1"], defaults=fields)
    for legal_name, amount in WALLET_FUNDS.items():
        company = Company.objects.get(legal_name=legal_name)
        if TopUp.objects.filter(company=company).exists():
            continue
        owner = company.memberships.filter(role="owner").first().user
        top_up = payment_services.top_up_create(company=company, amount=amount, actor=owner)
        payment_services.top_up_transition(
            top_up=top_up,
            to_status=TopUp.Status.SUCCEEDED,
            actor=owner,
            reason="Demo funds for development",
        )


def seed_demo() -> dict[str, object]:
    created = seed_demo_accounts()
    created["catalog"] = seed_demo_catalog()
    with transaction.atomic():
        _seed_logistics()
        _seed_companies()
    created["alibaba"] = seed_demo_1688()
    created["stores"] = seed_demo_stores()
    return created
