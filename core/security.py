"""Staff account protection (账号安全): the login lockout page and the idle sign-out.

The lockout itself is django-axes (settings: AXES_*); this module only gives it
the site's page, and adds the inactivity limit that Django's sessions lack.
"""

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

# Session keys: the epoch second of the user's last request, and of the sign-in.
LAST_ACTIVITY_KEY = "_last_activity"
SIGNED_IN_AT_KEY = "_signed_in_at"
# How stale the stamp may get before it is written again: with the cached_db engine every
# write is a database UPDATE, so a busy user costs one write a minute, not one per request.
ACTIVITY_WRITE_INTERVAL = 60
# Sent by page scripts that ask the server on their own (the inbox badge's poll, static/js/inbox.js):
# such a request is checked against the limits like any other but is not the person's activity, so
# a staff page left open does not keep its session alive.
BACKGROUND_HEADER = "X-Background-Poll"


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page a locked-out login gets (status 429), in the site's design and language."""
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    return render(
        request,
        "registration/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes},
        status=429,
    )


def stamp_activity_at_login(sender, request, user, **kwargs) -> None:
    """Start both clocks at sign-in (so the first request after it needs no session write)."""
    if request is not None and hasattr(request, "session"):
        now = int(timezone.now().timestamp())
        request.session[LAST_ACTIVITY_KEY] = now
        request.session[SIGNED_IN_AT_KEY] = now


class SessionIdleTimeoutMiddleware:
    """Sign a user out after SESSION_IDLE_SECONDS without a request, or SESSION_COOKIE_AGE after sign-in.

    SESSION_SAVE_EVERY_REQUEST would do the first too, at one session write per request;
    here the stamp is refreshed at most once every ACTIVITY_WRITE_INTERVAL seconds,
    so the idle limit is exact to within that minute. Each refresh also pushes the
    session's own expiry forward, so the absolute limit is checked here, from the
    sign-in time.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(timezone.now().timestamp())
            last = request.session.get(LAST_ACTIVITY_KEY)
            signed_in_at = request.session.get(SIGNED_IN_AT_KEY)
            idle = last is not None and now - last > settings.SESSION_IDLE_SECONDS
            too_old = signed_in_at is not None and now - signed_in_at > settings.SESSION_COOKIE_AGE
            if idle or too_old:
                logout(request)
                if idle:
                    text = _("You were signed out after a period without activity. Please sign in again.")
                else:
                    text = _("Your sign-in has reached its time limit. Please sign in again.")
                messages.info(request, text, fail_silently=True)
            elif (last is None or now - last >= ACTIVITY_WRITE_INTERVAL) and not request.headers.get(BACKGROUND_HEADER):
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


class StaffModelBackend(ModelBackend):
    """Django's ModelBackend, reading the staff profile and its area with the user.

    Every staff page and API call needs both (jurisdiction is the profile's
    area): one query per request instead of three.
    """

    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = model._default_manager.select_related("staff__area").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
