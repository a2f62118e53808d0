from django.http import HttpResponseBadRequest, JsonResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext

# Machine-facing paths carry no language prefix: they answer in the language
# the client asks for (cookie, then Accept-Language), Chinese by default.
UNPREFIXED_PREFIXES = ("/api/", "/open311/", "/healthz")


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's LocaleMiddleware, except on unprefixed machine paths.

    With `prefix_default_language=False`, Django treats every path without a
    language prefix as Chinese, so an English API client could never get
    English errors. Pages keep the URL-prefix behaviour.
    """

    def _is_unprefixed(self, request) -> bool:
        return request.path_info.startswith(UNPREFIXED_PREFIXES)

    def process_request(self, request):
        if not self._is_unprefixed(request):
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request, check_path=False))
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request, response):
        if not self._is_unprefixed(request):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class RefuseNullCharactersMiddleware:
    """A NUL character in the path or the query string is refused with 400 before any view runs.

    PostgreSQL cannot store or compare text containing NUL (psycopg2 raises
    ValueError), so a `?parent=%00` or a `/cases/%00/` would otherwise end in a
    500 wherever a view hands a raw parameter to a query. Request bodies are
    already covered: DRF's and Django's form CharFields refuse NUL themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            message = gettext("The address contains a character that is not allowed.")
            if request.path_info.startswith("/api/"):
                return JsonResponse({"error": {"code": "invalid", "message": message}}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
