"""API: 疑似重复, a case's links to possible duplicates, and merging or dismissing one (disputes.services.duplicates).

Thin, like the case page: the case is found through the jurisdiction selector
(404 outside it), the links name only cases the user may open, and the services
refuse what the page refuses.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from disputes import selectors, services
from disputes.api.views import case_for_request


class LinkedCaseSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    tracking_number_display = serializers.CharField()
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class DuplicateLinksSerializer(serializers.Serializer):
    duplicate_of = LinkedCaseSerializer(
        allow_null=True, help_text=_("The earlier case this one may repeat, if you may open it.")
    )
    suspected_duplicates = LinkedCaseSerializer(
        many=True, help_text=_("Later cases that may repeat this one, those you may open.")
    )
    allowed_actions = serializers.ListField(child=serializers.CharField())


class DuplicateDecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=["merge", "dismiss"],
        help_text=_("merge: close this case into the earlier one. dismiss: another dispute, remove the link."),
    )
    reason = serializers.CharField(max_length=services.MAX_REASON)


def _links(request, case) -> dict:
    links = selectors.duplicate_links(user=request.user, case=case)
    return {
        "duplicate_of": links.duplicate_of,
        "suspected_duplicates": links.suspected_duplicates,
        "allowed_actions": sorted(services.duplicate_actions(user=request.user, case=case, links=links)),
    }


class CaseDuplicatesApi(APIView):
    """A case's possible duplicates; merge it into the earlier case it is linked to, or dismiss the link."""

    @extend_schema(responses=DuplicateLinksSerializer)
    def get(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        return Response(DuplicateLinksSerializer(_links(request, case)).data)

    @extend_schema(request=DuplicateDecisionSerializer, responses=DuplicateLinksSerializer)
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        payload = DuplicateDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        actor = Actor.for_user(request.user)
        if values["action"] == "merge":
            case = services.dispute_merge_duplicate(
                actor=actor, duplicate=case, into=case.duplicate_of_id or 0, reason=values["reason"]
            )
        else:
            case = services.dispute_dismiss_duplicate(actor=actor, duplicate=case, reason=values["reason"])
        return Response(DuplicateLinksSerializer(_links(request, case)).data)


urlpatterns = [
    path("cases/<str:tracking_number>/duplicates/", CaseDuplicatesApi.as_view(), name="case-duplicates"),
]
