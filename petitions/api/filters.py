"""The petition list's filters: validated query parameters, documented in the schema."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

from petitions.api.serializers import ListFilterSerializer
from petitions.rules import Form, Status

PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=Status.values),
    OpenApiParameter("form", OpenApiTypes.STR, enum=Form.values),
    OpenApiParameter("is_repeat", OpenApiTypes.BOOL),
    OpenApiParameter("area", OpenApiTypes.INT, description="An area's id: that area and everything below it."),
]


def list_filters(request: Request) -> dict[str, Any]:
    """The filters given in the query string (a bad value answers 400), as `petitions_filtered` takes them."""
    filters = ListFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    values = filters.validated_data
    return {
        "status": values.get("status") or "",
        "form": values.get("form") or "",
        "is_repeat": values.get("is_repeat"),
        "area": values.get("area") or None,
    }
