"""调解协议书 and 反馈's own effects: the mediation agreement, its performance, and what an outcome opens
at the report-back (the judicial-confirmation window, the referral numbers).

Nothing here changes a case's status: the report-back itself is a transition
(`services.transitions.dispute_report_back`), whose effect calls `outcome_apply`.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from disputes.models import Agreement, AgreementVersion, Deadline, Dispute
from disputes.rules.enums import DeadlineKind, EventKind, Outcome, Status
from disputes.services.casefile import (
    DisputeRef,
    check_handler,
    dispute_pk,
    event_record,
    lock_visible,
    wrong_state,
)
from disputes.services.deadlines import deadline_open, deadlines_finish, dispute_refresh_next_due
from grids import roles

MAX_TEXT = 5000
# The agreement is edited while the case is handled (a frozen version is not: the edit makes the next one).
AGREEMENT_EDIT_STATES = frozenset({Status.ACCEPTED, Status.IN_MEDIATION, Status.REOPENED})
PERFORMANCE_STATES = frozenset({Status.REPORTED, Status.AWAITING_CALLBACK, Status.CLOSED})
# Sessions, the agreement and its performance: the handlers of the case, or an administrator.
CASE_WORK_ROLES = frozenset({*roles.HANDLERS, roles.ADMIN})
AGREEMENT_TEXT_FIELDS = ("facts", "points_in_dispute", "terms", "performance_method")
# What a version (AgreementVersion) keeps of the text, and what its AGREEMENT event copies old and new of.
VERSION_FIELDS = (*AGREEMENT_TEXT_FIELDS, "perform_by")
AGREEMENT_DIFF_FIELDS = ("terms", "perform_by")
REFERRAL_MIN = 4
REFERRAL_MAX = 60  # Dispute.referral_reference's length


def check_case_work(case: Dispute, actor: Actor) -> None:
    """Sessions, the agreement and its performance: the handlers of the case, or an administrator."""
    if actor.role not in CASE_WORK_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    check_handler(case, actor, "case_work")


# --- The mediation agreement -----------------------------------------------------------------------


def agreement_proposal(case: Dispute) -> dict[str, Any]:
    """What a new agreement starts from: the facts as the case describes them; the rest is the mediator's."""
    return {
        "facts": case.description,
        "points_in_dispute": "",
        "terms": "",
        "performance_method": "",
        "perform_by": None,
    }


def _agreement_values(values: dict[str, Any], *, today: date) -> dict[str, Any]:
    cleaned: dict[str, Any] = {name: (values.get(name) or "").strip()[:MAX_TEXT] for name in AGREEMENT_TEXT_FIELDS}
    missing = [name for name in AGREEMENT_TEXT_FIELDS if not cleaned[name]]
    if missing:
        raise ApplicationError(
            _("Fill in the facts, the points in dispute, what was agreed and how it is performed."),
            code="agreement_incomplete",
            extra={"fields": missing},
        )
    perform_by = values.get("perform_by")
    if perform_by is not None and perform_by < today:
        raise ApplicationError(_("The date to perform by cannot be in the past."), code="perform_by_past")
    cleaned["perform_by"] = perform_by
    return cleaned


def _version_row(agreement: Agreement, *, user: Any = None) -> AgreementVersion:
    """The agreement's current version, locked; made from the agreement's text if it has none yet (an agreement
    written before versions, outside the services)."""
    current = (
        AgreementVersion.objects.select_for_update().filter(agreement=agreement, version=agreement.version).first()
    )
    if current is None:
        current = AgreementVersion(agreement=agreement, version=agreement.version, created_by=user)
        for name in VERSION_FIELDS:
            setattr(current, name, getattr(agreement, name))
        current.save()
    return current


def agreement_version_write(version: AgreementVersion, values: dict[str, Any]) -> None:
    """Write a version's text; a frozen version (printed for signature, signed or reported back) never is."""
    if version.pk is not None:
        frozen = AgreementVersion.objects.filter(pk=version.pk, frozen_at__isnull=False).exists()
        if frozen or version.frozen_at is not None:
            raise ConflictError(
                _("Version %(version)d of the agreement is frozen: its text cannot change.")
                % {"version": version.version},
                code="agreement_version_frozen",
            )
    for name in VERSION_FIELDS:
        setattr(version, name, values[name])
    version.save()


def _change_data(old: dict[str, Any], new: dict[str, Any], changed: list[str]) -> dict[str, dict[str, str]]:
    """The old and new values the timeline shows (the terms and the date): the rest is named, not copied."""
    return {
        name: {"from": _plain(old[name]), "to": _plain(new[name])} for name in changed if name in AGREEMENT_DIFF_FIELDS
    }


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value or "")


def agreement_save(
    *, dispute: DisputeRef, actor: Actor, values: dict[str, Any], event_data: dict[str, Any] | None = None
) -> Agreement:
    """调解协议书: draft the case's agreement, or change it while the case is handled.

    `values` holds facts, points_in_dispute, terms, performance_method (all
    required) and perform_by (a date, optional, not in the past). The parties
    are not copied: the agreement prints the case's Party rows, so a party
    added later is on it. Editable while the case is accepted, in mediation or
    reopened. Versions (协议版本): the text is the current `AgreementVersion`'s
    too. While that version is a draft, a change updates it; once it is frozen
    (printed for signature, signed or reported back) a change makes version N+1
    and the frozen one stays as it was: the signed text is never overwritten.
    The AGREEMENT event names the version and the changed fields, with the old
    and new terms. `event_data` adds to it (e.g. the case it was drafted from,
    `services.similar`).
    """
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_case_work(case, actor)
        if case.status not in AGREEMENT_EDIT_STATES:
            raise wrong_state(case)
        cleaned = _agreement_values(values, today=timezone.localdate())
        agreement = Agreement.objects.select_for_update().filter(dispute=case).first()
        if agreement is None:
            agreement = Agreement(dispute=case, drafted_by=actor.user, version=1, **cleaned)
            agreement.save()
            version = AgreementVersion(agreement=agreement, version=1, created_by=actor.user)
            agreement_version_write(version, cleaned)
            event_record(
                case,
                actor,
                EventKind.AGREEMENT,
                data={
                    **(event_data or {}),
                    "agreement": agreement.pk,
                    "created": True,
                    "version": 1,
                    "changed": [name for name, value in cleaned.items() if value not in ("", None)],
                },
            )
            return agreement
        current = _version_row(agreement, user=actor.user)
        old = {name: getattr(agreement, name) for name in VERSION_FIELDS}
        changed = [name for name, value in cleaned.items() if old[name] != value]
        if not changed:
            return agreement
        data: dict[str, Any] = {**(event_data or {}), "agreement": agreement.pk, "created": False}
        if current.frozen_at is None:
            agreement_version_write(current, cleaned)
        else:
            # The frozen version stays as signed; the change is the next version's draft.
            data["from_version"] = current.version
            current = AgreementVersion(agreement=agreement, version=current.version + 1, created_by=actor.user)
            agreement_version_write(current, cleaned)
            agreement.version = current.version
        for name, value in cleaned.items():
            setattr(agreement, name, value)
        agreement.save()
        data.update({"version": current.version, "changed": changed, "changes": _change_data(old, cleaned, changed)})
        event_record(case, actor, EventKind.AGREEMENT, data=data)
    return agreement


def _freeze(case: Dispute, actor: Actor, version: AgreementVersion, *, by: str, now: datetime) -> None:
    """Freeze a version (its text is never written again), with an AGREEMENT_FROZEN event; once."""
    if version.frozen_at is not None:
        return
    AgreementVersion.objects.filter(pk=version.pk).update(frozen_at=now, frozen_by=by)
    version.frozen_at, version.frozen_by = now, by
    event_record(
        case,
        actor,
        EventKind.AGREEMENT_FROZEN,
        now=now,
        data={"agreement": version.agreement_id, "version": version.version, "by": by},
    )


def _signing_dates(case: Dispute, signed_on: date | None, effective_on: date | None) -> tuple[date, date]:
    """签署 and 生效: both given days, not in the future; it takes effect on the day it is signed or later."""
    today = timezone.localdate()
    if signed_on is None:
        raise ApplicationError(
            _("Give the date the agreement was signed."), code="signed_on_required", extra={"field": "signed_on"}
        )
    if signed_on > today:
        raise ApplicationError(
            _("The date of signing cannot be in the future."), code="signed_on_future", extra={"field": "signed_on"}
        )
    if signed_on < timezone.localdate(case.submitted_at):
        raise ApplicationError(
            _("The agreement cannot have been signed before the case was registered."),
            code="signed_before_case",
            extra={"field": "signed_on"},
        )
    effective_on = effective_on or signed_on
    if effective_on < signed_on:
        raise ApplicationError(
            _("The agreement cannot take effect before it is signed."),
            code="effective_before_signed",
            extra={"field": "effective_on"},
        )
    if effective_on > today:
        raise ApplicationError(
            _("The date the agreement takes effect cannot be in the future."),
            code="effective_on_future",
            extra={"field": "effective_on"},
        )
    return signed_on, effective_on


def _sign(
    case: Dispute,
    actor: Actor,
    agreement: Agreement,
    version: AgreementVersion,
    *,
    signed_on: date | None,
    effective_on: date | None,
    by: str,
    now: datetime,
) -> None:
    """Record the signing of `version` (the current one): its dates, the agreement's signed version, frozen."""
    signed_on, effective_on = _signing_dates(case, signed_on, effective_on)
    _freeze(case, actor, version, by=by, now=now)
    # The dates of signing are recorded once, on the frozen version; its text is not touched.
    AgreementVersion.objects.filter(pk=version.pk).update(signed_on=signed_on, effective_on=effective_on)
    version.signed_on, version.effective_on = signed_on, effective_on
    agreement.signed_version = version
    agreement.save(update_fields=["signed_version", "updated_at"])
    event_record(
        case,
        actor,
        EventKind.AGREEMENT_SIGNED,
        now=now,
        data={
            "agreement": agreement.pk,
            "version": version.version,
            "signed_on": signed_on.isoformat(),
            "effective_on": effective_on.isoformat(),
        },
    )


def _locked_agreement(case: Dispute) -> Agreement:
    agreement = Agreement.objects.select_for_update().filter(dispute=case).first()
    if agreement is None:
        raise NotFoundError(_("This case has no agreement yet."), code="no_agreement")
    return agreement


def _current_version_to_work(dispute: DisputeRef, actor: Actor) -> tuple[Dispute, Agreement, AgreementVersion]:
    """The case (locked, checked for its handlers, still handled), its agreement (locked) and current version:
    what printing for signature and signing start from. Call inside a transaction."""
    case = lock_visible(dispute, actor)
    check_case_work(case, actor)
    if case.status not in AGREEMENT_EDIT_STATES:
        raise wrong_state(case)
    agreement = _locked_agreement(case)
    return case, agreement, _version_row(agreement, user=actor.user)


def agreement_print_for_signature(*, dispute: DisputeRef, actor: Actor) -> AgreementVersion:
    """打印签署稿: the current version is printed for the parties to sign, so it is frozen (an AGREEMENT_FROZEN
    event) and prints as "version N", no longer as a draft. A later change makes the next version.

    The handlers of the case (or an administrator), while the agreement may be edited; refused when the
    current version is frozen already (it prints as it is from the print view).
    """
    with transaction.atomic():
        case, agreement, version = _current_version_to_work(dispute, actor)
        if version.frozen_at is not None:
            raise ConflictError(
                _("Version %(version)d of the agreement is frozen already: print it as it is.")
                % {"version": version.version},
                code="agreement_version_frozen",
            )
        _freeze(case, actor, version, by=AgreementVersion.FrozenBy.PRINTED, now=timezone.now())
    return version


def agreement_sign(
    *, dispute: DisputeRef, actor: Actor, signed_on: date | None, effective_on: date | None = None
) -> AgreementVersion:
    """签署: the parties signed the current version on `signed_on`; it takes effect on `effective_on` (that day
    unless given; not before it, neither in the future). Freezes the version (unless printed for signature
    already), makes it the agreement's signed version; an AGREEMENT_SIGNED event. The judicial-confirmation
    window (30 days) will count from the effective date.

    The handlers of the case (or an administrator), while the case is handled (the report-back signs a
    version not signed yet itself); refused if the current version is signed already: a change after a
    reopening makes a new version, which is signed in its turn.
    """
    with transaction.atomic():
        case, agreement, version = _current_version_to_work(dispute, actor)
        if version.signed_on is not None:
            raise ConflictError(
                _("Version %(version)d of the agreement is signed already.") % {"version": version.version},
                code="agreement_already_signed",
            )
        _sign(
            case,
            actor,
            agreement,
            version,
            signed_on=signed_on,
            effective_on=effective_on,
            by=AgreementVersion.FrozenBy.SIGNED,
            now=timezone.now(),
        )
    return version


def agreement_draft(*, dispute: DisputeRef, actor: Actor, values: dict[str, Any]) -> Agreement:
    """Draft the agreement; refused if the case already has one (update it instead)."""
    pk = dispute_pk(dispute)
    if Agreement.objects.filter(dispute_id=pk).exists():
        raise ConflictError(_("This case already has an agreement."), code="agreement_exists")
    return agreement_save(dispute=pk, actor=actor, values=values)


def agreement_update(*, dispute: DisputeRef, actor: Actor, values: dict[str, Any]) -> Agreement:
    """Change the drafted agreement; refused if there is none yet."""
    pk = dispute_pk(dispute)
    if not Agreement.objects.filter(dispute_id=pk).exists():
        raise NotFoundError(_("This case has no agreement yet."), code="no_agreement")
    return agreement_save(dispute=pk, actor=actor, values=values)


def agreement_record_performance(
    *, dispute: DisputeRef, actor: Actor, performance: str, remarks: str = ""
) -> Agreement:
    """履行: the agreement was performed, or not. Closes the PERFORMANCE deadline; a PERFORMANCE event.

    Recorded by the handlers (or an administrator) once the case has been
    reported back with an agreement. It may be recorded again (e.g. "not
    performed" on the date, "performed" a week later): each is an event.
    """
    if performance not in (Agreement.Performance.PERFORMED, Agreement.Performance.NOT_PERFORMED):
        raise ApplicationError(_("Say whether the agreement was performed."), code="performance_required")
    remarks = (remarks or "").strip()[:MAX_TEXT]
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_case_work(case, actor)
        if case.status not in PERFORMANCE_STATES or case.outcome != Outcome.AGREEMENT:
            raise wrong_state(case)
        agreement = Agreement.objects.select_for_update().filter(dispute=case).first()
        if agreement is None:
            raise NotFoundError(_("This case has no agreement yet."), code="no_agreement")
        now = timezone.now()
        agreement.performance = performance
        agreement.performance_remarks = remarks
        agreement.performance_recorded_at = now
        agreement.save(update_fields=["performance", "performance_remarks", "performance_recorded_at", "updated_at"])
        deadlines_finish(dispute=case, kinds=[DeadlineKind.PERFORMANCE], now=now)
        dispute_refresh_next_due(dispute=case)
        case.save(update_fields=["next_due_at", "updated_at"])
        event_record(case, actor, EventKind.PERFORMANCE, reason=remarks, now=now, data={"performance": performance})
    return agreement


# --- The outcome's own effects at the report-back ---------------------------------------------------


def perform_by_due(day: date) -> datetime:
    """ "Perform by 30 June" is kept until the end of that day, local time."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def clean_referral_reference(value: str | None, *, outcome: str) -> str:
    """The court's case number ((2024)赣0103民初1234号) or the police's reference: present and of a sane length."""
    value = " ".join((value or "").split())
    if not value:
        message = (
            _("Give the court's case number.")
            if outcome == Outcome.LITIGATION
            else _("Give the police's reference number.")
        )
        raise ApplicationError(message, code="referral_required")
    if not REFERRAL_MIN <= len(value) <= REFERRAL_MAX:
        raise ApplicationError(
            _("A reference number has between %(min)d and %(max)d characters.")
            % {"min": REFERRAL_MIN, "max": REFERRAL_MAX},
            code="referral_invalid",
        )
    return value


def judicial_due(effective_on: date) -> datetime:
    """司法确认 within 30 days of the agreement taking effect (People's Mediation Law art. 33): until the end of
    the JUDICIAL_CONFIRMATION_DAYS-th day after the effective date, local time."""
    return perform_by_due(effective_on + timedelta(days=settings.JUDICIAL_CONFIRMATION_DAYS))


def outcome_apply(
    *,
    case: Dispute,
    outcome: str,
    data: dict[str, Any],
    now: datetime,
    event_data: dict[str, Any],
    actor: Actor | None = None,
) -> None:
    """The outcome's own effects, inside the report-back's transaction (the report_back effect calls it).

    - agreement: the case must have an agreement. Its current version, if not
      signed yet, is signed now (data["signed_on"] / data["effective_on"], both
      today unless given); it is frozen (by the report-back, unless printed or
      signed before). Opens the judicial-confirmation window (司法确认, until the
      end of the `JUDICIAL_CONFIRMATION_DAYS`-th day after the effective date)
      and, when the agreement has a date, the PERFORMANCE deadline at the end of
      that day. The window is the parties' (they apply to the court together),
      not a task of the handler, so the sweeper's reminder ladder does not run on
      it (`escalate_at` is empty); the page shows the time left.
    - oral_agreement (口头调解协议, People's Mediation Law art. 28): no written agreement; what the parties
      agreed is required, as the report-back's remarks (data["remarks"], the transition's reason, kept on
      its event), and copied into the event's data ("oral_terms") so the record says what it was.
    - litigation / police: the court's case number or the police's reference is
      required and stored in `referral_reference`.
    Deadlines of an earlier agreement (a reopened case reported again) have made way
    for the new outcome's already: the report-back's row of `disputes.rules.effects`
    cancels them first.
    """
    case.referral_reference = ""
    if outcome == Outcome.AGREEMENT:
        actor = actor or Actor.system()
        agreement = Agreement.objects.select_for_update().filter(dispute=case).first()
        if agreement is None:
            raise ApplicationError(
                _("Draft the mediation agreement before reporting back an agreement."), code="agreement_required"
            )
        version = _version_row(agreement, user=actor.user)
        if version.signed_on is None:
            today = timezone.localdate(now)
            _sign(
                case,
                actor,
                agreement,
                version,
                signed_on=data.get("signed_on") or today,
                effective_on=data.get("effective_on") or None,
                by=AgreementVersion.FrozenBy.REPORTED,
                now=now,
            )
        else:
            _freeze(case, actor, version, by=AgreementVersion.FrozenBy.REPORTED, now=now)
        effective_on = version.effective_on or timezone.localdate(now)
        Deadline.objects.create(
            dispute=case,
            kind=DeadlineKind.JUDICIAL_CONFIRMATION,
            due_at=judicial_due(effective_on),
            escalate_at=None,
        )
        if agreement.perform_by is not None and agreement.performance == Agreement.Performance.PENDING:
            deadline_open(dispute=case, kind=DeadlineKind.PERFORMANCE, due_at=perform_by_due(agreement.perform_by))
        event_data["agreement"] = agreement.pk
        event_data["agreement_version"] = version.version
    elif outcome == Outcome.ORAL_AGREEMENT:
        terms = (data.get("remarks") or "").strip()
        if not terms:
            raise ApplicationError(
                _("Write down what the parties agreed orally: it is the record of the oral agreement."),
                code="oral_terms_required",
                extra={"field": "reason"},
            )
        event_data["oral_terms"] = terms[:MAX_TEXT]
    elif outcome in (Outcome.LITIGATION, Outcome.POLICE):
        case.referral_reference = clean_referral_reference(data.get("referral_reference"), outcome=outcome)
        event_data["referral_reference"] = case.referral_reference
