"""API for 督办 (supervision orders): issue one on a case, list them by box and state, read one, sign for it,
reply, close or send back. Thin: the same selectors and services as the pages, so the same refusals
(`{"code", "message"}`)."""

from django.urls import path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actors import Actor
from core.api import CheckedCursorPagination, ErrorSerializer
from disputes import visibility
from disputes.api.views import case_for_request
from disputes.models import SupervisionOrder
from disputes.selectors import supervision as order_selectors
from disputes.services import supervision as order_services

# --- Serializers -------------------------------------------------------------------------------------------


class OrderSerializer(serializers.ModelSerializer):
    """An order as its reader may see it (its free text masked for one who does not work the case)."""

    tracking_number = serializers.CharField(source="dispute.tracking_number")
    issuing_area = serializers.CharField(source="issuing_area.code")
    issued_by = serializers.CharField(source="issued_by.get_username", default=None, allow_null=True)
    to_department = serializers.IntegerField(source="to_department_id", allow_null=True)
    to_user = serializers.IntegerField(source="to_user_id", allow_null=True)
    raised_from = serializers.IntegerField(source="raised_from_id", allow_null=True)
    state = serializers.SerializerMethodField(
        help_text=gettext_lazy("issued, signed, replied, overdue, escalated or closed (computed from the dates).")
    )
    reason = serializers.SerializerMethodField()
    requirements = serializers.SerializerMethodField()
    reply = serializers.SerializerMethodField()

    class Meta:
        model = SupervisionOrder
        fields = [
            "id",
            "document_number",
            "tracking_number",
            "issuing_area",
            "issued_by",
            "is_automatic",
            "issued_at",
            "to_department",
            "to_user",
            "reason",
            "requirements",
            "sign_due_at",
            "reply_due_at",
            "signed_at",
            "replied_at",
            "reply",
            "closed_at",
            "raised_from",
            "escalated_at",
            "state",
        ]

    def _text(self, obj: SupervisionOrder, value: str) -> str:
        lenses: dict[int, visibility.CaseLens] = self.__dict__.setdefault("_lenses", {})
        if obj.dispute_id not in lenses:
            lenses[obj.dispute_id] = visibility.case_lens(self.context["request"].user, obj.dispute)
        return lenses[obj.dispute_id].text("event.text", value) or ""

    def get_state(self, obj: SupervisionOrder) -> str:
        if hasattr(obj, "state_rank"):
            return order_selectors.state_of_rank(obj.state_rank)
        return order_selectors.order_state(obj)

    def get_reason(self, obj: SupervisionOrder) -> str:
        return self._text(obj, obj.reason)

    def get_requirements(self, obj: SupervisionOrder) -> str:
        return self._text(obj, obj.requirements)

    def get_reply(self, obj: SupervisionOrder) -> str:
        return self._text(obj, obj.reply)


class OrderIssueSerializer(serializers.Serializer):
    to_department = serializers.IntegerField(required=False, allow_null=True, default=None)
    to_user = serializers.IntegerField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=order_services.MAX_TEXT)
    requirements = serializers.CharField(
        max_length=order_services.MAX_TEXT, required=False, allow_blank=True, default=""
    )
    reply_within_days = serializers.IntegerField(
        min_value=1, max_value=order_services.MAX_REPLY_DAYS, required=False, allow_null=True, default=None
    )


class OrderReplySerializer(serializers.Serializer):
    reply = serializers.CharField(max_length=order_services.MAX_TEXT)


class OrderCloseSerializer(serializers.Serializer):
    send_back = serializers.BooleanField(
        default=False, help_text=gettext_lazy("Send the order back for more instead of closing it.")
    )
    remarks = serializers.CharField(
        max_length=order_services.MAX_TEXT,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Required when sending back."),
    )
    reply_within_days = serializers.IntegerField(
        min_value=1, max_value=order_services.MAX_REPLY_DAYS, required=False, allow_null=True, default=None
    )


class OrderListQuerySerializer(serializers.Serializer):
    box = serializers.ChoiceField(choices=order_selectors.BOXES, required=False)
    state = serializers.ChoiceField(choices=list(order_selectors.STATES), required=False)


NOT_FOUND = OpenApiResponse(ErrorSerializer, description=gettext_lazy("No such order, or not visible to this user."))


def _answer(request, order: SupervisionOrder, code: int = status.HTTP_200_OK) -> Response:
    fresh = order_selectors.order_get_for(request.user, order.pk)
    return Response(OrderSerializer(fresh, context={"request": request}).data, status=code)


# --- Views ---------------------------------------------------------------------------------------------------


class CaseOrdersApi(APIView):
    """发督办单: a supervisor orders a department serving the case's place, or a person who may see the case, to
    sign for the order and report what was done. The case's orders (GET)."""

    @extend_schema(responses=OrderSerializer(many=True))
    def get(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        rows = order_selectors.orders_on_case(request.user, case)
        return Response(OrderSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(
        request=OrderIssueSerializer,
        responses={201: OrderSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def post(self, request, tracking_number: str):
        case = case_for_request(request, tracking_number)
        payload = OrderIssueSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        order = order_services.order_issue(dispute=case, actor=Actor.for_user(request.user), **payload.validated_data)
        return _answer(request, order, status.HTTP_201_CREATED)


class OrderListApi(generics.ListAPIView):
    """督办单 of one box: `issued` (those the user's office issued) or `received` (those addressed to the user or
    their department); optionally in one state. Only orders on cases the user may see."""

    serializer_class = OrderSerializer

    class Cursor(CheckedCursorPagination):
        ordering = "-id"
        page_size = 25

    pagination_class = Cursor

    @extend_schema(parameters=[OrderListQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return SupervisionOrder.objects.none()
        query = OrderListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        box = query.validated_data.get("box") or order_selectors.default_box(self.request.user)
        return order_selectors.orders_for_box(self.request.user, box, state=query.validated_data.get("state", ""))


class OrderDetailApi(APIView):
    @extend_schema(responses={200: OrderSerializer, 404: NOT_FOUND})
    def get(self, request, pk: int):
        return _answer(request, order_selectors.order_get_for(request.user, pk))


class OrderSignApi(APIView):
    """签收: the recipient signs for the order, once (late is allowed and recorded as late)."""

    @extend_schema(
        request=None, responses={200: OrderSerializer, 403: ErrorSerializer, 404: NOT_FOUND, 409: ErrorSerializer}
    )
    def post(self, request, pk: int):
        order = order_selectors.order_get_for(request.user, pk)
        return _answer(request, order_services.order_sign(order=order.pk, actor=Actor.for_user(request.user)))


class OrderReplyApi(APIView):
    """办理情况: the recipient reports what was done (signing for the order first if need be)."""

    @extend_schema(
        request=OrderReplySerializer,
        responses={200: OrderSerializer, 403: ErrorSerializer, 404: NOT_FOUND, 409: ErrorSerializer},
    )
    def post(self, request, pk: int):
        order = order_selectors.order_get_for(request.user, pk)
        payload = OrderReplySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        done = order_services.order_reply(
            order=order.pk, actor=Actor.for_user(request.user), reply=payload.validated_data["reply"]
        )
        return _answer(request, done)


class OrderCloseApi(APIView):
    """办结 an answered order, or send it back for more (`send_back`, with remarks)."""

    @extend_schema(request=OrderCloseSerializer, responses={200: OrderSerializer, 403: ErrorSerializer, 404: NOT_FOUND})
    def post(self, request, pk: int):
        order = order_selectors.order_get_for(request.user, pk)
        payload = OrderCloseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        done = order_services.order_close(order=order.pk, actor=Actor.for_user(request.user), **payload.validated_data)
        return _answer(request, done)


urlpatterns = [
    path("cases/<str:tracking_number>/orders/", CaseOrdersApi.as_view(), name="case-orders"),
    path("orders/", OrderListApi.as_view(), name="order-list"),
    path("orders/<int:pk>/", OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<int:pk>/sign/", OrderSignApi.as_view(), name="order-sign"),
    path("orders/<int:pk>/reply/", OrderReplyApi.as_view(), name="order-reply"),
    path("orders/<int:pk>/close/", OrderCloseApi.as_view(), name="order-close"),
]
