"""API: 类案参考 (similar closed cases), 当事人历史 (the same people's other cases) and 参照起草.

Thin, like the case page: the case is found through the jurisdiction selector (404 outside
it), the lists come from `disputes.selectors.similar` (only cases the reader may see, the other cases'
people never shown), each answer logs one access row per case it lists, and drafting goes
through the agreement service, which refuses what the page refuses.
"""

from django.urls import path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.casework.callbacks import CallbackResult
from disputes import services
from disputes.api.public_serializers import ErrorSerializer
from disputes.api.views import case_for_request
from disputes.api.workbench import AgreementReadSerializer, agreement_answer
from disputes.models import Agreement
from disputes.rules.enums import Outcome, Status
from disputes.selectors import similar as similar_selectors


class SimilarCaseSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(source="case.tracking_number")
    tracking_number_display = serializers.CharField(source="case.tracking_number_display")
    category = serializers.CharField(source="case.category.code")
    same_category = serializers.BooleanField()
    place = serializers.CharField(help_text=gettext_lazy("Township, village and grid of the case."))
    outcome = serializers.ChoiceField(choices=Outcome.choices, source="case.outcome", allow_blank=True)
    submitted_at = serializers.DateTimeField(source="case.submitted_at")
    closed_at = serializers.DateTimeField(source="case.closed_at", allow_null=True)
    days_taken = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("Days from submission to the report-back (or closing).")
    )
    has_agreement = serializers.SerializerMethodField()
    performance = serializers.ChoiceField(
        choices=[("", ""), *Agreement.Performance.choices],
        allow_blank=True,
        help_text=gettext_lazy("Whether its agreement was performed; empty without an agreement."),
    )
    callback_result = serializers.ChoiceField(
        choices=CallbackResult.choices, source="case.callback_result", allow_blank=True
    )
    reopened = serializers.BooleanField(help_text=gettext_lazy("Whether it came back after a dissatisfied callback."))
    terms = serializers.CharField(
        allow_null=True,
        help_text=gettext_lazy(
            "What was agreed, with its names, numbers, sums, dates and places replaced by placeholders."
        ),
    )
    performance_method = serializers.CharField(allow_null=True)
    similarity = serializers.FloatField()
    worked = serializers.FloatField(help_text=gettext_lazy("How well its ending worked, from 0 to 1."))
    rank_score = serializers.FloatField()

    def get_has_agreement(self, obj) -> bool:
        return obj.agreement is not None


class SimilarCasesSerializer(serializers.Serializer):
    cases = SimilarCaseSerializer(many=True)


class HistoryCaseSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(source="case.tracking_number")
    tracking_number_display = serializers.CharField(source="case.tracking_number_display")
    category = serializers.CharField(source="case.category.code")
    status = serializers.ChoiceField(choices=Status.choices, source="case.status")
    outcome = serializers.ChoiceField(choices=Outcome.choices, source="case.outcome", allow_blank=True)
    submitted_at = serializers.DateTimeField(source="case.submitted_at")
    days_taken = serializers.IntegerField(allow_null=True)
    callback_result = serializers.ChoiceField(
        choices=CallbackResult.choices, source="case.callback_result", allow_blank=True
    )
    reopened_count = serializers.IntegerField(source="case.reopened_count")
    matched_by = serializers.ListField(
        child=serializers.ChoiceField(choices=["phone", "id_number"]),
        help_text=gettext_lazy("Which of a party's numbers the two cases share."),
    )


class PartyHistorySerializer(serializers.Serializer):
    available = serializers.BooleanField(
        help_text=gettext_lazy(
            "False for a reader who sees the case but does not work it: linking a person's cases is not theirs to see."
        )
    )
    cases = HistoryCaseSerializer(many=True)


class CaseSimilarApi(APIView):
    """类案参考: the 3–5 closed cases most like this one that you may see, ranked by what worked."""

    @extend_schema(responses=SimilarCasesSerializer)
    def get(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        shown = similar_selectors.similar_cases_for(user=request.user, case=case)
        services.log_shown(user=request.user, shown=shown, what=similar_selectors.SIMILAR_WHAT, page="api", case=case)
        return Response(SimilarCasesSerializer({"cases": shown}).data)


class CasePartyHistoryApi(APIView):
    """当事人历史: other cases of this case's people (same phone or ID-card number), for those working it.

    To a reader who sees the case but does not work it: `available` false and no cases.
    """

    @extend_schema(responses=PartyHistorySerializer)
    def get(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        shown = similar_selectors.party_history_for(user=request.user, case=case)
        services.log_shown(user=request.user, shown=shown, what=similar_selectors.HISTORY_WHAT, page="api", case=case)
        return Response(PartyHistorySerializer({"available": shown is not None, "cases": shown or []}).data)


class CaseDraftFromSimilarApi(APIView):
    """参照起草: draft this case's agreement from the structure of a similar closed case's agreement."""

    @extend_schema(
        request=None,
        responses={
            201: AgreementReadSerializer,
            409: OpenApiResponse(ErrorSerializer, description=gettext_lazy("This case already has an agreement.")),
        },
    )
    def post(self, request, tracking_number: str, source_number: str):
        case = case_for_request(request, tracking_number)
        agreement = services.agreement_draft_from_similar(
            dispute=case, actor=Actor.for_user(request.user), source_number=source_number
        )
        # The drafter works the case (the service checked it): the draft they just made, not a read to log.
        return Response(agreement_answer(request, case, agreement, logged=False), status=status.HTTP_201_CREATED)


urlpatterns = [
    path("cases/<str:tracking_number>/similar/", CaseSimilarApi.as_view(), name="case-similar"),
    path("cases/<str:tracking_number>/party-history/", CasePartyHistoryApi.as_view(), name="case-party-history"),
    path(
        "cases/<str:tracking_number>/similar/<str:source_number>/draft/",
        CaseDraftFromSimilarApi.as_view(),
        name="case-draft-from-similar",
    ),
]
