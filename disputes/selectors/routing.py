"""分流: which department a case goes to, which departments a person may send it to, and which cases
still wait for routing."""

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from disputes.models import Category, Dispute, DiversionRule
from disputes.rules.enums import Status
from grids.areas import ancestor_paths, within
from grids.models import Area, Department


def diversion_rule_for(*, area: Area, category: Category) -> DiversionRule | None:
    """The nearest rule up the tree from `area` for this category."""
    paths = ancestor_paths(area.path)
    rules = {
        r.area.path: r
        for r in DiversionRule.objects.select_related("area", "lead_department").filter(
            category=category, area__path__in=paths, lead_department__is_active=True
        )
    }
    for path in paths:
        if path in rules:
            return rules[path]
    return None


def departments_serving(area_path: str) -> QuerySet[Department]:
    """The departments a person may send a case at this place to, or ask to assist: active, and serving one
    of its areas up the tree or any area of its county (a neighbouring township's committee, a county bureau).

    The case page lists these; `services.casefile.check_department_serves` refuses any other, whichever
    door it came through.
    """
    county = area_path[: 2 * Area.steplen]
    return Department.objects.filter(
        Q(area__path__in=ancestor_paths(area_path)) | within(county, field="area__path"), is_active=True
    )


def disputes_unrouted(*, older_than: timedelta, now: datetime | None = None) -> list[int]:
    """Ids of cases still `submitted` after `older_than`: their routing task was lost or never sent."""
    cutoff = (now or timezone.now()) - older_than
    return list(
        Dispute.objects.filter(status=Status.SUBMITTED, submitted_at__lte=cutoff)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:1000]
    )
