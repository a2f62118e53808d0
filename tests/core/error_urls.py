"""The site's URLs plus views that fail, for the error-page tests (ROOT_URLCONF override)."""

from django.urls import path

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as site_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def boom(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [
    path("api/v1/boom/", boom),
    path("boom/", boom),
    path("en/boom/", boom),
    *site_urlpatterns,
]
