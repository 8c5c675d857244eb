"""Import 1688 offers from a JSON Lines file: one open-platform response per line."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from catalog.adapters.alibaba1688 import offer_id_of, parse_offer
from catalog.exceptions import OfferImportError
from catalog.models import Category
from catalog.services import category_counts_refresh, offer_import


class Command(BaseCommand):
    help = (
        "Import 1688 offers from FILE.jsonl: one response per line, exactly as the open platform "
        "sent it (product.search.queryProductDetail or alibaba.product.get). Re-importing "
        "updates in place and logs what changed; a bad line is reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--category",
            default="",
            help="Slug of the category for offers not imported before (imported ones stay put).",
        )
        parser.add_argument(
            "--language",
            default="en",
            help="The language the responses were requested in (their `country`: en, ko, ja...): "
            "subjectTrans and the other translations are in it.",
        )
        parser.add_argument(
            "--no-images", action="store_true", help="Do not fetch the offers' images."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, file: Path, category: str, language: str, **options):
        if not file.is_file():
            raise CommandError(f"{file} is not a file")
        default_category = None
        if category:
            default_category = Category.objects.filter(slug=category).first()
            if default_category is None:
                raise CommandError(f"No category with slug {category!r}")
        with file.open(encoding="utf-8") as fh:
            total = sum(1 for line in fh if line.strip())

        created = updated = 0
        failures: list[tuple[int, str, str]] = []
        # The progress bar writes to the stream under the command's stderr (call_command's
        # stderr=, else the process's): tqdm ends its own lines, Django's wrapper adds one.
        progress_to = options.get("stderr") or sys.stderr
        with (
            file.open(encoding="utf-8") as fh,
            tqdm(
                total=total, unit="offer", disable=options["no_progress"], file=progress_to
            ) as bar,
        ):
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                offer_id = "?"
                try:
                    response = json.loads(line)
                    offer_id = offer_id_of(response)
                    offer = parse_offer(response, language=language)
                    # One savepoint per line: a failure undoes only that offer.
                    with transaction.atomic():
                        _product, was_created = offer_import(
                            offer=offer,
                            default_category=default_category,
                            download_images=not options["no_images"],
                        )
                except json.JSONDecodeError as error:
                    failures.append((line_no, offer_id, f"not valid JSON ({error.msg})"))
                except OfferImportError as error:
                    failures.append((line_no, offer_id, str(error)))
                except Exception as error:  # one bad line never stops the rest
                    failures.append((line_no, offer_id, f"{type(error).__name__}: {error}"))
                else:
                    if was_created:
                        created += 1
                    else:
                        updated += 1
                bar.update(1)

        category_counts_refresh()
        summary = f"Created {created}, updated {updated}, failed {len(failures)}."
        style = self.style.SUCCESS if not failures else self.style.WARNING
        self.stdout.write(style(summary))
        for line_no, offer_id, reason in failures:
            self.stdout.write(f"  line {line_no} (offer {offer_id}): {reason}")
