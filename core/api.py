"""API exception handler: every error has the same shape and speaks the user's language."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

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
