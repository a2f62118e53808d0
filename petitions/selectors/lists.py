"""The staff lists of petitions: the page's and the API's."""

from django.db.models import F, QuerySet

from core.types import RequestUser
from grids.models import Area
from petitions.models import Petition
from petitions.selectors.visibility import petitions_visible_to


def petition_list_for(user: RequestUser | None) -> QuerySet[Petition]:
    """The staff list: open petitions first, nearest deadline first; finished ones after, newest first."""
    return (
        petitions_visible_to(user)
        .select_related("category", "area", "handling_department")
        .order_by(
            F("closed_at").desc(nulls_first=True),
            F("next_due_at").asc(nulls_last=True),
            "-received_on",
            "-pk",
        )
    )


def petitions_filtered(
    user: RequestUser | None,
    *,
    status: str = "",
    form: str = "",
    is_repeat: bool | None = None,
    area: int | None = None,
) -> QuerySet[Petition]:
    """The API's list, unordered (the pagination orders it): filtered by status, form, repeat flag and area.

    `area` is an area's id: that area and everything below it (an unknown id matches nothing).
    """
    queryset = petitions_visible_to(user).select_related("area", "category")
    if status:
        queryset = queryset.filter(status=status)
    if form:
        queryset = queryset.filter(form=form)
    if is_repeat is not None:
        queryset = queryset.filter(is_repeat=is_repeat)
    if area:
        found = Area.objects.filter(pk=area).first()
        queryset = queryset.filter(area_path__startswith=found.path) if found else queryset.none()
    return queryset.prefetch_related("petitioners")
