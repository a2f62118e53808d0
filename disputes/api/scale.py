"""API: set or correct how many people are involved and how much is at stake (disputes.scale).

`POST /api/v1/cases/<number>/scale/`. Thin, like the case page: the case is found
through the jurisdiction selector (404 outside it) and `dispute_set_scale` decides
who may change it, refuses a closed or withdrawn case and runs triage again.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.api import ErrorSerializer
from core.exceptions import ApplicationError
from disputes import scale, services
from disputes.api.serializers import CaseDetailSerializer
from disputes.api.views import case_detail_data, case_for_request
from disputes.rules.enums import AmountBand, PeopleBand


class ScaleInputSerializer(serializers.Serializer):
    """Each of the two is an exact figure or a range; a key left out keeps what is stored, null or "" clears it."""

    people_involved = serializers.IntegerField(
        min_value=1, max_value=scale.MAX_PEOPLE, required=False, allow_null=True, help_text=_("Exact number.")
    )
    people_band = serializers.ChoiceField(
        choices=PeopleBand.choices,
        required=False,
        allow_blank=True,
        allow_null=True,
        error_messages={"invalid_choice": _("Choose one of the ranges offered.")},
        help_text=_("A range instead of an exact number."),
    )
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True, help_text=_("Yuan, exact.")
    )
    amount_band = serializers.ChoiceField(
        choices=AmountBand.choices,
        required=False,
        allow_blank=True,
        allow_null=True,
        error_messages={"invalid_choice": _("Choose one of the ranges offered.")},
        help_text=_("A range instead of an exact amount."),
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    def validate(self, attrs):
        # Both for the same thing: refused here with the service's words, beside the range.
        try:
            scale.clean_scale(
                people_involved=attrs.get("people_involved"),
                people_band=attrs.get("people_band") or "",
                amount=attrs.get("amount"),
                amount_band=attrs.get("amount_band") or "",
            )
        except ApplicationError as exc:
            raise serializers.ValidationError(
                {exc.extra.get("field", "people_band"): [exc.message]}, code=exc.code
            ) from None
        return attrs


class CaseScaleApi(APIView):
    """Set or correct the people involved and the amount at stake; triage runs again (the colour never drops)."""

    @extend_schema(
        request=ScaleInputSerializer,
        responses={
            200: CaseDetailSerializer,
            400: OpenApiResponse(ErrorSerializer, description=_("Invalid values, or nothing to change.")),
            403: OpenApiResponse(ErrorSerializer, description=_("Your role may not change this case.")),
            404: OpenApiResponse(ErrorSerializer, description=_("No such case in your jurisdiction.")),
        },
    )
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        payload = ScaleInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        reason = values.pop("reason", "")
        services.dispute_set_scale(dispute=case, actor=Actor.for_user(request.user), reason=reason, **values)
        case.refresh_from_db()
        return Response(case_detail_data(case, request))


urlpatterns = [
    path("cases/<str:tracking_number>/scale/", CaseScaleApi.as_view(), name="case-scale"),
]
