"""A company's time zone: every date and time its people read is shown in it.

It defaults from the company's country (CLDR's zones per territory, shipped with Babel; for a
country spanning several zones, the zone of its largest business centre) and the owner may
change it on the company page.
"""

import zoneinfo
from functools import cache

from babel.core import get_global
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_ZONE = "UTC"

# Countries spanning several zones: the zone most of their businesses keep.
_MAIN_ZONE = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "RU": "Europe/Moscow",
    "MX": "America/Mexico_City",
    "ID": "Asia/Jakarta",
    "KZ": "Asia/Almaty",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "AR": "America/Argentina/Buenos_Aires",
    "CL": "America/Santiago",
    "NZ": "Pacific/Auckland",
    "MY": "Asia/Kuala_Lumpur",
    "EC": "America/Guayaquil",
    "DE": "Europe/Berlin",
    "CN": "Asia/Shanghai",
    "UA": "Europe/Kyiv",
}


@cache
def available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_for_country(country: str) -> str:
    code = str(country or "").upper()
    if code in _MAIN_ZONE:
        return _MAIN_ZONE[code]
    zones = [z for z in get_global("territory_zones").get(code, ()) if z in available_zones()]
    return zones[0] if zones else DEFAULT_ZONE


def zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in sorted(available_zones())]


def validate_time_zone(value: str) -> None:
    if value not in available_zones():
        raise ValidationError(_("Choose a time zone from the list."), code="invalid_time_zone")
