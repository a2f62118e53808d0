"""回访: the verdict of a satisfaction callback, the same for cases and petitions. Pure."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The third unanswered call of a round ends it as unreachable.
MAX_UNANSWERED = 3
# A caller's remarks on one attempt are kept to this many characters.
MAX_REMARKS = 1000


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class CallbackResult(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    UNREACHABLE = "unreachable", _("Unreachable")


SATISFIED_RESULTS = frozenset({CallbackResult.SATISFIED, CallbackResult.BASICALLY_SATISFIED})


def verdict(*, reached: bool, satisfaction: str, unanswered: int) -> str | None:
    """What one attempt decides (a `CallbackResult` value), or None while another call is still to be made.

    `unanswered` counts the unanswered calls of this round, this one included.
    """
    if not reached:
        return CallbackResult.UNREACHABLE.value if unanswered >= MAX_UNANSWERED else None
    return CallbackResult(satisfaction).value


def attempt_problem(*, reached: bool, satisfaction: str) -> str | None:
    """A refusal code for an attempt that cannot be recorded as given, else None."""
    if reached and satisfaction not in Satisfaction.values:
        return "satisfaction_required"
    if not reached and satisfaction:
        return "satisfaction_forbidden"
    return None
