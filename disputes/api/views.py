from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.exceptions import NotFoundError
from disputes import selectors, services
from disputes.api.serializers import CaseDetailSerializer, CaseListSerializer, TransitionInputSerializer
from disputes.rules.tracking import normalise_tracking_number


class NewestFirstCursor(CursorPagination):
    ordering = "-id"
    page_size = 25


class CaseListApi(generics.ListAPIView):
    """Cases the signed-in staff member may see."""

    serializer_class = CaseListSerializer
    pagination_class = NewestFirstCursor

    def get_queryset(self):
        return selectors.disputes_visible_to(self.request.user).select_related("category", "lead_department")


def _get_case(request, tracking_number: str):
    case = selectors.dispute_get_visible(user=request.user, tracking_number=normalise_tracking_number(tracking_number))
    if case is None:
        raise NotFoundError(_("Case not found."))
    return case


class CaseDetailApi(APIView):
    @extend_schema(responses=CaseDetailSerializer)
    def get(self, request, tracking_number: str):
        case = _get_case(request, tracking_number)
        actor = Actor.for_user(request.user)
        return Response(CaseDetailSerializer(case, context={"role": actor.role}).data)


class CaseTransitionApi(APIView):
    """Take one action of the closed loop on a case."""

    @extend_schema(request=TransitionInputSerializer, responses=CaseDetailSerializer)
    def post(self, request, tracking_number: str):
        case = _get_case(request, tracking_number)
        payload = TransitionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        actor = Actor.for_user(request.user)
        data = {k: values[k] for k in ("department", "outcome") if k in values}
        if values["action"] == "report_back":
            case = services.dispute_report_back(
                dispute=case, actor=actor, outcome=values.get("outcome", ""), reason=values["reason"]
            )
        else:
            case = services.dispute_transition(
                dispute=case, action=values["action"], actor=actor, reason=values["reason"], data=data
            )
        return Response(CaseDetailSerializer(case, context={"role": actor.role}).data, status=status.HTTP_200_OK)
