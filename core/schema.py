"""The OpenAPI schema's generator: every operation documents the errors it can really answer.

drf-spectacular documents the success answers it can see in a view; the errors
come from elsewhere (validation, the permission check, a missing case, the
shared exception handler in core/api.py) and would otherwise be missing, so a
client generated from the schema, or the schema fuzz test
(tests/core/test_api_fuzz.py), would meet status codes the schema never names.
Added here, with the one error shape every answer uses, when the view did not
document them itself:

| code | when |
| --- | --- |
| 400 | the operation takes a body or parameters (validation; a NUL character in the address; an invalid `cursor`) |
| 415 | the operation takes a body: one in a media type it does not parse |
| 403 | the operation needs a signed-in user: not signed in, wrong role, two-factor sign-in not completed |
| 404 | the path names a case, petition or party that may not exist or be visible |
| 503 | any operation: the database cannot be reached; nothing was stored; `Retry-After` says when to retry |

A view that can answer something else (409, 413, 429) documents it with extend_schema.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse

from core.api import ErrorSerializer


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code, description in self._error_responses(operation):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description), code
                )
        return operation

    def _error_responses(self, operation: dict):
        places = {parameter.get("in") for parameter in operation.get("parameters", [])}
        if "requestBody" in operation or places:
            yield "400", _("Invalid input; `fields` names each wrong field.")
        if "requestBody" in operation:
            yield "415", _("The request body is not in a media type this operation accepts.")
        # An operation anyone may call lists an empty requirement ({}) among its security.
        security = operation.get("security", [])
        if security and {} not in security:
            yield "403", _("Not signed in, not allowed for this role, or two-factor sign-in not completed.")
        if "path" in places:
            yield "404", _("Not found, or not visible to this user.")
        # An invalid `cursor` is a 400 (core.api.CheckedCursorPagination), like any other bad parameter.
        # core.api's exception handler, for every operation (tests/core/test_service_outages.py).
        yield (
            "503",
            _(
                "The database cannot be reached (restarting or failing over). Nothing was stored: "
                "try again after the seconds in the Retry-After header, with the same Idempotency-Key if one was sent."
            ),
        )
