"""包案: the named leader who answers for a serious case (包案领导), and the notices that ask for one.

A supervisor (or an administrator) whose area covers a case names its leader: an
active staff member whose own area is the case's or one above it (typically a
township's or district's leader). The leader is told in their inbox, sees the
case wherever it is (`disputes_visible_to`) and has it in their queue (我包案的).
Every red case should have one: when a case becomes red without a leader, the
supervisors of its area are asked to name one (`leader_needed_notices`).
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, QuerySet, When
from django.utils import translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, PermissionDeniedError
from core.models import Notification
from core.notifications import notify_staff, notify_staff_many
from core.staff_names import person_name
from disputes.models import Dispute
from disputes.rules.enums import FINAL_STATUSES, Colour, EventKind
from disputes.services.casefile import DisputeRef, case_link, event_record, lock_visible, refuse_if_finished
from grids import roles
from grids.areas import ancestor_paths

# Who names a case's leader: the supervisors whose area covers it, and administrators.
LEADER_ROLES = frozenset({roles.SUPERVISOR, roles.ADMIN})
MAX_REASON = 2000
# How many supervisors of one level are asked to name a leader for a red case.
MAX_ASKED = 20


def leader_name(user: Any) -> str:
    """A staff member's name (core.staff_names.person_name)."""
    return person_name(user)


def leader_candidates(case: Dispute) -> QuerySet[Any]:
    """Who may lead this case: active staff whose area is the case's area or above it; the nearest level
    first, and in each its supervisors (the usual 包案领导) and department heads before the others."""
    usual = Case(When(staff__role=roles.SUPERVISOR, then=0), When(staff__is_head=True, then=1), default=2)
    return (
        get_user_model()
        .objects.filter(is_active=True, staff__area__path__in=ancestor_paths(case.area_path))
        .select_related("staff", "staff__area")
        .order_by("-staff__area__depth", usual, "staff__display_name", "pk")
    )


def covers(actor: Actor, case: Dispute) -> bool:
    """An administrator covers every case; a supervisor the cases in their area and below."""
    if actor.role == roles.ADMIN:
        return True
    profile = roles.staff_profile(actor.user)
    return profile is not None and profile.role == roles.SUPERVISOR and case.area_path.startswith(profile.area.path)


def check_leader_setter(case: Dispute, actor: Actor) -> None:
    """The rule of who may name a leader (the case page's action row asks the same)."""
    if actor.role not in LEADER_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    if not covers(actor, case):
        raise PermissionDeniedError(
            _("Only a supervisor whose area covers the case may name its leader."), code="not_your_area"
        )
    refuse_if_finished(case)


def leader_set(*, dispute: DisputeRef, actor: Actor, leader: Any, reason: str = "") -> Dispute:
    """包案: name `leader` (a user, or a user's id) the case's leader in charge; replacing one needs a reason."""
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ApplicationError(
            _("The reason is too long (at most %(max)d characters).") % {"max": MAX_REASON},
            code="reason_too_long",
            extra={"field": "reason"},
        )
    if actor.role not in LEADER_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_leader_setter(case, actor)
        pk = getattr(leader, "pk", leader)
        chosen = leader_candidates(case).filter(pk=pk).first() if isinstance(pk, int) else None
        if chosen is None:
            raise ApplicationError(
                _("The leader must be an active staff member of the case's area or of an area above it."),
                code="leader_not_eligible",
                extra={"field": "leader"},
            )
        previous = case.leader
        if previous is not None and previous.pk == chosen.pk:
            raise ApplicationError(
                _("This person already leads the case."), code="leader_unchanged", extra={"field": "leader"}
            )
        if previous is not None and not reason:
            raise ApplicationError(
                _("Please give a reason for replacing the leader."), code="reason_required", extra={"field": "reason"}
            )
        case.leader = chosen
        case.save(update_fields=["leader", "updated_at"])
        event_record(
            case,
            actor,
            EventKind.LEADER_SET,
            reason=reason,
            data={
                "from": previous.pk if previous is not None else None,
                "from_name": leader_name(previous),
                "to": chosen.pk,
                "to_name": leader_name(chosen),
            },
        )
        with translation.override(settings.LANGUAGE_CODE):
            body = _("You have been named the leader in charge of case %(number)s: it is in your queue.") % {
                "number": case.tracking_number_display
            }
        notify_staff(user=chosen, kind="leader_set", body=body, dispute_id=case.pk, link=case_link(case))
    return case


# --- 红单待指定包案领导: asking for a leader ------------------------------------------------------------


def needs_leader(case: Dispute) -> bool:
    """A red case, still open, that nobody leads."""
    return case.colour == Colour.RED and case.leader_id is None and case.status not in FINAL_STATUSES


def leader_needed_notices(cases: Iterable[Dispute]) -> list[Notification]:
    """Unsaved inbox items (kind "leader_needed") to the supervisors of each red case without a leader.

    For each case the supervisors of the nearest level above it that has any (its
    township, else its district, …), read in one query for the whole batch. The
    caller saves them inside its transaction (`notify_staff_many`), e.g. the
    escalation sweep after raising colours, or `leader_needed_notify`.
    """
    waiting = [case for case in cases if needs_leader(case)]
    if not waiting:
        return []
    paths = {path for case in waiting for path in ancestor_paths(case.area_path)}
    by_path: dict[str, list[Any]] = {}
    supervisors = (
        get_user_model()
        .objects.filter(is_active=True, staff__role=roles.SUPERVISOR, staff__area__path__in=sorted(paths))
        .select_related("staff__area")
        .order_by("pk")
    )
    for user in supervisors:
        by_path.setdefault(user.staff.area.path, []).append(user)
    messages: list[Notification] = []
    with translation.override(settings.LANGUAGE_CODE):
        for case in waiting:
            asked = next((by_path[p] for p in ancestor_paths(case.area_path) if p in by_path), [])
            body = _("Red case %(number)s has no leader in charge: please name one.") % {
                "number": case.tracking_number_display
            }
            messages += [
                Notification(
                    channel=Notification.Channel.STAFF,
                    recipient_user=user,
                    kind="leader_needed",
                    body=body,
                    dispute_id=case.pk,
                    link=case_link(case),
                )
                for user in asked[:MAX_ASKED]
            ]
    return messages


def leader_needed_notify(cases: Iterable[Dispute]) -> int:
    """`leader_needed_notices` saved (inside the caller's transaction; delivery on commit). Returns how many."""
    messages = leader_needed_notices(cases)
    notify_staff_many(messages)
    return len(messages)
