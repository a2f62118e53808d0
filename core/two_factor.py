"""Two-factor sign-in (双因素认证): a TOTP code from an authenticator app after the password.

django-otp keeps the devices (TOTPDevice, one per user, with its own throttling of
wrong codes) and marks a session verified (`request.user.is_verified()`). This
module decides who must use it and enforces it:

- required when TWO_FACTOR_REQUIRED is on (the default without DEBUG) of every role that
  may see personal data in clear beyond the cases its holder personally handles
  (TWO_FACTOR_WIDE_ACCESS_ROLES: dispatchers, supervisors, callback callers, administrators;
  the rule is written down in config/settings.py), of the roles TWO_FACTOR_ROLES adds, of
  superusers and of anyone who may open the Django admin (is_staff);
- such a user who has not passed a code in this session reaches only the pages that
  need no back-office rights: enrolment and verification, sign-out, the language switch
  and the public pages. Every other page redirects to verification (or to enrolment,
  when the user has no device yet); the API answers 403 with a message in the user's
  language. The rule is deny by default: a new route is covered without a change here;
- the reveal service (core.audit.personal_data_reveal) checks it again itself
  (`check_verified_for_reveal`), so a door the middleware does not guard cannot hand out
  clear personal data on a password alone.

An administrator resets a lost device by deleting it in the admin (core/admin.py) or
with `python manage.py reset_two_factor <username>`; the user then enrols again.
"""

from __future__ import annotations

import datetime as dt
from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.exceptions import PermissionDeniedError

DEVICE_NAME = "default"

# URL names an unverified user may still open: no back-office data behind any of them.
# tests/core/test_two_factor.py checks each against the authorisation matrix: every one
# must be open to anonymous visitors too (or be one of the two-factor pages).
OPEN_URL_NAMES = frozenset(
    {
        "two_factor_setup",
        "two_factor_verify",
        "logout",
        "login",
        "set_language",
        "healthz",
        "home",
        "api-schema",
        "api-docs",
        "disputes:submit",
        "disputes:submitted",
        "disputes:track",
        "disputes:rate",
        "grids:area_children",
        "api:public-case-create",
        "api:public-track",
        "api:public-categories",
        "api:public-areas",
    }
)


def two_factor_required_for(user) -> bool:
    """Whether this signed-in user must pass a TOTP code before the back office opens."""
    if not settings.TWO_FACTOR_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    profile = getattr(user, "staff", None)
    if profile is None:
        return False
    return profile.role in settings.TWO_FACTOR_WIDE_ACCESS_ROLES or profile.role in settings.TWO_FACTOR_ROLES


def check_verified_for_reveal(user) -> None:
    """Refuse (403, code "two_factor_required") a user who must use two-factor and has not passed a code."""
    if not two_factor_required_for(user) or _is_verified(user):
        return
    if confirmed_device(user) is not None:
        message = _("Enter the code from your authenticator app before revealing personal data.")
    else:
        message = _("Set up two-factor sign-in (an authenticator app) before revealing personal data.")
    raise PermissionDeniedError(message, code="two_factor_required")


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def _is_verified(user) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


class TwoFactorRequiredMiddleware:
    """Refuses every route outside OPEN_URL_NAMES to a user who must verify and has not."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not settings.TWO_FACTOR_REQUIRED:
            return None
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name in OPEN_URL_NAMES:
            return None
        if getattr(view_func, "__module__", "") in ("django.contrib.staticfiles.views", "django.views.static"):
            return None  # DEBUG-only static files
        user = request.user
        if not two_factor_required_for(user) or _is_verified(user):
            return None
        has_device = confirmed_device(user) is not None
        if request.path_info.startswith("/api/"):
            if has_device:
                message = _("Enter the code from your authenticator app before using the staff API.")
            else:
                message = _("Set up two-factor sign-in before using the staff API.")
            return JsonResponse({"error": {"code": "two_factor_required", "message": message}}, status=403)
        target = reverse("two_factor_verify" if has_device else "two_factor_setup")
        next_url = request.get_full_path() if request.method == "GET" else reverse(settings.LOGIN_REDIRECT_URL)
        return HttpResponseRedirect(f"{target}?{urlencode({'next': next_url})}")


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Six-digit code"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*", "autofocus": True}
        ),
    )

    def __init__(self, *args, device: TOTPDevice, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        wait = seconds_to_wait(self.device)
        if wait:
            raise forms.ValidationError(
                _("Too many wrong codes. Wait %(seconds)s seconds, then enter the code your app shows."),
                params={"seconds": wait},
            )
        # verify_token applies django-otp's throttling: each wrong code doubles the wait.
        if not token.isdigit() or not self.device.verify_token(token):
            raise forms.ValidationError(_("That code is not correct. Enter the code your app shows now."))
        return token


def seconds_to_wait(device: TOTPDevice) -> int:
    """Seconds until django-otp accepts another try after wrong codes (0: now)."""
    allowed, _data = device.verify_is_allowed()
    if allowed or device.throttling_failure_timestamp is None:
        return 0
    delay = device.get_throttle_factor() * (2 ** (device.throttling_failure_count - 1))
    until = device.throttling_failure_timestamp + dt.timedelta(seconds=delay)
    return max(1, int((until - timezone.now()).total_seconds() + 0.999))


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _finish(request: HttpRequest, device: TOTPDevice) -> HttpResponse:
    """Mark the session verified and move on; a new session key, as after any rise in rights."""
    next_url = _next_url(request)
    request.session.cycle_key()
    otp_login(request, device)
    return redirect(next_url)


def qr_svg_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as a QR code (an <img> data: URI, allowed by the CSP's img-src)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _grouped_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """启用双因素认证: show the QR code of a new device; the first correct code confirms it."""
    user = request.user
    if confirmed_device(user) is not None:
        if not _is_verified(user):
            return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': _next_url(request)})}")
        return render(request, "registration/two_factor_setup.html", {"already": True})
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    form = TokenForm(request.POST if request.method == "POST" else None, device=device)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        messages.success(request, _("Two-factor sign-in is on. You will enter a code from your app at each sign-in."))
        return _finish(request, device)
    context = {
        "form": form,
        "qr": qr_svg_data_uri(device),
        "secret": _grouped_secret(device),
        "next": _next_url(request),
        "required": two_factor_required_for(user),
    }
    return render(request, "registration/two_factor_setup.html", context, status=400 if form.errors else 200)


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """输入验证码: the second step of signing in."""
    device = confirmed_device(request.user)
    if device is None:
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': _next_url(request)})}")
    if _is_verified(request.user):
        return redirect(_next_url(request))
    form = TokenForm(request.POST if request.method == "POST" else None, device=device)
    if request.method == "POST" and form.is_valid():
        return _finish(request, device)
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )
