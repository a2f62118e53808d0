"""信访 vocabulary: forms, states, deadline kinds, timeline entries and the three letters. Pure."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Form(models.TextChoices):
    """信访形式."""

    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")
    ONLINE = "online", _("Online")
    PHONE = "phone", _("Phone")


class Status(models.TextChoices):
    REGISTERED = "registered", _("Registered, awaiting the acceptance decision")
    ACCEPTED = "accepted", _("Accepted, being handled")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    REFERRED = "referred", _("Referred to the competent body")
    REPLIED = "replied", _("Replied in writing")
    REVIEW_REQUESTED = "review_requested", _("Review requested")
    CLOSED = "closed", _("Closed")
    CONVERTED = "converted", _("Turned into a dispute case")


# Open: still the office's business. A replied petition stays open while the
# petitioner may still ask for a review.
OPEN_STATUSES = frozenset({Status.REGISTERED, Status.ACCEPTED, Status.REPLIED, Status.REVIEW_REQUESTED})
FINAL_STATUSES = frozenset(set(Status) - OPEN_STATUSES)


class DeadlineKind(models.TextChoices):
    DECIDE_ACCEPTANCE = "decide_acceptance", _("Decide whether to accept")
    HANDLE = "handle", _("Handle the petition")
    REPLY = "reply", _("Give the review opinion")
    REVIEW_REQUEST = "review_request", _("Petitioner may request a review")
    CALLBACK = "callback", _("Satisfaction callback")


class EventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    TRANSITION = "transition", _("Status changed")
    REPEAT_FLAGGED = "repeat_flagged", _("Flagged as a repeat petition")
    EXTENDED = "extended", _("Handling period extended")
    LETTER_ISSUED = "letter_issued", _("Letter issued")
    DEADLINE_REMINDER = "deadline_reminder", _("Deadline reminder")
    ESCALATED = "escalated", _("Escalated")
    CONVERTED = "converted", _("Turned into a dispute case")
    CALLBACK = "callback", _("Satisfaction callback")


class LetterKind(models.TextChoices):
    """三函: the three letters of Dingnan's 三函一回访."""

    ASSIGNMENT = "assignment", _("Assignment letter")
    REMINDER = "reminder", _("Reminder letter")
    SUPERVISION = "supervision", _("Supervision letter")
