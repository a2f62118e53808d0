from django.contrib import admin

from petitions.models import Petition, PetitionDeadline, Petitioner, PetitionEvent, PetitionLetter


class PetitionerInline(admin.TabularInline):
    model = Petitioner
    extra = 0


class PetitionDeadlineInline(admin.TabularInline):
    model = PetitionDeadline
    extra = 0
    readonly_fields = ("kind", "due_at", "done_at", "cancelled_at", "escalation_level", "escalated_at", "extended_days")
    can_delete = False


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
    readonly_fields = ("office", "year", "number", "petition", "issued_by")


@admin.register(PetitionEvent)
class PetitionEventAdmin(admin.ModelAdmin):
    """The timeline, read-only (append-only table)."""

    list_display = ("petition", "at", "kind", "action", "actor_role")
    list_filter = ("kind",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
