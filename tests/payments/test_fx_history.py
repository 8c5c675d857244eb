"""ECB daily, 90-day and history files (synthetic, in the ECB's own envelope), the history
backfill, refused files and the rate of a past day."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from payments import selectors
from payments.adapters import ecb
from payments.models import FxRate
from payments.services.fx import fx_rates_import_ecb_file

pytestmark = pytest.mark.django_db

FILES = Path(__file__).resolve().parent / "ecb"
HIST_90D = FILES / "eurofxref-hist-90d.xml"
HIST = FILES / "eurofxref-hist.xml"

ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" \
xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
\t<gesmes:subject>Reference rates</gesmes:subject>
\t<gesmes:Sender>
\t\t<gesmes:name>European Central Bank</gesmes:name>
\t</gesmes:Sender>
\t<Cube>
{days}
\t</Cube>
</gesmes:Envelope>
"""


def _file(days: str) -> bytes:
    return ENVELOPE.format(days=days).encode()


def test_the_90_day_file_yields_every_day_oldest_first():
    days = ecb.parse_days(HIST_90D.read_bytes())
    assert [d.day for d in days] == [date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)]
    assert days[1].rates == {
        "USD": Decimal("1.0825"),
        "GBP": Decimal("0.84155"),
        "CNY": Decimal("7.8421"),
    }
    assert ecb.parse(HIST_90D.read_bytes()).day == date(2026, 11, 27)


def test_history_backfill_stores_every_day_and_a_second_run_changes_nothing():
    first = fx_rates_import_ecb_file(xml=HIST.read_bytes())
    assert (first.created, first.days) == (7, 3)
    assert (first.first, first.last) == (date(1999, 1, 4), date(2026, 11, 27))
    rows = list(FxRate.objects.order_by("pk").values_list("pk", "quote", "rate", "as_of"))

    again = fx_rates_import_ecb_file(xml=HIST.read_bytes())

    assert again.created == 0
    assert list(FxRate.objects.order_by("pk").values_list("pk", "quote", "rate", "as_of")) == rows


def test_command_history_reads_the_given_file(capsys):
    call_command("fx_rates_import", str(HIST_90D), "--history", "90d")
    call_command("fx_rates_import", str(HIST_90D), "--history")
    out = capsys.readouterr().out
    assert "9 new rate(s) recorded over 3 day(s), 2026-11-25 to 2026-11-27." in out
    assert "0 new rate(s)" in out
    assert FxRate.objects.filter(source=FxRate.Source.ECB).count() == 9


def test_command_history_defaults_to_the_ecb_history_url(monkeypatch):
    fetched = []

    def fetch(url=None):
        fetched.append(url)
        return HIST.read_bytes()

    monkeypatch.setattr(ecb, "fetch", fetch)
    call_command("fx_rates_import", "--history")
    call_command("fx_rates_import", "--history", "90d")
    assert fetched == [ecb.HISTORY_URL, ecb.HISTORY_90_DAYS_URL]


def test_the_daily_file_still_imports():
    assert fx_rates_import_ecb_file(xml=ecb.SAMPLE.read_bytes()).created == 30


GOOD_DAY = '\t\t<Cube time="2026-11-27">\n\t\t\t<Cube currency="USD" rate="1.0831"/>\n\t\t</Cube>'


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("", "no dated Cube with rates"),
        ('\t\t<Cube time="2026-11-26">\n\t\t</Cube>', "line 8: no rates on 2026-11-26"),
        (
            GOOD_DAY + '\n\t\t<Cube time="2026-13-01">\n'
            '\t\t\t<Cube currency="USD" rate="1.08"/>\n\t\t</Cube>',
            "line 11: bad date '2026-13-01'",
        ),
        (
            GOOD_DAY + '\n\t\t<Cube time="2026-11-26">\n'
            '\t\t\t<Cube currency="USD" rate="1.0825"/>\n'
            '\t\t\t<Cube currency="JPY" rate="N/A"/>\n\t\t</Cube>',
            "line 13: non-numeric rate 'N/A' for JPY",
        ),
        (
            '\t\t<Cube time="2026-11-26">\n\t\t\t<Cube currency="USD" rate="-1"/>\n\t\t</Cube>',
            "line 9: rate '-1' for USD is not a positive number",
        ),
        (GOOD_DAY + "\n" + GOOD_DAY, "line 11: day 2026-11-27 listed twice"),
    ],
)
def test_a_bad_file_is_refused_with_its_line_and_stores_nothing(days, message):
    with pytest.raises(ecb.EcbFormatError, match=message):
        fx_rates_import_ecb_file(xml=_file(days))
    assert not FxRate.objects.exists()


def test_the_command_names_the_line_of_a_bad_file(tmp_path):
    bad = tmp_path / "eurofxref-hist.xml"
    bad.write_bytes(
        _file(GOOD_DAY + '\n\t\t<Cube time="2026-11-26">\n\t\t\t<Cube currency="USD" rate="x"/>')
    )
    with pytest.raises(CommandError, match="nothing stored: line"):
        call_command("fx_rates_import", str(bad))
    assert not FxRate.objects.exists()


def test_the_rate_of_a_past_day_and_of_the_weekend_after_it():
    fx_rates_import_ecb_file(xml=HIST_90D.read_bytes())
    wednesday = selectors.fx_rate_of_day(
        day=date(2026, 11, 25), from_currency="USD", to_currency="CNY"
    )
    assert wednesday.rate == Decimal("7.8120") / Decimal("1.0790")
    assert wednesday.observed_on_day

    sunday = selectors.fx_rate_of_day(
        day=date(2026, 11, 29), from_currency="EUR", to_currency="CNY"
    )
    assert sunday.rate == Decimal("7.8502")
    assert not sunday.observed_on_day

    before = selectors.fx_rate_of_day(day=date(2026, 11, 1), from_currency="USD", to_currency="CNY")
    assert before.rate is None


def test_finance_sees_the_rates_of_a_chosen_day(client, finance_admin):
    fx_rates_import_ecb_file(xml=HIST_90D.read_bytes())
    client.force_login(finance_admin)

    response = client.get(reverse("finance:fx-rates"), {"day": "2026-11-26"})

    assert response.status_code == 200
    rows = {row.currency: row for row in response.context["rates"]}
    assert rows["EUR"].rate == Decimal("7.8421")
    assert rows["GBP"].rate == Decimal("7.8421") / Decimal("0.84155")
    assert rows["JPY"].rate is None
    assert b"2026-11-26" in response.content


def test_a_future_day_is_refused_by_the_form(client, finance_admin):
    client.force_login(finance_admin)
    response = client.get(reverse("finance:fx-rates"), {"day": "2999-01-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["day"]


def test_the_fx_page_is_finance_only(client, django_user_model):
    user = django_user_model.objects.create_user(email="m@example.com", password="x")
    client.force_login(user)
    assert client.get(reverse("finance:fx-rates")).status_code == 403
