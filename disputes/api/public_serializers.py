"""Serializers of the doors without a staff login: the public API and the machine channels.

Input serializers are strict: a field that is not listed is refused (400), so a
client cannot slip in `status`, `colour` or `channel`. The outputs for the
public carry no personal data: no names, phones, ID numbers, addresses, notes
or mediators.

Multipart bodies give nested values either as JSON text (`applicant` =
'{"name": …}') or in DRF's form notation (`applicant.name`,
`other_parties[0]name`).
"""

import json
import re
from collections.abc import Mapping
from datetime import timedelta

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from core import dates
from core.api import ErrorBodySerializer, ErrorSerializer  # noqa: F401 (re-exported)
from core.exceptions import ApplicationError
from core.validators import normalise_phone, validate_id_number, validate_mobile
from disputes.models import CaseEvent, Category, Dispute
from disputes.rules import pauses
from disputes.rules.enums import AmountBand, EventKind, PartyRole, PeopleBand, Status
from disputes.scale import FIELDS as SCALE_FIELDS
from disputes.scale import MAX_PEOPLE, clean_scale
from grids.models import Area, AreaLevel

MAX_OTHER_PARTIES = 20
# Clocks of phones and servers differ a little; the services allow the same.
FUTURE_TOLERANCE = timedelta(minutes=5)
_FORM_KEY = re.compile(r"^([^.\[]+)")


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not declare, instead of silently dropping them."""

    default_error_messages = {"unknown_field": _("This field is not accepted.")}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            if html.is_html_input(data):
                # Form notation: "applicant.name" and "other_parties[0]name" belong to their top field.
                names = {m.group(1) for m in map(_FORM_KEY.match, data.keys()) if m}
            else:
                names = set(data.keys())
            unknown = sorted(str(name) for name in names - set(self.fields))
            if unknown:
                message = self.error_messages["unknown_field"]
                raise serializers.ValidationError({name: [message] for name in unknown}, code="unknown_field")
        return super().to_internal_value(data)


class JsonInFormMixin:
    """In a multipart body, a nested value may come as JSON text under the field's own name."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            raw = dictionary.get(self.field_name)
            if isinstance(raw, str):
                try:
                    return json.loads(raw)
                except ValueError:
                    return raw  # refused by the field as "not a dictionary / list"
        return super().get_value(dictionary)


# --- Fields -------------------------------------------------------------------------------


class MobileField(serializers.CharField):
    """A mainland mobile number (core.validators.validate_mobile), stored as 11 digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return validate_mobile(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code="invalid_phone") from None


class PhoneField(serializers.CharField):
    """Any mainland number, mobile or fixed line (the other side is sometimes a shop or an office)."""

    default_error_messages = {"invalid_phone": _("Enter a valid phone number.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = normalise_phone(super().to_internal_value(data))
        try:
            valid = phonenumbers.is_valid_number(phonenumbers.parse(value, "CN"))
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            self.fail("invalid_phone")
        return value


class IdNumberField(serializers.CharField):
    """An 18-character resident ID with a correct check character (GB 11643)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 18)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return validate_id_number(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code="invalid_id_number") from None


class CategoryCodeField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": _("Unknown category."),
        "invalid": _("Unknown category."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Category.objects.filter(is_active=True), **kwargs)


class GridCodeField(serializers.SlugRelatedField):
    """An area code at village / community or grid level: every case belongs to a grid."""

    default_error_messages = {
        "does_not_exist": _("Unknown area code."),
        "invalid": _("Unknown area code."),
        "too_high": _("Choose the village, community or grid where it happened."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("Area code of the village / community or grid (see /api/v1/public/areas/)."))
        super().__init__(slug_field="code", queryset=Area.objects.all(), **kwargs)

    def to_internal_value(self, data):
        area = super().to_internal_value(data)
        if area.level < AreaLevel.VILLAGE:
            self.fail("too_high")
        return area


class BandField(serializers.ChoiceField):
    """A range (disputes.rules.enums.PeopleBand / AmountBand); optional, blank for none."""

    default_error_messages = {"invalid_choice": _("Choose one of the ranges offered.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """An uploaded file; its real type and size are checked by disputes.intake, not here."""


# --- Parties ----------------------------------------------------------------------------------


class PartyFlagsSerializer(StrictSerializer):
    is_minor = serializers.BooleanField(required=False, default=False)
    is_elderly = serializers.BooleanField(required=False, default=False)
    is_disabled = serializers.BooleanField(required=False, default=False)
    is_pregnant = serializers.BooleanField(required=False, default=False)


class ApplicantSerializer(JsonInFormMixin, PartyFlagsSerializer):
    name = serializers.CharField(max_length=100)
    phone = MobileField(help_text=_("Mainland mobile number; with the tracking number it opens the case's progress."))
    id_number = IdNumberField(required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


# The roles a submitter may give the other people (the applicant is the submitter).
OTHER_PARTY_ROLES = [(role.value, role.label) for role in (PartyRole.RESPONDENT, PartyRole.THIRD_PARTY)]


class OtherPartySerializer(PartyFlagsSerializer):
    role = serializers.ChoiceField(choices=OTHER_PARTY_ROLES)
    name = serializers.CharField(max_length=100)
    phone = PhoneField(required=False, allow_blank=True, default="")


class OtherPartiesField(JsonInFormMixin, serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(child=OtherPartySerializer(), max_length=MAX_OTHER_PARTIES, **kwargs)


# --- Case input ------------------------------------------------------------------------------


class CaseInputSerializer(StrictSerializer):
    """What every door asks for: what happened, where, and who is involved."""

    category = CategoryCodeField(help_text=_("Category code (see /api/v1/public/categories/)."))
    description = serializers.CharField(max_length=5000)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    occurred_place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    grid = GridCodeField()
    applicant = ApplicantSerializer()
    other_parties = OtherPartiesField(required=False, default=list)
    # 规模: an exact figure or a range for each, never both (disputes.scale); triage reads them.
    people_involved = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PEOPLE,
        required=False,
        allow_null=True,
        help_text=_("How many people are on the applicant's side, if known exactly. Or give people_band."),
    )
    people_band = BandField(
        choices=PeopleBand.choices,
        help_text=_("Roughly how many people are on the applicant's side, as a range. Or give people_involved."),
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_("The amount at stake in yuan, if known exactly. Or give amount_band."),
    )
    amount_band = BandField(
        choices=AmountBand.choices,
        help_text=_("Roughly how much money is at stake, as a range. Or give amount."),
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        try:
            # Checked here to name the field in the answer; dispute_intake maps a range to its lower bound.
            clean_scale(
                people_involved=attrs.get("people_involved"),
                people_band=attrs.get("people_band", ""),
                amount=attrs.get("amount"),
                amount_band=attrs.get("amount_band", ""),
            )
        except ApplicationError as exc:
            raise serializers.ValidationError(
                {exc.extra.get("field", "people_band"): [exc.message]}, code=exc.code
            ) from None
        return attrs

    def scale(self) -> dict:
        """The four values `dispute_intake` takes for the scale, as given."""
        values = {name: self.validated_data.get(name) for name in SCALE_FIELDS}
        return {**values, "people_band": values["people_band"] or "", "amount_band": values["amount_band"] or ""}

    def validate_occurred_at(self, value):
        if value is not None and value > timezone.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError(_("The date it happened cannot be in the future."), code="future_date")
        if value is not None and not dates.is_in_range(value):
            # Also refused by dispute_submit; here it is named beside the field.
            raise serializers.ValidationError(dates.out_of_range_message(), code="date_out_of_range")
        return value

    def parties(self) -> list[dict]:
        """The parties in the shape `dispute_intake` takes: the applicant first."""
        values = self.validated_data
        return [{"role": PartyRole.APPLICANT, **values["applicant"]}, *values.get("other_parties", [])]


class PublicCaseSerializer(CaseInputSerializer):
    """A resident's submission from the web form or an app."""

    consent = serializers.BooleanField(
        help_text=_("The applicant agrees that the centre uses these details to handle the dispute. Must be true.")
    )
    attachments = serializers.ListField(
        child=UploadField(),
        required=False,
        default=list,
        help_text=_("Photos (JPEG, PNG, WebP, GIF) or PDFs, at most 5 of 10 MB each (multipart only)."),
    )
    # A field people never see: a bot that fills every input gives itself away.
    website = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text=_("Leave empty.")
    )

    def validate_consent(self, value):
        if not value:
            raise serializers.ValidationError(
                _("You must agree to the use of your details for handling the dispute."), code="consent_required"
            )
        return value


class ChannelCaseSerializer(CaseInputSerializer):
    """A record from a machine channel (110 transfer, 12345 hotline, grid worker)."""

    source_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The record's id in the sending system; a record sent again with it returns the same case."),
    )
    police_incident_number = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("110 transfers: the police incident number (stored as the source id)."),
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        incident = attrs.pop("police_incident_number", "").strip()
        source_id = attrs.get("source_id", "").strip()
        if incident and source_id and incident != source_id:
            raise serializers.ValidationError(
                {"police_incident_number": [_("Give either the source id or the police incident number, not both.")]},
                code="conflict",
            )
        attrs["source_id"] = source_id or incident
        return attrs


# --- Outputs ----------------------------------------------------------------------------------


class CaseReceiptSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    tracking_number_display = serializers.CharField(help_text=_("The tracking number in groups of four."))
    status = serializers.ChoiceField(choices=Status.choices)


class ChannelReceiptSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    tracking_number_display = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    channel = serializers.CharField()
    source_id = serializers.CharField()
    created = serializers.BooleanField(help_text=_("False when an earlier request already stored this record."))


class TrackInputSerializer(StrictSerializer):
    tracking_number = serializers.CharField(max_length=40)
    phone = serializers.CharField(max_length=20, help_text=_("The applicant's phone number given with the case."))


class NamedCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    what = serializers.CharField()


# What happens next, in plain words, for each status.
NEXT_STEPS = {
    Status.SUBMITTED: _("The centre is reviewing your case and will send it to the department that handles it."),
    Status.TRIAGED: _("The centre is reviewing your case and will send it to the department that handles it."),
    Status.RETURNED: _("The centre is choosing the right department for your case."),
    Status.DISPATCHED: _("The department has received your case and will assign a mediator."),
    Status.ACCEPTED: _("A mediator has taken on your case and will contact you."),
    Status.IN_MEDIATION: _("Mediation is under way. The mediator will contact you about the next meeting."),
    Status.REOPENED: _("Your case has been reopened and the mediator will contact you again."),
    Status.REPORTED: _("The department has reported the outcome. We will call you to ask whether you are satisfied."),
    Status.AWAITING_CALLBACK: _(
        "The department has reported the outcome. We will call you to ask whether you are satisfied."
    ),
    Status.CLOSED: _("Your case is closed. Thank you."),
    Status.WITHDRAWN: _("Your case was withdrawn."),
}


def timeline_text(event: CaseEvent) -> str:
    """What a public event means to the resident: the new status, or the kind of entry. Never its free text."""
    if event.kind == EventKind.TRANSITION and event.to_status:
        return str(Status(event.to_status).label)
    if event.kind == EventKind.CLOCK_PAUSED:
        return pauses.resident_pause_text(event.data)
    return str(EventKind(event.kind).label)


class TrackSerializer(serializers.Serializer):
    """The resident's view of a case: progress only, nothing about the people in it."""

    tracking_number = serializers.CharField()
    tracking_number_display = serializers.CharField()
    category = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField()
    department = serializers.SerializerMethodField(help_text=_("The department handling the case, once dispatched."))
    next_step = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    @extend_schema_field(NamedCodeSerializer)
    def get_category(self, obj: Dispute) -> dict:
        return {"code": obj.category.code, "label": obj.category.display_name}

    @extend_schema_field(NamedCodeSerializer)
    def get_status(self, obj: Dispute) -> dict:
        return {"code": obj.status, "label": str(Status(obj.status).label)}

    def get_department(self, obj: Dispute) -> str | None:
        return obj.lead_department.display_name if obj.lead_department_id else None

    def get_next_step(self, obj: Dispute) -> str:
        return str(NEXT_STEPS.get(obj.status, ""))

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, obj: Dispute) -> list[dict]:
        events = self.context.get("events", [])
        return [{"at": serializers.DateTimeField().to_representation(e.at), "what": timeline_text(e)} for e in events]


class CategoryOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")


class AreaOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")
    level = serializers.IntegerField(
        help_text=_("1 city, 2 county / district, 3 township / street, 4 village / community, 5 grid.")
    )
    level_name = serializers.CharField(source="get_level_display")
    has_children = serializers.SerializerMethodField()
    can_hold_cases = serializers.SerializerMethodField(help_text=_("Whether a case may be filed at this area."))

    def get_has_children(self, obj: Area) -> bool:
        return obj.numchild > 0

    def get_can_hold_cases(self, obj: Area) -> bool:
        return obj.level >= AreaLevel.VILLAGE
