"""督办单: which supervision orders a staff member may read, their computed state, and who may act on one.

Every list starts from the cases the reader may see (`disputes_visible_to`): an
order is read only on a case its reader may open. The state is computed from the
order's dates (nothing stores it), in the database for lists and filters
(`with_state`) and in Python for one order (`order_state`); both follow `STATES`.
"""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import NotFoundError
from core.types import RequestUser
from disputes.models import DisputeAssist, SupervisionOrder
from disputes.selectors.cases import disputes_visible_to, sees_everything
from disputes.selectors.routing import departments_serving
from grids import roles
from grids.areas import ancestor_paths
from grids.models import Department

ISSUED = "issued"  # 待签收
SIGNED = "signed"  # 已签收待回复
REPLIED = "replied"  # 已回复待办结
CLOSED = "closed"  # 已办结
OVERDUE = "overdue"  # 逾期
ESCALATED = "escalated"  # 已升级

# The states in the order a list offers them, with their labels.
STATES: dict[str, Any] = {
    ISSUED: _("Awaiting signature"),
    SIGNED: _("Signed for, awaiting reply"),
    REPLIED: _("Replied, awaiting closing"),
    OVERDUE: _("Overdue"),
    ESCALATED: _("Raised a level"),
    CLOSED: _("Order closed"),
}
# The mailboxes of the list page and the API: orders a user's office issued, orders addressed to them.
ISSUED_BOX = "issued"
RECEIVED_BOX = "received"
BOXES = (ISSUED_BOX, RECEIVED_BOX)
# Who issues orders and so has an "issued" box.
ISSUER_ROLES = frozenset({roles.SUPERVISOR, roles.ADMIN})

ORDER_RELATIONS = ("dispute__category", "issuing_area", "to_department", "to_user__staff", "issued_by__staff")


def _open() -> Q:
    return Q(closed_at__isnull=True, escalated_at__isnull=True)


def _late(now: datetime) -> Q:
    return Q(signed_at__isnull=True, sign_due_at__lt=now) | Q(reply_due_at__lt=now)


def state_filter(state: str, now: datetime) -> Q:
    """The orders in one state (`STATES`), as a condition: the same precedence as `order_state`."""
    if state == CLOSED:
        return Q(closed_at__isnull=False)
    if state == ESCALATED:
        return Q(closed_at__isnull=True, escalated_at__isnull=False)
    if state == REPLIED:
        return _open() & Q(replied_at__isnull=False)
    waiting = _open() & Q(replied_at__isnull=True)
    if state == OVERDUE:
        return waiting & _late(now)
    if state == SIGNED:
        return waiting & Q(signed_at__isnull=False) & ~_late(now)
    if state == ISSUED:
        return waiting & Q(signed_at__isnull=True) & ~_late(now)
    raise ValueError(state)


def order_state(order: SupervisionOrder, now: datetime | None = None) -> str:
    """办结 > 升级 > 已回复 > 逾期 > 已签收 > 待签收: the state lists show and filter by."""
    now = now or timezone.now()
    if order.closed_at is not None:
        return CLOSED
    if order.escalated_at is not None:
        return ESCALATED
    if order.replied_at is not None:
        return REPLIED
    if (order.signed_at is None and order.sign_due_at < now) or order.reply_due_at < now:
        return OVERDUE
    return SIGNED if order.signed_at is not None else ISSUED


def with_state(rows: QuerySet[SupervisionOrder], now: datetime | None = None) -> QuerySet[SupervisionOrder]:
    """The rows with `state_rank` (their state's place in `STATES`) computed by the database."""
    now = now or timezone.now()
    ranks = list(STATES)
    return rows.annotate(
        state_rank=Case(
            *[When(state_filter(state, now), then=Value(ranks.index(state))) for state in ranks],
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def orders_visible_to(user: RequestUser | None) -> QuerySet[SupervisionOrder]:
    """The orders on the cases `user` may see."""
    if sees_everything(user):
        return SupervisionOrder.objects.all()
    return SupervisionOrder.objects.filter(dispute__in=disputes_visible_to(user))


def order_get_for(user: RequestUser | None, pk: Any, *, lock: bool = False) -> SupervisionOrder:
    """One order the user may read (`lock`: SELECT … FOR UPDATE); NotFoundError otherwise, as for a missing one.

    `user` None is the platform (the sweep), which reads every order.
    """
    try:
        key = int(pk.pk if isinstance(pk, SupervisionOrder) else pk)
    except (TypeError, ValueError):
        raise NotFoundError(_("Supervision order not found.")) from None
    rows = SupervisionOrder.objects.all() if user is None else orders_visible_to(user)
    if lock:
        # The visibility check, then the row alone locked (not the case's, which the caller locked first).
        if not rows.filter(pk=key).exists():
            raise NotFoundError(_("Supervision order not found."))
        rows = SupervisionOrder.objects.select_for_update()
    else:
        rows = rows.select_related(*ORDER_RELATIONS)
    found = rows.filter(pk=key).first()
    if found is None:
        raise NotFoundError(_("Supervision order not found."))
    return found


def orders_on_case(user: RequestUser | None, case: Any, *, open_only: bool = False) -> list[SupervisionOrder]:
    """The case's orders as the case page lists them (the case was read through `dispute_get_for`), newest first."""
    rows = orders_visible_to(user).filter(dispute=case)
    if open_only:
        rows = rows.filter(closed_at__isnull=True)
    return list(rows.select_related(*ORDER_RELATIONS).order_by("-issued_at", "-pk"))


def issued_by_office(user: RequestUser | None) -> Q | None:
    """The orders of the user's "issued" box: those they issued and those of their area's office (the ladder's
    automatic orders too); None (every order) for an administrator."""
    if sees_everything(user):
        return None
    profile = roles.staff_profile(user)
    if user is None or profile is None or profile.role not in ISSUER_ROLES:
        return Q(pk__in=[])
    return Q(issued_by=user) | Q(issuing_area_id=profile.area_id)


def addressed_to(user: RequestUser | None) -> Q:
    """The orders addressed to the user, or to their department."""
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    profile = roles.staff_profile(user)
    found = Q(to_user=user)
    if profile is not None and profile.department_id:
        found |= Q(to_department_id=profile.department_id)
    return found


def orders_issued(
    user: RequestUser | None, *, state: str = "", now: datetime | None = None
) -> QuerySet[SupervisionOrder]:
    """督办单 the user's office issued (their "issued" box), newest first, each with `state_rank`."""
    now = now or timezone.now()
    rows = orders_visible_to(user)
    box = issued_by_office(user)
    if box is not None:
        rows = rows.filter(box)
    if state:
        rows = rows.filter(state_filter(state, now))
    return with_state(rows, now).select_related(*ORDER_RELATIONS).order_by("-issued_at", "-pk")


def orders_received(
    user: RequestUser | None, *, state: str = "", now: datetime | None = None
) -> QuerySet[SupervisionOrder]:
    """督办单 addressed to the user or their department: those awaiting signature or a reply first
    (the nearest deadline first), then the rest, newest first; each with `state_rank`."""
    now = now or timezone.now()
    rows = orders_visible_to(user).filter(addressed_to(user))
    if state:
        rows = rows.filter(state_filter(state, now))
    waiting = _open() & Q(replied_at__isnull=True)
    return (
        with_state(rows, now)
        .annotate(waiting=Case(When(waiting, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .select_related(*ORDER_RELATIONS)
        .order_by("waiting", "escalate_at", "-issued_at", "-pk")
    )


def orders_for_box(
    user: RequestUser | None, box: str, *, state: str = "", now: datetime | None = None
) -> QuerySet[SupervisionOrder]:
    return (
        orders_received(user, state=state, now=now)
        if box == RECEIVED_BOX
        else orders_issued(user, state=state, now=now)
    )


def default_box(user: RequestUser | None) -> str:
    """Supervisors and administrators open on the orders they issued; everyone else on the orders to them."""
    return ISSUED_BOX if sees_everything(user) or roles.role_of(user) in ISSUER_ROLES else RECEIVED_BOX


def state_of_rank(rank: int) -> str:
    return list(STATES)[rank]


# --- Who may act on an order (the services check the same) ---------------------------------------------


def is_order_recipient(user: RequestUser | None, order: SupervisionOrder) -> bool:
    """签收 and 办理情况: the person it is addressed to, a staff member of the department it is addressed to,
    or an administrator."""
    if user is None or not user.is_authenticated:
        return False
    if sees_everything(user):
        return True
    if order.to_user_id is not None:
        return bool(order.to_user_id == user.pk)
    profile = roles.staff_profile(user)
    return bool(profile is not None and order.to_department_id and profile.department_id == order.to_department_id)


def may_close_order(user: RequestUser | None, order: SupervisionOrder) -> bool:
    """办结 or send back: the issuer, a supervisor of the issuing office or of an area above it, an administrator."""
    if user is None or not user.is_authenticated:
        return False
    if sees_everything(user):
        return True
    if order.issued_by_id is not None and order.issued_by_id == user.pk:
        return True
    profile = roles.staff_profile(user)
    return bool(
        profile is not None
        and profile.role == roles.SUPERVISOR
        and order.issuing_area.path.startswith(profile.area.path)
    )


# --- To whom an order on a case may be addressed -----------------------------------------------------------


def recipient_departments(case: Any) -> QuerySet[Department]:
    """Departments an order on this case may go to: active ones serving its place (`departments_serving`) whose
    staff can open the case: a department of one of its areas up the tree, or its lead or an assisting one."""
    own = Q(area__path__in=ancestor_paths(case.area_path)) | Q(
        pk__in=DisputeAssist.objects.filter(dispute=case).values("department_id")
    )
    if case.lead_department_id:
        own |= Q(pk=case.lead_department_id)
    return departments_serving(case.area_path).filter(own)


def recipient_people(case: Any) -> QuerySet[Any]:
    """The people the case page offers as an order's addressee: its mediator and the staff of its lead and
    assisting departments (the service takes anyone else who may see the case too)."""
    departments = list(DisputeAssist.objects.filter(dispute=case).values_list("department_id", flat=True))
    if case.lead_department_id:
        departments.append(case.lead_department_id)
    who = Q(staff__department_id__in=departments)
    if case.assigned_mediator_id:
        who |= Q(pk=case.assigned_mediator_id)
    return (
        get_user_model()
        .objects.filter(who, is_active=True, staff__isnull=False)
        .select_related("staff")
        .order_by("staff__department_id", "pk")[:50]
    )
