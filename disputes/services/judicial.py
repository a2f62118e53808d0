"""司法确认: the parties' application to a court to confirm their signed mediation agreement, and the court's
decision (People's Mediation Law art. 33: the parties apply jointly within 30 days of the agreement taking
effect).

The mediator records what the parties did: "applied on … to court …" (`judicial_apply`), and later
"confirmed / rejected" with the ruling number (`judicial_decide`). The window is the JUDICIAL_CONFIRMATION
deadline that the report-back opened (`services.outcomes.judicial_due`); an application finishes it. One
application at a time awaits the court; after a rejection the parties may apply again within the window.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, ConflictError
from disputes.models import Agreement, AgreementVersion, Dispute, JudicialConfirmation
from disputes.rules.enums import DeadlineKind, EventKind, Outcome
from disputes.services.casefile import DisputeRef, event_record, lock_visible, wrong_state
from disputes.services.deadlines import deadlines_finish, dispute_refresh_next_due
from disputes.services.outcomes import PERFORMANCE_STATES, check_case_work

COURT_MAX = 100  # JudicialConfirmation.court's length
RULING_MIN = 4
RULING_MAX = 60  # JudicialConfirmation.ruling_number's length
DECISIONS = (JudicialConfirmation.Result.CONFIRMED, JudicialConfirmation.Result.REJECTED)


def judicial_window(case: Dispute, version: AgreementVersion) -> tuple[date, date]:
    """The first and last day the parties may apply: from the effective date, JUDICIAL_CONFIRMATION_DAYS on.

    A version signed before dates were recorded (frozen by its report-back) counts from the report-back's day.
    """
    if version.effective_on is not None:
        start = version.effective_on
    elif case.reported_at is not None:
        start = timezone.localdate(case.reported_at)
    else:
        start = timezone.localdate()
    return start, start + timedelta(days=settings.JUDICIAL_CONFIRMATION_DAYS)


def signed_version_of(case: Dispute) -> AgreementVersion | None:
    """The version of the case's agreement that the parties signed, if any."""
    agreement = Agreement.objects.filter(dispute=case).select_related("signed_version").first()
    return agreement.signed_version if agreement is not None else None


def _check_reported_agreement(case: Dispute, actor: Actor) -> AgreementVersion:
    check_case_work(case, actor)
    if case.status not in PERFORMANCE_STATES or case.outcome != Outcome.AGREEMENT:
        raise wrong_state(case)
    version = signed_version_of(case)
    if version is None:
        raise ApplicationError(
            _("Record the signing of the agreement before its judicial confirmation."), code="agreement_not_signed"
        )
    return version


def check_judicial_apply(case: Dispute, actor: Actor) -> None:
    """Who and when may record an application (raises the refusal); the case page's rule (`staff.actions`)."""
    _check_reported_agreement(case, actor)
    if JudicialConfirmation.objects.filter(dispute=case, result=JudicialConfirmation.Result.PENDING).exists():
        raise ConflictError(
            _("An application for judicial confirmation already awaits the court's decision."),
            code="judicial_pending",
        )
    if JudicialConfirmation.objects.filter(dispute=case, result=JudicialConfirmation.Result.CONFIRMED).exists():
        raise ConflictError(_("The court has already confirmed this agreement."), code="judicial_confirmed")


def _pending(case: Dispute) -> JudicialConfirmation | None:
    return JudicialConfirmation.objects.filter(dispute=case, result=JudicialConfirmation.Result.PENDING).first()


def check_judicial_decide(case: Dispute, actor: Actor) -> None:
    """Who and when may record the court's decision (raises the refusal): an application awaits it."""
    check_case_work(case, actor)
    if _pending(case) is None:
        raise ApplicationError(
            _("No application for judicial confirmation awaits the court's decision."), code="judicial_none_pending"
        )


def judicial_apply(*, dispute: DisputeRef, actor: Actor, applied_on: date | None, court: str) -> JudicialConfirmation:
    """申请司法确认: the parties applied on `applied_on` to `court` to confirm the signed agreement.

    The handlers of the case (or an administrator), once it was reported back by agreement with a signed
    version. `applied_on` lies in the window: not before the agreement took effect, not in the future, and
    within JUDICIAL_CONFIRMATION_DAYS of the effective date (the law's window: later, the court does not
    take it). Finishes the JUDICIAL_CONFIRMATION deadline; a JUDICIAL_APPLIED event.
    """
    court = " ".join((court or "").split())
    if not court:
        raise ApplicationError(_("Name the court applied to."), code="court_required", extra={"field": "court"})
    if len(court) > COURT_MAX:
        raise ApplicationError(
            _("A court's name has at most %(max)d characters.") % {"max": COURT_MAX},
            code="court_invalid",
            extra={"field": "court"},
        )
    if applied_on is None:
        raise ApplicationError(
            _("Give the date of the application."), code="applied_on_required", extra={"field": "applied_on"}
        )
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_judicial_apply(case, actor)
        version = _check_reported_agreement(case, actor)
        first, last = judicial_window(case, version)
        if applied_on > timezone.localdate():
            raise ApplicationError(
                _("The date of the application cannot be in the future."),
                code="applied_on_future",
                extra={"field": "applied_on"},
            )
        if applied_on < first:
            raise ApplicationError(
                _("The parties cannot apply before the agreement takes effect (%(date)s).")
                % {"date": first.isoformat()},
                code="applied_before_effective",
                extra={"field": "applied_on"},
            )
        if applied_on > last:
            raise ApplicationError(
                _(
                    "The parties must apply within %(days)d days of the agreement taking effect (by %(date)s): "
                    "the court no longer takes this application."
                )
                % {"days": settings.JUDICIAL_CONFIRMATION_DAYS, "date": last.isoformat()},
                code="judicial_window_passed",
                extra={"field": "applied_on"},
            )
        now = timezone.now()
        application = JudicialConfirmation.objects.create(
            dispute=case,
            agreement_version=version,
            applied_on=applied_on,
            court=court,
            recorded_by=actor.user,
            recorded_at=now,
            area_path=case.area_path,
        )
        deadlines_finish(dispute=case, kinds=[DeadlineKind.JUDICIAL_CONFIRMATION], now=now)
        dispute_refresh_next_due(dispute=case)
        case.save(update_fields=["next_due_at", "updated_at"])
        event_record(
            case,
            actor,
            EventKind.JUDICIAL_APPLIED,
            now=now,
            data={
                "judicial": application.pk,
                "version": version.version,
                "applied_on": applied_on.isoformat(),
                "court": court,
            },
        )
    return application


def clean_ruling_number(value: str | None) -> str:
    """The court's ruling number ((2026)赣0103民特123号): present and of a sane length."""
    value = " ".join((value or "").split())
    if not value:
        raise ApplicationError(
            _("Give the number of the court's ruling."), code="ruling_required", extra={"field": "ruling_number"}
        )
    if not RULING_MIN <= len(value) <= RULING_MAX:
        raise ApplicationError(
            _("A ruling number has between %(min)d and %(max)d characters.") % {"min": RULING_MIN, "max": RULING_MAX},
            code="ruling_invalid",
            extra={"field": "ruling_number"},
        )
    return value


def judicial_decide(
    *, dispute: DisputeRef, actor: Actor, result: str, ruling_number: str, decided_on: date | None
) -> JudicialConfirmation:
    """法院裁定: the court confirmed or rejected the pending application, by ruling `ruling_number` on
    `decided_on` (not before the application, not in the future). A JUDICIAL_DECIDED event."""
    if result not in DECISIONS:
        raise ApplicationError(
            _("Say whether the court confirmed the agreement."), code="result_required", extra={"field": "result"}
        )
    ruling_number = clean_ruling_number(ruling_number)
    if decided_on is None:
        raise ApplicationError(
            _("Give the date of the court's ruling."), code="decided_on_required", extra={"field": "decided_on"}
        )
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_judicial_decide(case, actor)
        rows = JudicialConfirmation.objects.select_for_update()
        application = rows.get(dispute=case, result=JudicialConfirmation.Result.PENDING)
        if decided_on > timezone.localdate():
            raise ApplicationError(
                _("The date of the ruling cannot be in the future."),
                code="decided_on_future",
                extra={"field": "decided_on"},
            )
        if decided_on < application.applied_on:
            raise ApplicationError(
                _("The court cannot have ruled before the application (%(date)s).")
                % {"date": application.applied_on.isoformat()},
                code="decided_before_applied",
                extra={"field": "decided_on"},
            )
        now = timezone.now()
        application.result = result
        application.ruling_number = ruling_number
        application.decided_on = decided_on
        application.decided_by = actor.user
        application.save(update_fields=["result", "ruling_number", "decided_on", "decided_by"])
        event_record(
            case,
            actor,
            EventKind.JUDICIAL_DECIDED,
            now=now,
            data={
                "judicial": application.pk,
                "result": result,
                "ruling_number": ruling_number,
                "decided_on": decided_on.isoformat(),
            },
        )
    return application


def judicial_of(case: Dispute) -> list[JudicialConfirmation]:
    """The case's applications, oldest first (a read for the page and the API, on a case already visible)."""
    rows = JudicialConfirmation.objects.filter(dispute=case).select_related("agreement_version")
    return list(rows.order_by("applied_on", "pk"))
