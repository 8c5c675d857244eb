"""The customs thresholds that decide what a parcel to the EU, the UK and the United States
needs, from the authorities' own pages. Staff keep them up to date in the admin."""

import datetime
from decimal import Decimal

from django.db import migrations

EU = (
    "AT,BE,BG,HR,CY,CZ,DK,EE,FI,FR,DE,GR,HU,IE,IT,LV,LT,LU,MT,NL,PL,PT,RO,SK,SI,ES,SE"
)

THRESHOLDS = [
    {
        "name": "EU: Import One-Stop Shop (IOSS)",
        "countries": EU,
        "amount": Decimal("150.00"),
        "currency": "EUR",
        "number_needed": "ioss",
        "rule": (
            "Consignments of an intrinsic value up to EUR 150 can have their import VAT paid "
            "through the seller's IOSS number, which the carrier declares; above EUR 150, or "
            "without an IOSS number, VAT and duty are collected at import from the recipient "
            "and a full customs declaration is needed."
        ),
        "source_title": (
            "European Commission, Import One-Stop Shop (IOSS); Council Directive (EU) 2017/2455"
        ),
        "source_url": (
            "https://vat-one-stop-shop.ec.europa.eu/one-stop-shop/import-one-stop-shop-ioss_en"
        ),
        "effective_from": datetime.date(2021, 7, 1),
        "checked_on": datetime.date(2021, 7, 1),
    },
    {
        "name": "United Kingdom: goods up to GBP 135",
        "countries": "GB",
        "amount": Decimal("135.00"),
        "currency": "GBP",
        "number_needed": "vat",
        "rule": (
            "For consignments up to GBP 135 the seller charges UK VAT at the point of sale and "
            "needs a UK VAT number; above GBP 135, import VAT and any duty are paid at the "
            "border. Excise goods are excluded."
        ),
        "source_title": "GOV.UK, VAT and overseas goods sold directly to customers in the UK",
        "source_url": (
            "https://www.gov.uk/guidance/vat-and-overseas-goods-sold-directly-to-customers-in-the-uk"
        ),
        "effective_from": datetime.date(2021, 1, 1),
        "checked_on": datetime.date(2021, 1, 1),
    },
    {
        "name": "United States: de minimis suspended",
        "countries": "US",
        "amount": Decimal("0.00"),
        "currency": "USD",
        "number_needed": "",
        "rule": (
            "Duty-free de minimis treatment (USD 800, 19 U.S.C. 1321) is suspended for goods "
            "from every country since 29 August 2025 (and for goods from China and Hong Kong "
            "since 2 May 2025): every parcel pays duties and needs an entry, whatever its value."
        ),
        "source_title": (
            "Executive Order 14324, Suspending Duty-Free De Minimis Treatment for All Countries "
            "(30 July 2025); U.S. Customs and Border Protection, de minimis guidance"
        ),
        "source_url": "https://www.cbp.gov/trade/trade-enforcement/tftea/de-minimis",
        "effective_from": datetime.date(2025, 8, 29),
        "checked_on": datetime.date(2025, 8, 29),
    },
]


def seed(apps, schema_editor):
    Threshold = apps.get_model("logistics", "CustomsThreshold")
    for row in THRESHOLDS:
        Threshold.objects.update_or_create(name=row["name"], defaults=row)


def unseed(apps, schema_editor):
    Threshold = apps.get_model("logistics", "CustomsThreshold")
    Threshold.objects.filter(name__in=[row["name"] for row in THRESHOLDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("logistics", "0005_customs_hazards_declarations_boxes")]

    operations = [migrations.RunPython(seed, unseed)]
