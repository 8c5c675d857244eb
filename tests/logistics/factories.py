import io
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from logistics.models import Address, RateZone, ShippingChannel, StockItem, Warehouse
from payments.models import FxRate
from tests.accounts.factories import CompanyFactory


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ["code"]

    code = "szx"
    name = "Shenzhen warehouse"
    line1 = "1 Bantian Road, Longgang"
    city = "Shenzhen"
    region = "Guangdong"
    postcode = "518000"


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    company = factory.SubFactory(CompanyFactory)
    kind = Address.Kind.END_CUSTOMER
    name = factory.Sequence(lambda n: f"Customer {n}")
    phone = "+14155550123"
    line1 = "1 Market Street"
    city = "San Francisco"
    region = "CA"
    postcode = "94105"
    country = "US"


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingChannel

    code = factory.Sequence(lambda n: f"channel-{n}")
    carrier = "SF"
    name = factory.Sequence(lambda n: f"Express {n}")
    service = ShippingChannel.Service.AIR_EXPRESS
    countries = ["US", "GB", "DE"]
    volumetric_divisor = 5000
    transit_days_min = 5
    transit_days_max = 9
    tracking = ShippingChannel.Tracking.SANDBOX


class RateZoneFactory(factory.django.DjangoModelFactory):
    """Default tariff: first 0.5 kg 100 CNY, then 30 CNY per 0.5 kg, up to 30 kg."""

    class Meta:
        model = RateZone

    channel = factory.SubFactory(ChannelFactory)
    name = "Zone 1"
    countries = ["US", "GB", "DE"]
    first_weight_kg = Decimal("0.5")
    first_price_cny = Decimal("100.00")
    additional_unit_kg = Decimal("0.5")
    additional_price_cny = Decimal("30.00")
    max_weight_kg = Decimal("30")


def channel_with_zone(**kwargs) -> ShippingChannel:
    zone_fields = {
        key.removeprefix("zone__"): kwargs.pop(key)
        for key in list(kwargs)
        if key.startswith("zone__")
    }
    channel = ChannelFactory(**kwargs)
    zone_fields.setdefault("countries", [c.code for c in channel.countries])
    RateZoneFactory(channel=channel, **zone_fields)
    return channel


class StockItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockItem

    company = factory.SubFactory(CompanyFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    description = factory.Sequence(lambda n: f"Ceramic mug set {n}")
    quantity = 10
    weight_kg = Decimal("1.200")
    length_cm = Decimal("30")
    width_cm = Decimal("20")
    height_cm = Decimal("10")
    source_reference = factory.Sequence(lambda n: f"po:{n}")
    product_reference = factory.Sequence(lambda n: f"product:{n}")
    description_zh = "陶瓷马克杯套装"
    hs_code = "691200"
    origin_country = "CN"
    unit_value = Decimal("8.50")
    value_currency = "CNY"
    bin_location = factory.Sequence(lambda n: f"A-{n % 20:02d}-1")
    arrived_at = factory.LazyFunction(timezone.now)
    free_storage_until = factory.LazyFunction(lambda: timezone.localdate())


def fx_rate(base: str, quote: str, rate: str) -> FxRate:
    return FxRate.objects.create(
        base=base,
        quote=quote,
        rate=Decimal(rate),
        source=FxRate.Source.SEED,
        as_of=timezone.now(),
    )


def image_upload(name="photo.jpg", fmt="JPEG", size=(640, 480), content_type="image/jpeg"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def pack_form_data(parcel, boxes) -> dict:
    """What the admin's pack page posts: the declaration as it stands and the given boxes
    (weight, length, width, height)."""
    lines = list(parcel.declaration.order_by("position"))
    data = {
        "line-TOTAL_FORMS": str(len(lines)),
        "line-INITIAL_FORMS": str(len(lines)),
        "line-MIN_NUM_FORMS": "0",
        "line-MAX_NUM_FORMS": "1000",
        "box-TOTAL_FORMS": str(max(len(boxes), 1)),
        "box-INITIAL_FORMS": "0",
        "box-MIN_NUM_FORMS": "1",
        "box-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(lines):
        prefix = f"line-{index}-"
        data.update(
            {
                f"{prefix}id": str(line.pk),
                f"{prefix}description_en": line.description_en,
                f"{prefix}description_zh": line.description_zh,
                f"{prefix}hs_code": line.hs_code,
                f"{prefix}origin_country": line.origin_country.code,
                f"{prefix}quantity": str(line.quantity),
                f"{prefix}unit": line.unit,
                f"{prefix}declared_value": ""
                if line.declared_value is None
                else str(line.declared_value),
                f"{prefix}value_reason": line.value_reason,
                f"{prefix}net_weight_kg": str(line.net_weight_kg),
                f"{prefix}gross_weight_kg": str(line.gross_weight_kg),
            }
        )
    for index, (weight, length, width, height) in enumerate(boxes):
        data.update(
            {
                f"box-{index}-weight_kg": str(weight),
                f"box-{index}-length_cm": str(length),
                f"box-{index}-width_cm": str(width),
                f"box-{index}-height_cm": str(height),
            }
        )
    return data
