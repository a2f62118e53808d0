from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.api import CheckedCursorPagination, ErrorSerializer
from core.exceptions import ApplicationError, PermissionDeniedError
from disputes import selectors, services, visibility
from disputes.api.serializers import (
    AssistanceSerializer,
    CaseDetailSerializer,
    CaseListSerializer,
    ClockSerializer,
    ColourOverrideSerializer,
    DescriptionSerializer,
    NoteSerializer,
    PartyInputSerializer,
    TransitionInputSerializer,
)
from disputes.models import Dispute
from disputes.rules.enums import Colour
from disputes.selectors import similar as similar_selectors
from disputes.staff import actions
from grids.models import Department


class NewestFirstCursor(CheckedCursorPagination):
    ordering = "-id"
    page_size = 25


class CaseListApi(generics.ListAPIView):
    """Cases the signed-in staff member may see."""

    serializer_class = CaseListSerializer
    pagination_class = NewestFirstCursor

    def get_queryset(self):
        return selectors.disputes_visible_to(self.request.user).select_related("category", "lead_department")


def case_for_request(request, tracking_number: str) -> Dispute:
    """The case of the URL if the user may see it; NotFoundError (404) otherwise (`selectors.dispute_get_for`)."""
    return selectors.dispute_get_for(request.user, tracking_number)


def case_detail_data(case, request) -> dict:
    """The case as this user may see it: in clear if they work it, masked otherwise (disputes.visibility)."""
    context = {
        # What the user may do now (disputes.staff.actions): the case's `allowed_actions`.
        "allowed_actions": actions.allowed_transitions(request.user, case),
        "lens": visibility.case_lens(request.user, case),
        "linked": selectors.linked_numbers(selectors.duplicate_links(user=request.user, case=case))
        | similar_selectors.drafted_from_numbers(user=request.user, case=case),
    }
    return CaseDetailSerializer(case, context=context).data


class CaseDetailApi(APIView):
    @extend_schema(responses=CaseDetailSerializer)
    def get(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        return Response(case_detail_data(case, request))


class CaseTransitionApi(APIView):
    """Take one action of the closed loop on a case."""

    @extend_schema(request=TransitionInputSerializer, responses=CaseDetailSerializer)
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        payload = TransitionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        actor = Actor.for_user(request.user)
        data = {k: values[k] for k in ("department", "outcome") if k in values}
        if values["action"] == "withdraw":
            # 撤回: only by approving the applicant's request (withdrawal/ and withdrawal/decision/).
            raise PermissionDeniedError(
                _(
                    "A case is withdrawn only at the applicant's request, approved by a supervisor: "
                    "record the applicant's request instead."
                ),
                code="withdrawal_needs_approval",
            )
        if values["action"] == "report_back":
            case = services.dispute_report_back(
                dispute=case,
                actor=actor,
                outcome=values.get("outcome", ""),
                reason=values["reason"],
                referral_reference=values["referral_reference"],
                signed_on=values.get("signed_on"),
                effective_on=values.get("effective_on"),
            )
        else:
            case = services.dispute_transition(
                dispute=case, action=values["action"], actor=actor, reason=values["reason"], data=data
            )
        return Response(case_detail_data(case, request), status=status.HTTP_200_OK)


class DispatchQueueApi(generics.ListAPIView):
    """派单队列: triaged or returned cases waiting for a person to choose the department, most urgent first."""

    serializer_class = CaseListSerializer

    class Cursor(CheckedCursorPagination):
        ordering = ("colour", "submitted_at", "id")
        page_size = 25

    pagination_class = Cursor

    def get_queryset(self):
        return selectors.dispatch_queue(user=self.request.user).select_related("category", "lead_department")


def _validated(serializer_class, request):
    payload = serializer_class(data=request.data)
    payload.is_valid(raise_exception=True)
    return payload.validated_data


def _detail(case, request):
    case.refresh_from_db()
    return Response(case_detail_data(case, request))


class CaseColourApi(APIView):
    """Override the colour, with a reason (recorded on the timeline)."""

    @extend_schema(request=ColourOverrideSerializer, responses=CaseDetailSerializer)
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        values = _validated(ColourOverrideSerializer, request)
        colour = Colour[values["colour"].upper()]
        services.dispute_override_colour(
            dispute=case, actor=Actor.for_user(request.user), colour=colour, reason=values["reason"]
        )
        return _detail(case, request)


class CaseAssistanceApi(APIView):
    """Ask another department to join the case (联合调解)."""

    @extend_schema(request=AssistanceSerializer, responses=CaseDetailSerializer)
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        values = _validated(AssistanceSerializer, request)
        department = Department.objects.filter(pk=values["department"], is_active=True).first()
        if department is None:
            raise ApplicationError(_("Unknown department."), code="unknown_department")
        services.dispute_request_assistance(
            dispute=case, actor=Actor.for_user(request.user), department=department, reason=values["reason"]
        )
        return _detail(case, request)


class CaseNoteApi(APIView):
    """Add an internal note (never shown to residents)."""

    @extend_schema(request=NoteSerializer, responses=CaseDetailSerializer)
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        values = _validated(NoteSerializer, request)
        services.dispute_add_note(dispute=case, actor=Actor.for_user(request.user), text=values["text"])
        return _detail(case, request)


class CaseClockApi(APIView):
    """Pause the handling clocks while the case waits on a party, or resume them."""

    @extend_schema(request=ClockSerializer, responses=CaseDetailSerializer)
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        values = _validated(ClockSerializer, request)
        actor = Actor.for_user(request.user)
        if values["action"] == "pause":
            services.dispute_pause_clock(
                dispute=case, actor=actor, reason=values["reason"], category=values["category"]
            )
        else:
            services.dispute_resume_clock(dispute=case, actor=actor)
        return _detail(case, request)


class CaseDescriptionApi(APIView):
    """Correct or complete the description: the old text stays on the timeline and triage runs again
    (the colour can rise, never silently drop). For those who may correct the case's facts: its handlers,
    the dispatchers and supervisors of its area, administrators."""

    @extend_schema(
        request=DescriptionSerializer,
        responses={
            200: CaseDetailSerializer,
            400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("No description, or the case is closed.")),
            403: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Your role may not change this case.")),
            404: OpenApiResponse(ErrorSerializer, description=gettext_lazy("No such case in your jurisdiction.")),
        },
    )
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        actions.check_door(request.user, case, "description")
        values = _validated(DescriptionSerializer, request)
        services.dispute_update_description(
            dispute=case, actor=Actor.for_user(request.user), description=values["description"]
        )
        return _detail(case, request)


class CasePartyApi(APIView):
    """Add a party to the case; triage runs again."""

    @extend_schema(request=PartyInputSerializer, responses=CaseDetailSerializer)
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        values = _validated(PartyInputSerializer, request)
        reason = values.pop("reason")
        services.dispute_add_party(dispute=case, actor=Actor.for_user(request.user), party=values, reason=reason)
        return _detail(case, request)
