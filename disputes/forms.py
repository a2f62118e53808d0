"""The resident's forms: the dispute form (public, QR and walk-in), tracking and rating.

The same classes serve the public page and the staff walk-in page; the
walk-in page only starts the place cascade at the staff member's area and
words the consent for a visitor. Storage is dispute_intake's job: these
forms only check what a person typed and turn it into its arguments.
"""

from datetime import datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.casework.callbacks import Satisfaction
from core.exceptions import ApplicationError
from core.validators import normalise_phone, validate_id_number, validate_mobile
from disputes import intake, scale
from disputes.models import Category
from disputes.rules.enums import AmountBand, PartyRole, PeopleBand
from disputes.rules.tracking import ALPHABET, LENGTH, normalise_tracking_number
from grids.models import Area, AreaLevel

MAX_OTHER_PARTIES = 10
MAX_DESCRIPTION = 5000

AREA_PROMPTS = {
    AreaLevel.CITY: _("Choose a city"),
    AreaLevel.COUNTY: _("Choose a county or district"),
    AreaLevel.TOWNSHIP: _("Choose a township or street"),
    AreaLevel.VILLAGE: _("Choose a village or community"),
    AreaLevel.GRID: _("Choose a grid (if you know it)"),
}
AREA_LABELS = {
    AreaLevel.CITY: _("City"),
    AreaLevel.COUNTY: _("County or district"),
    AreaLevel.TOWNSHIP: _("Township or street"),
    AreaLevel.VILLAGE: _("Village or community"),
    AreaLevel.GRID: _("Grid"),
}


def area_field_name(level: int) -> str:
    return f"area_{level}"


def quiet(*forms_or_formsets) -> None:
    """Show a bound form again without judging it (the no-JavaScript "next" and "add a party" steps)."""
    for item in forms_or_formsets:
        if isinstance(item, forms.BaseForm):
            item._errors = ErrorDict()
        else:
            for form in item.forms:
                form._errors = ErrorDict()
            item._errors = [ErrorDict() for _form in item.forms]
            item._non_form_errors = item.error_class()


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """<input type=file multiple>: a list of uploads (possibly empty)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return obj.display_name


class PartyFlagsMixin:
    """弱势群体: the four flags triage looks at, the same for every party."""

    flag_names = ("is_minor", "is_elderly", "is_disabled", "is_pregnant")

    def flag_fields(self):
        return [self[name] for name in self.flag_names]


def _flags() -> dict[str, forms.BooleanField]:
    return {
        "is_minor": forms.BooleanField(label=_("A minor (under 18)"), required=False),
        "is_elderly": forms.BooleanField(label=_("Elderly (60 or over)"), required=False),
        "is_disabled": forms.BooleanField(label=_("Has a disability"), required=False),
        "is_pregnant": forms.BooleanField(label=_("Pregnant"), required=False),
    }


def _phone_widget() -> forms.TextInput:
    return forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel", "maxlength": 20})


class CaseForm(forms.Form):
    """What happened, when, where (the place cascade), the attachments and the consent."""

    category = CategoryChoiceField(
        label=_("What kind of dispute is it?"),
        queryset=Category.objects.filter(is_active=True),
        empty_label=_("Choose a kind of dispute"),
    )
    description = forms.CharField(
        label=_("What happened?"),
        help_text=_("Who is involved, what happened, what you have already tried, and what you would like."),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    occurred_on = forms.DateField(
        label=_("When did it happen?"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    occurred_place = forms.CharField(
        label=_("Where did it happen?"),
        help_text=_("For example a street address, a building, a market stall."),
        required=False,
        max_length=200,
    )
    # 规模: what triage needs to know, in words a resident can answer (disputes.scale).
    people_band = forms.ChoiceField(
        label=_("About how many people are on your side?"),
        help_text=_("If you are not sure, leave it unanswered."),
        # "Not sure" first: a resident who tapped a range by mistake can take it back.
        choices=[("", _("Not sure"))] + PeopleBand.choices,
        initial="",
        required=False,
        widget=forms.RadioSelect,
    )
    amount_band = forms.ChoiceField(
        label=_("About how much money is involved?"),
        help_text=_("If you are not sure, leave it unanswered."),
        choices=[("", _("Not sure"))] + AmountBand.choices,
        initial="",
        required=False,
        widget=forms.RadioSelect,
    )
    attachments = MultipleFileField(
        label=_("Photos or documents"),
        help_text=_("Up to 5 files: photos (JPEG, PNG, WebP, GIF) or PDF, 10 MB each at most."),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf"}),
    )
    consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree that my information is used to handle this case."),
        error_messages={"required": _("Please agree to the privacy notice, or we cannot take your case.")},
    )
    # A honeypot: hidden from people by CSS, filled in by form-filling robots.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args, scope: Area | None = None, staff: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        self.fields["description"].widget.attrs["maxlength"] = MAX_DESCRIPTION
        self.fields["occurred_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["attachments"].widget.attrs.update(
            {"data-max-files": intake.MAX_ATTACHMENTS, "data-too-many": _("Choose at most 5 files.")}
        )
        if staff:
            self.fields["people_band"].label = _("About how many people are on the applicant's side?")
            self.fields["amount_band"].label = _("About how much money is involved?")
            # At the desk the figures are often known: an exact one replaces the range.
            self.fields["people_involved"] = forms.IntegerField(
                label=_("Exact number of people, if known"),
                help_text=_("An exact number replaces the range chosen above."),
                required=False,
                min_value=1,
                max_value=scale.MAX_PEOPLE,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
            self.fields["amount"] = forms.DecimalField(
                label=_("Exact amount in yuan, if known"),
                help_text=_("An exact amount replaces the range chosen above."),
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            )
            self.fields["consent"].label = _(
                "The person was told how their information is used (privacy notice) and agreed."
            )
            self.fields["consent"].error_messages["required"] = _(
                "Confirm that the person agreed to the privacy notice."
            )
        self.area_levels: list[int] = []
        self._add_area_fields()

    # --- The place: one select per level below the scope --------------------------------

    def _add_area_fields(self) -> None:
        first = self.scope.level + 1 if self.scope is not None else AreaLevel.CITY
        parent = self.scope
        parent_known = True
        for level in range(first, AreaLevel.GRID + 1):
            name = area_field_name(level)
            if not parent_known:
                children = []
            elif parent is None:
                children = list(Area.objects.get_root_nodes())
            else:
                children = list(Area.objects.get_children(parent))
            field = forms.TypedChoiceField(
                label=AREA_LABELS[level],
                choices=[("", AREA_PROMPTS[level])] + [(a.pk, a.display_name) for a in children],
                coerce=int,
                empty_value=None,
                required=False,
            )
            field.widget.attrs["data-level"] = str(level)
            # Not "required" for the browser (the no-JavaScript steps send the form part-filled),
            # but needed down to the village: do not call it optional.
            field.optional_label = level == AreaLevel.GRID
            if not children:
                # Nothing to choose until the level above is chosen (area-select.js fills it in).
                field.widget.attrs["disabled"] = "disabled"
            self.fields[name] = field
            self.area_levels.append(level)
            raw = self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)
            parent = next((a for a in children if str(a.pk) == str(raw or "")), None)
            parent_known = parent is not None

    def area_fields(self):
        return [self[area_field_name(level)] for level in self.area_levels]

    def clean_occurred_on(self):
        day = self.cleaned_data.get("occurred_on")
        if day is not None and day > timezone.localdate():
            raise ValidationError(_("The date it happened cannot be in the future."), code="future_date")
        return day

    def clean_description(self):
        text = (self.cleaned_data.get("description") or "").strip()
        if not text:
            raise ValidationError(_("Please describe what happened."), code="description_required")
        return text

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        try:
            intake.check_attachments(files)
        except ApplicationError as exc:
            raise ValidationError(exc.message, code=exc.code) from None
        for f in files:
            # check_attachments read them; dispute_intake reads them again.
            f.seek(0)
        return files

    def clean(self):
        cleaned = super().clean()
        self._clean_scale(cleaned)
        chosen = self.scope
        missing = None
        for level in self.area_levels:
            name = area_field_name(level)
            if self.has_error(name):
                return cleaned
            value = cleaned.get(name)
            if value is None:
                missing = name
                break
            chosen = Area.objects.get(pk=value)
        if chosen is None or chosen.level < AreaLevel.VILLAGE:
            self.add_error(
                missing,
                ValidationError(_("Choose the village, community or grid where it happened."), code="grid_required"),
            )
        else:
            cleaned["grid"] = chosen
        return cleaned

    def _clean_scale(self, cleaned: dict) -> None:
        """The range, or on the walk-in form an exact figure, which wins over a range (disputes.scale)."""
        values = self.scale_values(cleaned)
        cleaned.update(values)
        try:
            scale.clean_scale(**values)
        except ApplicationError as exc:
            field = exc.extra.get("field")
            self.add_error(field if field in self.fields else None, exc.message)

    def scale_values(self, cleaned: dict | None = None) -> dict[str, Any]:
        """dispute_intake's people_involved, people_band, amount, amount_band: what was given, an exact
        figure instead of a range when both were (it maps a range to its lower bound itself)."""
        values = {name: (self.cleaned_data if cleaned is None else cleaned).get(name) for name in scale.FIELDS}
        values["people_band"] = values["people_band"] or ""
        values["amount_band"] = values["amount_band"] or ""
        if values["people_involved"] is not None:
            values["people_band"] = ""
        if values["amount"] is not None:
            values["amount_band"] = ""
        return values

    @property
    def occurred_at(self) -> datetime | None:
        day = self.cleaned_data.get("occurred_on")
        if day is None:
            return None
        # The start of that day in the site's time zone: never later than now.
        return timezone.make_aware(datetime.combine(day, time.min))


class ApplicantForm(PartyFlagsMixin, forms.Form):
    """申请人: the person asking for help. The phone is how they later prove who they are."""

    name = forms.CharField(label=_("Your name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(
        label=_("Your mobile phone number"),
        help_text=_("We send the tracking number to this number. You need it to follow your case."),
        max_length=20,
        widget=_phone_widget(),
    )
    id_number = forms.CharField(
        label=_("Your ID-card number"),
        help_text=_("Optional. It helps the mediator prepare an agreement."),
        required=False,
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    address = forms.CharField(
        label=_("Your address"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )

    def __init__(self, *args, staff: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_flags())
        if staff:
            self.fields["name"].label = _("Name of the person")
            self.fields["phone"].label = _("Their mobile phone number")
            self.fields["id_number"].label = _("Their ID-card number")
            self.fields["address"].label = _("Their address")

    def clean_phone(self):
        return validate_mobile(self.cleaned_data.get("phone", ""))

    def clean_id_number(self):
        value = (self.cleaned_data.get("id_number") or "").strip()
        return validate_id_number(value) if value else ""

    def party(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k in ("name", "phone", "id_number", "address")}
        data.update({k: self.cleaned_data.get(k, False) for k in self.flag_names})
        data["name"] = data["name"].strip()
        return {"role": PartyRole.APPLICANT, **data}


OTHER_ROLES = [
    (PartyRole.RESPONDENT, _("The other side of the dispute")),
    (PartyRole.THIRD_PARTY, _("Someone else involved")),
]


class OtherPartyForm(PartyFlagsMixin, forms.Form):
    """被申请人 or 第三人: the other side, or someone else involved."""

    role = forms.ChoiceField(label=_("This person is"), choices=OTHER_ROLES, initial=PartyRole.RESPONDENT)
    name = forms.CharField(
        label=_("Name"),
        help_text=_("If you do not know the name, describe the person (for example: the neighbour in flat 302)."),
        max_length=100,
    )
    phone = forms.CharField(label=_("Mobile phone number"), required=False, max_length=20, widget=_phone_widget())
    address = forms.CharField(label=_("Address"), required=False, max_length=200)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_flags())

    def clean_phone(self):
        value = (self.cleaned_data.get("phone") or "").strip()
        return validate_mobile(value) if value else ""

    def party(self) -> dict[str, Any]:
        data = {k: self.cleaned_data.get(k, "") for k in ("role", "name", "phone", "address")}
        data.update({k: self.cleaned_data.get(k, False) for k in self.flag_names})
        data["name"] = data["name"].strip()
        return data


class BaseOtherPartyFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_few_forms": _("Tell us at least who the other side of the dispute is."),
        "too_many_forms": _("You can name at most 10 other people. Tell us about the others in the description."),
    }


OtherPartyFormSet = formset_factory(
    OtherPartyForm,
    formset=BaseOtherPartyFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_OTHER_PARTIES,
    validate_max=True,
)


class TrackForm(forms.Form):
    tracking_number = forms.CharField(
        label=_("Tracking number"),
        help_text=_("12 letters and digits, from the SMS or the confirmation page."),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("The mobile phone number you gave"),
        max_length=20,
        widget=_phone_widget(),
    )

    def clean_tracking_number(self):
        number = normalise_tracking_number(self.cleaned_data.get("tracking_number", ""))
        if len(number) != LENGTH or not set(number) <= set(ALPHABET):
            raise ValidationError(_("A tracking number has 12 letters and digits."), code="tracking_format")
        return number

    def clean_phone(self):
        return normalise_phone(self.cleaned_data.get("phone", ""))


class RatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("Are you satisfied with how your case was handled?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
    )
    remarks = forms.CharField(
        label=_("Anything you would like to tell us?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
