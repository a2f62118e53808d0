from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

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
