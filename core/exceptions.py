"""Errors the services raise; the API and the pages turn them into answers."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404


class ApplicationError(Exception):
    """A request the domain refuses. `message` is already translated (lazy is fine)."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: Any, *, code: str | None = None, extra: dict | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.extra = extra or {}

    def add_to_form(self, form, default_field: str | None = None) -> None:
        """Show the refusal on a page's form: beside the field it names (extra["field"]), else `default_field`."""
        field = self.extra.get("field")
        form.add_error(field if field in form.fields else default_field, str(self.message))


class PermissionDeniedError(ApplicationError):
    status_code = 403
    code = "permission_denied"


class NotFoundError(ApplicationError):
    status_code = 404
    code = "not_found"


class ConflictError(ApplicationError):
    status_code = 409
    code = "conflict"


class TooManyRequestsError(ApplicationError):
    """429: a limit of this user's is used up until `retry_after` seconds from now (the API sends Retry-After)."""

    status_code = 429
    code = "throttled"

    def __init__(self, message: Any, *, retry_after: int, code: str | None = None, extra: dict | None = None) -> None:
        super().__init__(message, code=code, extra=extra)
        self.retry_after = retry_after


@contextmanager
def as_page_errors() -> Iterator[None]:
    """A service's refusal on a staff page: 403 when it is about the user's rights, otherwise 404
    (a record that does not exist, or a request the page never makes, such as an unknown field)."""
    try:
        yield
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise PermissionDenied(str(exc.message)) from None
        raise Http404 from None
