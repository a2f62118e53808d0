"""The admin site's titles, in the user's language (Chinese by default)."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.actors import ADMIN
from core.models import PersonalDataAccess

admin.site.site_header = _("Dispute resolution portal: administration")
admin.site.site_title = _("Dispute resolution portal")
admin.site.index_title = _("Reference data and accounts")


def heavy_revealers(*, now=None) -> list[tuple[int, str, int]]:
    """(user id, username, reveals) of the users with more than PERSONAL_DATA_REVEALS_ALERT_DAY reveals in 24 hours.

    Read from the log itself (index pda_user_at), most reveals first: an unusual volume
    shows here even when every single reveal was allowed. Rows that record a masked view
    (`detail["masked"]`, e.g. the other cases listed beside a case) are traced in the log but
    not counted: a mediator reading similar cases shows no one's data in clear.
    """
    since = (now or timezone.now()) - timedelta(hours=24)
    rows = (
        PersonalDataAccess.objects.filter(action=PersonalDataAccess.Action.REVEAL, at__gte=since)
        .exclude(detail__has_key="masked")
        .values("user_id", "user__username")
        .annotate(reveals=Count("id"))
        .filter(reveals__gt=settings.PERSONAL_DATA_REVEALS_ALERT_DAY)
        .order_by("-reveals", "user__username")
    )
    return [(row["user_id"], row["user__username"], row["reveals"]) for row in rows[:50]]


class HeavyRevealerFilter(admin.SimpleListFilter):
    """异常查看: pick one user of `heavy_revealers` to read their reveals of the last 24 hours."""

    title = _("unusual reveal volume (last 24 hours)")
    parameter_name = "heavy_revealer"

    def lookups(self, request, model_admin):
        return [
            (str(user_id), _("%(user)s: %(count)s reveals") % {"user": username, "count": reveals})
            for user_id, username, reveals in heavy_revealers()
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        return queryset.filter(
            user_id=int(value), action=PersonalDataAccess.Action.REVEAL, at__gte=timezone.now() - timedelta(hours=24)
        )


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """个人信息访问记录: the access log, read-only, for superusers and the portal's administrators.

    Nobody adds, edits or deletes rows here: the log is evidence (PIPL), and the
    rows are kept at least six months (the retention command never touches them).
    Users whose reveals in the last 24 hours pass PERSONAL_DATA_REVEALS_ALERT_DAY are
    named in a warning at the top of the list and offered in a filter beside it.
    """

    list_display = ("at", "user", "action", "what", "case_ref")
    list_filter = (HeavyRevealerFilter, "action")
    date_hierarchy = "at"
    search_fields = ("case_ref", "user__username")
    list_select_related = ("user",)
    ordering = ("-at",)
    show_full_result_count = False  # the log grows without end; COUNT(*) on every page is not worth it

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def changelist_view(self, request, extra_context=None):
        if self.has_view_permission(request):
            heavy = heavy_revealers()
            if heavy:
                names = ", ".join(f"{username} ({reveals})" for _user_id, username, reveals in heavy)
                messages.warning(
                    request,
                    _(
                        "Unusual reveal volume: more than %(limit)s reveals in the last 24 hours by %(users)s. "
                        "Choose a name under the filter to see what they revealed."
                    )
                    % {"limit": settings.PERSONAL_DATA_REVEALS_ALERT_DAY, "users": names},
                )
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_superuser_or_admin(request.user) and super().has_view_permission(request, obj)

    def has_module_permission(self, request) -> bool:
        return _is_superuser_or_admin(request.user) and super().has_module_permission(request)


def _is_superuser_or_admin(user) -> bool:
    """A superuser, or an is_staff account whose staff profile is the portal administrator's."""
    if user.is_superuser:
        return True
    # The staff profile is grids' (core imports no app); grids.roles checks its admin role is core.actors.ADMIN.
    profile = getattr(user, "staff", None)
    return bool(user.is_staff and profile is not None and profile.role == ADMIN)


# --- Two-factor devices (core/two_factor.py) -------------------------------------------------
# django-otp's own admin would let an administrator read a device's secret key or type one in for
# somebody else. Here the list shows who has set up an authenticator, and the only change is a reset
# (deleting the device): the user then enrols a new one at their next sign-in.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TwoFactorDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    list_select_related = ("user",)
    fields = ("user", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    readonly_fields = fields
    actions = ("reset_devices",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Reset two-factor sign-in (the user sets it up again)"), permissions=["delete"])
    def reset_devices(self, request, queryset):
        queryset.delete()
        self.message_user(request, _("Two-factor sign-in reset for the selected accounts."))
