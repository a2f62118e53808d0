"""Names kept in two languages (areas, departments, categories): which one a reader sees."""

from django.utils.translation import get_language


def localized_name(name: str, name_en: str | None) -> str:
    """The English name on English pages when there is one, the Chinese name otherwise."""
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return name
