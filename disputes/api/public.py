"""The public API: residents' apps and the web form's JavaScript, without an account.

- POST public/cases/       submit a dispute (JSON, or multipart with attachments)
- POST public/track/       a case's progress, for its tracking number and the applicant's phone
- GET  public/categories/  and public/areas/?parent=<code>, for cascading selects

No session authentication: nothing here acts on a cookie, so there is no CSRF
to check and no login to steal. Each request is limited per client address,
and submissions also per applicant phone (core.throttling).
"""

from collections.abc import Mapping

from django.conf import settings
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core import ratelimit, throttling
from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError
from core.validators import normalise_phone
from disputes import selectors
from disputes.api.public_serializers import (
    AreaOutSerializer,
    CaseReceiptSerializer,
    CategoryOutSerializer,
    ErrorSerializer,
    PublicCaseSerializer,
    TrackInputSerializer,
    TrackSerializer,
)
from disputes.models import Category
from disputes.rules.enums import Channel
from disputes.rules.tracking import normalise_tracking_number
from disputes.services.intake import dispute_intake
from grids.models import Area

# Refusals of an upload by disputes.intake, reported against the `attachments` field.
ATTACHMENT_ERRORS = frozenset({"too_many_files", "file_too_large", "file_type"})
REFERENCE_MAX_AGE = 300

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid input; `fields` names each wrong field.")),
    429: OpenApiResponse(ErrorSerializer, description=_("Too many requests; see the Retry-After header.")),
}


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request is too large. Attach at most 5 files of 10 MB each.")
    default_code = "too_large"


class PublicApiView(APIView):
    """No login, no session, no CSRF; the body's declared size is checked before it is read."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.PUBLIC_MAX_REQUEST_BYTES:
            raise RequestTooLarge()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method != "GET" or response.status_code >= 400:
            patch_cache_control(response, no_store=True)
        return response


class PublicCaseCreateApi(PublicApiView):
    """登记: a resident submits a dispute."""

    throttle_classes = [throttling.PublicSubmitThrottle]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="public_case_submit",
        summary="Submit a dispute",
        description=(
            "JSON, or multipart/form-data when attaching files (nested values as JSON text, e.g. "
            '`applicant={"name": …}`, or as `applicant.name`, `other_parties[0]name`). Fields not listed '
            "are refused. Every accepted submission is a new case with its own tracking number (201); "
            "the answer is the same whatever else is on file."
        ),
        request={"application/json": PublicCaseSerializer, "multipart/form-data": PublicCaseSerializer},
        responses={
            201: CaseReceiptSerializer,
            413: OpenApiResponse(ErrorSerializer, description=_("The request body is too large.")),
            **ERRORS,
        },
        tags=["public"],
    )
    def post(self, request):
        data = request.data
        if isinstance(data, Mapping) and data.get("website"):
            # The hidden honeypot field was filled in: a bot. Say nothing about why.
            raise ApplicationError(_("The submission could not be accepted."), code="rejected")
        payload = PublicCaseSerializer(data=data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        throttling.check(throttling.SUBMIT_PER_PHONE, values["applicant"]["phone"])
        try:
            result = dispute_intake(
                category=values["category"],
                description=values["description"],
                grid=values["grid"],
                channel=Channel.WEB,
                parties=payload.parties(),
                occurred_at=values["occurred_at"],
                occurred_place=values["occurred_place"],
                attachments=values["attachments"],
                **payload.scale(),
                actor=Actor.resident(),
            )
        except ApplicationError as exc:
            if exc.code in ATTACHMENT_ERRORS:
                raise exceptions.ValidationError({"attachments": [str(exc.message)]}, code=exc.code) from None
            raise
        case = result.dispute
        receipt = {
            "tracking_number": case.tracking_number,
            "tracking_number_display": case.tracking_number_display,
            "status": case.status,
        }
        return Response(receipt, status=status.HTTP_201_CREATED)


class PublicTrackApi(PublicApiView):
    """查询: a case's progress for its tracking number and the applicant's phone number."""

    throttle_classes = [throttling.PublicTrackThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="public_case_track",
        summary="Track a case",
        description=(
            "A POST, so that the phone number stays out of URLs and logs. An unknown tracking number and a "
            "wrong phone number get the same 404. Failed look-ups are limited per client address and per "
            "tracking number."
        ),
        request=TrackInputSerializer,
        responses={
            200: TrackSerializer,
            404: OpenApiResponse(ErrorSerializer, description=_("No case for this number and phone.")),
            **ERRORS,
        },
        tags=["public"],
    )
    def post(self, request):
        payload = TrackInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        number = normalise_tracking_number(payload.validated_data["tracking_number"])
        phone = normalise_phone(payload.validated_data["phone"])
        # The same counters as the tracking page (disputes.views.track).
        failures = throttling.tracking_failures(ratelimit.client_ip(request), number)
        throttling.check_exhausted(*failures)
        case = selectors.dispute_for_resident(tracking_number=number, phone=phone)
        if case is None:
            throttling.count_each(*failures)
            raise NotFoundError(_("No case matches this tracking number and phone number."))
        events = selectors.resident_timeline(case)
        return Response(TrackSerializer(case, context={"events": events}).data)


def _cacheable(response: Response) -> Response:
    patch_cache_control(response, public=True, max_age=REFERENCE_MAX_AGE)
    return response


class PublicCategoryListApi(PublicApiView):
    """The dispute categories, for the form's first select."""

    @extend_schema(operation_id="public_categories", responses=CategoryOutSerializer(many=True), tags=["public"])
    def get(self, request):
        categories = Category.objects.filter(is_active=True).order_by("sort_order", "code")
        return _cacheable(Response(CategoryOutSerializer(categories, many=True).data))


class PublicAreaListApi(PublicApiView):
    """One level of the area tree, for cascading selects: the roots, or the children of `parent`."""

    @extend_schema(
        operation_id="public_areas",
        parameters=[
            OpenApiParameter(
                "parent", str, description=_("Area code whose children to list; omitted: the top-level areas.")
            )
        ],
        responses={
            200: AreaOutSerializer(many=True),
            404: OpenApiResponse(ErrorSerializer, description=_("Unknown parent area.")),
        },
        tags=["public"],
    )
    def get(self, request):
        code = (request.query_params.get("parent") or "").strip()
        if code:
            parent = Area.objects.filter(code=code).first()
            if parent is None:
                raise NotFoundError(_("Unknown area code."))
            areas = Area.objects.get_children(parent)
        else:
            areas = Area.objects.get_root_nodes()
        return _cacheable(Response(AreaOutSerializer(areas.order_by("path"), many=True).data))
