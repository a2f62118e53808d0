"""回访: the callback form of the staff pages, the same for a case and a petition."""

from datetime import datetime
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.casework.callbacks import MAX_REMARKS, Satisfaction

REACHED_CHOICES = [("yes", _("Yes, I spoke to the party")), ("no", _("No, nobody answered"))]


class CallbackAttemptForm(forms.Form):
    """One call to a party (or a petitioner): reached or not, and if reached, how satisfied."""

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

    def __init__(self, *args: Any, next_counting_at: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # When the next unanswered call would count towards "unreachable" (core.casework.callbacks), if later
        # than now: the caller is told before they dial, not after.
        self.next_counting_at = next_counting_at

    def next_counting_text(self) -> str:
        """The sentence the form shows while a call made now would not count; "" otherwise."""
        at = self.next_counting_at
        if at is None or at <= timezone.now():
            return ""
        when = formats.date_format(timezone.localtime(at), "DATETIME_FORMAT")
        return gettext(
            "An unanswered call counts towards “unreachable” only if made after %(when)s: calls must be spread "
            "over several hours and days."
        ) % {"when": when}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reached = data.get("reached")
        if reached == "yes" and not data.get("satisfaction"):
            self.add_error("satisfaction", _("Record how satisfied the party is."))
        if reached == "no" and data.get("satisfaction"):
            self.add_error("satisfaction", _("A party who was not reached cannot give an opinion."))
        return data
