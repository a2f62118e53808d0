"""API: the workbench queue, "take next" and bulk actions.

Thin: the reads are `disputes.selectors.queue`, the writes `disputes.services.queue`.
"""

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.exceptions import ApplicationError, PermissionDeniedError
from disputes.rules.enums import Channel, Colour, Status
from disputes.selectors import queue
from disputes.services import queue as queue_writes


class QueueRowSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    colour = serializers.ChoiceField(choices=[c.code for c in Colour])
    colour_label = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    category = serializers.CharField(help_text=gettext_lazy("The category's code."))
    category_name = serializers.CharField()
    area_name = serializers.CharField(help_text=gettext_lazy("The grid or village the case belongs to."))
    applicant = serializers.CharField(help_text=gettext_lazy("The first applicant's name, masked."))
    next_due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    time_left = serializers.CharField(help_text=gettext_lazy("Time left or overdue, in words."))
    mediator = serializers.CharField(help_text=gettext_lazy("The assigned mediator's name (empty: nobody yet)."))
    leader = serializers.CharField(help_text=gettext_lazy("The leader in charge's name (empty: nobody leads it)."))
    returned_by = serializers.CharField(
        help_text=gettext_lazy("A returned case: the department that sent it back (empty otherwise).")
    )
    return_reason = serializers.CharField(
        help_text=gettext_lazy("A returned case: why it was sent back (dispatchers and supervisors; empty otherwise).")
    )


class QueuePageSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=queue.Scope.choices)
    scopes = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("The scopes (tabs) this user has, in order.")
    )
    results = QueueRowSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)
    next = serializers.CharField(allow_null=True, help_text=gettext_lazy("The next page's address, or null."))


def _param(name: str, description, **kw) -> OpenApiParameter:
    return OpenApiParameter(name, type=kw.pop("type", OpenApiTypes.STR), description=str(description), **kw)


QUEUE_PARAMETERS = [
    _param(
        "scope",
        "mine, department, assisting, area, dispatch (待派单), unled (待包案) or led (我包案的): one of the user's "
        "`scopes`; the first they have when missing.",
        enum=queue.Scope.values,
    ),
    _param("status", "One status (any, including finished ones); open cases only when missing.", enum=Status.values),
    _param("colour", "red, yellow or white.", enum=[c.code for c in Colour]),
    _param("category", "A category code."),
    _param("area", "An area id: that area and everything below it.", type=OpenApiTypes.INT),
    _param("channel", "The channel the case came in by.", enum=Channel.values),
    _param("overdue", "1: only cases past their nearest deadline.", type=OpenApiTypes.BOOL),
    _param("q", "Search: tracking number (finds the case in any scope), description, party names."),
    _param("cursor", "The next_cursor of the previous page."),
    _param("page_size", f"Rows per page (1-{queue.MAX_PAGE_SIZE}, default {queue.DEFAULT_PAGE_SIZE}).", type=int),
]


ROW_FIELDS = tuple(QueueRowSerializer().fields)


def row_data(row: queue.QueueRow) -> dict:
    """A row as QueueRowSerializer describes it, built directly: DRF fields per row cost more than the query."""
    data = {name: getattr(row, name) for name in ROW_FIELDS}
    if row.next_due_at is not None:
        data["next_due_at"] = timezone.localtime(row.next_due_at).isoformat()
    return data


class QueueApi(APIView):
    """工作台: the signed-in staff member's case queue, most urgent first, a page at a time (keyset cursor)."""

    @extend_schema(parameters=QUEUE_PARAMETERS, responses=QueuePageSerializer)
    def get(self, request):
        if not queue.queue_scopes(request.user):
            raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
        page = queue.queue_page(
            user=request.user,
            scope=request.query_params.get("scope"),
            params=request.query_params,
            cursor=request.query_params.get("cursor") or None,
            page_size=queue.page_size_from(request.query_params.get("page_size")),
        )
        if not page.valid:
            raise ValidationError(page.filters.errors)
        next_url = None
        if page.next_cursor:
            params = request.query_params.copy()
            params["cursor"] = page.next_cursor
            params["scope"] = page.scope
            next_url = request.build_absolute_uri(request.path + "?" + params.urlencode())
        body = {
            "scope": page.scope,
            "scopes": page.scopes,
            "results": [row_data(row) for row in page.rows],
            "next_cursor": page.next_cursor,
            "next": next_url,
        }
        return Response(body)


class TakeNextResultSerializer(serializers.Serializer):
    case = QueueRowSerializer(allow_null=True)
    message = serializers.CharField()


class TakeNextApi(APIView):
    """领取下一件: accept the most urgent waiting case of my department (mediators and department staff)."""

    @extend_schema(request=None, responses=TakeNextResultSerializer)
    def post(self, request):
        case = queue_writes.queue_take_next(actor=Actor.for_user(request.user))
        if case is None:
            return Response({"case": None, "message": _("No case is waiting for your department right now.")})
        row = queue.queue_row_for(case)
        return Response(
            {
                "case": row_data(row),
                "message": _("Case %(number)s is now yours.") % {"number": row.tracking_number_display},
            }
        )


class BulkInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=queue_writes.BulkAction.choices)
    cases = serializers.ListField(
        child=serializers.CharField(max_length=20),
        min_length=1,
        max_length=queue_writes.MAX_BULK,
        help_text=gettext_lazy("Tracking numbers of the cases to change."),
    )
    mediator = serializers.IntegerField(required=False, help_text=gettext_lazy("assign: the mediator's user id."))
    department = serializers.IntegerField(required=False, help_text=gettext_lazy("transfer: the department's id."))
    colour = serializers.ChoiceField(choices=[c.code for c in Colour], required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class BulkRefusalSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    succeeded = serializers.ListField(child=serializers.CharField())
    refused = BulkRefusalSerializer(many=True)


class BulkApi(APIView):
    """批量操作: assign, transfer or recolour selected cases (dispatchers, supervisors, admins).

    Each case is changed in its own transaction through the usual service; the
    answer lists the cases changed and those refused, with the reason.
    """

    @extend_schema(request=BulkInputSerializer, responses=BulkResultSerializer)
    def post(self, request):
        actor = Actor.for_user(request.user)
        if actor.role not in queue_writes.BULK_ROLES:
            raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
        payload = BulkInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        mediator = department = None
        if values["action"] == queue_writes.BulkAction.ASSIGN:
            mediator = queue.bulk_mediators(request.user).filter(user_id=values.get("mediator")).first()
            if mediator is None:
                raise ApplicationError(_("Choose the mediator."), code="mediator_required")
            mediator = mediator.user
        elif values["action"] == queue_writes.BulkAction.TRANSFER:
            department = queue.bulk_departments(request.user).filter(pk=values.get("department")).first()
            if department is None:
                raise ApplicationError(_("Unknown department."), code="unknown_department")
        colour = Colour[values["colour"].upper()] if values.get("colour") else None
        results = queue_writes.queue_bulk(
            actor=actor,
            action=values["action"],
            tracking_numbers=values["cases"],
            mediator=mediator,
            department=department,
            colour=colour,
            reason=values["reason"],
        )
        body = {
            "succeeded": [r.tracking_number for r in results if r.ok],
            "refused": [
                {"tracking_number": r.tracking_number, "code": r.code, "message": r.message}
                for r in results
                if not r.ok
            ],
        }
        return Response(body)


urlpatterns = [
    path("queue/", QueueApi.as_view(), name="queue"),
    path("queue/take-next/", TakeNextApi.as_view(), name="queue-take-next"),
    path("queue/bulk/", BulkApi.as_view(), name="queue-bulk"),
]
