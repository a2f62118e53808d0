from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.admin_filters import labelled_filter
from core.staff_names import PersonChoiceField, person_name
from disputes.admin import ROLE_LABELS
from petitions.models import Petition, PetitionDeadline, Petitioner, PetitionEvent, PetitionLetter
from petitions.rules.lifecycle import TRANSITIONS


class PetitionerInline(admin.TabularInline):
    model = Petitioner
    extra = 0


class PetitionDeadlineInline(admin.TabularInline):
    model = PetitionDeadline
    extra = 0
    readonly_fields = ("kind", "due_at", "done_at", "cancelled_at", "escalation_level", "escalated_at", "extended_days")
    can_delete = False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "extension_approved_by":
            # People by their names (core.staff_names), not their logins.
            kwargs["form_class"] = PersonChoiceField
            kwargs["queryset"] = get_user_model().objects.select_related("staff")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    """Read-mostly: status, deadlines and the timeline change only through the services."""

    list_display = ("tracking_number", "received_on", "category", "area", "status", "is_repeat", "is_group")
    list_filter = ("status", "form", "is_repeat", "is_group", "category")
    search_fields = ("tracking_number",)
    raw_id_fields = ("area", "repeat_of", "dispute", "leader_user", "receiving_office", "handling_department")
    readonly_fields = ("status", "area_path", "next_due_at", "accepted_at", "replied_at", "closed_at")
    inlines = [PetitionerInline, PetitionDeadlineInline]


@admin.register(PetitionLetter)
class PetitionLetterAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "office", "year", "number", "recipient", "issued_at")
    list_filter = ("kind", "year")
    readonly_fields = ("office", "year", "number", "petition", "issued_by_name")
    exclude = ("issued_by",)

    @admin.display(description=_("issued by"))
    def issued_by_name(self, obj: PetitionLetter) -> str:
        return person_name(obj.issued_by) or "-"


@admin.register(PetitionEvent)
class PetitionEventAdmin(admin.ModelAdmin):
    """The timeline, read-only (append-only table)."""

    list_display = ("petition", "at", "kind", "action_display", "role_display")
    list_filter = ("kind", labelled_filter("actor_role", _("role"), ROLE_LABELS.items))
    # The change page (read-only) by label and name too: no role code, no login.
    fields = ("petition", "at", "kind", "action_display", "actor_name", "role_display", "reason", "data")
    readonly_fields = fields

    @admin.display(description=_("by"))
    def actor_name(self, obj: PetitionEvent) -> str:
        return person_name(obj.actor) or "-"

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, obj: PetitionEvent) -> str:
        # Labels, never codes: the action column stores the lifecycle table's keys.
        return str(TRANSITIONS[obj.action].label) if obj.action in TRANSITIONS else obj.action

    @admin.display(description=_("role"), ordering="actor_role")
    def role_display(self, obj: PetitionEvent) -> str:
        return str(ROLE_LABELS.get(obj.actor_role, obj.actor_role))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
