"""`manage.py rebuild_rollups [--recent DAYS]`: rebuild the dashboard's rollup table with set-based SQL."""

from django.core.management.base import BaseCommand, CommandParser

from disputes.dashboard import rollups


class Command(BaseCommand):
    help = "Rebuild the dashboard rollups from the cases (all of them, or only the last DAYS days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--recent", type=int, default=0, help="Only the last DAYS local days (0: everything).")

    def handle(self, *args, recent: int = 0, **options) -> None:
        result = rollups.refresh_recent(days=recent) if recent > 0 else rollups.rebuild_all()
        self.stdout.write(
            f"{result.day_rows} day rows and {result.month_rows} month rows written in {result.seconds:.1f} s."
        )
