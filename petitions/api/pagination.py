"""The petition list's pagination: a keyset on (open first, nearest deadline, id), no COUNT."""

import base64
import json
from datetime import UTC, datetime
from typing import Any

from django.db.models import Case, DateTimeField, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from petitions.rules import OPEN_STATUSES

# Sorts a petition without a deadline after every real one (keyset needs a non-null key).
NO_DEADLINE = datetime(9999, 1, 1, tzinfo=UTC)


class DeadlineKeyset(BasePagination):
    """Open petitions first, nearest deadline first, then by id: a keyset on (rank, due, id), no COUNT.

    The cursor is the last row's key, so a page costs the same however deep it is
    and a petition registered meanwhile never shifts a page.
    """

    page_size = 25
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        """One page of `queryset` (the petitions' list: a QuerySet[Petition]) after the cursor's row."""
        self.request = request
        queryset = queryset.annotate(
            sort_rank=Case(
                When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
            sort_due=Coalesce("next_due_at", Value(NO_DEADLINE, output_field=DateTimeField())),
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

    def _decode(self, raw: str | None) -> tuple[int, datetime, int] | None:
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

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self._next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": {"type": "string", "nullable": True, "format": "uri"}, "results": schema},
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The next page's cursor, from `next`.",
                "schema": {"type": "string"},
            }
        ]
