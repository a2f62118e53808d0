"""Staff API for petitions (信访): list, register, read, and the actions on one petition.

Thin: every petition is found through `petitions_visible_to` (outside the
user's jurisdiction it answers 404, like one that does not exist) and every
write calls `petitions.services`; the services' refusals come back in the
project's error envelope (`core.api.exception_handler`). Petitioners' personal
data is masked (`core.masking`): the list shows only a masked name, the detail
the name with masked phone, ID number and address, as the staff page does.
"""

import base64
import json
from datetime import UTC, datetime

from django.db.models import Case, DateTimeField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.casework.callbacks import Satisfaction
from core.exceptions import NotFoundError, PermissionDeniedError
from core.masking import mask_address, mask_id_number, mask_name, mask_phone
from core.validators import validate_id_number, validate_mobile
from disputes.callbacks import CALLBACK_ROLES
from disputes.models import Category
from disputes.rules.tracking import format_tracking_number, normalise_tracking_number
from grids.models import Area, Department
from petitions import rules, services
from petitions.models import Petition, PetitionDeadline, PetitionEvent, PetitionLetter
from petitions.rules import OPEN_STATUSES, Form, LetterKind, Status
from petitions.selectors import petitions_visible_to, user_works_petition

# Sorts a petition without a deadline after every real one (keyset needs a non-null key).
_NO_DEADLINE = datetime(9999, 1, 1, tzinfo=UTC)


# --- Output ------------------------------------------------------------------------------------


class _PetitionBase(serializers.ModelSerializer):
    tracking_number = serializers.CharField(source="tracking_number_display", read_only=True)
    status = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    form = serializers.CharField(read_only=True)
    area = serializers.CharField(source="area.name", read_only=True)
    category = serializers.CharField(source="category.name", read_only=True)


class PetitionListSerializer(_PetitionBase):
    petitioners = serializers.SerializerMethodField()

    class Meta:
        model = Petition
        fields = [
            "tracking_number",
            "status",
            "status_display",
            "form",
            "area",
            "category",
            "received_on",
            "next_due_at",
            "is_group",
            "is_repeat",
            "petitioners",
        ]

    def get_petitioners(self, petition: Petition) -> list[str]:
        # Names only, masked: the list is read by more people than work the petition.
        return [mask_name(p.name) for p in petition.petitioners.all()]


class PetitionerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField()
    id_number = serializers.CharField()
    address = serializers.CharField()


class DeadlineSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = PetitionDeadline
        fields = [
            "kind",
            "kind_display",
            "due_at",
            "done_at",
            "cancelled_at",
            "is_open",
            "escalation_level",
            "extended_days",
            "extension_reason",
        ]


class LetterSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    document_number = serializers.CharField(read_only=True)
    office = serializers.CharField(source="office.name", read_only=True)

    class Meta:
        model = PetitionLetter
        fields = ["id", "kind", "kind_display", "document_number", "office", "year", "number", "recipient", "issued_at"]


class EventSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)

    class Meta:
        model = PetitionEvent
        fields = ["at", "actor_role", "kind", "action", "from_status", "to_status", "reason"]


class PetitionDetailSerializer(_PetitionBase):
    petitioners = serializers.SerializerMethodField()
    receiving_office = serializers.CharField(source="receiving_office.name", read_only=True)
    handling_department = serializers.CharField(
        source="handling_department.name", read_only=True, default=None, allow_null=True
    )
    repeat_of = serializers.SerializerMethodField()
    dispute = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()
    letters = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta:
        model = Petition
        fields = [
            "tracking_number",
            "status",
            "status_display",
            "form",
            "matter",
            "area",
            "category",
            "receiving_office",
            "received_on",
            "handling_department",
            "leader_name",
            "people_count",
            "is_group",
            "is_repeat",
            "repeat_of",
            "dispute",
            "referred_to",
            "reply_text",
            "callback_result",
            "accepted_at",
            "replied_at",
            "closed_at",
            "next_due_at",
            "allowed_actions",
            "petitioners",
            "deadlines",
            "letters",
            "timeline",
        ]

    @extend_schema_field(PetitionerSerializer(many=True))
    def get_petitioners(self, petition: Petition) -> list[dict]:
        # Names in clear only to those who work the petition; phone, ID and address masked for all
        # (revealed one at a time through the reveal endpoint, which is logged).
        works = self.context.get("works", False)
        return [
            {
                "id": p.pk,
                "name": p.name if works else mask_name(p.name),
                "phone": mask_phone(p.phone),
                "id_number": mask_id_number(p.id_number),
                "address": mask_address(p.address),
            }
            for p in petition.petitioners.all()
        ]

    def get_repeat_of(self, petition: Petition) -> str | None:
        return petition.repeat_of.tracking_number_display if petition.repeat_of_id else None

    def get_dispute(self, petition: Petition) -> str | None:
        return format_tracking_number(petition.dispute.tracking_number) if petition.dispute_id else None

    def get_allowed_actions(self, petition: Petition) -> list[str]:
        return rules.allowed_actions(petition.status, self.context.get("role", ""))

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, petition: Petition) -> list[dict]:
        return DeadlineSerializer(petition.deadlines.order_by("due_at", "pk"), many=True).data

    @extend_schema_field(LetterSerializer(many=True))
    def get_letters(self, petition: Petition) -> list[dict]:
        return LetterSerializer(petition.letters.select_related("office").order_by("issued_at", "pk"), many=True).data

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, petition: Petition) -> list[dict]:
        return EventSerializer(petition.events.order_by("at", "pk"), many=True).data


class LetterIssuedSerializer(serializers.Serializer):
    letter = LetterSerializer()
    petition = PetitionDetailSerializer()


class ConvertedSerializer(serializers.Serializer):
    dispute = serializers.CharField(help_text="The new dispute case's tracking number.")
    petition = PetitionDetailSerializer()


# --- Input -------------------------------------------------------------------------------------


class PetitionerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_phone(self, value: str) -> str:
        # Django's ValidationError from core.validators becomes a field error in the user's language.
        return validate_mobile(value) if value.strip() else ""

    def validate_id_number(self, value: str) -> str:
        return validate_id_number(value) if value.strip() else ""


def _active(queryset):
    return queryset.filter(is_active=True)


class RegisterSerializer(serializers.Serializer):
    form = serializers.ChoiceField(choices=Form.choices)
    matter = serializers.CharField(max_length=5000)
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all())
    category = serializers.PrimaryKeyRelatedField(queryset=_active(Category.objects))
    receiving_office = serializers.PrimaryKeyRelatedField(queryset=_active(Department.objects))
    handling_department = serializers.PrimaryKeyRelatedField(
        queryset=_active(Department.objects), required=False, allow_null=True, default=None
    )
    received_on = serializers.DateField(required=False, allow_null=True, default=None)
    leader_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    people_count = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    petitioners = PetitionerInputSerializer(many=True, allow_empty=False)


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=sorted(services.DECISIONS))
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    handling_department = serializers.PrimaryKeyRelatedField(
        queryset=_active(Department.objects), required=False, allow_null=True, default=None
    )
    referred_to = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ExtensionSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=rules.MAX_EXTENSION_DAYS)
    reason = serializers.CharField(max_length=2000)


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000)


class LetterInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LetterKind.choices)
    text = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


class ToDisputeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    grid = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.all(), required=False, allow_null=True, default=None
    )
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    form = serializers.ChoiceField(choices=Form.choices, required=False)
    is_repeat = serializers.BooleanField(required=False, allow_null=True, default=None)
    area = serializers.IntegerField(required=False, help_text="An area's id: that area and everything below it.")


# --- The list: keyset pagination ---------------------------------------------------------------


class DeadlineKeyset(BasePagination):
    """Open petitions first, nearest deadline first, then by id: a keyset on (rank, due, id), no COUNT.

    The cursor is the last row's key, so a page costs the same however deep it is
    and a petition registered meanwhile never shifts a page.
    """

    page_size = 25
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        queryset = queryset.annotate(
            sort_rank=Case(
                When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
            sort_due=Coalesce("next_due_at", Value(_NO_DEADLINE, output_field=DateTimeField())),
        ).order_by("sort_rank", "sort_due", "pk")
        cursor = self._decode(request.query_params.get(self.cursor_query_param))
        if cursor is not None:
            rank, due, pk = cursor
            queryset = queryset.filter(
                Q(sort_rank__gt=rank) | Q(sort_rank=rank, sort_due__gt=due) | Q(sort_rank=rank, sort_due=due, pk__gt=pk)
            )
        rows = list(queryset[: self.page_size + 1])
        self.has_next = len(rows) > self.page_size
        rows = rows[: self.page_size]
        self.last = rows[-1] if rows else None
        return rows

    def _decode(self, raw: str | None):
        if not raw:
            return None
        try:
            rank, due, pk = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
            due = datetime.fromisoformat(due)
            # Our cursors carry an aware time that converts to UTC; an edited one (year 1 in +08:00) may not.
            if due.tzinfo is None:
                raise ValueError("naive")
            due.astimezone(UTC)
            return int(rank), due, int(pk)
        except (ValueError, TypeError, UnicodeDecodeError, OverflowError):
            raise serializers.ValidationError({self.cursor_query_param: [_("Invalid cursor.")]}) from None

    def _next_link(self) -> str | None:
        if not self.has_next or self.last is None:
            return None
        key = [self.last.sort_rank, self.last.sort_due.isoformat(), self.last.pk]
        token = base64.urlsafe_b64encode(json.dumps(key).encode()).decode()
        query = self.request.query_params.copy()
        query[self.cursor_query_param] = token
        return self.request.build_absolute_uri(self.request.path) + "?" + query.urlencode()

    def get_paginated_response(self, data):
        return Response({"next": self._next_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": {"type": "string", "nullable": True, "format": "uri"}, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The next page's cursor, from `next`.",
                "schema": {"type": "string"},
            }
        ]


# --- Views -------------------------------------------------------------------------------------


def _get_petition(request, tracking_number: str) -> Petition:
    petition = (
        petitions_visible_to(request.user)
        .select_related("area", "category", "receiving_office", "handling_department", "repeat_of", "dispute")
        .filter(tracking_number=normalise_tracking_number(tracking_number))
        .first()
    )
    if petition is None:
        raise NotFoundError(_("Petition not found."))
    return petition


def _require(actor: Actor, roles: frozenset[str]) -> None:
    """The service checks again; asking first answers 403 before a body is even read."""
    if actor.role not in roles:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")


def _validated(serializer_class, request) -> dict:
    payload = serializer_class(data=request.data)
    payload.is_valid(raise_exception=True)
    return payload.validated_data


def _detail(request, tracking_number: str) -> dict:
    actor = Actor.for_user(request.user)
    petition = _get_petition(request, tracking_number)
    context = {"role": actor.role, "works": user_works_petition(request.user, petition)}
    return PetitionDetailSerializer(petition, context=context).data


_FILTERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=Status.values),
    OpenApiParameter("form", OpenApiTypes.STR, enum=Form.values),
    OpenApiParameter("is_repeat", OpenApiTypes.BOOL),
    OpenApiParameter("area", OpenApiTypes.INT, description="An area's id: that area and everything below it."),
]


class PetitionListCreateApi(generics.ListAPIView):
    """信访件: the petitions the user may see, open first by nearest deadline; register a new one."""

    serializer_class = PetitionListSerializer
    pagination_class = DeadlineKeyset
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Petition]:
        filters = ListFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        queryset = petitions_visible_to(self.request.user).select_related("area", "category")
        if values.get("status"):
            queryset = queryset.filter(status=values["status"])
        if values.get("form"):
            queryset = queryset.filter(form=values["form"])
        if values.get("is_repeat") is not None:
            queryset = queryset.filter(is_repeat=values["is_repeat"])
        if values.get("area"):
            area = Area.objects.filter(pk=values["area"]).first()
            queryset = queryset.filter(area_path__startswith=area.path) if area else queryset.none()
        return queryset.prefetch_related("petitioners")

    @extend_schema(parameters=_FILTERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=RegisterSerializer, responses={201: PetitionDetailSerializer})
    def post(self, request):
        actor = Actor.for_user(request.user)
        _require(actor, rules.REGISTER_ROLES)
        values = _validated(RegisterSerializer, request)
        petition = services.petition_register(actor=actor, **values)
        return Response(_detail(request, petition.tracking_number), status=status.HTTP_201_CREATED)


class PetitionDetailApi(APIView):
    """One petition with its petitioners (masked), deadlines, letters and timeline."""

    @extend_schema(responses=PetitionDetailSerializer)
    def get(self, request, tracking_number: str):
        return Response(_detail(request, tracking_number))


class PetitionDecisionApi(APIView):
    """受理决定: accept, not accept (with a reason) or refer to the competent body."""

    @extend_schema(request=DecisionSerializer, responses=PetitionDetailSerializer)
    def post(self, request, tracking_number: str):
        petition = _get_petition(request, tracking_number)
        values = _validated(DecisionSerializer, request)
        services.petition_decide(petition=petition, actor=Actor.for_user(request.user), **values)
        return Response(_detail(request, tracking_number))


class PetitionExtensionApi(APIView):
    """延期: extend the handling period once, by at most 30 days, with a reason (supervisors)."""

    @extend_schema(request=ExtensionSerializer, responses=PetitionDetailSerializer)
    def post(self, request, tracking_number: str):
        petition = _get_petition(request, tracking_number)
        actor = Actor.for_user(request.user)
        _require(actor, rules.EXTENSION_APPROVERS)
        values = _validated(ExtensionSerializer, request)
        services.petition_extend(petition=petition, actor=actor, days=values["days"], reason=values["reason"])
        return Response(_detail(request, tracking_number))


class PetitionReplyApi(APIView):
    """书面答复: the written reply; opens the petitioner's 30 days to ask for a review."""

    @extend_schema(request=ReplySerializer, responses=PetitionDetailSerializer)
    def post(self, request, tracking_number: str):
        petition = _get_petition(request, tracking_number)
        values = _validated(ReplySerializer, request)
        services.petition_reply(petition=petition, actor=Actor.for_user(request.user), text=values["text"])
        return Response(_detail(request, tracking_number))


class PetitionLetterApi(APIView):
    """三函: issue an assignment, reminder or supervision letter, numbered per office and year."""

    @extend_schema(request=LetterInputSerializer, responses={201: LetterIssuedSerializer})
    def post(self, request, tracking_number: str):
        petition = _get_petition(request, tracking_number)
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
    def post(self, request, tracking_number: str):
        petition = _get_petition(request, tracking_number)
        actor = Actor.for_user(request.user)
        _require(actor, rules.CONVERT_ROLES)
        values = _validated(ToDisputeSerializer, request)
        case = services.petition_to_dispute(petition=petition, actor=actor, **values)
        body = {"dispute": format_tracking_number(case.tracking_number), "petition": _detail(request, tracking_number)}
        return Response(body, status=status.HTTP_201_CREATED)


class PetitionRevealInputSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=services.REVEALABLE_FIELDS)


class PetitionRevealedSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class PetitionerRevealApi(APIView):
    """Show one petitioner's phone, ID-card number or address in clear (to those working the petition; logged)."""

    @extend_schema(request=PetitionRevealInputSerializer, responses=PetitionRevealedSerializer)
    def post(self, request, tracking_number: str, pk: int):
        petition = _get_petition(request, tracking_number)
        values = _validated(PetitionRevealInputSerializer, request)
        value = services.petitioner_reveal(
            user=request.user, petition=petition, petitioner_id=pk, field=values["field"]
        )
        return Response({"field": values["field"], "value": value})


class PetitionCallbackAttemptInputSerializer(serializers.Serializer):
    reached = serializers.BooleanField()
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True, default="")
    remarks = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class PetitionCallbackApi(APIView):
    """回访: record one call to the petitioner after the written reply (callers, supervisors, admins)."""

    @extend_schema(request=PetitionCallbackAttemptInputSerializer, responses={201: PetitionDetailSerializer})
    def post(self, request, tracking_number: str):
        actor = Actor.for_user(request.user)
        _require(actor, CALLBACK_ROLES)
        petition = _get_petition(request, tracking_number)
        values = _validated(PetitionCallbackAttemptInputSerializer, request)
        services.petition_callback_record_attempt(petition=petition, actor=actor, **values)
        return Response(_detail(request, tracking_number), status=status.HTTP_201_CREATED)


urlpatterns = [
    path("petitions/", PetitionListCreateApi.as_view(), name="petition-list"),
    path("petitions/<str:tracking_number>/", PetitionDetailApi.as_view(), name="petition-detail"),
    path("petitions/<str:tracking_number>/decision/", PetitionDecisionApi.as_view(), name="petition-decision"),
    path("petitions/<str:tracking_number>/extension/", PetitionExtensionApi.as_view(), name="petition-extension"),
    path("petitions/<str:tracking_number>/reply/", PetitionReplyApi.as_view(), name="petition-reply"),
    path("petitions/<str:tracking_number>/letters/", PetitionLetterApi.as_view(), name="petition-letters"),
    path("petitions/<str:tracking_number>/to-dispute/", PetitionToDisputeApi.as_view(), name="petition-to-dispute"),
    path(
        "petitions/<str:tracking_number>/petitioners/<int:pk>/reveal/",
        PetitionerRevealApi.as_view(),
        name="petition-petitioner-reveal",
    ),
    path(
        "petitions/<str:tracking_number>/callback-attempts/",
        PetitionCallbackApi.as_view(),
        name="petition-callback-attempts",
    ),
]
