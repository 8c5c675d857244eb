from django.core.management.base import BaseCommand

from payments import services


class Command(BaseCommand):
    help = "Mark pending top-ups past their expiry as expired (TOPUP_TTL_MINUTES)."

    def handle(self, *args, **options):
        count = services.top_ups_expire()
        self.stdout.write(self.style.SUCCESS(f"{count} top-up(s) expired."))
