from django.core.management.base import BaseCommand

from catalog.demo import seed_demo_catalog


class Command(BaseCommand):
    help = "Create the small demo catalog (categories, suppliers, ~40 products). Safe to re-run."

    def handle(self, *args, **options):
        created = seed_demo_catalog()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo catalog ready (created: "
                + ", ".join(f"{n} {name}" for name, n in created.items())
                + ")."
            )
        )
