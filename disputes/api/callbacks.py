"""API for 回访 (the callers' queue and their attempts) and 抽查 (supervisors' spot checks). Thin."""

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.api import CheckedCursorPagination, ErrorSerializer
from core.casework.callbacks import Satisfaction, next_counting_at, spread_rule, unanswered_counted
from core.exceptions import PermissionDeniedError
from core.masking import mask_name, mask_phone
from disputes import callbacks, selectors, services
from disputes.models import CallbackAttempt, Dispute, SpotCheck
from disputes.rules.enums import Colour, Status
from disputes.selectors import dispute_get_for

# --- Serializers -------------------------------------------------------------------------------------------


class CallbackAttemptSerializer(serializers.ModelSerializer):
    caller = serializers.CharField(source="caller.get_username", default=None, allow_null=True)

    class Meta:
        model = CallbackAttempt
        fields = ["at", "source", "caller", "party", "reached", "satisfaction", "remarks"]
        extra_kwargs = {"party": {"help_text": gettext_lazy("The party called (null: the first applicant).")}}


class MaskedPersonSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()


class CallbackQueueItemSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code")
    colour = serializers.SerializerMethodField()
    lead_department = serializers.CharField(source="lead_department.name", default=None, allow_null=True)
    callback_due = serializers.DateTimeField(help_text=gettext_lazy("When the callback falls due."))
    overdue = serializers.SerializerMethodField()
    applicant = serializers.SerializerMethodField(help_text=gettext_lazy("The first applicant, masked."))
    unanswered = serializers.SerializerMethodField(
        help_text=gettext_lazy("Unanswered calls since the last report-back (the third closes the case).")
    )
    attempts = serializers.SerializerMethodField()

    class Meta:
        model = Dispute
        fields = [
            "tracking_number",
            "category",
            "colour",
            "status",
            "outcome",
            "lead_department",
            "reported_at",
            "callback_due",
            "overdue",
            "reopened_count",
            "applicant",
            "unanswered",
            "attempts",
        ]

    def get_colour(self, obj) -> str:
        return Colour(obj.colour).code

    def get_overdue(self, obj) -> bool:
        return obj.callback_due < timezone.now()

    @extend_schema_field(MaskedPersonSerializer)
    def get_applicant(self, obj) -> dict[str, str]:
        first = obj.applicants[0] if obj.applicants else None
        return {"name": mask_name(first.name), "phone": mask_phone(first.phone)} if first else {"name": "", "phone": ""}

    def get_unanswered(self, obj) -> int:
        return sum(1 for a in selectors.attempts_this_round(obj) if not a.reached)

    @extend_schema_field(CallbackAttemptSerializer(many=True))
    def get_attempts(self, obj) -> list:
        return CallbackAttemptSerializer(selectors.attempts_this_round(obj), many=True).data


class CallbackAttemptInputSerializer(serializers.Serializer):
    reached = serializers.BooleanField(help_text=gettext_lazy("Whether the party answered."))
    satisfaction = serializers.ChoiceField(
        choices=Satisfaction.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Required when the party was reached; forbidden when not."),
    )
    remarks = serializers.CharField(required=False, allow_blank=True, max_length=callbacks.MAX_REMARKS, default="")
    party = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The id of the party called, one of the case's; the first applicant if absent."),
    )

    def validate(self, attrs):
        if attrs["reached"] and not attrs.get("satisfaction"):
            raise serializers.ValidationError({"satisfaction": _("Record how satisfied the party is.")})
        if not attrs["reached"] and attrs.get("satisfaction"):
            raise serializers.ValidationError(
                {"satisfaction": _("A party who was not reached cannot give an opinion.")}
            )
        return attrs


class CallbackAttemptResultSerializer(serializers.Serializer):
    attempt = CallbackAttemptSerializer()
    tracking_number = serializers.CharField()
    status = serializers.CharField(help_text=gettext_lazy("The case's status after the attempt."))
    callback_result = serializers.CharField()
    reopened_count = serializers.IntegerField()
    next_counting_attempt_at = serializers.DateTimeField(
        allow_null=True,
        help_text=gettext_lazy(
            "While the case awaits its callback: the earliest moment an unanswered call counts towards "
            "“unreachable” (calls must be spread over hours and days); null when any time would."
        ),
    )


class SpotCheckSampleQuerySerializer(serializers.Serializer):
    since = serializers.DateField(help_text=gettext_lazy("First day of the period (closing date)."))
    until = serializers.DateField(help_text=gettext_lazy("Last day of the period, included."))
    size = serializers.IntegerField(min_value=1, max_value=callbacks.SPOT_CHECK_MAX_SIZE, default=10)

    def validate(self, attrs):
        if attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": _("The start of the period must not be after its end.")})
        return attrs


class SpotCheckSerializer(serializers.ModelSerializer):
    checked_by = serializers.CharField(source="checked_by.get_username", default=None, allow_null=True)

    class Meta:
        model = SpotCheck
        fields = ["at", "checked_by", "result", "remarks"]


class SpotCheckCaseSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code")
    lead_department = serializers.CharField(source="lead_department.name", default=None, allow_null=True)
    spot_checks = SpotCheckSerializer(many=True, read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "tracking_number",
            "category",
            "status",
            "outcome",
            "lead_department",
            "reported_at",
            "closed_at",
            "callback_result",
            "reopened_count",
            "spot_checks",
        ]


class SpotCheckInputSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(max_length=20)
    result = serializers.ChoiceField(choices=SpotCheck.Result.choices)
    remarks = serializers.CharField(required=False, allow_blank=True, max_length=callbacks.MAX_REMARKS, default="")

    def validate(self, attrs):
        if attrs["result"] == SpotCheck.Result.PROBLEM and not attrs.get("remarks", "").strip():
            raise serializers.ValidationError({"remarks": _("Say what the problem is.")})
        return attrs


class SpotCheckResultSerializer(SpotCheckSerializer):
    tracking_number = serializers.CharField(source="dispute.tracking_number")

    class Meta(SpotCheckSerializer.Meta):
        fields = ["tracking_number", *SpotCheckSerializer.Meta.fields]


# --- Views ---------------------------------------------------------------------------------------------------


def _actor_in(request, roles) -> Actor:
    actor = Actor.for_user(request.user)
    if actor.role not in roles:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    return actor


def _visible_case(request, tracking_number: str) -> Dispute:
    """The case if the user may see it; NotFoundError (404) otherwise (`dispute_get_for`)."""
    return dispute_get_for(request.user, tracking_number)


class CallbackQueueApi(generics.ListAPIView):
    """回访队列: cases awaiting their callback in the user's area, the oldest due first (keyset pages).

    `q` searches them: a tracking number, words of the description, a party's name or whole phone number.
    """

    serializer_class = CallbackQueueItemSerializer

    class Cursor(CheckedCursorPagination):
        ordering = ("callback_due", "id")
        page_size = 25

    pagination_class = Cursor

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description="Search: tracking number, words of the description, a party's name or whole phone number.",
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Dispute.objects.none()
        _actor_in(self.request, callbacks.CALLBACK_ROLES)
        queryset = selectors.callback_queue(user=self.request.user)
        return selectors.callback_queue_search(queryset, self.request.query_params.get("q"), user=self.request.user)


class CallbackAttemptApi(APIView):
    """Record one callback attempt: not reached (the third closes the case), or the party's satisfaction."""

    @extend_schema(request=CallbackAttemptInputSerializer, responses={201: CallbackAttemptResultSerializer})
    def post(self, request, tracking_number: str):
        actor = _actor_in(request, callbacks.CALLBACK_ROLES)
        case = _visible_case(request, tracking_number)
        payload = CallbackAttemptInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        attempt = services.callback_record_attempt(
            dispute=case,
            actor=actor,
            reached=values["reached"],
            satisfaction=values["satisfaction"],
            remarks=values["remarks"],
            party=values.get("party"),
        )
        case.refresh_from_db()
        body = {
            "attempt": attempt,
            "tracking_number": case.tracking_number,
            "status": case.status,
            "callback_result": case.callback_result,
            "reopened_count": case.reopened_count,
            "next_counting_attempt_at": None,
        }
        if case.status == Status.AWAITING_CALLBACK:
            rule = spread_rule()
            counted = unanswered_counted(selectors.unanswered_times(case), rule=rule)
            body["next_counting_attempt_at"] = next_counting_at(counted, rule=rule)
        return Response(CallbackAttemptResultSerializer(body).data, status=status.HTTP_201_CREATED)


class SpotCheckSampleApi(APIView):
    """抽查: a random sample of the closed cases in the user's area, closed within the period."""

    @extend_schema(
        parameters=[SpotCheckSampleQuerySerializer],
        responses=SpotCheckCaseSerializer(many=True),
    )
    def get(self, request):
        _actor_in(request, callbacks.SPOT_CHECK_ROLES)
        query = SpotCheckSampleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        sample = selectors.callback_spot_check_sample(user=request.user, **query.validated_data)
        return Response(SpotCheckCaseSerializer(sample, many=True).data)


class SpotCheckCreateApi(APIView):
    """Record a spot check of a closed case: confirmed, or a problem found (remarks required)."""

    @extend_schema(
        request=SpotCheckInputSerializer,
        responses={
            201: SpotCheckResultSerializer,
            404: OpenApiResponse(
                ErrorSerializer, description=gettext_lazy("No such case, or not visible to this user.")
            ),
        },
    )
    def post(self, request):
        actor = _actor_in(request, callbacks.SPOT_CHECK_ROLES)
        payload = SpotCheckInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        case = _visible_case(request, values["tracking_number"])
        check = services.spot_check_record(
            dispute=case, actor=actor, result=values["result"], remarks=values["remarks"]
        )
        return Response(SpotCheckResultSerializer(check).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("callbacks/", CallbackQueueApi.as_view(), name="callback-queue"),
    path(
        "callbacks/<str:tracking_number>/attempts/",
        CallbackAttemptApi.as_view(),
        name="callback-attempts",
    ),
    path("spot-checks/sample/", SpotCheckSampleApi.as_view(), name="spot-check-sample"),
    path("spot-checks/", SpotCheckCreateApi.as_view(), name="spot-checks"),
]
