"""API: 包案 — name a case's leader in charge (包案领导). Thin: the rules are `disputes.services.leader`."""

from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.api import ErrorSerializer
from core.exceptions import PermissionDeniedError
from disputes.api.serializers import CaseDetailSerializer
from disputes.api.views import case_detail_data, case_for_request
from disputes.services import leader as leader_service


class LeaderInputSerializer(serializers.Serializer):
    leader = serializers.IntegerField(
        min_value=1, help_text=gettext_lazy("The user id of a staff member of the case's area or an area above it.")
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=leader_service.MAX_REASON,
        help_text=gettext_lazy("Required when a leader is replaced."),
    )


class CaseLeaderApi(APIView):
    """指定包案领导: a supervisor whose area covers the case (or an administrator) names its leader in charge.

    The leader is told in their inbox and sees the case in their queue (我包案的); replacing a leader needs
    a reason. Both are on the case's timeline.
    """

    @extend_schema(
        request=LeaderInputSerializer,
        responses={
            200: CaseDetailSerializer,
            400: OpenApiResponse(
                ErrorSerializer, description=gettext_lazy("Not a staff member of the case's area, or no reason.")
            ),
            403: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Your role may not name the leader.")),
            404: OpenApiResponse(ErrorSerializer, description=gettext_lazy("No such case in your jurisdiction.")),
        },
    )
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        actor = Actor.for_user(request.user)
        # The role before the body: a role that may never name a leader is told so whatever it sent.
        if actor.role not in leader_service.LEADER_ROLES:
            raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
        payload = LeaderInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        case = leader_service.leader_set(dispute=case, actor=actor, leader=values["leader"], reason=values["reason"])
        case.refresh_from_db()
        return Response(case_detail_data(case, request))


urlpatterns = [
    path("cases/<str:tracking_number>/leader/", CaseLeaderApi.as_view(), name="case-leader"),
]
