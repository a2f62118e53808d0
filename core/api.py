"""API exception handler: every error has the same shape and speaks the user's language."""

import logging
from datetime import date

from django.core.exceptions import EmptyResultSet, FullResultSet, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core import dates
from core.exceptions import ApplicationError

logger = logging.getLogger(__name__)
# Seconds a client is asked to wait when the database is away (a restart takes a few; see bench/faults.py).
RETRY_AFTER_DATABASE = 5


class DatabaseUnavailable(exceptions.APIException):
    """503: the database cannot be reached (restarting, failing over). Nothing was stored; try again."""

    status_code = 503
    default_detail = _("The service is briefly unavailable. Please try again in a few seconds.")
    default_code = "unavailable"


def exception_handler(exc, context):
    """Answer `{"error": {"code", "message", "fields"?}}` for every failure."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        # Lost connection, server shutting down, recovery in progress: a 503 with Retry-After tells a
        # client (and a machine channel retrying with its Idempotency-Key) to come back, where a 500
        # would say the request itself is at fault. The transaction was rolled back whole.
        logger.error("Database unavailable: %s", type(exc).__name__, exc_info=exc)
        response = exception_handler(DatabaseUnavailable(), context)
        response["Retry-After"] = str(RETRY_AFTER_DATABASE)
        return response
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "message": str(exc.message)}
        if exc.extra:
            body["extra"] = exc.extra
        response = Response({"error": body}, status=exc.status_code)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        first = _first_message(detail)
        response.data = {"error": {"code": "invalid", "message": first, "fields": detail}}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"error": {"code": code, "message": str(detail)}}
    return response


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()

    def get_fields(self):
        # "fields" cannot be a class attribute: it would hide Serializer.fields.
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            required=False, help_text=_("Field name → list of messages (validation errors).")
        )
        return fields


class ErrorSerializer(serializers.Serializer):
    """The shape of every error answer (see exception_handler)."""

    error = ErrorBodySerializer()


INVALID_CURSOR = _("This page link is no longer valid. Start again from the first page.")


class CheckedCursorPagination(CursorPagination):
    """DRF's cursor pagination, answering a cursor that was edited or damaged with 400 `invalid_cursor`.

    DRF answers a cursor it cannot decode with 404, and passes the position a
    cursor carries (`p=…`, the first ordering field's value) to the query
    unchecked: a position the field cannot hold (`p=abc` for an id, a date in
    the year 1) fails while the query is built, a 500. Here the position is
    put into the page's query and that query compiled (no database round trip)
    before the page is read, and any failure is the same 400 as a cursor that
    does not decode, in the one error shape and the user's language.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self._unfiltered = queryset
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise ApplicationError(INVALID_CURSOR, code="invalid_cursor") from None
        if cursor is not None and cursor.position is not None:
            field = self.ordering[0].lstrip("-")
            try:
                value = self._unfiltered.query.resolve_ref(field).output_field.to_python(cursor.position)
                if isinstance(value, date) and not dates.is_in_range(value):
                    # PostgreSQL would take the year 9999 in -12:00 (SQLite would not): the same 400 on both.
                    raise ValueError("out of range")
                query = self._unfiltered.filter(**{f"{field}__gt": cursor.position}).query
                query.get_compiler(using=self._unfiltered.db).as_sql()
            except (EmptyResultSet, FullResultSet):
                pass  # a position beyond the field's range: an empty or a whole page, not an error
            except (ValueError, TypeError, OverflowError, DjangoValidationError):
                raise ApplicationError(INVALID_CURSOR, code="invalid_cursor") from None
        return cursor
