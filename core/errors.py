"""Error answers: pages in the site's design and the person's language; JSON for machines.

Wired as Django's handler400/403/404/500 (config/urls.py) and CSRF_FAILURE_VIEW.
Paths of the API and Open311 answer `{"error": {"code", "message"}}` like the
DRF exception handler (core.api), never an HTML page.

The 500 page is rendered without a request context (no context processors, no
database, no session): whatever failed may fail again. Its language comes from
the URL alone; when the URL does not say, it speaks both, Chinese first.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist, loader
from django.utils import translation
from django.utils.translation import gettext
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import requires_csrf_token

from core.middleware import UNPREFIXED_PREFIXES

MACHINE_PREFIXES = ("/api/", "/open311/")


def wants_json(request) -> bool:
    return request.path_info.startswith(MACHINE_PREFIXES)


def _json(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    if wants_json(request):
        return _json("bad_request", gettext("The request could not be understood."), 400)
    return defaults.bad_request(request, exception, template_name="400.html")


@requires_csrf_token
def permission_denied(request, exception=None):
    if wants_json(request):
        return _json("permission_denied", gettext("You do not have permission to perform this action."), 403)
    return defaults.permission_denied(request, exception, template_name="403.html")


@requires_csrf_token
def page_not_found(request, exception=None):
    if wants_json(request):
        return _json("not_found", gettext("Not found."), 404)
    return defaults.page_not_found(request, exception, template_name="404.html")


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: an expired or missing form token, explained in plain words."""
    if wants_json(request):
        return _json("csrf_failed", gettext("The request was refused for your security. Reload and try again."), 403)
    try:
        template = loader.get_template("403_csrf.html")
    except TemplateDoesNotExist:  # pragma: no cover - the template ships with the code
        return django_csrf_failure(request, reason)
    return HttpResponse(template.render({"reason": reason}, request), status=403)


def _language_from_url(request) -> str | None:
    """The page's language as its URL says it (/en/… or an unprefixed page), else None."""
    path = request.path_info if request is not None else ""
    language = translation.get_language_from_path(path)
    if language:
        return language
    if path and not path.startswith((*UNPREFIXED_PREFIXES, "/i18n/", "/static/")):
        # Unprefixed pages are the default language (i18n_patterns, prefix_default_language=False).
        return settings.LANGUAGE_CODE
    return None


def server_error(request):
    """handler500: JSON for machines; otherwise the static-ish page, in the URL's language or in both."""
    if request is not None and wants_json(request):
        with translation.override(translation.get_language_from_request(request, check_path=False)):
            return _json("server_error", gettext("Something went wrong on our side. Please try again later."), 500)
    language = _language_from_url(request)
    languages = [language] if language else [code for code, _name in settings.LANGUAGES]
    # A plain dict, no request: context processors (session, user, database) are not run.
    with translation.override(languages[0]):
        body = loader.get_template("500.html").render({"languages": languages, "page_language": languages[0]})
    return HttpResponse(body, status=500)
