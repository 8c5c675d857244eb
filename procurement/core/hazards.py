"""What makes goods dangerous or refused in transport: one vocabulary for the whole portal.

Products carry these (catalog), stock items copy them at receipt, and shipping channels state
which they accept (logistics). Both apps sit on the same layer and may not import each other, so
the words they share live here.

The three battery kinds follow IATA's lithium battery packing instructions: batteries contained
in equipment (PI 967 / 970), packed with equipment (PI 966 / 969) and on their own
(PI 965 / 968); carriers accept them separately.
"""

from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Hazard(models.TextChoices):
    BATTERY_BUILT_IN = "battery_built_in", _("Battery built into the device")
    BATTERY_PACKED = "battery_packed", _("Battery packed with the device")
    BATTERY_STANDALONE = "battery_standalone", _("Battery on its own (power bank, cells)")
    LIQUIDS = "liquids", _("Liquids and gels")
    POWDERS = "powders", _("Powders")
    MAGNETS = "magnets", _("Magnets")
    AEROSOLS = "aerosols", _("Aerosols and sprays")
    KNIVES = "knives", _("Knives and blades")
    BRAND_RISK = "brand_risk", _("Brand name or replica risk")
    COSMETICS = "cosmetics", _("Cosmetics")
    FOOD = "food", _("Food")


def hazards_clean(values: Iterable[str]) -> list[str]:
    """The known hazards among `values`, sorted and once each; unknown words raise ValueError."""
    values = sorted(set(values))
    unknown = [value for value in values if value not in Hazard.values]
    if unknown:
        raise ValueError(", ".join(unknown))
    return values


def hazard_labels(values: Iterable[str]) -> str:
    """ "Battery built into the device, magnets": for messages and documents."""
    return ", ".join(str(Hazard(value).label) for value in sorted(set(values)))


class HazardFormField(forms.TypedMultipleChoiceField):
    def __init__(self, **kwargs):
        for name in ("max_length", "encoder", "decoder"):
            kwargs.pop(name, None)
        kwargs.setdefault("choices", Hazard.choices)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        kwargs["required"] = False
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value or []


class HazardListField(models.JSONField):
    """A sorted list of `Hazard` values, edited as check boxes in every form and the admin."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", list)
        # Rows written without the ORM (COPY by the catalog seeder) get an empty list too.
        kwargs.setdefault("db_default", models.Value([], output_field=models.JSONField()))
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        try:
            hazards_clean(value or [])
        except ValueError as error:
            raise ValidationError(
                _("Unknown hazards: %(values)s") % {"values": error}, code="invalid"
            ) from None

    def formfield(self, **kwargs):
        # Skips JSONField's own form field (a JSON text box): staff tick boxes instead.
        return models.Field.formfield(self, **{"form_class": HazardFormField, **kwargs})
