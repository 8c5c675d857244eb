from django.core.management.base import BaseCommand, CommandError

from payments import services
from payments.adapters import ecb


class Command(BaseCommand):
    help = "Append the ECB daily reference rates from a URL or a file (default: FX_ECB_URL)."

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", help="URL or file path of eurofxref-daily.xml")
        parser.add_argument(
            "--sample", action="store_true", help="Import the bundled sample file (development)."
        )

    def handle(self, *args, source=None, sample=False, **options):
        if sample:
            source = str(ecb.SAMPLE)
        try:
            created = services.fx_rates_refresh_from_ecb(url=source)
        except (OSError, ecb.EcbFormatError) as error:
            raise CommandError(f"Could not import ECB rates: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"{created} new rate(s) recorded."))
