"""Open311 GeoReport v2 at /open311/v2/ (outside the language prefixes: clients send Accept-Language)."""

from django.urls import re_path

from disputes import open311

FMT = r"\.(?P<fmt>json|xml)$"

app_name = "open311"
urlpatterns = [
    re_path(r"^discovery" + FMT, open311.discovery, name="discovery"),
    re_path(r"^services" + FMT, open311.service_list, name="services"),
    re_path(r"^services/(?P<service_code>[-\w]+)" + FMT, open311.service_definition, name="service"),
    re_path(r"^requests" + FMT, open311.requests_view, name="requests"),
    re_path(r"^requests/(?P<request_id>[-\w ]+)" + FMT, open311.request_detail, name="request"),
]
