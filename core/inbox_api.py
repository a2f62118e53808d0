"""API of the staff inbox (收件箱): the reader's items, marking them read, and the summary the header polls.

Thin: reads and writes are `core.inbox`. Session authentication like the rest of the
staff API (an anonymous caller gets 403); every answer concerns only the caller's own
items, so there is nothing to hide from anyone: another reader's ids are ignored.

The summary is made for polling: it carries an ETag (the newest item's id and the
unread count) and answers 304 with no body when the caller's If-None-Match still
matches, so an idle page costs two index reads a minute and no payload.
"""

from django.urls import path
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core import inbox
from core.api import ErrorSerializer


class InboxItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text=_("What happened, as the app that wrote it names it (e.g. assigned)."))
    group = serializers.ChoiceField(choices=inbox.Group.choices, help_text=_("The inbox filter the item falls under."))
    group_label = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    unread = serializers.BooleanField()
    link = serializers.CharField(help_text=_("The page the item leads to (a path on this site), or empty."))


class InboxPageSerializer(serializers.Serializer):
    results = InboxItemSerializer(many=True)
    next_before = serializers.IntegerField(
        allow_null=True, help_text=_("Pass as `before` for the next, older page; null on the last page.")
    )
    unread = serializers.IntegerField(help_text=_("Unread items, counted up to 100."))
    unread_display = serializers.CharField(help_text=_('The count as the badge shows it ("99+" from 100 on).'))


class InboxQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False)
    group = serializers.ChoiceField(choices=inbox.Group.choices, required=False)
    before = serializers.IntegerField(required=False, min_value=1, max_value=inbox.MAX_ID)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=inbox.MAX_PAGE_SIZE)


class InboxReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=inbox.MAX_ID),
        required=False,
        max_length=inbox.MAX_IDS,
        help_text=_("The items to mark read (others' ids are ignored)."),
    )
    all = serializers.BooleanField(required=False, default=False, help_text=_("true: mark every unread item read."))

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("ids") and not attrs.get("all"):
            raise serializers.ValidationError(
                {"ids": [_('Name the items to mark read in "ids", or send "all": true.')]}
            )
        return attrs


class InboxReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("Items that were unread and now are read."))
    unread = serializers.IntegerField()
    unread_display = serializers.CharField()


class InboxSummarySerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text=_("Unread items, counted up to 100."))
    unread_display = serializers.CharField(help_text=_('The count as the badge shows it ("99+" from 100 on).'))
    unread_label = serializers.CharField(help_text=_("The badge's accessible name, in the user's language."))
    latest_id = serializers.IntegerField(allow_null=True, help_text=_("The newest item's id, read or not."))
    new = serializers.IntegerField(
        allow_null=True, help_text=_("Items newer than `since` (counted up to 100); null without `since`.")
    )
    new_label = serializers.CharField(help_text=_("A sentence announcing the new items, or empty."))


class InboxSummaryQuerySerializer(serializers.Serializer):
    since = serializers.IntegerField(required=False, min_value=0, max_value=inbox.MAX_ID)


def _query(serializer_class: type[serializers.Serializer], request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _item_data(item: inbox.InboxItem) -> dict:
    return {
        "id": item.id,
        "kind": item.kind,
        "group": item.group.value,
        "group_label": item.group_label,
        "body": item.body,
        "created_at": item.created_at,
        "read_at": item.read_at,
        "unread": item.unread,
        "link": item.link,
    }


class InboxListApi(APIView):
    """收件箱: the caller's messages, newest first, a page at a time (`before` = the previous page's next_before)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="true: unread items only."),
            OpenApiParameter("group", OpenApiTypes.STR, enum=inbox.Group.values, description="One group of kinds."),
            OpenApiParameter("before", OpenApiTypes.INT, description="Only items older than this id (paging)."),
            OpenApiParameter(
                "page_size", OpenApiTypes.INT, description=f"Items per page (1-{inbox.MAX_PAGE_SIZE}, default 25)."
            ),
        ],
        responses=InboxPageSerializer,
    )
    def get(self, request):
        query = _query(InboxQuerySerializer, request)
        page = inbox.inbox_items(
            request.user,
            unread_only=query["unread"],
            group=query.get("group"),
            before_id=query.get("before"),
            limit=query.get("page_size") or inbox.PAGE_SIZE,
        )
        unread = inbox.inbox_unread_count(request.user)
        body = {
            "results": [_item_data(item) for item in page.items],
            "next_before": page.next_before,
            "unread": unread,
            "unread_display": inbox.unread_display(unread),
        }
        return Response(InboxPageSerializer(body).data)


class InboxReadApi(APIView):
    """Mark the caller's items read: `{"ids": [...]}` or `{"all": true}`. Marking twice changes nothing."""

    @extend_schema(request=InboxReadSerializer, responses=InboxReadResultSerializer)
    def post(self, request):
        serializer = InboxReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        marked = inbox.inbox_mark_read(request.user, ids=data.get("ids") or [], all=data["all"])
        unread = inbox.inbox_unread_count(request.user)
        return Response({"marked": marked, "unread": unread, "unread_display": inbox.unread_display(unread)})


def summary_etag(summary: inbox.InboxSummary, since: int | None) -> str:
    """Changes whenever an item arrives (newest id) or is read (count); `since` and the language (the
    labels) are part of the question."""
    asked = "" if since is None else since
    return f'"inbox-{summary.latest_id or 0}-{summary.unread}-{asked}-{translation.get_language() or ""}"'


def _etag_matches(header: str, etag: str) -> bool:
    given = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return etag in given or "*" in given


class InboxSummaryApi(APIView):
    """What a staff page polls: the unread count for the header badge and the newest item's id, with an ETag.

    Send the ETag of the last answer in If-None-Match: while nothing changed the answer is
    304 with no body. `since` (the newest id a page shows) adds how many items are newer.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.INT, description="Count the items newer than this id."),
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                description="The ETag of the previous answer.",
            ),
        ],
        responses={
            200: InboxSummarySerializer,
            304: OpenApiResponse(description=str(_("Nothing changed since the answer with this ETag."))),
            400: OpenApiResponse(ErrorSerializer, description=str(_("Invalid `since`."))),
        },
    )
    def get(self, request):
        since = _query(InboxSummaryQuerySerializer, request).get("since")
        summary = inbox.inbox_summary(request.user, since=since)
        etag = summary_etag(summary, since)
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if _etag_matches(request.headers.get("If-None-Match", ""), etag):
            return Response(status=304, headers=headers)
        new_label = ""
        if summary.new:
            new_label = ngettext(
                "%(count)s new message: click to refresh.", "%(count)s new messages: click to refresh.", summary.new
            ) % {"count": f"{inbox.UNREAD_CAP - 1}+" if summary.new >= inbox.UNREAD_CAP else summary.new}
        body = {
            "unread": summary.unread,
            "unread_display": summary.unread_display,
            "unread_label": summary.unread_label,
            "latest_id": summary.latest_id,
            "new": summary.new,
            "new_label": new_label,
        }
        return Response(body, headers=headers)


urlpatterns = [
    path("inbox/", InboxListApi.as_view(), name="inbox"),
    path("inbox/read/", InboxReadApi.as_view(), name="inbox-read"),
    path("inbox/summary/", InboxSummaryApi.as_view(), name="inbox-summary"),
]
