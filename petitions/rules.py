"""信访 rules: the vocabulary, the transition table and the statutory clocks. Pure: no ORM, no I/O.

The periods come from the Petition Work Regulations (信访工作条例, 2022) as
summarised in DOMAIN.md: decide whether to accept within 15 days of receipt;
handle within 60 days of acceptance, extendable once by at most 30 days with
the approval of the office's head; the petitioner may ask for a review within
30 days of the written reply, and the reviewing body answers within 30 days.
Periods are counted in calendar days and a period ends at the end of its last
day (Asia/Shanghai), the way an office counts "15 日内".
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext_lazy as _

# --- Vocabulary ---------------------------------------------------------------------------


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


# --- Who acts (the roles of grids.models.Role, plus the platform) ---------------------------

SYSTEM = "system"
MEDIATOR = "mediator"
DEPARTMENT_STAFF = "department_staff"
DISPATCHER = "dispatcher"
SUPERVISOR = "supervisor"
ADMIN = "admin"

REGISTER_ROLES = frozenset({DISPATCHER, DEPARTMENT_STAFF, SUPERVISOR, ADMIN})
# Extensions need the head of the office (经本机关负责人批准): supervisors here.
EXTENSION_APPROVERS = frozenset({SUPERVISOR, ADMIN})
LETTER_ROLES = frozenset({DISPATCHER, DEPARTMENT_STAFF, SUPERVISOR, ADMIN})
CONVERT_ROLES = frozenset({DISPATCHER, DEPARTMENT_STAFF, SUPERVISOR, ADMIN})

# --- The transition table ------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    label: str
    needs_reason: bool = False


def _t(action, sources, target, roles, label, **kw) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles) | {ADMIN}, label, **kw)


S = Status
OFFICE = {DISPATCHER, DEPARTMENT_STAFF, SUPERVISOR}
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("accept", {S.REGISTERED}, S.ACCEPTED, OFFICE, _("Accept")),
        _t("not_accept", {S.REGISTERED}, S.NOT_ACCEPTED, OFFICE, _("Do not accept"), needs_reason=True),
        _t("refer", {S.REGISTERED}, S.REFERRED, OFFICE, _("Refer to the competent body"), needs_reason=True),
        _t("reply", {S.ACCEPTED}, S.REPLIED, {DEPARTMENT_STAFF, SUPERVISOR}, _("Reply in writing")),
        _t("request_review", {S.REPLIED}, S.REVIEW_REQUESTED, OFFICE, _("Record a request for review")),
        _t("close", {S.REPLIED, S.REVIEW_REQUESTED}, S.CLOSED, {SYSTEM, DEPARTMENT_STAFF, SUPERVISOR}, _("Close")),
        _t(
            "to_dispute",
            {S.REGISTERED, S.ACCEPTED},
            S.CONVERTED,
            OFFICE,
            _("Turn into a dispute case"),
            needs_reason=True,
        ),
    )
}


def allowed_actions(status: str, role: str) -> list[str]:
    """The actions `role` may take on a petition in `status`, in table order."""
    return [t.action for t in TRANSITIONS.values() if status in t.sources and role in t.roles]


def check_transition(*, status: str, action: str, role: str, reason: str = "") -> Transition | str:
    """The transition if allowed, else a refusal code: unknown_action, wrong_state, wrong_role, reason_required."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        return "unknown_action"
    if status not in transition.sources:
        return "wrong_state"
    if role not in transition.roles:
        return "wrong_role"
    if transition.needs_reason and not reason.strip():
        return "reason_required"
    return transition


# --- Statutory clocks -------------------------------------------------------------------------

TZ = ZoneInfo("Asia/Shanghai")
ACCEPTANCE_DAYS = 15
HANDLING_DAYS = 60
MAX_EXTENSION_DAYS = 30
REVIEW_REQUEST_DAYS = 30
REVIEW_OPINION_DAYS = 30
GROUP_AT = 5  # 集体访: five or more petitioners

PERIOD_DAYS: dict[str, int] = {
    DeadlineKind.DECIDE_ACCEPTANCE: ACCEPTANCE_DAYS,
    DeadlineKind.HANDLE: HANDLING_DAYS,
    DeadlineKind.REVIEW_REQUEST: REVIEW_REQUEST_DAYS,
    DeadlineKind.REPLY: REVIEW_OPINION_DAYS,
}

# How long before the due date the handling department is reminded (提醒). The
# petitioner's own review window has no reminder: when it lapses the petition closes.
REMIND_BEFORE: dict[str, timedelta] = {
    DeadlineKind.DECIDE_ACCEPTANCE: timedelta(days=3),
    DeadlineKind.HANDLE: timedelta(days=7),
    DeadlineKind.REPLY: timedelta(days=5),
    DeadlineKind.CALLBACK: timedelta(days=2),
}


def period_end(start: date, days: int) -> datetime:
    """The end (local midnight of the next day) of the `days`-th day after `start`."""
    last = start + timedelta(days=days + 1)
    return datetime.combine(last, time.min, tzinfo=TZ)


def local_date(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


REMIND = "remind"
ESCALATE = "escalate"
LAPSE = "lapse"  # the review window ran out: the petition closes


@dataclass(frozen=True)
class Step:
    action: str
    level: int
    next_at: datetime | None


def first_rung(*, kind: str, due: datetime) -> datetime:
    """When the sweeper first acts on a new (or extended) deadline."""
    return due - REMIND_BEFORE.get(kind, timedelta(0))


def next_step(*, kind: str, level: int, due: datetime) -> Step | None:
    """The rung for a deadline the sweeper found due: remind before the date, escalate after it, then stop."""
    if kind == DeadlineKind.REVIEW_REQUEST:
        return Step(LAPSE, 1, None) if level == 0 else None
    if level == 0:
        return Step(REMIND, 1, due)
    if level == 1:
        return Step(ESCALATE, 2, None)
    return None
