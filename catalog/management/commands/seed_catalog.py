"""Fill the catalog with synthetic products for benchmarks: fast bulk inserts (COPY on
PostgreSQL), with a progress bar."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.seeding import seed_catalog


class Command(BaseCommand):
    help = "Add N synthetic products (about 3 SKUs and 3 price tiers each) to the catalog."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=10_000)
        parser.add_argument(
            "--suppliers", type=int, default=None, help="Default: one per 500 products."
        )
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (repeatable).")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, products, suppliers, batch_size, seed, no_progress, **options):
        if products < 1:
            raise CommandError("--products must be at least 1")
        started = time.monotonic()
        # The progress bar writes to the stream under the command's stderr (call_command's
        # stderr=, else the process's): tqdm ends its own lines, Django's wrapper adds one.
        progress_to = options.get("stderr") or sys.stderr
        with tqdm(total=products, unit="product", disable=no_progress, file=progress_to) as bar:
            result = seed_catalog(
                products=products,
                suppliers=suppliers,
                batch_size=batch_size,
                seed=seed,
                progress=bar.update,
            )
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {result.products} products, {result.skus} SKUs and {result.tiers} "
                f"price tiers ({result.suppliers} suppliers) in {elapsed:.0f} s."
            )
        )
