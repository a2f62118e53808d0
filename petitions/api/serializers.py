"""The petitions API's serializers: output (petitioners masked) and input (validated before a service runs)."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.casework.callbacks import Satisfaction
from core.casework.people import REVEALABLE_FIELDS, masked_names, present_person
from core.validators import validate_id_number, validate_mobile
from disputes.models import Category
from disputes.rules.tracking import format_tracking_number
from grids.models import Area, Department
from petitions import rules
from petitions.models import Petition, PetitionDeadline, PetitionEvent, PetitionLetter
from petitions.rules import DECISIONS, Form, LetterKind, Status

# --- Output ------------------------------------------------------------------------------------


class _PetitionBase(serializers.ModelSerializer):
    tracking_number = serializers.CharField(source="tracking_number_display", read_only=True)
    status = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    form = serializers.CharField(read_only=True)
    area = serializers.CharField(source="area.name", read_only=True)
    category = serializers.CharField(source="category.name", read_only=True)


class PetitionListSerializer(_PetitionBase):
    petitioners = serializers.SerializerMethodField()

    class Meta:
        model = Petition
        fields = [
            "tracking_number",
            "status",
            "status_display",
            "form",
            "area",
            "category",
            "received_on",
            "next_due_at",
            "is_group",
            "is_repeat",
            "petitioners",
        ]

    def get_petitioners(self, petition: Petition) -> list[str]:
        # Names only, masked: the list is read by more people than work the petition.
        return masked_names(petition.petitioners.all())


class PetitionerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField()
    id_number = serializers.CharField()
    address = serializers.CharField()


class DeadlineSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = PetitionDeadline
        fields = [
            "kind",
            "kind_display",
            "due_at",
            "done_at",
            "cancelled_at",
            "is_open",
            "escalation_level",
            "extended_days",
            "extension_reason",
        ]


class LetterSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    document_number = serializers.CharField(read_only=True)
    office = serializers.CharField(source="office.name", read_only=True)

    class Meta:
        model = PetitionLetter
        fields = ["id", "kind", "kind_display", "document_number", "office", "year", "number", "recipient", "issued_at"]


class EventSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)

    class Meta:
        model = PetitionEvent
        fields = ["at", "actor_role", "kind", "action", "from_status", "to_status", "reason"]


# Context: `role` (the reader's, for the allowed actions) and `works` (names in clear). A comment, not a
# docstring: a serializer's docstring becomes its description in the OpenAPI schema.
class PetitionDetailSerializer(_PetitionBase):
    petitioners = serializers.SerializerMethodField()
    receiving_office = serializers.CharField(source="receiving_office.name", read_only=True)
    handling_department = serializers.CharField(
        source="handling_department.name", read_only=True, default=None, allow_null=True
    )
    repeat_of = serializers.SerializerMethodField()
    dispute = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()
    letters = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta:
        model = Petition
        fields = [
            "tracking_number",
            "status",
            "status_display",
            "form",
            "matter",
            "area",
            "category",
            "receiving_office",
            "received_on",
            "handling_department",
            "leader_name",
            "people_count",
            "is_group",
            "is_repeat",
            "repeat_of",
            "dispute",
            "referred_to",
            "reply_text",
            "callback_result",
            "accepted_at",
            "replied_at",
            "closed_at",
            "next_due_at",
            "allowed_actions",
            "petitioners",
            "deadlines",
            "letters",
            "timeline",
        ]

    @extend_schema_field(PetitionerSerializer(many=True))
    def get_petitioners(self, petition: Petition) -> list[dict[str, Any]]:
        # Names in clear only to those who work the petition; phone, ID and address masked for all
        # (revealed one at a time through the reveal endpoint, which is logged).
        works = self.context.get("works", False)
        return [{"id": p.pk, **present_person(p, works=works)} for p in petition.petitioners.all()]

    def get_repeat_of(self, petition: Petition) -> str | None:
        earlier = petition.repeat_of if petition.repeat_of_id else None
        return earlier.tracking_number_display if earlier is not None else None

    def get_dispute(self, petition: Petition) -> str | None:
        case = petition.dispute if petition.dispute_id else None
        return format_tracking_number(case.tracking_number) if case is not None else None

    def get_allowed_actions(self, petition: Petition) -> list[str]:
        return rules.allowed_actions(petition.status, self.context.get("role", ""))

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, petition: Petition) -> Any:
        return DeadlineSerializer(petition.deadlines.order_by("due_at", "pk"), many=True).data

    @extend_schema_field(LetterSerializer(many=True))
    def get_letters(self, petition: Petition) -> Any:
        return LetterSerializer(petition.letters.select_related("office").order_by("issued_at", "pk"), many=True).data

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, petition: Petition) -> Any:
        return EventSerializer(petition.events.order_by("at", "pk"), many=True).data


class LetterIssuedSerializer(serializers.Serializer):
    letter = LetterSerializer()
    petition = PetitionDetailSerializer()


class ConvertedSerializer(serializers.Serializer):
    dispute = serializers.CharField(help_text="The new dispute case's tracking number.")
    petition = PetitionDetailSerializer()


class PetitionRevealedSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


# --- Input -------------------------------------------------------------------------------------


class PetitionerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_phone(self, value: str) -> str:
        # Django's ValidationError from core.validators becomes a field error in the user's language.
        return validate_mobile(value) if value.strip() else ""

    def validate_id_number(self, value: str) -> str:
        return validate_id_number(value) if value.strip() else ""


def _active(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.filter(is_active=True)


class RegisterSerializer(serializers.Serializer):
    form = serializers.ChoiceField(choices=Form.choices)
    matter = serializers.CharField(max_length=5000)
    area: serializers.PrimaryKeyRelatedField[Area] = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all())
    category = serializers.PrimaryKeyRelatedField(queryset=_active(Category.objects.all()))
    receiving_office = serializers.PrimaryKeyRelatedField(queryset=_active(Department.objects.all()))
    handling_department = serializers.PrimaryKeyRelatedField(
        queryset=_active(Department.objects.all()), required=False, allow_null=True, default=None
    )
    received_on = serializers.DateField(required=False, allow_null=True, default=None)
    leader_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    people_count = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    petitioners = PetitionerInputSerializer(many=True, allow_empty=False)


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=sorted(DECISIONS))
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    handling_department = serializers.PrimaryKeyRelatedField(
        queryset=_active(Department.objects.all()), required=False, allow_null=True, default=None
    )
    referred_to = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ExtensionSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=rules.MAX_EXTENSION_DAYS)
    reason = serializers.CharField(max_length=2000)


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000)


class LetterInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LetterKind.choices)
    text = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


class ToDisputeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    grid: serializers.PrimaryKeyRelatedField[Area] = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.all(), required=False, allow_null=True, default=None
    )
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class PetitionRevealInputSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=REVEALABLE_FIELDS)


class PetitionCallbackAttemptInputSerializer(serializers.Serializer):
    reached = serializers.BooleanField()
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True, default="")
    remarks = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    form = serializers.ChoiceField(choices=Form.choices, required=False)
    is_repeat = serializers.BooleanField(required=False, allow_null=True, default=None)
    area = serializers.IntegerField(required=False, help_text="An area's id: that area and everything below it.")
