"""API: 司法确认 — the parties' application to a court to confirm their signed agreement, and the court's ruling.

Thin: the case through the jurisdiction selector (404 outside it), the rules in
`disputes.services.judicial`; refusals come back as the project's error envelope.
"""

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from disputes import services
from disputes.api.views import case_for_request
from disputes.models import Agreement, JudicialConfirmation
from disputes.rules.enums import Outcome
from disputes.services.judicial import COURT_MAX

# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] (a spot check's "result" is another choice set).
JUDICIAL_RESULTS = JudicialConfirmation.Result.choices
JUDICIAL_DECISIONS = [
    (value, label) for value, label in JUDICIAL_RESULTS if value != JudicialConfirmation.Result.PENDING
]


class JudicialConfirmationSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(
        source="agreement_version.version", help_text=gettext_lazy("The version of the agreement applied for.")
    )

    class Meta:
        model = JudicialConfirmation
        fields = ["id", "version", "applied_on", "court", "result", "ruling_number", "decided_on", "recorded_at"]
        extra_kwargs = {"result": {"choices": JUDICIAL_RESULTS}}


class JudicialWindowSerializer(serializers.Serializer):
    effective_on = serializers.DateField(help_text=gettext_lazy("The day the signed agreement took effect."))
    last_day = serializers.DateField(help_text=gettext_lazy("The last day the parties may apply (30 days on)."))
    days_left = serializers.IntegerField(help_text=gettext_lazy("Days left to apply; negative once it has passed."))


class JudicialStateSerializer(serializers.Serializer):
    window = JudicialWindowSerializer(allow_null=True)
    applications = JudicialConfirmationSerializer(many=True)


class JudicialApplySerializer(serializers.Serializer):
    applied_on = serializers.DateField(help_text=gettext_lazy("The day the parties applied to the court."))
    court = serializers.CharField(max_length=COURT_MAX, help_text=gettext_lazy("The court applied to."))


class JudicialDecisionSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=JUDICIAL_DECISIONS)
    ruling_number = serializers.CharField(
        max_length=60, help_text=gettext_lazy("The court's ruling number, e.g. (2026)赣0103民特123号.")
    )
    decided_on = serializers.DateField(help_text=gettext_lazy("The day of the ruling."))


def _state(case) -> dict:
    """The window (while the case stands reported back by a signed agreement) and the applications."""
    agreement = Agreement.objects.filter(dispute=case).select_related("signed_version").first()
    signed = agreement.signed_version if agreement is not None else None
    window = None
    if signed is not None and case.outcome == Outcome.AGREEMENT and case.status in services.PERFORMANCE_STATES:
        first, last = services.judicial_window(case, signed)
        window = {"effective_on": first, "last_day": last, "days_left": (last - timezone.localdate()).days}
    return {"window": window, "applications": services.judicial_of(case)}


class CaseJudicialApi(APIView):
    """司法确认: the window and the applications (GET); record the parties' application (POST)."""

    @extend_schema(responses=JudicialStateSerializer)
    def get(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        return Response(JudicialStateSerializer(_state(case)).data)

    @extend_schema(request=JudicialApplySerializer, responses={201: JudicialConfirmationSerializer})
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        payload = JudicialApplySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        application = services.judicial_apply(
            dispute=case, actor=Actor.for_user(request.user), **payload.validated_data
        )
        return Response(JudicialConfirmationSerializer(application).data, status=status.HTTP_201_CREATED)


class CaseJudicialDecisionApi(APIView):
    """法院裁定: record the court's ruling on the application that awaits it."""

    @extend_schema(request=JudicialDecisionSerializer, responses=JudicialConfirmationSerializer)
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        payload = JudicialDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        application = services.judicial_decide(
            dispute=case, actor=Actor.for_user(request.user), **payload.validated_data
        )
        return Response(JudicialConfirmationSerializer(application).data)


urlpatterns = [
    path("cases/<str:tracking_number>/judicial/", CaseJudicialApi.as_view(), name="case-judicial"),
    path(
        "cases/<str:tracking_number>/judicial/decision/",
        CaseJudicialDecisionApi.as_view(),
        name="case-judicial-decision",
    ),
]
