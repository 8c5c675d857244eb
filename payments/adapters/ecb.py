"""The ECB euro foreign exchange reference rates: the daily, 90-day and full-history files.

Where each field comes from (the files the ECB publishes under
https://www.ecb.europa.eu/stats/eurofxref/: eurofxref-daily.xml, eurofxref-hist-90d.xml and
eurofxref-hist.xml; one envelope for all three):

- the root is a `gesmes:Envelope` (namespace http://www.gesmes.org/xml/2002-08-01) holding
  `gesmes:subject`, `gesmes:Sender` and one undated `Cube` in the eurofxref namespace
  (http://www.ecb.int/vocabulary/2002-08-01/eurofxref);
- that Cube holds one `<Cube time="YYYY-MM-DD">` per TARGET working day: one in the daily file,
  about sixty-odd in the 90-day file, every day since 1999-01-04 in the history file, newest
  first;
- each day holds `<Cube currency="USD" rate="1.0812"/>` children: 1 EUR = rate currency.
  Attribute quotes are single in the daily file and double in the history files.

Assumption (the ECB publishes no timestamp in the file): the rates are set around 16:00 CET,
so each observation is dated 16:00 Frankfurt time on its day.

A file is taken whole or refused whole: a bad date, a non-numeric or non-positive rate, a
currency that is not three letters, a rate outside a dated Cube, a day listed twice, a day
without rates or a file without days is an `EcbFormatError` naming the line.
"""

import urllib.request
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from io import BytesIO
from pathlib import Path
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, feature_namespaces

from defusedxml import sax as defused_sax
from defusedxml.common import DefusedXmlException
from django.conf import settings

DAILY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
HISTORY_90_DAYS_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml"
HISTORY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.xml"
DEFAULT_URL = DAILY_URL
SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "eurofxref-daily.xml"
_FRANKFURT = zoneinfo.ZoneInfo("Europe/Berlin")
_NS = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"


class EcbFormatError(ValueError):
    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class EcbDay:
    day: date
    as_of: datetime
    rates: dict[str, Decimal]  # 1 EUR = rate <currency>


class _CubeReader(ContentHandler):
    """Collects dated Cubes, refusing the first malformed one with its line number."""

    def __init__(self):
        super().__init__()
        self.days: list[EcbDay] = []
        self._day: date | None = None
        self._day_line = 0
        self._rates: dict[str, Decimal] = {}
        self._seen: set[date] = set()
        self._closing_rate = False

    def _line(self) -> int:
        return self._locator.getLineNumber() if self._locator else 0

    def startElementNS(self, name, qname, attrs):
        if name != (_NS, "Cube"):
            return
        values = {local: value for (_ns, local), value in attrs.items()}
        if "time" in values:
            self._open_day(values["time"])
        elif "currency" in values or "rate" in values:
            self._add_rate(values.get("currency", ""), values.get("rate", ""))

    def endElementNS(self, name, qname):
        if name != (_NS, "Cube"):
            return
        if self._closing_rate:  # a rate Cube ends right after it starts
            self._closing_rate = False
        elif self._day is not None:
            self._close_day()

    def _open_day(self, raw: str) -> None:
        line = self._line()
        if self._day is not None:
            raise EcbFormatError(f"dated Cube {raw!r} inside another dated Cube", line)
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise EcbFormatError(f"bad date {raw!r}", line) from None
        if day in self._seen:
            raise EcbFormatError(f"day {raw} listed twice", line)
        self._seen.add(day)
        self._day, self._day_line, self._rates = day, line, {}

    def _add_rate(self, currency: str, raw: str) -> None:
        line = self._line()
        if self._day is None:
            raise EcbFormatError("rate outside a dated Cube", line)
        code = currency.strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise EcbFormatError(f"bad currency {currency!r}", line)
        try:
            rate = Decimal(raw.strip())
        except InvalidOperation:
            raise EcbFormatError(f"non-numeric rate {raw!r} for {code}", line) from None
        if not rate.is_finite() or rate <= 0:
            raise EcbFormatError(f"rate {raw!r} for {code} is not a positive number", line)
        if code in self._rates:
            raise EcbFormatError(f"{code} listed twice on {self._day}", line)
        self._rates[code] = rate
        self._closing_rate = True

    def _close_day(self) -> None:
        day, rates = self._day, self._rates
        if not rates:
            raise EcbFormatError(f"no rates on {day}", self._day_line)
        as_of = datetime.combine(day, time(16, 0), tzinfo=_FRANKFURT)
        self.days.append(EcbDay(day=day, as_of=as_of, rates=rates))
        self._day, self._rates = None, {}

    def endDocument(self):
        if not self.days:
            raise EcbFormatError("no dated Cube with rates in the file", self._line() or None)


def parse_days(xml: bytes) -> list[EcbDay]:
    """Every day of a daily, 90-day or history file, oldest first."""
    reader = _CubeReader()
    # defusedxml refuses entity expansion and external references in the document.
    parser = defused_sax.make_parser()
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(reader)
    try:
        parser.parse(BytesIO(xml))
    except SAXParseException as exc:
        raise EcbFormatError(f"not XML ({exc.getMessage()})", exc.getLineNumber()) from exc
    except DefusedXmlException as exc:
        raise EcbFormatError("XML with entities or external references") from exc
    return sorted(reader.days, key=lambda d: d.day)


def parse(xml: bytes) -> EcbDay:
    """The newest day of a file (the daily file holds exactly one)."""
    return parse_days(xml)[-1]


def fetch(url: str | None = None) -> bytes:
    url = url or getattr(settings, "FX_ECB_URL", DEFAULT_URL)
    if url.startswith(("https://", "http://")):
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310  # nosec B310
            return response.read()
    return Path(url.removeprefix("file://")).read_bytes()
