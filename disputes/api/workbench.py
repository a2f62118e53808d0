"""API: the mediator's work on a case: sessions, the agreement, its performance, revealing a party's data.

Thin: each view finds the case through the jurisdiction selector (404 outside
it) and calls a service of `disputes.services`; refusals come back as the
project's error envelope. Sessions and the agreement are read through
`disputes.visibility`: masked or left out for those who do not work the case,
and each read in clear is logged.
"""

from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.exceptions import NotFoundError
from disputes import services, visibility
from disputes.api.views import case_for_request
from disputes.models import Agreement, AgreementVersion, MediationSession


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = MediationSession
        fields = ["id", "held_at", "place", "attendees", "notes", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"notes": {"required": False, "allow_blank": True, "max_length": services.MAX_TEXT}}


class SessionReadSerializer(serializers.Serializer):
    """A session as this user may see it: `masked` when they do not work the case (attendees masked, no notes)."""

    id = serializers.IntegerField()
    held_at = serializers.DateTimeField()
    place = serializers.CharField()
    attendees = serializers.CharField()
    notes = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    masked = serializers.BooleanField()


class AgreementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agreement
        fields = [
            "facts",
            "points_in_dispute",
            "terms",
            "performance_method",
            "perform_by",
            "performance",
            "performance_remarks",
            "performance_recorded_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["performance", "performance_remarks", "performance_recorded_at", "created_at", "updated_at"]
        extra_kwargs = {name: {"max_length": services.MAX_TEXT} for name in services.AGREEMENT_TEXT_FIELDS}


# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]: the performance input takes a subset of these.
AGREEMENT_PERFORMANCE = Agreement.Performance.choices


class AgreementReadSerializer(serializers.Serializer):
    """The agreement as this user may see it: `masked` (its text null) when they do not work the case."""

    facts = serializers.CharField(allow_null=True)
    points_in_dispute = serializers.CharField(allow_null=True)
    terms = serializers.CharField(allow_null=True)
    performance_method = serializers.CharField(allow_null=True)
    perform_by = serializers.DateField(allow_null=True)
    performance = serializers.ChoiceField(choices=AGREEMENT_PERFORMANCE)
    performance_remarks = serializers.CharField(allow_null=True)
    performance_recorded_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    masked = serializers.BooleanField()
    # 协议版本: the current version's number and whether it is frozen; the signed version with its dates.
    version = serializers.IntegerField(help_text=gettext_lazy("The current version's number."))
    version_frozen = serializers.BooleanField(
        help_text=gettext_lazy("The current version is frozen (printed for signature, signed or reported back).")
    )
    signed_version = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("The number of the version the parties signed, if any.")
    )
    signed_on = serializers.DateField(allow_null=True)
    effective_on = serializers.DateField(
        allow_null=True, help_text=gettext_lazy("The day the signed version took effect.")
    )


def agreement_answer(request, case, agreement: Agreement, *, logged: bool = True) -> dict:
    """The agreement for this user; a read in clear is logged (`logged`=False: the text they just sent)."""
    lens = visibility.case_lens(request.user, case, parties=[])
    if logged:
        lens.log_full_reads(user=request.user, agreement=agreement, page="api")
    current = AgreementVersion.objects.filter(agreement=agreement, version=agreement.version).first()
    signed = agreement.signed_version if agreement.signed_version_id is not None else None
    versions = {
        "version": agreement.version,
        "version_frozen": current is not None and current.frozen_at is not None,
        "signed_version": signed.version if signed is not None else None,
        "signed_on": signed.signed_on if signed is not None else None,
        "effective_on": signed.effective_on if signed is not None else None,
    }
    return AgreementReadSerializer({**lens.agreement(agreement), **versions}).data


class AgreementSignSerializer(serializers.Serializer):
    signed_on = serializers.DateField(help_text=gettext_lazy("The day the parties signed the current version."))
    effective_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The day it takes effect (the day it was signed if absent)."),
    )


class PerformanceSerializer(serializers.Serializer):
    performance = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in Agreement.Performance if c != Agreement.Performance.PENDING]
    )
    remarks = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_TEXT, default="")


class RevealInputSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=services.REVEALABLE_FIELDS)


class RevealSerializer(serializers.Serializer):
    party = serializers.IntegerField()
    field = serializers.CharField()
    value = serializers.CharField()


class CaseSessionsApi(APIView):
    """调解记录: the case's mediation sessions; record one (starts mediation on an accepted case)."""

    @extend_schema(responses=SessionReadSerializer(many=True))
    def get(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        sessions = list(case.sessions.order_by("held_at", "pk"))
        lens = visibility.case_lens(request.user, case)
        lens.log_full_reads(user=request.user, sessions=sessions, page="api")
        return Response(SessionReadSerializer([lens.session(s) for s in sessions], many=True).data)

    @extend_schema(request=SessionSerializer, responses={201: SessionReadSerializer})
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        payload = SessionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        session = services.session_record(dispute=case, actor=Actor.for_user(request.user), **payload.validated_data)
        # The recorder works the case (the service checked it): what they just sent, not a read to log.
        lens = visibility.case_lens(request.user, case, parties=[])
        return Response(SessionReadSerializer(lens.session(session)).data, status=status.HTTP_201_CREATED)


class CaseAgreementApi(APIView):
    """调解协议书: read the case's agreement, or draft / change it (PUT) while the case is handled."""

    @extend_schema(responses=AgreementReadSerializer)
    def get(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        agreement = Agreement.objects.filter(dispute=case).first()
        if agreement is None:
            raise NotFoundError(_("This case has no agreement yet."), code="no_agreement")
        return Response(agreement_answer(request, case, agreement))

    @extend_schema(request=AgreementSerializer, responses={200: AgreementReadSerializer, 201: AgreementReadSerializer})
    def put(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        payload = AgreementSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        existed = Agreement.objects.filter(dispute=case).exists()
        agreement = services.agreement_save(
            dispute=case, actor=Actor.for_user(request.user), values=payload.validated_data
        )
        return Response(
            agreement_answer(request, case, agreement, logged=False),
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class CaseAgreementPerformanceApi(APIView):
    """履行: record whether the agreement was performed (closes its deadline)."""

    @extend_schema(request=PerformanceSerializer, responses=AgreementReadSerializer)
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        payload = PerformanceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        agreement = services.agreement_record_performance(
            dispute=case, actor=Actor.for_user(request.user), **payload.validated_data
        )
        return Response(agreement_answer(request, case, agreement))


class CaseAgreementPrintApi(APIView):
    """打印签署稿: freeze the current version for signature (a later change makes a new version)."""

    @extend_schema(request=None, responses=AgreementReadSerializer)
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        services.agreement_print_for_signature(dispute=case, actor=Actor.for_user(request.user))
        return Response(agreement_answer(request, case, Agreement.objects.get(dispute=case)))


class CaseAgreementSignApi(APIView):
    """签署: record the day the parties signed the current version and the day it takes effect (freezes it)."""

    @extend_schema(request=AgreementSignSerializer, responses=AgreementReadSerializer)
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        payload = AgreementSignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.agreement_sign(dispute=case, actor=Actor.for_user(request.user), **payload.validated_data)
        return Response(agreement_answer(request, case, Agreement.objects.get(dispute=case)))


class CasePartyRevealApi(APIView):
    """Show one party's phone, ID-card number or address in clear (logged); only for those working the case."""

    @extend_schema(request=RevealInputSerializer, responses=RevealSerializer)
    def post(self, request, tracking_number: str, party_id: int):
        case = case_for_request(request, tracking_number)
        payload = RevealInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        field = payload.validated_data["field"]
        value = services.party_reveal(user=request.user, dispute=case, party_id=party_id, field=field)
        response = Response(RevealSerializer({"party": party_id, "field": field, "value": value}).data)
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [
    path("cases/<str:tracking_number>/sessions/", CaseSessionsApi.as_view(), name="case-sessions"),
    path("cases/<str:tracking_number>/agreement/", CaseAgreementApi.as_view(), name="case-agreement"),
    path("cases/<str:tracking_number>/agreement/print/", CaseAgreementPrintApi.as_view(), name="case-agreement-print"),
    path("cases/<str:tracking_number>/agreement/sign/", CaseAgreementSignApi.as_view(), name="case-agreement-sign"),
    path(
        "cases/<str:tracking_number>/agreement/performance/",
        CaseAgreementPerformanceApi.as_view(),
        name="case-agreement-performance",
    ),
    path(
        "cases/<str:tracking_number>/parties/<int:party_id>/reveal/",
        CasePartyRevealApi.as_view(),
        name="case-party-reveal",
    ),
]
