from django.core.management.base import BaseCommand, CommandError

from payments.adapters import ecb
from payments.services.fx import fx_rates_import_ecb_file

HISTORY_FILES = {"full": ecb.HISTORY_URL, "90d": ecb.HISTORY_90_DAYS_URL}


class Command(BaseCommand):
    help = (
        "Append the ECB reference rates of every day in a daily, 90-day or history file "
        "(default: FX_ECB_URL, the daily file). Running it twice records nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", help="URL or file path of an ECB rates file")
        parser.add_argument(
            "--history",
            nargs="?",
            const="full",
            choices=sorted(HISTORY_FILES),
            help="Backfill from the ECB's history file: 'full' (since 1999, the default) or "
            "'90d'. A source given beside it wins.",
        )
        parser.add_argument(
            "--sample", action="store_true", help="Import the bundled sample file (development)."
        )

    def handle(self, *args, source=None, history=None, sample=False, **options):
        if sample:
            source = str(ecb.SAMPLE)
        elif source is None and history:
            source = HISTORY_FILES[history]
        try:
            result = fx_rates_import_ecb_file(xml=ecb.fetch(source))
        except (OSError, ecb.EcbFormatError) as error:
            raise CommandError(f"Could not import ECB rates, nothing stored: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} new rate(s) recorded over {result.days} day(s), "
                f"{result.first} to {result.last}."
            )
        )
