"""The ECB daily euro foreign exchange reference rates (eurofxref-daily.xml).

Format: a gesmes Envelope whose Cube holds one `<Cube time="YYYY-MM-DD">` with
`<Cube currency="USD" rate="1.0812"/>` children; each means 1 EUR = rate currency. The ECB
publishes around 16:00 CET on TARGET working days; we date each observation 16:00 Frankfurt time.
"""

import urllib.request
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree import ElementTree

from defusedxml import ElementTree as DefusedElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings

DEFAULT_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "eurofxref-daily.xml"
_FRANKFURT = zoneinfo.ZoneInfo("Europe/Berlin")
_CUBE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}Cube"


class EcbFormatError(ValueError):
    pass


@dataclass(frozen=True)
class EcbDay:
    day: date
    as_of: datetime
    rates: dict[str, Decimal]  # 1 EUR = rate <currency>


def parse(xml: bytes) -> EcbDay:
    # defusedxml refuses entity expansion and external references in the document.
    try:
        root = DefusedElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise EcbFormatError("not XML") from exc
    day_cube = next((c for c in root.iter(_CUBE) if c.get("time")), None)
    if day_cube is None:
        raise EcbFormatError("no dated Cube element")
    try:
        day = date.fromisoformat(day_cube.get("time", ""))
        rates = {
            cube.get("currency", "").upper(): Decimal(cube.get("rate", ""))
            for cube in day_cube.iter(_CUBE)
            if cube.get("currency")
        }
    except (ValueError, InvalidOperation) as exc:
        raise EcbFormatError("bad date or rate") from exc
    if not rates or any(rate <= 0 or len(code) != 3 for code, rate in rates.items()):
        raise EcbFormatError("no usable rates")
    as_of = datetime.combine(day, time(16, 0), tzinfo=_FRANKFURT)
    return EcbDay(day=day, as_of=as_of, rates=rates)


def fetch(url: str | None = None) -> bytes:
    url = url or getattr(settings, "FX_ECB_URL", DEFAULT_URL)
    if url.startswith(("https://", "http://")):
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310  # nosec B310
            return response.read()
    return Path(url.removeprefix("file://")).read_bytes()
