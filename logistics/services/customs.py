"""Customs declarations of outbound parcels: built from the stock items' copied data, corrected
by staff, checked before packing; the merchant's customs numbers; the thresholds that apply."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from logistics.exceptions import DeclarationIncomplete, LogisticsError
from logistics.models import (
    CustomsProfile,
    CustomsThreshold,
    DeclarationLine,
    Parcel,
    ParcelEvent,
    StockItem,
)
from payments.money import quantize
from payments.selectors import convert_for_display
from procurement.accounts.models import Company, User
from procurement.core.hazards import hazard_labels
from procurement.core.phrases import phrase

HS_CODE = re.compile(r"^[0-9]{6,12}$")
IOSS_NUMBER = re.compile(r"^IM[0-9]{10}$")
EORI_NUMBER = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")


def documents_stale(parcel: Parcel) -> None:
    """What the parcel's documents print changed: every document built so far is out of date
    (`ParcelDocument.is_current` compares versions)."""
    Parcel.objects.filter(pk=parcel.pk).update(documents_version=F("documents_version") + 1)
    parcel.refresh_from_db(fields=["documents_version"])


def _line_key(item: StockItem) -> str:
    return item.product_reference or f"item:{item.pk}"


def _paid_value(items: Sequence[StockItem], currency: str) -> Decimal | None:
    """What the merchant paid for the items, in `currency`; None when any value or rate is
    unknown (the declaration then asks for a value rather than guessing one)."""
    total = Decimal(0)
    for item in items:
        if item.unit_value is None or not item.value_currency:
            return None
        converted = convert_for_display(
            amount=item.unit_value * item.quantity,
            from_currency=item.value_currency,
            to_currency=currency,
        )
        if converted is None:
            return None
        total += converted
    return quantize(total, currency)


def declaration_build(*, parcel: Parcel, items: Sequence[StockItem]) -> list[DeclarationLine]:
    """One line per product in the parcel (items of no known product get a line each), valued
    at what the merchant paid, in the parcel's declaration currency. Replaces earlier lines."""
    groups: dict[str, list[StockItem]] = {}
    for item in sorted(items, key=lambda item: item.pk):
        groups.setdefault(_line_key(item), []).append(item)
    currency = parcel.declaration_currency
    lines = []
    for position, group in enumerate(groups.values(), start=1):
        first = group[0]
        weight = sum((item.weight_kg for item in group), Decimal(0))
        paid = _paid_value(group, currency)
        lines.append(
            DeclarationLine(
                parcel=parcel,
                position=position,
                product_reference=first.product_reference,
                description_en=first.description,
                description_zh=first.description_zh,
                hs_code=first.hs_code,
                origin_country=first.origin_country or "CN",
                quantity=sum(item.quantity for item in group),
                unit=first.unit or "piece",
                paid_value=paid,
                declared_value=paid,
                net_weight_kg=weight,
                gross_weight_kg=weight,
            )
        )
    parcel.declaration.all().delete()
    created = DeclarationLine.objects.bulk_create(lines)
    documents_stale(parcel)
    return created


def _line_label(line: DeclarationLine) -> str:
    return _("Line %(n)s (%(description)s)") % {
        "n": line.position,
        "description": line.description_en,
    }


def declaration_problems(*, parcel: Parcel) -> list[str]:
    """What stops the parcel from being packed, each naming its line: a missing or short HS code
    (on channels that need a declaration), no or zero declared value, a lower value without a
    reason, goods the channel refuses."""
    problems = []
    lines = list(parcel.declaration.all())
    if not lines:
        problems.append(_("The parcel has no declaration lines."))
    for line in lines:
        label = _line_label(line)
        if parcel.channel.needs_declaration and not HS_CODE.match(line.hs_code or ""):
            problems.append(_("%(line)s: enter an HS code of at least 6 digits.") % {"line": label})
        if line.declared_value is None or line.declared_value <= 0:
            problems.append(
                _("%(line)s: the declared value must be greater than zero.") % {"line": label}
            )
        elif (
            line.paid_value is not None
            and line.declared_value < line.paid_value
            and not line.value_reason.strip()
        ):
            problems.append(
                _("%(line)s: give the reason for declaring less than was paid.") % {"line": label}
            )
    for item in parcel.items.all():
        refused = parcel.channel.refused_hazards(item.restricted_goods)
        if refused:
            problems.append(
                _("Item #%(pk)s (%(description)s): %(channel)s does not carry %(goods)s.")
                % {
                    "pk": item.pk,
                    "description": item.description,
                    "channel": parcel.channel,
                    "goods": hazard_labels(refused).lower(),
                }
            )
    return problems


def declaration_check(*, parcel: Parcel) -> None:
    problems = declaration_problems(parcel=parcel)
    if problems:
        raise DeclarationIncomplete(problems=problems)


@transaction.atomic
def declaration_line_update(
    *,
    line: DeclarationLine,
    actor: User,
    description_en: str,
    description_zh: str,
    hs_code: str,
    origin_country: str,
    quantity: int,
    unit: str,
    declared_value: Decimal,
    value_reason: str = "",
    net_weight_kg: Decimal,
    gross_weight_kg: Decimal,
) -> DeclarationLine:
    """Staff (or the merchant before packing) correct a line. A value below what was paid needs a
    reason, which is kept on the line and in the parcel's history."""
    line = DeclarationLine.objects.select_for_update().select_related("parcel").get(pk=line.pk)
    parcel = line.parcel
    if parcel.status not in (Parcel.Status.DRAFT, Parcel.Status.PACKING_REQUESTED):
        raise LogisticsError(_("The declaration of a packed parcel cannot change."))
    label = _line_label(line)
    hs_code = "".join((hs_code or "").split()).replace(".", "")
    if hs_code and not HS_CODE.match(hs_code):
        raise ValidationError(
            {"hs_code": _("%(line)s: an HS code has 6 to 12 digits.") % {"line": label}}
        )
    if declared_value is None or declared_value <= 0:
        raise ValidationError(
            {
                "declared_value": _("%(line)s: the declared value must be greater than zero.")
                % {"line": label}
            }
        )
    reason = (value_reason or "").strip()
    lowered = line.paid_value is not None and declared_value < line.paid_value
    if lowered and not reason:
        raise ValidationError(
            {
                "value_reason": _(
                    "%(line)s: %(value)s is below the %(paid)s paid; give the reason."
                )
                % {"line": label, "value": declared_value, "paid": line.paid_value}
            }
        )
    if gross_weight_kg < net_weight_kg:
        raise ValidationError(
            {
                "gross_weight_kg": _("%(line)s: the gross weight cannot be below the net weight.")
                % {"line": label}
            }
        )
    changed_value = declared_value != line.declared_value
    line.description_en = description_en.strip()[:300]
    line.description_zh = description_zh.strip()[:300]
    line.hs_code = hs_code
    line.origin_country = origin_country
    line.quantity = quantity
    line.unit = unit
    line.declared_value = quantize(declared_value, parcel.declaration_currency)
    line.value_reason = reason if lowered else ""
    line.net_weight_kg = net_weight_kg
    line.gross_weight_kg = gross_weight_kg
    line.full_clean(exclude=["parcel"])
    line.save()
    documents_stale(parcel)
    if changed_value:
        note = phrase(
            "%(line)s declared at %(value)s %(currency)s",
            line=label,
            value=line.declared_value,
            currency=parcel.declaration_currency,
        )
        if lowered:
            note = f"{note} ({_('paid %(paid)s') % {'paid': line.paid_value}}): {reason}"
        ParcelEvent.objects.create(
            parcel=parcel,
            actor=actor,
            from_status=parcel.status,
            to_status=parcel.status,
            reason=note[:500],
        )
    return line


def declaration_currencies(parcel: Parcel) -> list[str]:
    """The currencies a merchant may declare in: its wallet's, and those customs thresholds and
    carriers commonly use."""
    return list(dict.fromkeys([parcel.currency, "USD", "EUR", "GBP", "CNY"]))


@transaction.atomic
def declaration_currency_set(*, parcel: Parcel, actor: User, currency: str) -> Parcel:
    """The merchant chooses the declaration's currency: the values paid are converted again."""
    parcel = Parcel.objects.select_for_update().get(pk=parcel.pk)
    if parcel.status not in (Parcel.Status.DRAFT, Parcel.Status.PACKING_REQUESTED):
        raise LogisticsError(_("The declaration of a packed parcel cannot change."))
    currency = (currency or "").upper()
    if currency not in declaration_currencies(parcel):
        raise ValidationError({"currency": _("Choose a currency.")})
    parcel.declared_currency = currency
    parcel.save(update_fields=["declared_currency", "updated_at"])
    declaration_build(parcel=parcel, items=list(parcel.items.all()))
    return parcel


def declaration_gross_weights_spread(*, parcel: Parcel, packed_weight_kg: Decimal) -> None:
    """After packing, the lines' gross weights share the weighed boxes in proportion to their
    net weights (boxes and filling count in the gross weight)."""
    lines = list(parcel.declaration.all())
    net = sum((line.net_weight_kg for line in lines), Decimal(0))
    if not lines or net <= 0 or packed_weight_kg < net:
        return
    remaining = Decimal(packed_weight_kg)
    for index, line in enumerate(lines):
        share = (
            remaining
            if index == len(lines) - 1
            else (packed_weight_kg * line.net_weight_kg / net).quantize(Decimal("0.001"))
        )
        remaining -= share
        line.gross_weight_kg = max(share, line.net_weight_kg)
    DeclarationLine.objects.bulk_update(lines, ["gross_weight_kg"])


# --- thresholds and the merchant's numbers ----------------------------------------------------


@dataclass(frozen=True)
class ThresholdCheck:
    threshold: CustomsThreshold
    value: Decimal | None  # the parcel's declared total in the threshold's currency
    above: bool | None  # None: no rate to compare with
    number_needed: str  # label of the number the carrier needs, "" when none
    number_missing: bool


def declaration_total(parcel: Parcel) -> Decimal | None:
    values = [line.declared_value for line in parcel.declaration.all()]
    if not values or any(value is None for value in values):
        return None
    return sum(values, Decimal(0))


def thresholds_for(*, parcel: Parcel) -> list[ThresholdCheck]:
    """The thresholds of the parcel's destination, each compared with its declared total."""
    country = parcel.destination.country.code
    profile = CustomsProfile.objects.filter(company_id=parcel.company_id).first()
    total = declaration_total(parcel)
    checks = []
    for threshold in CustomsThreshold.objects.filter(is_active=True):
        if country not in {c.code for c in threshold.countries}:
            continue
        value = (
            None
            if total is None
            else convert_for_display(
                amount=total,
                from_currency=parcel.declaration_currency,
                to_currency=threshold.currency,
            )
        )
        above = None if value is None else value > threshold.amount
        needed = ""
        missing = False
        if threshold.number_needed and above is False:
            needed = str(CustomsThreshold.Number(threshold.number_needed).label)
            number = getattr(profile, f"{threshold.number_needed}_number", "") if profile else ""
            missing = not number
        checks.append(ThresholdCheck(threshold, value, above, needed, missing))
    return checks


@transaction.atomic
def customs_profile_save(
    *,
    company: Company,
    ioss_number: str = "",
    eori_number: str = "",
    vat_number: str = "",
    importer_name: str = "",
    importer_address: str = "",
    brand_name: str = "",
) -> CustomsProfile:
    """The merchant's customs numbers, checked for their published shapes (IOSS: IM and ten
    digits; EORI: country code and up to 15 letters or digits)."""
    ioss = "".join(ioss_number.split()).upper()
    eori = "".join(eori_number.split()).upper()
    errors = {}
    if ioss and not IOSS_NUMBER.match(ioss):
        errors["ioss_number"] = _("An IOSS number is IM followed by ten digits.")
    if eori and not EORI_NUMBER.match(eori):
        errors["eori_number"] = _(
            "An EORI number is a country code followed by up to 15 letters or digits."
        )
    if errors:
        raise ValidationError(errors)
    profile, _created = CustomsProfile.objects.select_for_update().get_or_create(company=company)
    profile.ioss_number = ioss
    profile.eori_number = eori
    profile.vat_number = "".join(vat_number.split()).upper()
    profile.importer_name = importer_name.strip()
    profile.importer_address = importer_address.strip()
    profile.brand_name = brand_name.strip()
    profile.full_clean(exclude=["company"])
    profile.save()
    return profile


def parcel_customs_data(parcel_id: int) -> dict:
    """What the carrier and the merchant's store need of a parcel's customs declaration, as
    plain data (store connections push it with the shipment)."""
    parcel = Parcel.objects.select_related("company", "destination").get(pk=parcel_id)
    profile = CustomsProfile.objects.filter(company_id=parcel.company_id).first()
    return {
        "parcel_id": parcel.pk,
        "reference": parcel.reference,
        "currency": parcel.declaration_currency,
        "destination_country": parcel.destination.country.code,
        "total_value": declaration_total(parcel),
        "ioss_number": profile.ioss_number if profile else "",
        "eori_number": profile.eori_number if profile else "",
        "vat_number": profile.vat_number if profile else "",
        "importer_of_record": profile.importer_name if profile else "",
        "lines": [
            {
                "position": line.position,
                "description_en": line.description_en,
                "description_zh": line.description_zh,
                "hs_code": line.hs_code,
                "origin_country": line.origin_country.code,
                "quantity": line.quantity,
                "unit": line.unit,
                "value": line.declared_value,
                "net_weight_kg": line.net_weight_kg,
                "gross_weight_kg": line.gross_weight_kg,
            }
            for line in parcel.declaration.all()
        ],
    }
