"""Admin list filters that show a code's label, never the code (callback_caller → 回访员).

Django's filter on a field without `choices` lists the distinct stored values as they are, and titles
itself from the field's name. `labelled_filter` makes a filter with a title and a fixed list of
(code, label) pairs, so the admin filters read in the site's language and cost no DISTINCT query.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin


def labelled_filter(
    field: str, title: Any, choices: Iterable[tuple[str, Any]] | Callable[[], Iterable[tuple[str, Any]]]
) -> type[admin.SimpleListFilter]:
    """A list filter on `field` titled `title`, offering `choices` (pairs of code and label, or a callable)."""

    class LabelledFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return list(choices() if callable(choices) else choices)

        def queryset(self, request, queryset):
            value = self.value()
            return queryset.filter(**{field: value}) if value else queryset

    LabelledFilter.title = title
    LabelledFilter.__name__ = f"{field.title().replace('_', '')}Filter"
    return LabelledFilter
