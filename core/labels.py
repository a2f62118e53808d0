"""Chinese names for the libraries' models the admin shows (django-axes, django-otp), given when core loads.

The libraries declare their models and fields with English names only, or none, and we cannot edit their
declarations, so `apply_library_labels()` (from core's `ready()`) replaces those names at run time with
names the site's catalogue translates. The project's own models carry their names in their declarations
(`verbose_name`), never here. Setting names on `_meta` and on the fields does not change the migration
state of the libraries' apps (Django reads it from their own migrations).
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

MODEL = "__model__"  # the key of a table row's (singular, plural) model name

LabelTable = Mapping[type[models.Model], Mapping[str, Any]]

# The libraries' apps as the admin lists them (their own names are English only).
LIBRARY_APP_NAMES = {
    "axes": _("Sign-in lockouts"),
    "otp_totp": _("Two-factor sign-in"),
}


def relabel(table: LabelTable) -> None:
    """Give each model in `table` the names listed for it, replacing those its library declared."""
    for model, names in table.items():
        opts = model._meta
        for name, label in names.items():
            if name == MODEL:
                opts.verbose_name, opts.verbose_name_plural = label
                continue
            try:
                field = opts.get_field(name)
            except FieldDoesNotExist:  # a name shared by several tables that this model lacks
                continue
            if hasattr(field, "verbose_name"):
                field.verbose_name = label


def library_labels() -> LabelTable:
    """Chinese names for the libraries' models the admin shows (django-axes, django-otp): they ship none."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_totp.models import TOTPDevice

    access = {
        "user_agent": _("browser"),
        "ip_address": _("IP address"),
        "http_accept": _("accepted content types"),
        "path_info": _("address signed in at"),
        "attempt_time": _("time of the attempt"),
        "username": _("account name entered"),
    }
    return {
        AccessAttempt: {
            MODEL: (_("failed sign-in record"), _("failed sign-in records")),
            **access,
            "get_data": _("query sent"),
            "post_data": _("form sent"),
            "failures_since_start": _("failed sign-ins"),
        },
        AccessLog: {
            MODEL: (_("sign-in record"), _("sign-in records")),
            **access,
            "logout_time": _("signed out at"),
            "session_hash": _("session key hash"),
        },
        AccessFailureLog: {
            MODEL: (_("sign-in failure"), _("sign-in failures")),
            **access,
            "locked_out": _("locked out"),
        },
        TOTPDevice: {
            MODEL: (_("authenticator"), _("authenticators")),
            "user": _("account"),
            "name": _("name"),
            "confirmed": _("set up"),
            "throttling_failure_timestamp": _("last wrong code at"),
            "throttling_failure_count": _("wrong codes in a row"),
            "created_at": _("created at"),
            "last_used_at": _("last used at"),
        },
    }


def apply_library_labels() -> None:
    """The libraries' app and model names in the site's language (from core's ready())."""
    from django.apps import apps

    for label, name in LIBRARY_APP_NAMES.items():
        if apps.is_installed(label) or label in apps.app_configs:
            apps.get_app_config(label).verbose_name = name
    relabel(library_labels())


# Words of Django's own admin that its Chinese catalogue lacks: listed here so the site's catalogue carries
# them (one catalogue serves every app: a msgid translated here is translated in Django's templates too).
DJANGO_WORDS_WITHOUT_CHINESE = (
    gettext_noop("Filter by %(field_name)s"),
    # django-axes' admin (its sign-in lockout lists).
    gettext_noop("Locked Out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Not set"),
)
