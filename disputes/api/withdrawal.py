"""API: 撤回 — record the applicant's request to withdraw a case, and a supervisor's decision on it.

`POST /api/v1/cases/<number>/withdrawal/` and `POST /api/v1/cases/<number>/withdrawal/decision/`.
Thin: the case is found through the jurisdiction selector (404 outside it) and
`disputes.services.withdrawal` decides the rest. The transitions endpoint refuses
`withdraw` itself (`withdrawal_needs_approval`): approving a request is the only way.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.api import ErrorSerializer
from disputes.api.views import case_for_request
from disputes.models import WithdrawalRequest
from disputes.rules.enums import WithdrawalVia
from disputes.services import withdrawal as services

STAFF_VIA = [(v.value, v.label) for v in WithdrawalVia if v != WithdrawalVia.SMS_LINK]


class WithdrawalRequestInputSerializer(serializers.Serializer):
    via = serializers.ChoiceField(choices=STAFF_VIA, help_text=_("How the applicant asked to withdraw."))
    reason = serializers.CharField(max_length=services.MAX_REASON, allow_blank=True, default="")


class WithdrawalDecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
    remarks = serializers.CharField(
        max_length=services.MAX_REASON, allow_blank=True, default="", help_text=_("Required when refusing.")
    )


class WithdrawalRequestSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="dispute.tracking_number", read_only=True)
    case_status = serializers.CharField(source="dispute.status", read_only=True)

    class Meta:
        model = WithdrawalRequest
        fields = (
            "id",
            "case",
            "case_status",
            "via",
            "reason",
            "state",
            "requested_at",
            "decided_at",
            "decision_remarks",
        )
        read_only_fields = fields


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Missing reason or remarks, or the case is not open.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Your role may not take this action.")),
    404: OpenApiResponse(ErrorSerializer, description=_("No such case in your jurisdiction.")),
    409: OpenApiResponse(ErrorSerializer, description=_("A request is already pending, or none is.")),
}


class CaseWithdrawalApi(APIView):
    """Record the applicant's request to withdraw (how they asked, their reason); a supervisor decides it."""

    @extend_schema(request=WithdrawalRequestInputSerializer, responses={201: WithdrawalRequestSerializer, **ERRORS})
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        payload = WithdrawalRequestInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        created = services.withdrawal_request(
            dispute=case,
            actor=Actor.for_user(request.user),
            via=payload.validated_data["via"],
            reason=payload.validated_data["reason"],
        )
        return Response(WithdrawalRequestSerializer(created).data, status=status.HTTP_201_CREATED)


class CaseWithdrawalDecisionApi(APIView):
    """Approve (the case is withdrawn) or refuse (remarks required) the case's pending request."""

    @extend_schema(request=WithdrawalDecisionInputSerializer, responses={200: WithdrawalRequestSerializer, **ERRORS})
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        payload = WithdrawalDecisionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        decided = services.withdrawal_decide_pending(
            dispute=case,
            actor=Actor.for_user(request.user),
            approve=payload.validated_data["decision"] == "approve",
            remarks=payload.validated_data["remarks"],
        )
        decided.refresh_from_db()
        return Response(WithdrawalRequestSerializer(decided).data, status=status.HTTP_200_OK)


urlpatterns = [
    path("cases/<str:tracking_number>/withdrawal/", CaseWithdrawalApi.as_view(), name="case-withdrawal"),
    path(
        "cases/<str:tracking_number>/withdrawal/decision/",
        CaseWithdrawalDecisionApi.as_view(),
        name="case-withdrawal-decision",
    ),
]
