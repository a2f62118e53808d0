"""匿名化: anonymise the people of cases finished more than N years ago (see core.retention).

    manage.py anonymise_closed_cases [--years N] [--dry-run]

Also run daily by Celery beat (core.tasks.anonymise_closed_cases).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.retention import anonymise_closed_cases


class Command(BaseCommand):
    help = (
        "Anonymise the parties and petitioners of cases closed more than RETENTION_YEARS years ago, "
        "and empty their outbox messages and delete their uploaded files."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--years",
            type=int,
            default=None,
            help=f"Keep personal data this many years after closing (default {settings.RETENTION_YEARS}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only count the rows that would be anonymised.")

    def handle(self, *args, years=None, dry_run=False, **options):
        if years is not None and years < 1:
            raise CommandError("--years must be at least 1.")
        result = anonymise_closed_cases(years=years, dry_run=dry_run)
        verb = "would anonymise" if result.dry_run else "anonymised"
        people = " and ".join(f"{count} {who}" for who, count in result.anonymised.items())
        pruned = ", ".join(f"{count} {what}" for what, count in result.pruned.items())
        self.stdout.write(
            f"{verb} {people} "
            f"of cases closed before {result.cutoff:%Y-%m-%d}"
            + (f"; {'would prune' if dry_run else 'pruned'} {pruned}" if pruned else "")
        )
