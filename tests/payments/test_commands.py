import pytest
from django.core.management import CommandError, call_command

from payments.models import FxRate
from tests.payments.factories import fund_wallet

pytestmark = pytest.mark.django_db


def test_fx_rates_import_sample():
    call_command("fx_rates_import", "--sample")
    assert FxRate.objects.filter(source="ecb").count() == 30


def test_fx_rates_import_reports_a_bad_file(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<nope/>")
    with pytest.raises(CommandError):
        call_command("fx_rates_import", str(bad))


def test_ledger_check(company, capsys):
    fund_wallet(company, "10")
    call_command("ledger_check")
    assert "sound" in capsys.readouterr().out


def test_top_ups_expire_command(capsys):
    call_command("top_ups_expire")
    assert "0 top-up(s) expired" in capsys.readouterr().out
