from django.core.management.base import BaseCommand, CommandError

from payments import selectors


class Command(BaseCommand):
    help = (
        "Check the ledger invariants: every transaction balances per currency, no wallet is "
        "negative, cached balances equal the sum of postings. Exits non-zero on any problem."
    )

    def handle(self, *args, **options):
        problems = selectors.ledger_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} ledger problem(s) found.")
        self.stdout.write(self.style.SUCCESS("The ledger is sound."))
