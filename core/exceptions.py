"""Errors the services raise; the API and the pages turn them into answers."""

from typing import Any


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


class PermissionDeniedError(ApplicationError):
    status_code = 403
    code = "permission_denied"


class NotFoundError(ApplicationError):
    status_code = 404
    code = "not_found"


class ConflictError(ApplicationError):
    status_code = 409
    code = "conflict"
