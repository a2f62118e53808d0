"""List every (area, category) pair the diversion list sends nowhere."""

from django.core.management.base import BaseCommand, CommandError

from disputes.models import Category, DiversionRule
from grids.areas import ancestor_paths
from grids.models import Area, AreaLevel


class Command(BaseCommand):
    help = "List every (area, category) pair that has no lead department in the diversion list."

    def add_arguments(self, parser):
        parser.add_argument(
            "--level",
            type=int,
            default=AreaLevel.VILLAGE,
            help="Check areas at this level and below (default 4: villages/communities and grids).",
        )
        parser.add_argument("--strict", action="store_true", help="Exit with an error if any pair is uncovered.")

    def handle(self, *args, level: int, strict: bool, **options):
        # One query per table: the rules are matched in memory, nearest ancestor first.
        covered = set(
            DiversionRule.objects.filter(lead_department__is_active=True).values_list("area__path", "category_id")
        )
        categories = list(Category.objects.filter(is_active=True))
        missing = 0
        areas = Area.objects.filter(level__gte=level).order_by("path").only("path", "code", "name")
        for area in areas.iterator(chunk_size=2000):
            paths = ancestor_paths(area.path)
            for category in categories:
                if not any((p, category.pk) in covered for p in paths):
                    missing += 1
                    self.stdout.write(f"{area.code}\t{area.name}\t{category.code}\t{category.name}")
        total = areas.count() * len(categories)
        self.stdout.write(f"{missing} of {total} (area, category) pairs have no department.")
        if strict and missing:
            raise CommandError(f"{missing} uncovered pairs")
