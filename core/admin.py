"""The admin site's titles, in the user's language (Chinese by default)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import PersonalDataAccess
from grids.models import Role

admin.site.site_header = _("Dispute resolution portal: administration")
admin.site.site_title = _("Dispute resolution portal")
admin.site.index_title = _("Reference data and accounts")


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """个人信息访问记录: the access log, read-only, for superusers and the portal's administrators.

    Nobody adds, edits or deletes rows here: the log is evidence (PIPL), and the
    rows are kept at least six months (the retention command never touches them).
    """

    list_display = ("at", "user", "action", "what", "case_ref")
    list_filter = ("action",)
    date_hierarchy = "at"
    search_fields = ("case_ref", "user__username")
    list_select_related = ("user",)
    ordering = ("-at",)
    show_full_result_count = False  # the log grows without end; COUNT(*) on every page is not worth it

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

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
    profile = getattr(user, "staff", None)
    return bool(user.is_staff and profile is not None and profile.role == Role.ADMIN)


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
