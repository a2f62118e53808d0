from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.masking import mask_name, mask_phone
from disputes import selectors
from disputes.forms import MAX_DESCRIPTION
from disputes.models import CaseEvent, Dispute, Party
from disputes.rules import lifecycle
from disputes.rules.enums import Colour, Outcome, PartyRole
from disputes.rules.pauses import PauseReason
from disputes.rules.triage import reason_text


class PartyMaskedSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = ["id", "role", "name", "phone", "is_minor", "is_elderly", "is_disabled", "is_pregnant"]

    def get_name(self, obj) -> str:
        # In clear for those who work the case, masked for everyone else (disputes.visibility).
        lens = self.context.get("lens")
        return lens.party_name(obj) if lens is not None else mask_name(obj.name)

    def get_phone(self, obj) -> str:
        return mask_phone(obj.phone)


class CaseEventSerializer(serializers.ModelSerializer):
    """A timeline entry; its free text (reason, data) masked for those who do not work the case."""

    reason = serializers.SerializerMethodField()
    data = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["at", "actor_role", "kind", "action", "from_status", "to_status", "reason", "data"]

    def get_reason(self, obj) -> str:
        return self.context["lens"].text("event.text", obj.reason)

    @extend_schema_field(serializers.DictField())
    def get_data(self, obj) -> dict:
        # A link to a possible duplicate names only a case the reader may open (disputes.services.duplicates).
        data = selectors.without_hidden_links(obj.data, self.context.get("linked", frozenset()))
        return self.context["lens"].data(data)


class CaseListSerializer(serializers.ModelSerializer):
    colour = serializers.SerializerMethodField()
    category = serializers.CharField(source="category.code")
    lead_department = serializers.CharField(source="lead_department.name", default=None, allow_null=True)

    class Meta:
        model = Dispute
        fields = [
            "tracking_number",
            "category",
            "colour",
            "status",
            "channel",
            "lead_department",
            "submitted_at",
            "next_due_at",
        ]

    def get_colour(self, obj) -> str:
        return Colour(obj.colour).code


class CaseDetailSerializer(CaseListSerializer):
    """One case, read through `context["lens"]` (disputes.visibility.case_lens): what this user may see of it."""

    parties = PartyMaskedSerializer(many=True, read_only=True)
    description = serializers.SerializerMethodField()
    occurred_place = serializers.SerializerMethodField()
    triage_reasons = serializers.SerializerMethodField()
    events = CaseEventSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "description",
            "occurred_at",
            "occurred_place",
            # 规模 (disputes.scale): a range is stored with its lower bound in the exact field.
            "people_involved",
            "people_band",
            "amount",
            "amount_band",
            "triage_reasons",
            "reasons",
            "outcome",
            "parties",
            "events",
            "allowed_actions",
            "leader",
        ]

    reasons = serializers.SerializerMethodField(help_text=_("Why the case has its colour, as sentences."))
    leader = serializers.SerializerMethodField(
        help_text=_("The leader in charge of the case (包案领导): user id and name, or null.")
    )

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_leader(self, obj) -> dict | None:
        if obj.leader_id is None:
            return None
        leader = obj.leader
        profile = getattr(leader, "staff", None)
        return {"id": leader.pk, "name": (profile.display_name if profile is not None else "") or leader.get_username()}

    def get_description(self, obj) -> str:
        return self.context["lens"].text("description", obj.description)

    def get_occurred_place(self, obj) -> str:
        return self.context["lens"].text("occurred_place", obj.occurred_place)

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_triage_reasons(self, obj) -> list[dict]:
        return self.context["lens"].triage_reasons()

    def get_reasons(self, obj) -> list[dict]:
        return [
            {"rule": r.get("rule"), "colour": r.get("colour"), "text": reason_text(r)}
            for r in self.context["lens"].triage_reasons()
        ]

    def get_allowed_actions(self, obj) -> list[str]:
        # The view asks the action registry (disputes.staff.actions.allowed_transitions) for this user and case.
        return list(self.context.get("allowed_actions", []))


class TransitionInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(lifecycle.TRANSITIONS))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    department = serializers.IntegerField(required=False, min_value=1, help_text=_("For dispatch and transfer."))
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, help_text=_("For report_back."))
    referral_reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=60,
        default="",
        help_text=_("For report_back to litigation or the police: the court's case number or the police's reference."),
    )
    signed_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_(
            "For report_back by agreement whose current version is not signed yet: the day it was signed "
            "(today if absent)."
        ),
    )
    effective_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_(
            "For report_back by agreement: the day it takes effect (the day it was signed if absent); the 30 "
            "days for judicial confirmation count from it."
        ),
    )


class ColourOverrideSerializer(serializers.Serializer):
    colour = serializers.ChoiceField(choices=[c.code for c in Colour])
    reason = serializers.CharField(max_length=2000)


class AssistanceSerializer(serializers.Serializer):
    department = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class DescriptionSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=MAX_DESCRIPTION, help_text=_("The whole new text."))


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class ClockSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["pause", "resume"])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    category = serializers.ChoiceField(
        choices=PauseReason.choices,
        required=False,
        default=PauseReason.OTHER,
        help_text=_("Pausing: why, as the resident is told (the reason itself stays with staff)."),
    )


class PartyInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=PartyRole.choices)
    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    is_minor = serializers.BooleanField(required=False, default=False)
    is_elderly = serializers.BooleanField(required=False, default=False)
    is_disabled = serializers.BooleanField(required=False, default=False)
    is_pregnant = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text=_("Why this person joins the case; required for an applicant."),
    )
