"""Forms of the petitions' staff pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.casework.callbacks import Satisfaction
from petitions.rules import MAX_REMARKS

REACHED_CHOICES = [("yes", _("Yes, I spoke to the party")), ("no", _("No, nobody answered"))]


class CallbackAttemptForm(forms.Form):
    """回访: one call to the petitioner, worded as the dispute callback's form (the same fields template)."""

    reached = forms.ChoiceField(label=_("Did you reach the party?"), choices=REACHED_CHOICES, widget=forms.RadioSelect)
    satisfaction = forms.ChoiceField(
        label=_("How satisfied is the party with the result?"),
        choices=Satisfaction.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Only when you reached the party."),
    )
    remarks = forms.CharField(
        label=_("Remarks"),
        required=False,
        max_length=MAX_REMARKS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the party said, in a few words. A dissatisfied party's reason is sent to the mediator."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reached = data.get("reached")
        if reached == "yes" and not data.get("satisfaction"):
            self.add_error("satisfaction", _("Record how satisfied the party is."))
        if reached == "no" and data.get("satisfaction"):
            self.add_error("satisfaction", _("A party who was not reached cannot give an opinion."))
        return data
