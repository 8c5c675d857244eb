"""Customs declarations of outbound parcels: built from the stock items' copied data, corrected
by staff, checked before packing; the merchant's customs numbers; the thresholds that apply."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from logistics.exceptions import DeclarationIncomplete, DeclarationRefused, LogisticsError
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


# What a declaration line holds that people correct: merchants the first six (their form on
# the parcel's page), staff on the pack page also the quantity, unit and weights.
LINE_FIELDS = (
    "description_en",
    "description_zh",
    "hs_code",
    "origin_country",
    "declared_value",
    "value_reason",
    "quantity",
    "unit",
    "net_weight_kg",
    "gross_weight_kg",
)


def declaration_open(parcel: Parcel) -> bool:
    """Whether the declaration may still change: until the parcel is packed."""
    return parcel.status in Parcel.DECLARATION_OPEN


def _normalized(values: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(values)
    if "hs_code" in values:
        values["hs_code"] = "".join((values["hs_code"] or "").split()).replace(".", "")
    for name in ("description_en", "description_zh", "unit"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if "value_reason" in values:
        values["value_reason"] = (values["value_reason"] or "").strip()
    if "origin_country" in values:
        values["origin_country"] = str(values["origin_country"] or "").upper()
    return values


def _line_errors(
    line: DeclarationLine, values: Mapping[str, Any], currency: str
) -> dict[str, list[str]]:
    """Apply `values` to `line` (in memory) and say what is wrong with the result, by field,
    each message naming the line. The one rule for staff and merchants."""
    label = _line_label(line)
    for name, value in values.items():
        setattr(line, name, value)
    errors: dict[str, list[str]] = {}
    if line.hs_code and not HS_CODE.match(line.hs_code):
        errors["hs_code"] = [_("%(line)s: an HS code has 6 to 12 digits.") % {"line": label}]
    if line.declared_value is None or line.declared_value <= 0:
        errors["declared_value"] = [
            _("%(line)s: the declared value must be greater than zero.") % {"line": label}
        ]
    else:
        line.declared_value = quantize(line.declared_value, currency)
        lowered = line.paid_value is not None and line.declared_value < line.paid_value
        if lowered and not line.value_reason:
            errors["value_reason"] = [
                _("%(line)s: %(value)s is below the %(paid)s paid; give the reason.")
                % {"line": label, "value": line.declared_value, "paid": line.paid_value}
            ]
        if not lowered:
            line.value_reason = ""
    if (
        line.net_weight_kg is not None
        and line.gross_weight_kg is not None
        and line.gross_weight_kg < line.net_weight_kg
    ):
        errors["gross_weight_kg"] = [
            _("%(line)s: the gross weight cannot be below the net weight.") % {"line": label}
        ]
    try:
        line.full_clean(exclude=["parcel", *errors])
    except ValidationError as error:
        for field, texts in error.message_dict.items():
            errors.setdefault(field, []).extend(
                _("%(line)s: %(error)s") % {"line": label, "error": text} for text in texts
            )
    return errors


def _shown(name: str, value: Any) -> str:
    if name == "origin_country":
        return getattr(value, "code", None) or str(value or "") or "—"
    return str(value) if value not in (None, "") else "—"


def _change_note(line: DeclarationLine, before: Mapping[str, Any], currency: str) -> str | None:
    """What changed on the line, for the parcel's history; None when nothing did."""
    parts = []
    for name in LINE_FIELDS:
        if name in ("declared_value", "value_reason"):
            continue
        old, new = _shown(name, before[name]), _shown(name, getattr(line, name))
        same = old == new if name == "origin_country" else before[name] == getattr(line, name)
        if not same:
            parts.append(
                _("%(field)s %(old)s → %(new)s")
                % {
                    "field": DeclarationLine._meta.get_field(name).verbose_name,
                    "old": old,
                    "new": new,
                }
            )
    if (line.declared_value, line.value_reason) != (
        before["declared_value"],
        before["value_reason"],
    ):
        note = _("declared at %(value)s %(currency)s") % {
            "value": line.declared_value,
            "currency": currency,
        }
        if line.value_reason:
            note = f"{note} ({_('paid %(paid)s') % {'paid': line.paid_value}}): {line.value_reason}"
        parts.append(note)
    if not parts:
        return None
    return f"{_line_label(line)}: {'; '.join(parts)}"


@transaction.atomic
def declaration_lines_update(
    *, parcel: Parcel, actor: User, changes: Mapping[int, Mapping[str, Any]]
) -> list[DeclarationLine]:
    """Correct several lines of a parcel's declaration at once (`changes`: line id to the
    fields that change). All or nothing: one refused line saves none and `DeclarationRefused`
    names every fault by line and field. Each changed line leaves an entry in the parcel's
    history (who, what); the parcel's documents go out of date."""
    parcel = Parcel.objects.select_for_update().get(pk=parcel.pk)
    if not declaration_open(parcel):
        raise LogisticsError(_("The declaration of a packed parcel cannot change."))
    unknown = {name for values in changes.values() for name in values} - set(LINE_FIELDS)
    if unknown:
        raise TypeError(f"not declaration line fields: {sorted(unknown)}")
    lines = {
        line.pk: line
        for line in DeclarationLine.objects.select_for_update()
        .filter(parcel=parcel, pk__in=list(changes))
        .order_by("pk")
    }
    if set(changes) - set(lines):
        raise LogisticsError(_("Only lines of this parcel's declaration can be changed."))
    currency = parcel.declaration_currency
    errors: dict[int, dict[str, list[str]]] = {}
    notes = []
    for pk, line in sorted(lines.items()):
        before = {name: getattr(line, name) for name in LINE_FIELDS}
        line_errors = _line_errors(line, _normalized(changes[pk]), currency)
        if line_errors:
            errors[pk] = line_errors
            continue
        note = _change_note(line, before, currency)
        if note:
            notes.append((line, note))
    if errors:
        raise DeclarationRefused(errors=errors)
    if not notes:
        return list(lines.values())
    DeclarationLine.objects.bulk_update([line for line, _note in notes], list(LINE_FIELDS))
    ParcelEvent.objects.bulk_create(
        ParcelEvent(
            parcel=parcel,
            actor=actor,
            from_status=parcel.status,
            to_status=parcel.status,
            reason=note,
        )
        for _line, note in notes
    )
    documents_stale(parcel)
    return list(lines.values())


def declaration_line_update(*, line: DeclarationLine, actor: User, **values) -> DeclarationLine:
    """One line corrected (`declaration_lines_update` with one line); a refusal is a
    `ValidationError` by field."""
    try:
        (line,) = declaration_lines_update(
            parcel=line.parcel, actor=actor, changes={line.pk: values}
        )
    except DeclarationRefused as refused:
        raise ValidationError(refused.errors[line.pk]) from None
    return line


def declaration_currencies(parcel: Parcel) -> list[str]:
    """The currencies a merchant may declare in: its wallet's, and those customs thresholds and
    carriers commonly use."""
    return list(dict.fromkeys([parcel.currency, "USD", "EUR", "GBP", "CNY"]))


def _declared_in(line: DeclarationLine, *, previous: DeclarationLine, from_currency: str):
    """The value a corrected line declares once the currency changes: what was paid when it
    declared what was paid, else its own value converted (None without a rate: asked again,
    never guessed)."""
    if previous.declared_value is None or previous.declared_value == previous.paid_value:
        return line.paid_value
    if from_currency == line.parcel.declaration_currency:
        return previous.declared_value
    converted = convert_for_display(
        amount=previous.declared_value,
        from_currency=from_currency,
        to_currency=line.parcel.declaration_currency,
    )
    return None if converted is None else quantize(converted, line.parcel.declaration_currency)


@transaction.atomic
def declaration_currency_set(*, parcel: Parcel, actor: User, currency: str) -> Parcel:
    """The merchant chooses the declaration's currency: the values paid are converted again,
    and what people corrected on the lines (descriptions, HS codes, origin, a lower value and
    its reason) is kept."""
    parcel = Parcel.objects.select_for_update().get(pk=parcel.pk)
    if not declaration_open(parcel):
        raise LogisticsError(_("The declaration of a packed parcel cannot change."))
    currency = (currency or "").upper()
    if currency not in declaration_currencies(parcel):
        raise ValidationError({"currency": _("Choose a currency.")})
    previous_currency = parcel.declaration_currency
    if currency == previous_currency:
        return parcel
    previous = {line.position: line for line in parcel.declaration.all()}
    parcel.declared_currency = currency
    parcel.save(update_fields=["declared_currency", "updated_at"])
    lines = declaration_build(parcel=parcel, items=list(parcel.items.all()))
    for line in lines:
        before = previous.get(line.position)
        if before is None or before.product_reference != line.product_reference:
            continue
        for name in LINE_FIELDS:
            if name not in ("declared_value", "value_reason"):
                setattr(line, name, getattr(before, name))
        line.declared_value = _declared_in(line, previous=before, from_currency=previous_currency)
        lowered = (
            line.declared_value is not None
            and line.paid_value is not None
            and line.declared_value < line.paid_value
        )
        line.value_reason = before.value_reason if lowered else ""
    DeclarationLine.objects.bulk_update(lines, list(LINE_FIELDS))
    ParcelEvent.objects.create(
        parcel=parcel,
        actor=actor,
        from_status=parcel.status,
        to_status=parcel.status,
        reason=_("Declaration currency %(old)s → %(new)s")
        % {"old": previous_currency, "new": currency},
    )
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
