"""The small forms of the case page: one per action, each posted on its own (no JavaScript needed)."""

from datetime import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from core.i18n import localized_name
from disputes import selectors, services
from disputes.forms import MAX_DESCRIPTION
from disputes.models import Agreement, Dispute, JudicialConfirmation
from disputes.rules.enums import Colour, Outcome, WithdrawalVia
from disputes.rules.pauses import PauseReason
from disputes.selectors import supervision as order_selectors
from disputes.services import leader as leader_service
from disputes.staff.options import QuickSelect, cached_options
from grids.models import Department

REASON_MAX = 2000
TEXT_MAX = services.MAX_TEXT


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def department_choices(case: Dispute, *, exclude: set[int] | None = None):
    """Departments that serve the case's place: those of its areas up the tree, and any in its county.

    The county bound keeps the list short (tens, not the city's thousands) while
    leaving room for a neighbouring township's committee or a county bureau. The
    rule is the services' (`selectors.departments_serving`), which refuse any other.
    """
    qs = selectors.departments_serving(case.area_path).select_related("area")
    if exclude:
        qs = qs.exclude(pk__in=exclude)
    return qs.order_by("area__depth", "area__path", "name")


def department_options(case: Dispute, *, exclude: set[int]) -> list[tuple]:
    """`department_choices` as (id, label) pairs for the <select>: read as plain values, kept per place
    and language in the process (disputes.staff.options), so the case page builds no Department objects."""

    def build():
        rows = department_choices(case).values_list("pk", "name", "name_en", "area__name", "area__name_en")
        return [(pk, f"{localized_name(n, n_en)} ({localized_name(a, a_en)})") for pk, n, n_en, a, a_en in rows]

    options = cached_options(f"case-departments:{case.area_path}", build)
    excluded = {str(pk) for pk in exclude}
    return [option for option in options if option[0] not in excluded]


class EmptyForm(forms.Form):
    """Accept, start mediation, resume, resume the clock: the button is the whole form."""


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX, widget=_textarea(2))


class PauseForm(forms.Form):
    """Pause the clock: why (a category the resident is told) and the details (for staff only)."""

    category = forms.ChoiceField(
        label=_("Why the clock is paused"),
        # No default: a preselected reason would be told to every resident whatever the wait.
        choices=[("", _("Choose…")), *PauseReason.choices],
        help_text=_("The resident's tracking page shows this, never the reason written below."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX, widget=_textarea(2))


class DepartmentForm(forms.Form):
    """Dispatch, transfer (with a reason) and assistance: a department from the case's county."""

    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX, required=False, widget=_textarea(2))

    def __init__(self, *args, case: Dispute, exclude: set[int] | None = None, reason_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        # The queryset checks a posted choice; the page lists the same departments from plain values.
        field.queryset = department_choices(case, exclude=exclude)
        options = department_options(case, exclude=exclude or set())
        field.widget = QuickSelect(attrs=field.widget.attrs)
        field.widget.choices = [("", field.empty_label), *options]
        field.widget.is_required = True
        self.has_choices = bool(options)
        self.fields["reason"].required = reason_required


class DescriptionForm(forms.Form):
    """The description corrected or completed: the old text stays on the timeline and triage runs again."""

    description = forms.CharField(label=_("What happened"), max_length=MAX_DESCRIPTION, widget=_textarea(6))

    @staticmethod
    def initial_for(case: Dispute) -> dict:
        return {"description": case.description}


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=TEXT_MAX, widget=_textarea(3))


class ColourForm(forms.Form):
    colour = forms.TypedChoiceField(label=_("Colour"), choices=Colour.choices, coerce=int)
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX, widget=_textarea(2))


class SessionForm(forms.Form):
    held_at = forms.DateTimeField(
        label=_("When it was held"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    attendees = forms.CharField(
        label=_("Who attended"), max_length=TEXT_MAX, widget=_textarea(2), help_text=_("Names and roles, one a line.")
    )
    notes = forms.CharField(label=_("Notes"), max_length=TEXT_MAX, required=False, widget=_textarea(4))

    def clean_held_at(self) -> datetime:
        value = self.cleaned_data["held_at"]
        if value > timezone.now():
            raise forms.ValidationError(_("A session cannot be recorded before it is held."))
        return value


class AgreementForm(forms.Form):
    """调解协议书: what the mediator writes; the parties come from the case."""

    facts = forms.CharField(label=_("Facts"), max_length=TEXT_MAX, widget=_textarea(4))
    points_in_dispute = forms.CharField(label=_("Points in dispute"), max_length=TEXT_MAX, widget=_textarea(3))
    terms = forms.CharField(label=_("What was agreed"), max_length=TEXT_MAX, widget=_textarea(4))
    performance_method = forms.CharField(
        label=_("How and by when it is performed"), max_length=TEXT_MAX, widget=_textarea(2)
    )
    perform_by = forms.DateField(
        label=_("Perform by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The date by which the agreement must be performed, if there is one."),
    )

    def clean_perform_by(self):
        value = self.cleaned_data.get("perform_by")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("The date to perform by cannot be in the past."))
        return value

    @staticmethod
    def initial_for(case: Dispute) -> dict:
        # The case page loads the case with select_related("agreement"): no query then, and the
        # descriptor remembers "none" too, so the agreement and report-back forms share one look-up.
        try:
            agreement = case.agreement
        except Agreement.DoesNotExist:
            agreement = None
        if agreement is None:
            return services.agreement_proposal(case)
        return {name: getattr(agreement, name) for name in (*services.AGREEMENT_TEXT_FIELDS, "perform_by")}


class ReportBackForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(o.value, o.label) for o in Outcome if o != Outcome.WITHDRAWN],
        widget=forms.RadioSelect,
    )
    referral_reference = forms.CharField(
        label=_("Court case number or police reference"),
        max_length=services.REFERRAL_MAX,
        required=False,
        help_text=_("Required when the case goes to litigation or to the police."),
    )
    reason = forms.CharField(
        label=_("Summary of the handling"),
        max_length=REASON_MAX,
        required=False,
        widget=_textarea(3),
        help_text=_("For an oral agreement, write down what the parties agreed: it is the agreement's record."),
    )
    # 签署 / 生效: for an agreement whose current version is not signed yet (today unless given).
    signed_on = forms.DateField(
        label=_("Agreement signed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("When resolved by agreement and its signing is not recorded yet; today if left empty."),
    )
    effective_on = forms.DateField(
        label=_("Agreement takes effect on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The day it was signed if left empty. The 30 days for judicial confirmation count from it."),
    )

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        if outcome == Outcome.ORAL_AGREEMENT and not (cleaned.get("reason") or "").strip():
            self.add_error(
                "reason", _("Write down what the parties agreed orally: it is the record of the oral agreement.")
            )
        if outcome in (Outcome.LITIGATION, Outcome.POLICE):
            try:
                cleaned["referral_reference"] = services.clean_referral_reference(
                    cleaned.get("referral_reference"), outcome=outcome
                )
            except ApplicationError as exc:
                self.add_error("referral_reference", str(exc.message))
        return cleaned


class PerformanceForm(forms.Form):
    performance = forms.ChoiceField(
        label=_("Was the agreement performed?"),
        choices=[
            (Agreement.Performance.PERFORMED.value, Agreement.Performance.PERFORMED.label),
            (Agreement.Performance.NOT_PERFORMED.value, Agreement.Performance.NOT_PERFORMED.label),
        ],
        widget=forms.RadioSelect,
    )
    remarks = forms.CharField(label=_("Remarks"), max_length=TEXT_MAX, required=False, widget=_textarea(2))


# 撤回 (disputes.services.withdrawal): staff record how the applicant asked; a supervisor approves or refuses.
class WithdrawalRequestForm(forms.Form):
    via = forms.ChoiceField(
        label=_("How did the applicant ask?"),
        choices=[(v.value, v.label) for v in WithdrawalVia if v != WithdrawalVia.SMS_LINK],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("The applicant's reason"), max_length=REASON_MAX, widget=_textarea(2))


class WithdrawalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve: withdraw the case")), ("refuse", _("Refuse: the case continues"))],
        widget=forms.RadioSelect,
    )
    remarks = forms.CharField(
        label=_("Remarks"),
        max_length=REASON_MAX,
        required=False,
        widget=_textarea(2),
        help_text=_("Required when you refuse."),
    )


# 督办 (disputes.services.supervision): a supervisor's order to a department or a person, with its reply date.
class OrderForm(forms.Form):
    recipient = forms.ChoiceField(label=_("Addressed to"))
    reason = forms.CharField(
        label=_("Why the order is issued"),
        max_length=REASON_MAX,
        widget=_textarea(3),
        help_text=_("What is overdue or wrong; printed on the order."),
    )
    requirements = forms.CharField(
        label=_("What is required"), max_length=REASON_MAX, required=False, widget=_textarea(2)
    )
    reply_within_days = forms.IntegerField(label=_("Reply due within (days)"), min_value=1, max_value=60)

    def __init__(self, *args, case: Dispute, **kwargs):
        super().__init__(*args, **kwargs)
        departments = [
            (f"department:{d.pk}", f"{d.display_name} ({d.area.display_name})")
            for d in order_selectors.recipient_departments(case).select_related("area").order_by("area__depth", "name")
        ]
        people = [
            (f"user:{u.pk}", (u.staff.display_name or u.get_username()) + f" ({u.staff.get_role_display()})")
            for u in order_selectors.recipient_people(case)
        ]
        self.fields["recipient"].choices = [
            ("", "---------"),
            (_("Departments"), departments),
            (_("People"), people),
        ]
        self.fields["reply_within_days"].initial = settings.SUPERVISION_REPLY_WITHIN_DAYS
        self.has_choices = bool(departments or people)

    def recipient_args(self) -> dict:
        """The service's `to_department` / `to_user` from the chosen option."""
        kind, _sep, pk = self.cleaned_data["recipient"].partition(":")
        return {"to_department": pk if kind == "department" else None, "to_user": pk if kind == "user" else None}


# 包案 (disputes.services.leader): a supervisor names the case's leader in charge.
class LeaderForm(forms.Form):
    leader = forms.ModelChoiceField(label=_("Leader in charge"), queryset=None)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=leader_service.MAX_REASON,
        required=False,
        widget=_textarea(2),
        help_text=_("Required when you replace the leader."),
    )

    def __init__(self, *args, case: Dispute, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["leader"]
        # Staff of the case's area and of the areas above it, the nearest first (the service's rule).
        field.queryset = leader_service.leader_candidates(case)
        field.label_from_instance = lambda user: (
            f"{leader_service.leader_name(user)} ({user.staff.get_role_display()} · {user.staff.area.display_name})"
        )
        self.has_choices = True


def _date_field(label, help_text="", *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class AgreementSignForm(forms.Form):
    """签署: the day the parties signed the current version, and the day it takes effect."""

    signed_on = _date_field(_("Signed on"))
    effective_on = _date_field(
        _("Takes effect on"),
        _("The day it was signed if left empty. The 30 days for judicial confirmation count from it."),
        required=False,
    )


class JudicialApplyForm(forms.Form):
    """申请司法确认: the day the parties applied, and to which court."""

    applied_on = _date_field(_("Applied on"))
    court = forms.CharField(label=_("Court"), max_length=100, help_text=_("For example 南昌市东湖区人民法院."))


class JudicialDecisionForm(forms.Form):
    """法院裁定: confirmed or rejected, the ruling's number and date."""

    result = forms.ChoiceField(
        label=_("The court's decision"),
        choices=[
            (JudicialConfirmation.Result.CONFIRMED.value, _("Confirmed by the court")),
            (JudicialConfirmation.Result.REJECTED.value, _("Rejected by the court")),
        ],
        widget=forms.RadioSelect,
    )
    ruling_number = forms.CharField(
        label=_("Ruling number"), max_length=60, help_text=_("For example (2026)赣0103民特123号.")
    )
    decided_on = _date_field(_("Decided on"))
