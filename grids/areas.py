"""The area tree's path helpers: "this area and everything below it" and "this area and above"."""

from django.db.models import Q

from grids.models import Area


def ancestor_paths(path: str) -> list[str]:
    """The tree paths of a node and all its ancestors, nearest first."""
    return [path[:i] for i in range(len(path), 0, -Area.steplen)]


def within(path: str, *, field: str = "area_path") -> Q:
    """Rows whose `field` (a copied tree path) lies in the subtree at `path`."""
    return Q(**{f"{field}__startswith": path})


def serving(path: str, *, field: str = "area__path") -> Q:
    """Rows whose area is the node at `path` or one of its ancestors (who serves a place)."""
    return Q(**{f"{field}__in": ancestor_paths(path)})
