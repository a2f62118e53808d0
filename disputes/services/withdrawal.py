"""撤回: a case is withdrawn only at the applicant's request, approved by a supervisor.

The applicant asks (by phone, in person or in writing, recorded by staff who may
see the case; or themselves from the tracking page), the request waits for a
supervisor of the case's area, who approves it (the case is withdrawn through
`dispute_transition`, the one door, which refuses `withdraw` without an approved
request) or refuses it with remarks. Withdrawn cases leave the resolution rate,
so a department must not be able to make a hard case vanish on its own word.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from core.notifications import notify_staff
from disputes.models import Dispute, WithdrawalRequest
from disputes.rules import lifecycle
from disputes.rules.enums import EventKind, WithdrawalVia
from disputes.services.casefile import (
    DisputeRef,
    case_link,
    check_handler,
    event_record,
    lock_visible,
    notify_applicants,
)
from disputes.services.transitions import dispute_transition
from grids import roles

MAX_REASON = 2000
# Who records the applicant's request: those who may see the case and work or dispatch it.
RECORD_ROLES = frozenset({roles.MEDIATOR, roles.DEPARTMENT_STAFF, roles.DISPATCHER, roles.SUPERVISOR, roles.ADMIN})
DECIDE_ROLES = frozenset({roles.SUPERVISOR, roles.ADMIN})
# How staff record it; the resident's own request from the tracking page is `sms_link`.
STAFF_VIA = frozenset({WithdrawalVia.PHONE, WithdrawalVia.IN_PERSON, WithdrawalVia.WRITING})
# The states a case may be withdrawn from: the lifecycle table's.
OPEN_STATES = lifecycle.TRANSITIONS["withdraw"].sources
MAX_SUPERVISORS = 20

RequestRef = WithdrawalRequest | int


def check_withdrawal_recorder(case: Dispute, actor: Actor) -> None:
    """Staff who record an applicant's request: handlers of the case, its area's dispatchers and supervisors,
    administrators; or the applicant themselves (a resident proven by tracking number and phone)."""
    if actor.role == roles.RESIDENT:
        return
    if not actor.is_staff_member or actor.role not in RECORD_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    check_handler(case, actor, "withdrawal_request")


def check_withdrawal_decider(case: Dispute, actor: Actor) -> None:
    """A supervisor whose area covers the case, or an administrator."""
    if not actor.is_staff_member or actor.role not in DECIDE_ROLES:
        raise PermissionDeniedError(
            _("Only a supervisor of the case's area may approve or refuse a withdrawal."), code="wrong_role"
        )
    if actor.role == roles.SUPERVISOR:
        profile = roles.staff_profile(actor.user)
        if profile is None or not case.area_path.startswith(profile.area.path):
            raise PermissionDeniedError(
                _("Only a supervisor of the case's area may approve or refuse a withdrawal."), code="not_in_area"
            )


def withdrawal_pending(case: Dispute) -> WithdrawalRequest | None:
    """The request of this case awaiting a supervisor, if any."""
    return (
        WithdrawalRequest.objects.filter(dispute=case, state=WithdrawalRequest.State.PENDING)
        .select_related("recorded_by__staff")
        .first()
    )


def withdrawal_request(*, dispute: DisputeRef, actor: Actor, via: str, reason: str) -> WithdrawalRequest:
    """Record the applicant's request to withdraw an open case; the area's supervisors are told."""
    reason = (reason or "").strip()
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_withdrawal_recorder(case, actor)
        if case.status not in OPEN_STATES:
            raise ApplicationError(
                _("A withdrawal can only be requested while the case is open (now: “%(status)s”).")
                % {"status": case.get_status_display()},
                code="wrong_state",
            )
        allowed = {WithdrawalVia.SMS_LINK} if actor.role == roles.RESIDENT else STAFF_VIA
        if via not in allowed:
            raise ApplicationError(
                _("Say how the applicant asked to withdraw."), code="via_required", extra={"field": "via"}
            )
        if not reason:
            raise ApplicationError(
                _("Please give the applicant's reason for withdrawing."),
                code="reason_required",
                extra={"field": "reason"},
            )
        if len(reason) > MAX_REASON:
            raise ApplicationError(
                _("The reason is too long (at most %(max)s characters).") % {"max": MAX_REASON},
                code="reason_too_long",
                extra={"field": "reason"},
            )
        if WithdrawalRequest.objects.filter(dispute=case, state=WithdrawalRequest.State.PENDING).exists():
            raise ConflictError(
                _("A request to withdraw this case already awaits the supervisor's decision."),
                code="withdrawal_pending",
            )
        now = timezone.now()
        request = WithdrawalRequest.objects.create(
            dispute=case,
            via=via,
            reason=reason,
            recorded_by=actor.user if actor.is_staff_member else None,
            requested_at=now,
            area_path=case.area_path,
        )
        event_record(
            case,
            actor,
            EventKind.WITHDRAWAL_REQUESTED,
            reason=reason,
            data={"withdrawal_request": request.pk, "via": via},
            now=now,
            public=True,
        )
        with translation.override(settings.LANGUAGE_CODE):
            body = _("Case %(number)s: the applicant asks to withdraw it (%(via)s). Please approve or refuse.") % {
                "number": case.tracking_number_display,
                "via": WithdrawalVia(via).label,
            }
        link = case_link(case)
        for user in roles.nearest_supervisors(case.area_path, limit=MAX_SUPERVISORS):
            notify_staff(user=user, kind="withdrawal_requested", body=body, dispute_id=case.pk, link=link)
    return request


def withdrawal_decide(*, request: RequestRef, actor: Actor, approve: bool, remarks: str = "") -> WithdrawalRequest:
    """A supervisor approves (the case is withdrawn) or refuses (remarks required) a pending request."""
    remarks = (remarks or "").strip()
    pk = request.pk if isinstance(request, WithdrawalRequest) else request
    dispute_id = WithdrawalRequest.objects.filter(pk=pk).values_list("dispute_id", flat=True).first()
    if dispute_id is None:
        raise NotFoundError(_("Withdrawal request not found."))
    with transaction.atomic():
        # The case first, as every write to it does, then the request.
        case = lock_visible(dispute_id, actor)
        check_withdrawal_decider(case, actor)
        locked = WithdrawalRequest.objects.select_for_update().get(pk=pk)
        if locked.state != WithdrawalRequest.State.PENDING:
            raise ConflictError(_("This withdrawal request has already been decided."), code="withdrawal_decided")
        if not approve and not remarks:
            raise ApplicationError(
                _("Please say why the withdrawal is refused."), code="remarks_required", extra={"field": "remarks"}
            )
        if len(remarks) > MAX_REASON:
            raise ApplicationError(
                _("The remarks are too long (at most %(max)s characters).") % {"max": MAX_REASON},
                code="remarks_too_long",
                extra={"field": "remarks"},
            )
        now = timezone.now()
        locked.state = WithdrawalRequest.State.APPROVED if approve else WithdrawalRequest.State.REFUSED
        locked.decided_by = actor.user
        locked.decided_at = now
        locked.decision_remarks = remarks
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_remarks"])
        event_record(
            case,
            actor,
            EventKind.WITHDRAWAL_DECIDED,
            reason=remarks,
            data={"withdrawal_request": locked.pk, "approved": approve},
            now=now,
            # The resident sees a refusal on the tracking page; an approval shows as the withdrawal itself.
            public=not approve,
        )
        number = case.tracking_number_display
        if approve:
            case = dispute_transition(
                dispute=case,
                action="withdraw",
                actor=actor,
                reason=locked.reason,
                data={"withdrawal_request": locked},
            )
        _notify_decision(case, locked, actor, approve)
        if approve:
            notify_applicants(
                case,
                kind="withdrawal_approved",
                message=lambda: (
                    _("Your request to withdraw case %(number)s has been approved: the case is closed.")
                    % {"number": number}
                ),
            )
        else:
            notify_applicants(
                case,
                kind="withdrawal_refused",
                message=lambda: (
                    _(
                        "Your request to withdraw case %(number)s was not approved: the case continues. "
                        "The centre will contact you."
                    )
                    % {"number": number}
                ),
            )
    return locked


def withdrawal_decide_pending(
    *, dispute: DisputeRef, actor: Actor, approve: bool, remarks: str = ""
) -> WithdrawalRequest:
    """Decide the case's pending request (the case page and the API name the case, not the request)."""
    case_pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    pending = (
        WithdrawalRequest.objects.filter(dispute_id=case_pk, state=WithdrawalRequest.State.PENDING)
        .values_list("pk", flat=True)
        .first()
    )
    if pending is None:
        with transaction.atomic():
            # The same answer as elsewhere for a case the actor may not see.
            lock_visible(case_pk, actor)
        raise ConflictError(
            _("There is no request to withdraw this case awaiting a decision."), code="no_pending_withdrawal"
        )
    return withdrawal_decide(request=pending, actor=actor, approve=approve, remarks=remarks)


def _notify_decision(case: Dispute, request: WithdrawalRequest, actor: Actor, approve: bool) -> None:
    """Whoever recorded the request and the case's mediator are told (not the decider)."""
    recipients = {}
    for user in (request.recorded_by, case.assigned_mediator):
        if user is not None and user.is_active and user.pk != getattr(actor.user, "pk", None):
            recipients[user.pk] = user
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        if approve:
            body = _("Case %(number)s: the withdrawal was approved and the case is withdrawn.")
        else:
            body = _("Case %(number)s: the withdrawal was refused; the case continues.")
        body %= {"number": case.tracking_number_display}
    link = case_link(case)
    for user in recipients.values():
        notify_staff(user=user, kind="withdrawal_decided", body=body, dispute_id=case.pk, link=link)
