"""API for the 民转刑 / 刑转命 register: list an area's conversions in a period, their counts, record one on a case,
read one, write its review (复盘倒查, 追责). Thin: the same selectors and services as the pages, so the same
refusals (`{"code", "message"}`); an area or a record outside the reader's answers 404.

The period is chosen with the dashboard's parameters (`kind`=month|quarter|year|custom with `month`, `quarter`,
`year` or `start`/`end`); without `kind`, the current year.
"""

from typing import Any

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.api import CheckedCursorPagination, ErrorSerializer
from core.exceptions import PermissionDeniedError
from disputes import visibility
from disputes.api.views import case_for_request
from disputes.dashboard import conversions as register
from disputes.dashboard.periods import Period, PeriodForm, year_period
from disputes.dashboard.selectors import dashboard_area, dashboard_home_area
from disputes.models import CriminalConversion
from disputes.services import conversions as services
from grids.models import Area

# --- Serializers -------------------------------------------------------------------------------------------


class ConversionSerializer(serializers.ModelSerializer):
    """A conversion as its reader may see it (the free text masked for one who does not work the case)."""

    tracking_number = serializers.CharField(source="dispute.tracking_number")
    kind_label = serializers.CharField(source="get_kind_display")
    recorded_by = serializers.IntegerField(source="recorded_by_id", allow_null=True)
    reviewed_by = serializers.IntegerField(source="reviewed_by_id", allow_null=True)
    summary = serializers.SerializerMethodField()
    review_missed = serializers.SerializerMethodField()
    review_responsible = serializers.SerializerMethodField()
    review_changes = serializers.SerializerMethodField()
    accountability_notes = serializers.SerializerMethodField()

    class Meta:
        model = CriminalConversion
        fields = [
            "id",
            "tracking_number",
            "kind",
            "kind_label",
            "police_case_number",
            "police_unit",
            "occurred_on",
            "reported_on",
            "summary",
            "recorded_by",
            "recorded_at",
            "review_missed",
            "review_responsible",
            "review_changes",
            "accountability",
            "accountability_notes",
            "reviewed_by",
            "reviewed_at",
        ]

    def _text(self, obj: CriminalConversion, value: str) -> str:
        lenses: dict[int, visibility.CaseLens] = self.__dict__.setdefault("_lenses", {})
        if obj.dispute_id not in lenses:
            lenses[obj.dispute_id] = visibility.case_lens(self.context["request"].user, obj.dispute)
        return lenses[obj.dispute_id].text("event.text", value) or ""

    def get_summary(self, obj: CriminalConversion) -> str:
        return self._text(obj, obj.summary)

    def get_review_missed(self, obj: CriminalConversion) -> str:
        return self._text(obj, obj.review_missed)

    def get_review_responsible(self, obj: CriminalConversion) -> str:
        return self._text(obj, obj.review_responsible)

    def get_review_changes(self, obj: CriminalConversion) -> str:
        return self._text(obj, obj.review_changes)

    def get_accountability_notes(self, obj: CriminalConversion) -> str:
        return self._text(obj, obj.accountability_notes)


class RecordSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=CriminalConversion.Kind.choices)
    police_case_number = serializers.CharField(max_length=services.MAX_NUMBER)
    police_unit = serializers.CharField(max_length=services.MAX_UNIT, required=False, allow_blank=True, default="")
    occurred_on = serializers.DateField(help_text=gettext_lazy("The day of the crime (the register counts by it)."))
    reported_on = serializers.DateField(
        help_text=gettext_lazy("The day the police's referral back reached the centre.")
    )
    summary = serializers.CharField(max_length=services.MAX_TEXT)


class ReviewSerializer(serializers.Serializer):
    missed = serializers.CharField(max_length=services.MAX_TEXT)
    responsible = serializers.CharField(max_length=services.MAX_TEXT)
    changes = serializers.CharField(max_length=services.MAX_TEXT)
    accountability = serializers.ChoiceField(
        choices=CriminalConversion.Accountability.choices, required=False, allow_blank=True, default=""
    )
    notes = serializers.CharField(max_length=services.MAX_TEXT, required=False, allow_blank=True, default="")


class CountsSerializer(serializers.Serializer):
    area = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text=gettext_lazy("The day after the period (excluded)."))
    criminal = serializers.IntegerField()
    homicide = serializers.IntegerField()
    criminal_last_year = serializers.IntegerField()
    homicide_last_year = serializers.IntegerField()
    criminal_change = serializers.IntegerField()
    homicide_change = serializers.IntegerField()


AREA = OpenApiParameter("area", str, description=gettext_lazy("Area code; the reader's own area when left out."))
PERIOD = [
    OpenApiParameter("kind", str, enum=["month", "quarter", "year", "custom"]),
    OpenApiParameter("month", str, description="2026-11"),
    OpenApiParameter("quarter", str, description="2026-Q4"),
    OpenApiParameter("year", int),
    OpenApiParameter("start", str, description="2026-11-03"),
    OpenApiParameter("end", str, description=gettext_lazy("Last day, included.")),
]
FILTERS = [
    OpenApiParameter("conversion_kind", str, enum=list(CriminalConversion.Kind.values)),
    OpenApiParameter("reviewed", str, enum=[register.REVIEWED, register.NOT_REVIEWED]),
]
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=gettext_lazy("No such record, or not visible to this user."))
NO_AREA = OpenApiResponse(ErrorSerializer, description=gettext_lazy("No such area in your jurisdiction."))


def _area_and_period(request) -> tuple[Area, Period]:
    if dashboard_home_area(request.user) is None:
        raise PermissionDeniedError(
            gettext_lazy("Only supervisors and administrators read the register."), code="wrong_role"
        )
    area = dashboard_area(request.user, request.query_params.get("area") or None)
    if "kind" not in request.query_params:
        return area, year_period(timezone.localdate().year)
    form = PeriodForm(request.query_params)
    if not form.is_valid():
        raise ValidationError(form.errors)
    return area, form.period()


def _answer(request, conversion: Any, code: int = status.HTTP_200_OK) -> Response:
    fresh = services.conversion_get_for(request.user, conversion.pk)
    return Response(ConversionSerializer(fresh, context={"request": request}).data, status=code)


# --- Views ---------------------------------------------------------------------------------------------------


class ConversionListApi(generics.ListAPIView):
    """民转刑 / 刑转命 台账 of an area in a period, by the day of the crime, newest first (GET); record one on a
    case from the police's referral back (POST: a supervisor whose area covers the case, or an administrator)."""

    serializer_class = ConversionSerializer

    class Cursor(CheckedCursorPagination):
        ordering = ("-occurred_on", "-id")
        page_size = 50

    pagination_class = Cursor

    # An area code outside the reader's area, or none such, is 404.
    @extend_schema(parameters=[AREA, *PERIOD, *FILTERS], responses={200: ConversionSerializer, 404: NO_AREA})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return CriminalConversion.objects.none()
        area, period = _area_and_period(self.request)
        params = self.request.query_params
        return register.conversion_list(
            self.request.user,
            area,
            period,
            kind=params.get("conversion_kind", ""),
            reviewed=params.get("reviewed", ""),
        )

    @extend_schema(
        request=RecordSerializer,
        responses={201: ConversionSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    def post(self, request, *args, **kwargs):
        payload = RecordSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        case = case_for_request(request, values.pop("tracking_number"))
        conversion = services.conversion_record(Actor.for_user(request.user), case, **values)
        return _answer(request, conversion, status.HTTP_201_CREATED)


class ConversionCountsApi(APIView):
    """民转刑 and 刑转命 of an area in a period, with the same period last year and the change (the target is zero).
    A referral of a crime to the police (移送公安) is not counted here."""

    @extend_schema(parameters=[AREA, *PERIOD], responses={200: CountsSerializer, 403: ErrorSerializer, 404: NO_AREA})
    def get(self, request):
        area, period = _area_and_period(request)
        counts = register.conversion_counts(area, period)
        return Response({"area": area.code, "start": period.start, "end": period.end, **counts.as_json()})


class ConversionDetailApi(APIView):
    @extend_schema(responses={200: ConversionSerializer, 404: NOT_FOUND})
    def get(self, request, pk: int):
        return _answer(request, services.conversion_get_for(request.user, pk))


class ConversionReviewApi(APIView):
    """复盘倒查 and 追责: what was missed, by whom, what changes, and the accountability outcome (a supervisor of a
    level above the case's place, or an administrator; saved again as the review goes on)."""

    @extend_schema(
        request=ReviewSerializer,
        responses={200: ConversionSerializer, 403: ErrorSerializer, 404: NOT_FOUND},
    )
    def post(self, request, pk: int):
        # A record the reader may not see answers 404 before its body is looked at, as the detail does.
        services.conversion_get_for(request.user, pk)
        payload = ReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        conversion = services.conversion_review(Actor.for_user(request.user), pk, **payload.validated_data)
        return _answer(request, conversion)


urlpatterns = [
    path("conversions/", ConversionListApi.as_view(), name="conversion-list"),
    path("conversions/counts/", ConversionCountsApi.as_view(), name="conversion-counts"),
    path("conversions/<int:pk>/", ConversionDetailApi.as_view(), name="conversion-detail"),
    path("conversions/<int:pk>/review/", ConversionReviewApi.as_view(), name="conversion-review"),
]
