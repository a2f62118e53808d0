"""The vocabulary of a case, shared by the rules, the models and the API."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    TRIAGED = "triaged", _("Triaged, awaiting dispatch")
    DISPATCHED = "dispatched", _("Dispatched")
    RETURNED = "returned", _("Returned to dispatch")
    ACCEPTED = "accepted", _("Accepted")
    IN_MEDIATION = "in_mediation", _("In mediation")
    # 办结 is the report-back (已办结（待回访）); the close after the callback is 归档 (已归档): two words, two states.
    REPORTED = "reported", pgettext_lazy("case status", "Reported back")
    AWAITING_CALLBACK = "awaiting_callback", _("Awaiting callback")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", pgettext_lazy("case status", "Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# States in which the case is still being worked (not finished).
OPEN_STATUSES = frozenset(
    {
        Status.SUBMITTED,
        Status.TRIAGED,
        Status.DISPATCHED,
        Status.RETURNED,
        Status.ACCEPTED,
        Status.IN_MEDIATION,
        Status.REOPENED,
    }
)
FINAL_STATUSES = frozenset({Status.CLOSED, Status.WITHDRAWN})


class Colour(models.IntegerChoices):
    """红单/黄单/白单. Lower value = more urgent, so ordering by colour puts red first."""

    RED = 1, _("Red")
    YELLOW = 2, _("Yellow")
    WHITE = 3, _("White")

    @property
    def code(self) -> str:
        return self.name.lower()


class Outcome(models.TextChoices):
    AGREEMENT = "agreement", _("Resolved by agreement")
    # 口头调解协议 (People's Mediation Law art. 28): agreed before the mediator, recorded, not written up.
    ORAL_AGREEMENT = "oral_agreement", _("Resolved by oral agreement")
    RESOLVED_OTHERWISE = "resolved_otherwise", _("Resolved otherwise")
    LITIGATION = "litigation", _("Mediation failed, referred to litigation")
    POLICE = "police", _("Referred to the police as a criminal matter")
    WITHDRAWN = "withdrawn", _("Withdrawn by the parties")


RESOLVED_OUTCOMES = frozenset({Outcome.AGREEMENT, Outcome.ORAL_AGREEMENT, Outcome.RESOLVED_OTHERWISE})


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    QR = "qr", _("QR code")
    WALK_IN = "walk_in", _("Walk-in or phone registration")
    POLICE_110 = "police_110", _("110 non-police transfer")
    HOTLINE_12345 = "hotline_12345", _("12345 hotline")
    GRID_REPORT = "grid_report", _("Grid worker report")
    PETITION = "petition", _("Petition")
    OPEN311 = "open311", _("Open311")


class PeopleBand(models.TextChoices):
    """How many people are involved on the applicant's side, as a resident can say it (a range).

    Each band starts at a threshold of the triage rules (rules/triage.py), so the lower bound a
    band stores in `people_involved` fires the same rule as the exact number would.
    """

    ONE = "1", _("Only me")
    FEW = "2-4", _("2 to 4 people")
    SEVERAL = "5-9", _("5 to 9 people")
    MANY = "10-29", _("10 to 29 people")
    CROWD = "30+", _("30 people or more")


class AmountBand(models.TextChoices):
    """Roughly how much money is at stake, as a resident can say it (a range; lower bound stored)."""

    NONE = "0", _("No money involved")
    SMALL = "<10k", _("Less than 10,000 yuan")
    MEDIUM = "10k-100k", _("10,000 to 100,000 yuan")
    LARGE = "100k-1m", _("100,000 to 1 million yuan")
    HUGE = "1m+", _("1 million yuan or more")


# What a band stores in the exact field: its lower bound (the triage thresholds start bands).
PEOPLE_BAND_LOWER = {"1": 1, "2-4": 2, "5-9": 5, "10-29": 10, "30+": 30}
AMOUNT_BAND_LOWER = {"0": 0, "<10k": 0, "10k-100k": 10_000, "100k-1m": 100_000, "1m+": 1_000_000}


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")
    THIRD_PARTY = "third_party", _("Third party")


class DeadlineKind(models.TextChoices):
    DISPATCH = "dispatch", _("Dispatch the case")
    ACCEPT = "accept", _("Accept the case")
    RESOLVE = "resolve", _("Resolve the case")
    CALLBACK = "callback", _("Call the parties back")
    JUDICIAL_CONFIRMATION = "judicial_confirmation", _("Apply for judicial confirmation")
    PERFORMANCE = "performance", _("Perform the agreement")


class EventKind(models.TextChoices):
    TRANSITION = "transition", _("Status changed")
    TRIAGE = "triage", _("Triaged")
    COLOUR_OVERRIDE = "colour_override", _("Colour changed by staff")
    COLOUR_RAISED = "colour_raised", _("Colour raised")
    NOTE = "note", _("Note")
    PARTY_ADDED = "party_added", _("Party added")
    ASSIGNED = "assigned", _("Mediator assigned")
    ASSISTANCE = "assistance", _("Assisting department added")
    SESSION = "session", _("Mediation session")
    DEADLINE_REMINDER = "deadline_reminder", _("Deadline reminder")
    ESCALATED = "escalated", _("Escalated")
    CALLBACK = "callback", _("Callback")
    NOTIFICATION = "notification", _("Notification sent")
    DESCRIPTION_EDITED = "description_edited", _("Description edited")
    CLOCK_PAUSED = "clock_paused", _("Clock paused: waiting on a party")
    CLOCK_RESUMED = "clock_resumed", _("Clock resumed")
    SUPPLEMENTED = "supplemented", _("More information from the applicant")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    AGREEMENT = "agreement", _("Mediation agreement drafted")
    PERFORMANCE = "performance", _("Performance of the agreement recorded")
    SPOT_CHECK = "spot_check", _("Spot check")
    BULK = "bulk", _("Changed in a bulk action")
    DUPLICATE_SUSPECTED = "duplicate_suspected", _("Possibly the same dispute as another case")
    DUPLICATE_MERGED = "duplicate_merged", _("Merged with another case by staff")
    SCALE_SET = "scale_set", _("People involved or amount at stake changed")
    ORDER_ISSUED = "order_issued", _("Supervision order issued")
    ORDER_SIGNED = "order_signed", _("Supervision order signed for")
    ORDER_REPLIED = "order_replied", _("Supervision order answered")
    ORDER_CLOSED = "order_closed", _("Supervision order closed")
    ORDER_ESCALATED = "order_escalated", _("Supervision order overdue, raised a level")
    LEADER_SET = "leader_set", _("Leader in charge named")
    WITHDRAWAL_REQUESTED = "withdrawal_requested", _("Withdrawal requested by the applicant")
    WITHDRAWAL_DECIDED = "withdrawal_decided", _("Withdrawal request decided")
    AGREEMENT_FROZEN = "agreement_frozen", _("Agreement version frozen")
    AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
    JUDICIAL_APPLIED = "judicial_applied", _("Judicial confirmation applied for")
    JUDICIAL_DECIDED = "judicial_decided", _("Court decided on judicial confirmation")


class WithdrawalVia(models.TextChoices):
    """How the applicant asked to withdraw (撤回申请方式)."""

    PHONE = "phone", _("By phone")
    IN_PERSON = "in_person", _("In person")
    SMS_LINK = "sms_link", _("Through the SMS link or tracking page")
    WRITING = "writing", _("In writing")
