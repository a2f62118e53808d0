"""Staff API for petitions (信访): list, register, read, and the actions on one petition.

Thin: every petition is found through `petition_get_for` (outside the user's
jurisdiction it answers 404, like one that does not exist) and every write calls
`petitions.services`; the services' refusals come back in the project's error
envelope (`core.api.exception_handler`). Petitioners' personal data is masked
(`core.casework.people`): the list shows only a masked name, the detail the name
with masked phone, ID number and address, as the staff page does.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.exceptions import PermissionDeniedError
from disputes.rules.tracking import format_tracking_number
from petitions import rules, services
from petitions.api.filters import PARAMETERS, list_filters
from petitions.api.pagination import DeadlineKeyset
from petitions.api.serializers import (
    ConvertedSerializer,
    DecisionSerializer,
    ExtensionSerializer,
    LetterInputSerializer,
    LetterIssuedSerializer,
    LetterSerializer,
    PetitionCallbackAttemptInputSerializer,
    PetitionDetailSerializer,
    PetitionListSerializer,
    PetitionRevealedSerializer,
    PetitionRevealInputSerializer,
    RegisterSerializer,
    ReplySerializer,
    ToDisputeSerializer,
)
from petitions.models import Petition
from petitions.selectors import PAGE_RELATED, petition_get_for, petitions_filtered, user_works_petition


def _petition(request: Request, tracking_number: str) -> Petition:
    return petition_get_for(request.user, tracking_number, related=PAGE_RELATED)


def _require(actor: Actor, roles: frozenset[str]) -> None:
    """The service checks again; asking first answers 403 before a body is even read."""
    if actor.role not in roles:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")


def _validated(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    payload = serializer_class(data=request.data)
    payload.is_valid(raise_exception=True)
    return dict(payload.validated_data)


def _detail(request: Request, tracking_number: str) -> Any:
    actor = Actor.for_user(request.user)
    petition = _petition(request, tracking_number)
    context = {"role": actor.role, "works": user_works_petition(request.user, petition)}
    return PetitionDetailSerializer(petition, context=context).data


class PetitionListCreateApi(generics.ListAPIView):
    """信访件: the petitions the user may see, open first by nearest deadline; register a new one."""

    serializer_class = PetitionListSerializer
    pagination_class = DeadlineKeyset
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Petition]:
        return petitions_filtered(self.request.user, **list_filters(self.request))

    @extend_schema(parameters=PARAMETERS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=RegisterSerializer, responses={201: PetitionDetailSerializer})
    def post(self, request: Request) -> Response:
        actor = Actor.for_user(request.user)
        _require(actor, rules.REGISTER_ROLES)
        values = _validated(RegisterSerializer, request)
        petition = services.petition_register(actor=actor, **values)
        return Response(_detail(request, petition.tracking_number), status=status.HTTP_201_CREATED)


class PetitionDetailApi(APIView):
    """One petition with its petitioners (masked), deadlines, letters and timeline."""

    @extend_schema(responses=PetitionDetailSerializer)
    def get(self, request: Request, tracking_number: str) -> Response:
        return Response(_detail(request, tracking_number))


class PetitionDecisionApi(APIView):
    """受理决定: accept, not accept (with a reason) or refer to the competent body."""

    @extend_schema(request=DecisionSerializer, responses=PetitionDetailSerializer)
    def post(self, request: Request, tracking_number: str) -> Response:
        petition = _petition(request, tracking_number)
        values = _validated(DecisionSerializer, request)
        services.petition_decide(petition=petition, actor=Actor.for_user(request.user), **values)
        return Response(_detail(request, tracking_number))


class PetitionExtensionApi(APIView):
    """延期: extend the handling period once, by at most 30 days, with a reason (supervisors)."""

    @extend_schema(request=ExtensionSerializer, responses=PetitionDetailSerializer)
    def post(self, request: Request, tracking_number: str) -> Response:
        petition = _petition(request, tracking_number)
        actor = Actor.for_user(request.user)
        _require(actor, rules.EXTENSION_APPROVERS)
        values = _validated(ExtensionSerializer, request)
        services.petition_extend(petition=petition, actor=actor, days=values["days"], reason=values["reason"])
        return Response(_detail(request, tracking_number))


class PetitionReplyApi(APIView):
    """书面答复: the written reply; opens the petitioner's 30 days to ask for a review."""

    @extend_schema(request=ReplySerializer, responses=PetitionDetailSerializer)
    def post(self, request: Request, tracking_number: str) -> Response:
        petition = _petition(request, tracking_number)
        values = _validated(ReplySerializer, request)
        services.petition_reply(petition=petition, actor=Actor.for_user(request.user), text=values["text"])
        return Response(_detail(request, tracking_number))


class PetitionLetterApi(APIView):
    """三函: issue an assignment, reminder or supervision letter, numbered per office and year."""

    @extend_schema(request=LetterInputSerializer, responses={201: LetterIssuedSerializer})
    def post(self, request: Request, tracking_number: str) -> Response:
        petition = _petition(request, tracking_number)
        actor = Actor.for_user(request.user)
        _require(actor, rules.LETTER_ROLES)
        values = _validated(LetterInputSerializer, request)
        letter = services.petition_issue_letter(
            petition=petition, actor=actor, kind=values["kind"], text=values["text"]
        )
        body = {"letter": LetterSerializer(letter).data, "petition": _detail(request, tracking_number)}
        return Response(body, status=status.HTTP_201_CREATED)


class PetitionToDisputeApi(APIView):
    """转为纠纷: turn the petition into a dispute case; both are linked and both timelines say so."""

    @extend_schema(request=ToDisputeSerializer, responses={201: ConvertedSerializer})
    def post(self, request: Request, tracking_number: str) -> Response:
        petition = _petition(request, tracking_number)
        actor = Actor.for_user(request.user)
        _require(actor, rules.CONVERT_ROLES)
        values = _validated(ToDisputeSerializer, request)
        case = services.petition_to_dispute(petition=petition, actor=actor, **values)
        body = {"dispute": format_tracking_number(case.tracking_number), "petition": _detail(request, tracking_number)}
        return Response(body, status=status.HTTP_201_CREATED)


class PetitionerRevealApi(APIView):
    """Show one petitioner's phone, ID-card number or address in clear (to those working the petition; logged)."""

    @extend_schema(request=PetitionRevealInputSerializer, responses=PetitionRevealedSerializer)
    def post(self, request: Request, tracking_number: str, pk: int) -> Response:
        petition = _petition(request, tracking_number)
        values = _validated(PetitionRevealInputSerializer, request)
        value = services.petitioner_reveal(
            user=request.user, petition=petition, petitioner_id=pk, field=values["field"]
        )
        return Response({"field": values["field"], "value": value})


class PetitionCallbackApi(APIView):
    """回访: record one call to the petitioner after the written reply (callers, supervisors, admins)."""

    @extend_schema(request=PetitionCallbackAttemptInputSerializer, responses={201: PetitionDetailSerializer})
    def post(self, request: Request, tracking_number: str) -> Response:
        actor = Actor.for_user(request.user)
        _require(actor, rules.CALLBACK_ROLES)
        petition = _petition(request, tracking_number)
        values = _validated(PetitionCallbackAttemptInputSerializer, request)
        services.petition_callback_record_attempt(petition=petition, actor=actor, **values)
        return Response(_detail(request, tracking_number), status=status.HTTP_201_CREATED)
