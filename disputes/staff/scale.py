"""The case page's scale form: correct how many people are involved and how much is at stake.

Shown in "The case" beside the two figures, to those the action registry lets change
them (`disputes.staff.actions`, "scale"); posted on its own (no JavaScript needed) to
`disputes.staff.case.case_scale`, which calls `dispute_set_scale` (the same checks as
the staff API) and goes back to the case.
"""

from dataclasses import dataclass, field

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy

from core.templatetags.form_fields import field_html
from disputes import scale
from disputes.models import Dispute
from disputes.rules.enums import AmountBand, PeopleBand
from disputes.staff import actions

PREFIX = "scale"
REASON_MAX = 2000


class ScaleForm(forms.Form):
    """Each of the two: a range or an exact figure (the exact one wins); both left empty clears it."""

    people_band = forms.ChoiceField(
        label=gettext_lazy("People involved (range)"),
        choices=[("", gettext_lazy("Not given")), *PeopleBand.choices],
        required=False,
    )
    people_involved = forms.IntegerField(
        label=gettext_lazy("People involved (exact number)"),
        help_text=gettext_lazy("An exact number replaces the range."),
        required=False,
        min_value=1,
        max_value=scale.MAX_PEOPLE,
    )
    amount_band = forms.ChoiceField(
        label=gettext_lazy("Amount at stake (range)"),
        choices=[("", gettext_lazy("Not given")), *AmountBand.choices],
        required=False,
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount at stake in yuan (exact)"),
        help_text=gettext_lazy("An exact amount replaces the range."),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("For example: the applicant corrected the number of workers by phone."),
    )

    @staticmethod
    def initial_for(case: Dispute) -> dict:
        """A stored range shows as the range; its lower bound is not an exact figure."""
        return {
            "people_band": case.people_band,
            "people_involved": None if case.people_band else case.people_involved,
            "amount_band": case.amount_band,
            "amount": None if case.amount_band else case.amount,
        }

    def values(self) -> dict:
        """dispute_set_scale's arguments: an exact figure wins over a range."""
        data = self.cleaned_data
        people, amount = data.get("people_involved"), data.get("amount")
        return {
            "people_involved": people,
            "people_band": "" if people is not None else data.get("people_band") or "",
            "amount": amount,
            "amount_band": "" if amount is not None else data.get("amount_band") or "",
            "reason": data.get("reason") or "",
        }


@dataclass
class ScalePanel:
    people: str
    amount: str
    url: str = ""
    form_html: str = ""  # empty: this user may not change them
    errors: list = field(default_factory=list)
    open: bool = False


def scale_panel(user, case: Dispute, bound=None) -> ScalePanel:
    """The two figures in words and, for those who may change them, the form (`bound`: after a refused post)."""
    panel = ScalePanel(
        people=scale.people_text(case.people_involved, case.people_band),
        amount=scale.amount_text(case.amount, case.amount_band),
    )
    if bound is not None and bound[0] == PREFIX:
        form = bound[1][0]
        panel.open = True
        panel.errors = list(form.non_field_errors())
    elif "scale" in actions.actions_for(user, case, keys=["scale"]):
        form = ScaleForm(prefix=PREFIX, initial=ScaleForm.initial_for(case))
    else:
        return panel
    panel.url = reverse("disputes:case_scale", kwargs={"tracking_number": case.tracking_number})
    panel.form_html = "".join(field_html(bound_field) for bound_field in form)
    return panel
