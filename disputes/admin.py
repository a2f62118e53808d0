"""Admin for the reference tables (categories, clocks, the diversion list) and a read-only view of cases.

Cases are never edited here: a case's status changes only through
`disputes.services.dispute_transition`, which checks the transition table and
writes the timeline. The admin shows a case, its parties (masked), its
timeline and its deadlines, and nothing on those pages can be changed.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value
from django.http import HttpResponse
from django.template import engines
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_filters import labelled_filter
from core.masking import mask_address, mask_id_number, mask_name, mask_phone
from core.staff_names import person_name
from disputes.api.keys import MACHINE_CHANNELS, channel_key_revoke, hash_key, new_raw_key
from disputes.models import (
    Attachment,
    CaseEvent,
    Category,
    ChannelKey,
    Deadline,
    Dispute,
    DiversionRule,
    IdempotencyRecord,
    Party,
    RankingNotice,
    ServiceLevelSetting,
    TriageKeyword,
)
from disputes.rules import lifecycle
from disputes.rules.tracking import normalise_tracking_number
from grids.models import Role

ROLE_LABELS = {lifecycle.SYSTEM: _("System"), lifecycle.RESIDENT: _("Resident"), **dict(Role.choices)}


def action_choices() -> list[tuple[str, str]]:
    """(code, label) of every action on the lifecycle table."""
    return [(key, str(lifecycle.TRANSITIONS[key].label)) for key in lifecycle.TRANSITIONS]


class ViewOnlyMixin:
    """Rows that are written by the services only: the admin may look, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Reference tables --------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "base_colour", "sort_order", "is_active", "open311_hidden")
    # open311_hidden: private matters left out of Open311's public list (disputes.selectors.open311_requests_for).
    list_editable = ("base_colour", "sort_order", "is_active", "open311_hidden")
    list_filter = ("base_colour", "is_active", "open311_hidden")
    search_fields = ("code", "name", "name_en")


@admin.register(ServiceLevelSetting)
class ServiceLevelSettingAdmin(admin.ModelAdmin):
    list_display = ("colour", "dispatch_within", "accept_within", "resolve_within", "follow_up_every")
    ordering = ("colour",)


@admin.register(TriageKeyword)
class TriageKeywordAdmin(admin.ModelAdmin):
    list_display = ("word", "kind", "is_active")
    list_editable = ("kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("word",)


class DiversionRuleForm(forms.ModelForm):
    class Meta:
        model = DiversionRule
        fields = ("area", "category", "lead_department", "assisting_departments")

    def clean(self):
        cleaned = super().clean()
        lead = cleaned.get("lead_department")
        assisting = cleaned.get("assisting_departments")
        if lead is not None and assisting is not None and lead in assisting:
            self.add_error("assisting_departments", _("The lead department cannot also be an assisting department."))
        return cleaned


@admin.register(DiversionRule)
class DiversionRuleAdmin(admin.ModelAdmin):
    form = DiversionRuleForm
    list_display = ("area", "category", "lead_department", "assisting")
    list_filter = ("category",)
    list_select_related = ("area", "category", "lead_department")
    search_fields = ("area__name", "area__code", "category__name", "lead_department__name")
    autocomplete_fields = ("area", "category", "lead_department")
    filter_horizontal = ("assisting_departments",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("assisting_departments")

    @admin.display(description=_("mediator"))
    def mediator(self, obj) -> str:
        # A person by their name, not their login (core.staff_names).
        return person_name(obj.assigned_mediator) or "-"

    @admin.display(description=_("assisting departments"))
    def assisting(self, obj) -> str:
        return "、".join(d.display_name for d in obj.assisting_departments.all())


# --- Cases (read-only) -----------------------------------------------------------------


class PartyInline(ViewOnlyMixin, admin.TabularInline):
    """Parties with their personal data masked: the admin does not work the case."""

    model = Party
    extra = 0
    fields = (
        "role",
        "masked_name",
        "masked_phone",
        "masked_id_number",
        "masked_address",
        "is_minor",
        "is_elderly",
        "is_disabled",
        "is_pregnant",
    )
    readonly_fields = fields

    @admin.display(description=_("name"))
    def masked_name(self, obj) -> str:
        return mask_name(obj.name)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("ID-card number"))
    def masked_id_number(self, obj) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description=_("address"))
    def masked_address(self, obj) -> str:
        return mask_address(obj.address)


class CaseEventDisplay:
    """Translated column labels for the timeline's method columns (read-only displays of the event's fields)."""

    @admin.display(description=_("time"), ordering="at")
    def event_at(self, obj) -> str:
        # Read-only method columns are not formatted by the admin: show local time like the other dates.
        return display_for_value(obj.at, "")

    @admin.display(description=_("by"))
    def actor_display(self, obj) -> str:
        role = ROLE_LABELS.get(obj.actor_role, obj.actor_role)
        return f"{person_name(obj.actor)} ({role})" if obj.actor_id else str(role)

    @admin.display(description=_("event"))
    def kind_display(self, obj) -> str:
        return obj.get_kind_display()

    @admin.display(description=_("action"))
    def action_display(self, obj) -> str:
        transition = lifecycle.TRANSITIONS.get(obj.action)
        return str(transition.label) if transition else obj.action

    @admin.display(description=_("status"))
    def status_change(self, obj) -> str:
        if not obj.to_status:
            return ""
        if not obj.from_status:
            return str(obj.get_to_status_display())
        return f"{obj.get_from_status_display()} → {obj.get_to_status_display()}"

    @admin.display(description=_("reason"))
    def reason_display(self, obj) -> str:
        return obj.reason

    @admin.display(description=_("public"), boolean=True)
    def public(self, obj) -> bool:
        return obj.is_public


class CaseEventInline(ViewOnlyMixin, CaseEventDisplay, admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = (
        "event_at",
        "actor_display",
        "kind_display",
        "action_display",
        "status_change",
        "reason_display",
        "public",
    )
    readonly_fields = fields
    ordering = ("at", "id")
    verbose_name = _("timeline entry")
    verbose_name_plural = _("timeline")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor__staff")


class DeadlineInline(ViewOnlyMixin, admin.TabularInline):
    model = Deadline
    extra = 0
    fields = ("kind", "due_at", "done_at", "cancelled_at", "paused_at", "escalation_level")
    readonly_fields = fields
    ordering = ("due_at",)


DISPUTE_FIELDSETS = (
    (
        None,
        {
            "fields": (
                "tracking_number",
                "category",
                "status",
                "outcome",
                "colour",
                "colour_overridden",
                "triage_reasons",
            )
        },
    ),
    (
        _("What happened"),
        {"fields": ("description", "occurred_at", "occurred_place", "amount", "people_involved")},
    ),
    (_("Intake"), {"fields": ("grid", "channel", "source_id")}),
    (_("Handling"), {"fields": ("lead_department", "assisting", "mediator")}),
    (
        _("Dates"),
        {"fields": ("submitted_at", "reported_at", "closed_at", "next_due_at", "reopened_count")},
    ),
)


@admin.register(Dispute)
class DisputeAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """A read-only view of a case. Status changes go through the transition service, never through here."""

    list_display = ("tracking", "category", "colour", "status", "channel", "submitted_at")
    list_filter = ("status", "colour", "channel")
    list_select_related = ("category",)
    search_fields = ("=tracking_number",)
    search_help_text = _("Tracking number, with or without spaces.")
    ordering = ("-submitted_at", "-id")
    show_full_result_count = False
    fieldsets = DISPUTE_FIELDSETS
    # Every field read-only, even if someone grants change permission later.
    readonly_fields = tuple(f for _name, opts in DISPUTE_FIELDSETS for f in opts["fields"])
    inlines = (PartyInline, CaseEventInline, DeadlineInline)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("category", "grid", "lead_department", "assigned_mediator__staff")
        )

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalise_tracking_number(search_term))

    @admin.display(description=_("tracking number"), ordering="tracking_number")
    def tracking(self, obj) -> str:
        return obj.tracking_number_display

    @admin.display(description=_("mediator"))
    def mediator(self, obj) -> str:
        # A person by their name, not their login (core.staff_names).
        return person_name(obj.assigned_mediator) or "-"

    @admin.display(description=_("assisting departments"))
    def assisting(self, obj) -> str:
        return "、".join(d.display_name for d in obj.assisting_departments.all())


@admin.register(CaseEvent)
class CaseEventAdmin(ViewOnlyMixin, CaseEventDisplay, admin.ModelAdmin):
    """The append-only timeline across all cases, for audit: nothing here can be added, changed or deleted."""

    list_display = ("event_at", "dispute", "actor_display", "kind_display", "action_display", "status_change")
    # Labels, never codes: the role and action columns store codes without choices.
    list_filter = (
        "kind",
        labelled_filter("actor_role", _("role"), ROLE_LABELS.items),
        labelled_filter("action", _("action"), action_choices),
    )
    list_select_related = ("dispute", "actor__staff")
    search_fields = ("=dispute__tracking_number",)
    show_full_result_count = False
    fields = (
        "dispute",
        "event_at",
        "actor_display",
        "kind_display",
        "action_display",
        "status_change",
        "reason_display",
        "public",
        "data",
    )
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalise_tracking_number(search_term))


@admin.register(Deadline)
class DeadlineAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("dispute", "kind", "due_at", "done_at", "cancelled_at", "escalation_level")
    list_filter = ("kind",)
    list_select_related = ("dispute",)
    search_fields = ("=dispute__tracking_number",)
    show_full_result_count = False
    fields = ("dispute", "kind", "due_at", "done_at", "cancelled_at", "paused_at", "paused_seconds", "escalation_level")
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalise_tracking_number(search_term))


# --- Machine channels: API keys and what they sent ----------------------------------------------

# Shown once, right after the key is made: the key itself is never stored, only its hash.
NEW_KEY_PAGE = """{% extends "admin/base_site.html" %}{% load i18n %}
{% block content %}<div id="content-main">
<p>{% blocktranslate %}The API key for “{{ name }}” ({{ channel }}):{% endblocktranslate %}</p>
<p><code style="font-size:1.2em;user-select:all">{{ raw_key }}</code></p>
<p><strong>{% translate "Copy it now. It is shown only this once; only its hash is stored." %}</strong></p>
<p>{% translate "The sending system puts it in the header “X-Api-Key: <key>” or “Authorization: Api-Key <key>”." %}</p>
<p><a href="{{ changelist_url }}">{% translate "Back to the API keys" %}</a></p>
</div>{% endblock %}"""


class ChannelKeyForm(forms.ModelForm):
    class Meta:
        model = ChannelKey
        fields = ("name", "channel", "area")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "channel" in self.fields:
            self.fields["channel"].choices = [(c.value, c.label) for c in MACHINE_CHANNELS]


@admin.register(ChannelKey)
class ChannelKeyAdmin(admin.ModelAdmin):
    """Keys are made here (shown once) and revoked, never deleted: their idempotency records stay.

    A key may be limited to an area (a county's 110 link): it then files cases in that area only.
    """

    form = ChannelKeyForm
    list_display = ("name", "channel", "area", "prefix", "is_active", "last_used_at", "created_at")
    list_filter = ("channel", "is_active")
    list_select_related = ("area",)
    search_fields = ("name", "=prefix")
    autocomplete_fields = ("area",)
    actions = ("revoke",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "channel", "area")
        return ("name", "channel", "area", "prefix", "is_active", "last_used_at", "created_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # The name and the area may change; revoking is the action, and a revoked key stays revoked.
        return ("channel", "prefix", "is_active", "last_used_at", "created_at")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.prefix, raw_key = new_raw_key()
            obj.key_hash = hash_key(raw_key)
            request._new_channel_key = raw_key
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        raw_key = getattr(request, "_new_channel_key", None)
        if raw_key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": _("New API key"),
            "opts": self.opts,
            "name": obj.name,
            "channel": obj.get_channel_display(),
            "raw_key": raw_key,
            "changelist_url": self._changelist_url(),
        }
        response = HttpResponse(engines["django"].from_string(NEW_KEY_PAGE).render(context, request))
        add_never_cache_headers(response)
        return response

    def _changelist_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        keys = list(queryset.filter(is_active=True))
        for key in keys:
            channel_key_revoke(key)
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", len(keys)) % {"count": len(keys)},
            messages.SUCCESS,
        )


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Which request (Idempotency-Key and body hash) of which channel key made which case."""

    list_display = ("key", "channel_key", "dispute", "created_at")
    list_select_related = ("channel_key", "dispute")
    list_filter = ("channel_key",)
    search_fields = ("=key", "=dispute__tracking_number")
    show_full_result_count = False
    fields = ("channel_key", "key", "request_hash", "dispute", "created_at")
    readonly_fields = fields


@admin.register(Attachment)
class AttachmentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """What was uploaded with each case. The files themselves are served only by the checked case views."""

    list_display = ("original_name", "dispute", "content_type", "size", "created_at")
    list_select_related = ("dispute",)
    list_filter = ("content_type",)
    search_fields = ("=dispute__tracking_number",)
    show_full_result_count = False
    fields = ("dispute", "original_name", "content_type", "size", "sha256", "created_at")
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalise_tracking_number(search_term))


@admin.register(RankingNotice)
class RankingNoticeAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """排名通报 as issued: number, office, month, who issued it and when, and the figures it printed."""

    list_display = ("number_text", "office_name", "month", "basis", "issuer", "issued_at")
    list_select_related = ("issued_by", "issued_by__staff")
    list_filter = ("year",)
    search_fields = ("=number_text", "office_name")
    date_hierarchy = "issued_at"
    fields = (
        "number_text",
        "office_code",
        "office_name",
        "area",
        "month",
        "basis",
        "year",
        "number",
        "issuer",
        "issued_at",
        "snapshot",
    )
    readonly_fields = fields

    @admin.display(description=_("issued by"))
    def issuer(self, obj: RankingNotice) -> str:
        return person_name(obj.issued_by) or obj.issued_by_name or "—"
