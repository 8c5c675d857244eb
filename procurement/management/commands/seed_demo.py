from django.core.management.base import BaseCommand

from procurement.accounts.demo import DEMO_PASSWORD
from procurement.demo import seed_demo


class Command(BaseCommand):
    help = "Create demo staff, merchants and companies for development. Safe to run twice."

    def handle(self, *args, **options):
        created = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready (created: {users} users, {companies} companies, "
                "{memberships} memberships).".format(**created)
            )
        )
        alibaba = created["alibaba"]
        if alibaba["purchase_orders"]:
            self.stdout.write(
                "1688 (fake platform): {offers} offers imported, {purchase_orders} purchase "
                "order placed and shipped.".format(**alibaba)
            )
        self.stdout.write(
            f"Merchant: owner@acme.example / {DEMO_PASSWORD}   "
            f"Staff: admin@example.com / {DEMO_PASSWORD} (TOTP: manage.py demo_totp)"
        )
