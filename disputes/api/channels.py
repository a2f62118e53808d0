"""多网合一: machine channels (110 non-police transfers, the 12345 hotline, grid workers' apps).

POST channels/cases/ with a per-channel API key (`Authorization: Api-Key <key>`
or `X-Api-Key: <key>`); the case's channel is the key's. A record sent again
never makes a second case:

- with an `Idempotency-Key` header: the key and a hash of the body are stored
  with the case (IdempotencyRecord). The same key with the same body answers
  the same case (200); with another body, 409.
- with `source_id` (for 110 transfers, the police incident number): unique per
  API key in the database; a record with a source id this key already sent
  answers that case. The same id from another key (another 110 centre numbering
  its incidents alike) is that system's own record and makes its own case: a
  key never receives a case another key handed over.

A key may be limited to an area (ChannelKey.area, set in the admin): it files
cases in that area only (403 `outside_key_area` otherwise). Each key may hand
over CHANNEL_SUBMIT_PER_KEY_HOUR cases an hour (core.throttling; 429 beyond).

Both hold under concurrency: the case and its IdempotencyRecord are written in
one transaction, and the unique constraints decide which of two simultaneous
requests wins. The loser's transaction is rolled back whole (its case too) and
it answers with the winner's case.

A record is never merged into the same people's open case: like every door's
submission, it is stored as its own case (its id in the sending system is
kept, so a resend is still recognised), and one that looks like an open case
of the same people is linked to it for staff to merge or dismiss
(disputes.services.duplicates). The receipt says nothing about such a link.

The view reads the key and the header; the idempotency is the intake service's
(`disputes.services.intake.channel_intake`).
"""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core import throttling
from disputes.api.keys import MACHINE_CHANNELS, channel_key_find, channel_key_touch
from disputes.api.public_serializers import ChannelCaseSerializer, ChannelReceiptSerializer, ErrorSerializer
from disputes.models import ChannelKey
from disputes.services.intake import ChannelIntakeResult, Submission, channel_intake

IDEMPOTENCY_HEADER = "Idempotency-Key"


def raw_key_from(request) -> str | None:
    """The key from `Authorization: Api-Key <key>` or `X-Api-Key: <key>`; None if neither is sent."""
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, credentials = authorization.partition(" ")
    if scheme.lower() == "api-key" and credentials.strip():
        return credentials.strip()
    header = request.META.get("HTTP_X_API_KEY", "").strip()
    return header or None


class ChannelKeyAuthentication(BaseAuthentication):
    """A machine channel's API key. `request.auth` is the ChannelKey; there is no user."""

    keyword = "Api-Key"

    def authenticate(self, request):
        raw = raw_key_from(request)
        if raw is None:
            return None
        key = channel_key_find(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if not key.is_active:
            raise exceptions.PermissionDenied(_("This API key has been revoked."))
        channel_key_touch(key)
        return AnonymousUser(), key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class ChannelKeyScheme(OpenApiAuthenticationExtension):
    target_class = "disputes.api.channels.ChannelKeyAuthentication"
    name = "ChannelApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "The channel's API key (also accepted as `Authorization: Api-Key <key>`).",
        }


class HasChannelKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ChannelKey) and request.auth.channel in MACHINE_CHANNELS


def _receipt(result: ChannelIntakeResult) -> Response:
    case = result.dispute
    body = {
        "tracking_number": case.tracking_number,
        "tracking_number_display": case.tracking_number_display,
        "status": case.status,
        "channel": case.channel,
        "source_id": case.source_id,
        "created": result.created,
    }
    response = Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class ChannelCaseCreateApi(APIView):
    """A machine channel hands over a dispute."""

    authentication_classes = [ChannelKeyAuthentication]
    permission_classes = [HasChannelKey]
    throttle_classes = [throttling.ChannelKeyThrottle]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="channel_case_submit",
        summary="Hand over a dispute from a machine channel",
        description=(
            "The channel (police_110, hotline_12345, grid_report) comes from the API key. Send an "
            "`Idempotency-Key` header, a `source_id`, or both, so that a record sent twice makes one case."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description=_("Up to 100 characters, unique per request in the sending system."),
            )
        ],
        request=ChannelCaseSerializer,
        responses={
            201: ChannelReceiptSerializer,
            200: OpenApiResponse(ChannelReceiptSerializer, description=_("Already stored: the same case.")),
            400: ErrorSerializer,
            401: OpenApiResponse(ErrorSerializer, description=_("Missing or invalid API key.")),
            403: OpenApiResponse(ErrorSerializer, description=_("Revoked API key, or a place outside the key's area.")),
            409: OpenApiResponse(ErrorSerializer, description=_("Idempotency-Key reused with a different body.")),
            429: OpenApiResponse(ErrorSerializer, description=_("Too many requests; see the Retry-After header.")),
        },
        tags=["channels"],
    )
    def post(self, request):
        key: ChannelKey = request.auth

        def read() -> Submission:
            # Checked only when the request is not a replay of an earlier one (channel_intake).
            payload = ChannelCaseSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            values = payload.validated_data
            return Submission(
                category=values["category"],
                description=values["description"],
                grid=values["grid"],
                parties=payload.parties(),
                occurred_at=values["occurred_at"],
                occurred_place=values["occurred_place"],
                source_id=values["source_id"],
                **payload.scale(),
            )

        result = channel_intake(
            channel_key=key,
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
            body=request.data,
            read=read,
        )
        return _receipt(result)
