"""督办: supervision orders on a case (督办单), issued by a supervisor or by the escalation ladder.

An order is created in the same transaction as the event that causes it, with
its number (机关代字〔2026〕12号, unique per issuing office and year) and the
recipients' inbox items (`orders_issue`). A supervisor issues one from the case
(`order_issue`); the recipient signs for it (签收, `order_sign`) and reports what
was done (办理情况, `order_reply`); the issuing office closes it (办结) or sends it
back for more (`order_close`). An order not signed for or not answered in time is
raised to the office one level up the area tree by the sweep (`orders_sweep`): a
new order from that office to the same recipient, in the same transaction as the
ORDER_ESCALATED event, from durable rows (`escalate_at`), so a worker or broker
outage delays it and never loses it. Who may sign, reply or close is read in
`disputes.selectors.supervision` (the pages offer what the services accept).

Every write locks the case first, then the order (the order the transition services lock in).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.actors import Actor
from core.documents import document_number_text, document_numbers_next
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from core.models import Notification
from core.notifications import notify_staff_many
from disputes.models import CaseEvent, Dispute, SupervisionOrder
from disputes.rules.enums import FINAL_STATUSES, EventKind
from disputes.selectors import disputes_visible_to
from disputes.selectors import supervision as order_rules
from disputes.services.casefile import event_new, lock_visible
from grids import roles
from grids.models import Area, Department

DOCUMENT_KIND = "supervision_order"
# The code an office without a 机关代字 prints: its name's first two characters and 督.
FALLBACK_SUFFIX = "督"


@dataclass(frozen=True)
class OrderSpec:
    """One order to issue: on which case, from which office, to whom, why."""

    case: Dispute
    issuing_area: Area
    reason: str
    to_department: Department | None = None
    to_user: Any = None
    requirements: str = ""
    raised_from: SupervisionOrder | None = None


def office_code(area: Area) -> str:
    """The issuing office's 机关代字: the area's own, or one made from its name."""
    return area.doc_code or f"{area.name[:2]}{FALLBACK_SUFFIX}"


def order_url(order: SupervisionOrder) -> str:
    """The order's page (an inbox item leads there)."""
    return reverse("disputes:order", kwargs={"pk": order.pk})


def order_recipients(order: SupervisionOrder, cache: dict[int, list[Any]] | None = None) -> list[Any]:
    """Who is told of an order: the person it is addressed to, else the department's head(s), else its staff.

    `cache` keeps a department's answer across the orders of one batch (a sweep addresses many to one department).
    """
    if order.to_user_id is not None:
        return [order.to_user]
    if order.to_department_id is None:
        return []
    if cache is not None and order.to_department_id in cache:
        return cache[order.to_department_id]
    users = get_user_model().objects.filter(is_active=True, staff__department_id=order.to_department_id)
    heads = list(users.filter(staff__is_head=True).order_by("pk")[:20])
    found = heads or list(users.order_by("pk")[:20])
    if cache is not None:
        cache[order.to_department_id] = found
    return found


def orders_issue(
    *,
    specs: list[OrderSpec],
    actor: Actor,
    now: datetime | None = None,
    sign_within: timedelta | None = None,
    reply_within: timedelta | None = None,
) -> list[SupervisionOrder]:
    """Issue these orders inside the caller's transaction (the cases are locked by the caller).

    Numbers are taken per issuing office in one counter update each; the
    orders, their ORDER_ISSUED events and the recipients' inbox items are
    written with one statement each. `actor` is the supervisor, or the
    system for the escalation ladder (the orders are then marked automatic).
    """
    if not specs:
        return []
    now = now or timezone.now()
    sign_within = sign_within or timedelta(hours=settings.SUPERVISION_SIGN_WITHIN_HOURS)
    reply_within = reply_within or timedelta(days=settings.SUPERVISION_REPLY_WITHIN_DAYS)
    year = timezone.localtime(now).year
    by_office: dict[int, list[OrderSpec]] = {}
    for spec in specs:
        by_office.setdefault(spec.issuing_area.pk, []).append(spec)
    orders: list[SupervisionOrder] = []
    for office_specs in by_office.values():
        area = office_specs[0].issuing_area
        numbers = document_numbers_next(
            issuer=f"area:{area.pk}", kind=DOCUMENT_KIND, year=year, count=len(office_specs)
        )
        code = office_code(area)
        for spec, number in zip(office_specs, numbers, strict=True):
            orders.append(
                SupervisionOrder(
                    dispute=spec.case,
                    issuing_area=area,
                    year=year,
                    number=number,
                    document_number=document_number_text(code=code, year=year, number=number),
                    issued_by=actor.user,
                    is_automatic=actor.user is None,
                    issued_at=now,
                    to_department=spec.to_department,
                    to_user=spec.to_user,
                    reason=spec.reason,
                    requirements=spec.requirements,
                    sign_due_at=now + sign_within,
                    reply_due_at=now + reply_within,
                    escalate_at=now + sign_within,
                    raised_from=spec.raised_from,
                )
            )
    SupervisionOrder.objects.bulk_create(orders)
    if orders[0].pk is None:  # a backend that returns no ids from a bulk insert
        for order in orders:
            order.pk = SupervisionOrder.objects.get(
                issuing_area=order.issuing_area, year=order.year, number=order.number
            ).pk
    events: list[CaseEvent] = []
    messages: list[Notification] = []
    told: dict[int, list[Any]] = {}
    for order in orders:
        events.append(
            event_new(
                order.dispute,
                actor,
                EventKind.ORDER_ISSUED,
                now=now,
                reason=order.reason,
                data={
                    "order": order.pk,
                    "number": order.document_number,
                    "to_department": order.to_department_id,
                    "to_user": order.to_user_id,
                    "reply_due_at": order.reply_due_at.isoformat(),
                    "automatic": order.is_automatic,
                    "raised_from": order.raised_from_id,
                },
            )
        )
        text = order_notice_text(order)
        link = order_url(order)
        messages += [
            Notification(
                channel=Notification.Channel.STAFF,
                recipient_user=user,
                kind="supervision_order",
                body=text,
                dispute_id=order.dispute_id,
                link=link,
            )
            for user in order_recipients(order, told)
        ]
    CaseEvent.objects.bulk_create(events)
    notify_staff_many(messages)
    return orders


def order_notice_text(order: SupervisionOrder) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Supervision order %(number)s on case %(case)s: sign for it by %(sign)s and reply by %(reply)s.") % {
            "number": order.document_number,
            "case": order.dispute.tracking_number_display,
            "sign": timezone.localtime(order.sign_due_at).strftime("%Y-%m-%d %H:%M"),
            "reply": timezone.localtime(order.reply_due_at).strftime("%Y-%m-%d %H:%M"),
        }


# --- A supervisor's order, and the recipient's and the issuer's steps -----------------------------------

ISSUE_ROLES = frozenset({roles.SUPERVISOR, roles.ADMIN})
MAX_TEXT = 5000
MAX_REPLY_DAYS = 60


def _user_model() -> Any:
    return get_user_model()


def _issuing_area(actor: Actor, case: Dispute) -> Area:
    """The office that issues a supervisor's order: their own area's (an administrator without a profile: the
    top of the case's tree)."""
    profile = roles.staff_profile(actor.user)
    if profile is not None:
        return profile.area
    return Area.objects.get(path=case.area_path[: Area.steplen])


def _clean_text(value: str, *, code: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ApplicationError(message, code=code, extra={"field": code.removesuffix("_required")})
    if len(text) > MAX_TEXT:
        raise ApplicationError(
            _("Write at most %(count)d characters.") % {"count": MAX_TEXT},
            code="text_too_long",
            extra={"field": code.removesuffix("_required")},
        )
    return text


def _recipient_invalid(message: str) -> ApplicationError:
    return ApplicationError(message, code="recipient_invalid", extra={"field": "recipient"})


def _check_recipient(case: Dispute, actor: Actor, to_department: Any, to_user: Any) -> tuple[Any, Any]:
    """Exactly one: a department serving the case's place, or a staff member who may see the case."""
    if (to_department is None) == (to_user is None):
        raise _recipient_invalid(_("Address the order to one department or to one person."))
    if to_department is not None:
        department_pk = to_department.pk if isinstance(to_department, Department) else _int_or_none(to_department)
        department = Department.objects.filter(pk=department_pk).first() if department_pk is not None else None
        if (
            department is None
            or not department.is_active
            or not order_rules.recipient_departments(case).filter(pk=department.pk).exists()
        ):
            raise _recipient_invalid(_("This department does not serve the place of the case or cannot open it."))
        return department, None
    user_pk = _int_or_none(to_user.pk if isinstance(to_user, _user_model()) else to_user)
    user = _user_model().objects.filter(pk=user_pk).first() if user_pk is not None else None
    if (
        user is None
        or not user.is_active
        or roles.staff_profile(user) is None
        or user.pk == actor.user.pk
        or not disputes_visible_to(user).filter(pk=case.pk).exists()
    ):
        raise _recipient_invalid(_("This person cannot receive an order on this case."))
    return None, user


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def order_issue(
    *,
    dispute: Dispute | int,
    actor: Actor,
    to_department: Any = None,
    to_user: Any = None,
    reason: str,
    requirements: str = "",
    reply_within_days: int | None = None,
    now: datetime | None = None,
) -> SupervisionOrder:
    """发督办单: a supervisor (or an administrator) whose area covers the case orders a department serving the
    case's place, or a staff member who may see the case, to sign for it and report what was done.

    The issuing office is the supervisor's own area. Refused on a closed or withdrawn case.
    """
    if actor.role not in ISSUE_ROLES:
        raise PermissionDeniedError(_("Only a supervisor may issue a supervision order."), code="wrong_role")
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        if case.status in FINAL_STATUSES:
            raise ApplicationError(
                _("No supervision order can be issued on a closed or withdrawn case."), code="case_finished"
            )
        reason = _clean_text(reason, code="reason_required", message=_("Say why the order is issued."))
        requirements = (requirements or "").strip()[:MAX_TEXT]
        department, user = _check_recipient(case, actor, to_department, to_user)
        reply_within = None
        if reply_within_days is not None:
            if not 1 <= int(reply_within_days) <= MAX_REPLY_DAYS:
                raise ApplicationError(
                    _("The reply is due within 1 to %(days)d days.") % {"days": MAX_REPLY_DAYS},
                    code="reply_within_invalid",
                    extra={"field": "reply_within_days"},
                )
            reply_within = timedelta(days=int(reply_within_days))
        spec = OrderSpec(
            case=case,
            issuing_area=_issuing_area(actor, case),
            reason=reason,
            to_department=department,
            to_user=user,
            requirements=requirements,
        )
        (order,) = orders_issue(specs=[spec], actor=actor, now=now, reply_within=reply_within)
    return order


def _lock_order(order: SupervisionOrder | int, actor: Actor) -> tuple[Dispute, SupervisionOrder]:
    """The case (locked, if the actor may see it), then the order (locked). NotFoundError otherwise."""
    pk = order.pk if isinstance(order, SupervisionOrder) else order
    # The order's case, read without a lock only to lock it first (the order every service locks in).
    case_id = SupervisionOrder.objects.filter(pk=pk).values_list("dispute_id", flat=True).first()
    reader = actor.user if actor.is_staff_member else None
    if case_id is None:
        order_rules.order_get_for(reader, pk)  # raises the same NotFoundError
    case = lock_visible(case_id or 0, actor)
    locked = order_rules.order_get_for(reader, pk, lock=True)
    return case, locked


def _refuse_if_closed(order: SupervisionOrder) -> None:
    if order.closed_at is not None:
        raise ApplicationError(_("This supervision order has been closed."), code="order_closed")


def _check_recipient_actor(order: SupervisionOrder, actor: Actor) -> None:
    if not order_rules.is_order_recipient(actor.user, order):
        raise PermissionDeniedError(
            _("Only the person or department the order is addressed to may do this."), code="not_recipient"
        )


def _sign(case: Dispute, order: SupervisionOrder, actor: Actor, now: datetime, *, implicit: bool = False) -> CaseEvent:
    late = now > order.sign_due_at
    order.signed_at = now
    order.signed_by = actor.user
    return event_new(
        case,
        actor,
        EventKind.ORDER_SIGNED,
        now=now,
        data={"order": order.pk, "number": order.document_number, "late": late, "implicit": implicit},
    )


def _next_escalation(order: SupervisionOrder) -> datetime | None:
    """When the sweep next looks at an order: its sign-by date until signed, then its reply-by date."""
    if order.closed_at is not None or order.escalated_at is not None or order.replied_at is not None:
        return None
    return order.sign_due_at if order.signed_at is None else order.reply_due_at


def order_sign(*, order: SupervisionOrder | int, actor: Actor, now: datetime | None = None) -> SupervisionOrder:
    """签收: the recipient acknowledges the order, once. A late signature is recorded as late (not refused)."""
    now = now or timezone.now()
    with transaction.atomic():
        case, order = _lock_order(order, actor)
        _check_recipient_actor(order, actor)
        _refuse_if_closed(order)
        if order.signed_at is not None:
            raise ConflictError(_("This supervision order has already been signed for."), code="already_signed")
        _sign(case, order, actor, now).save()
        order.escalate_at = _next_escalation(order)
        order.save(update_fields=["signed_at", "signed_by", "escalate_at"])
    return order


def order_reply(
    *, order: SupervisionOrder | int, actor: Actor, reply: str, now: datetime | None = None
) -> SupervisionOrder:
    """办理情况: the recipient reports what was done (signing for the order first if they had not); the issuer
    (or, for an automatic order, the issuing office's supervisors) is told."""
    now = now or timezone.now()
    with transaction.atomic():
        case, order = _lock_order(order, actor)
        _check_recipient_actor(order, actor)
        _refuse_if_closed(order)
        if order.replied_at is not None:
            raise ConflictError(
                _("This supervision order has already been answered; wait for the issuer."), code="already_replied"
            )
        text = _clean_text(reply, code="reply_required", message=_("Say what was done."))
        events = []
        if order.signed_at is None:
            events.append(_sign(case, order, actor, now, implicit=True))
        order.replied_at = now
        order.replied_by = actor.user
        order.reply = text
        order.escalate_at = None
        events.append(
            event_new(
                case,
                actor,
                EventKind.ORDER_REPLIED,
                now=now,
                reason=text,
                data={"order": order.pk, "number": order.document_number, "late": now > order.reply_due_at},
            )
        )
        CaseEvent.objects.bulk_create(events)
        order.save(update_fields=["signed_at", "signed_by", "replied_at", "replied_by", "reply", "escalate_at"])
        body = _notice(ANSWERED, order)
        notify_staff_many([_message(user, "order_replied", body, order) for user in _issuers_of(order)])
    return order


def order_close(
    *,
    order: SupervisionOrder | int,
    actor: Actor,
    remarks: str = "",
    send_back: bool = False,
    reply_within_days: int | None = None,
    now: datetime | None = None,
) -> SupervisionOrder:
    """办结: the issuer, or a supervisor of the issuing office or above, closes an answered order; or sends it
    back for more (`send_back`, remarks required): the reply is cleared and a new reply date set."""
    now = now or timezone.now()
    with transaction.atomic():
        case, order = _lock_order(order, actor)
        if not order_rules.may_close_order(actor.user, order):
            raise PermissionDeniedError(
                _("Only the office that issued the order may close it or send it back."), code="not_issuer"
            )
        _refuse_if_closed(order)
        if order.replied_at is None:
            raise ApplicationError(
                _("The order has not been answered yet: it can be closed or sent back once it is."),
                code="not_replied",
            )
        data: dict[str, Any] = {"order": order.pk, "number": order.document_number}
        if send_back:
            text = _clean_text(remarks, code="remarks_required", message=_("Say what more is needed."))
            days = int(reply_within_days or settings.SUPERVISION_REPLY_WITHIN_DAYS)
            if not 1 <= days <= MAX_REPLY_DAYS:
                raise ApplicationError(
                    _("The reply is due within 1 to %(days)d days.") % {"days": MAX_REPLY_DAYS},
                    code="reply_within_invalid",
                    extra={"field": "reply_within_days"},
                )
            order.replied_at = None
            order.replied_by = None
            order.reply_due_at = now + timedelta(days=days)
            order.escalate_at = order.reply_due_at if order.escalated_at is None else None
            # The earlier reply stays on the timeline (its ORDER_REPLIED event); this event says why it was sent back.
            event = event_new(
                case,
                actor,
                EventKind.NOTE,
                now=now,
                reason=text,
                data={**data, "sent_back": True, "reply_due_at": order.reply_due_at.isoformat()},
            )
            kind, body = "order_sent_back", _notice(SENT_BACK, order)
            fields = ["replied_at", "replied_by", "reply_due_at", "escalate_at"]
        else:
            text = (remarks or "").strip()[:MAX_TEXT]
            order.closed_at = now
            order.escalate_at = None
            event = event_new(case, actor, EventKind.ORDER_CLOSED, now=now, reason=text, data=data)
            kind, body = "order_closed", _notice(CLOSED, order)
            fields = ["closed_at", "escalate_at"]
        event.save()
        order.save(update_fields=fields)
        notify_staff_many([_message(user, kind, body, order) for user in order_recipients(order)])
    return order


# --- Who is told ------------------------------------------------------------------------------------------


def _supervisors_of(area_ids: list[int]) -> dict[int, list[Any]]:
    """The active supervisors of each of these areas (their office's staff), at most 20 each."""
    found: dict[int, list[Any]] = {pk: [] for pk in area_ids}
    users = (
        _user_model()
        .objects.filter(is_active=True, staff__role=roles.SUPERVISOR, staff__area_id__in=area_ids)
        .select_related("staff")
        .order_by("pk")
    )
    for user in users:
        if len(found[user.staff.area_id]) < 20:
            found[user.staff.area_id].append(user)
    return found


def _issuers_of(order: SupervisionOrder) -> list[Any]:
    """Who hears of a reply: the issuer; for an automatic order (or an issuer who left), the issuing office's
    supervisors."""
    if order.issued_by_id is not None and order.issued_by is not None and order.issued_by.is_active:
        return [order.issued_by]
    return _supervisors_of([order.issuing_area_id])[order.issuing_area_id]


def _message(user: Any, kind: str, body: str, order: SupervisionOrder) -> Notification:
    return Notification(
        channel=Notification.Channel.STAFF,
        recipient_user=user,
        kind=kind,
        body=body,
        dispute_id=order.dispute_id,
        link=order_url(order),
    )


def _notice(text: str, order: SupervisionOrder) -> str:
    """An inbox sentence about an order, in the site's language (no personal data: the numbers only)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(text) % {"number": order.document_number, "case": order.dispute.tracking_number_display}


# The sentences `_notice` translates, marked here for gettext.
ANSWERED = gettext_noop("Supervision order %(number)s on case %(case)s has been answered: close it or send it back.")
SENT_BACK = gettext_noop("Supervision order %(number)s on case %(case)s has been sent back: more is needed.")
CLOSED = gettext_noop("Supervision order %(number)s on case %(case)s has been closed.")
NOT_SIGNED = gettext_noop("Supervision order %(number)s on case %(case)s was not signed for in time.")
NOT_ANSWERED = gettext_noop("Supervision order %(number)s on case %(case)s was not answered in time.")


# --- The sweep: a late order climbs to the office one level up ---------------------------------------------

SIGN = "sign"
REPLY = "reply"


def orders_due(*, now: datetime, limit: int) -> list[int]:
    """Ids of open orders whose sign-by or reply-by date has passed, oldest first (the partial index)."""
    return list(
        SupervisionOrder.objects.filter(
            closed_at__isnull=True, escalated_at__isnull=True, escalate_at__isnull=False, escalate_at__lte=now
        )
        .order_by("escalate_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _raised_reason(order: SupervisionOrder, late: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        if late == SIGN:
            text = _("Order %(number)s was not signed for by %(due)s; it is raised to this office.")
        else:
            text = _("Order %(number)s was not answered by %(due)s; it is raised to this office.")
        due = order.sign_due_at if late == SIGN else order.reply_due_at
        return text % {
            "number": order.document_number,
            "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
        }


def orders_escalate(*, order_ids: list[int], now: datetime) -> dict[int, str]:
    """One batch of due orders, in one transaction: {order id: "raised" or "top"}.

    Locks the cases and then the orders, both with SKIP LOCKED (rows another sweep or a signature holds wait
    for the next sweep), and takes again only those still open, not raised and due: a second sweep, at the same
    time or later, finds nothing left to do (and `raised_from` is unique, so one order is raised at most once).
    Each raised order gets a new order from the issuing office's parent to the same recipient, in one
    `orders_issue`; an order of the city's office (no level above) tells the city's supervisors once.
    """
    system = Actor.system()
    taken: dict[int, str] = {}
    with transaction.atomic():
        case_of = dict(SupervisionOrder.objects.filter(pk__in=order_ids).values_list("pk", "dispute_id"))
        cases = {
            case.pk: case
            for case in Dispute.objects.select_for_update(skip_locked=True)
            .filter(pk__in=set(case_of.values()))
            .order_by("pk")
        }
        orders = list(
            SupervisionOrder.objects.select_for_update(skip_locked=True)
            .filter(
                pk__in=[pk for pk, case_id in case_of.items() if case_id in cases],
                closed_at__isnull=True,
                escalated_at__isnull=True,
                escalate_at__isnull=False,
                escalate_at__lte=now,
            )
            .order_by("pk")
        )
        if not orders:
            return taken
        areas = {a.pk: a for a in Area.objects.filter(pk__in={o.issuing_area_id for o in orders})}
        parents = {
            a.path: a
            for a in Area.objects.filter(path__in={a.path[: -Area.steplen] for a in areas.values() if a.depth > 1})
        }
        departments = Department.objects.in_bulk({o.to_department_id for o in orders if o.to_department_id})
        people = _user_model().objects.in_bulk({o.to_user_id for o in orders if o.to_user_id})
        specs: list[OrderSpec] = []
        events: list[CaseEvent] = []
        top: list[SupervisionOrder] = []
        stopped: list[int] = []
        for order in orders:
            case = cases[order.dispute_id]
            order.dispute = case
            if case.status in FINAL_STATUSES:
                # A closed or withdrawn case: nothing more to chase; the order stays as it was.
                stopped.append(order.pk)
                taken[order.pk] = "stopped"
                continue
            area = areas[order.issuing_area_id]
            late = SIGN if order.signed_at is None else REPLY
            parent = parents.get(area.path[: -Area.steplen]) if area.depth > 1 else None
            data = {"order": order.pk, "number": order.document_number, "late": late}
            if parent is None:
                top.append(order)
                events.append(event_new(case, system, EventKind.ORDER_ESCALATED, now=now, data={**data, "top": True}))
                taken[order.pk] = "top"
                continue
            specs.append(
                OrderSpec(
                    case=case,
                    issuing_area=parent,
                    reason=_raised_reason(order, late),
                    to_department=departments.get(order.to_department_id or 0),
                    to_user=people.get(order.to_user_id or 0),
                    requirements=order.requirements,
                    raised_from=order,
                )
            )
            events.append(
                event_new(case, system, EventKind.ORDER_ESCALATED, now=now, data={**data, "to_area": parent.pk})
            )
            taken[order.pk] = "raised"
        raised = [spec.raised_from.pk for spec in specs if spec.raised_from is not None]
        if raised:
            SupervisionOrder.objects.filter(pk__in=raised).update(escalated_at=now, escalate_at=None)
        if top or stopped:
            SupervisionOrder.objects.filter(pk__in=[o.pk for o in top] + stopped).update(escalate_at=None)
        CaseEvent.objects.bulk_create(events)
        orders_issue(specs=specs, actor=system, now=now)
        # The top office's supervisors (and the issuer) hear once that an order of theirs is late.
        told = _supervisors_of(list({o.issuing_area_id for o in top}))
        messages: list[Notification] = []
        for order in top:
            key = NOT_SIGNED if order.signed_at is None else NOT_ANSWERED
            people = {u.pk: u for u in told[order.issuing_area_id]}
            if order.issued_by_id is not None and order.issued_by_id not in people:
                issuer = order.issued_by
                if issuer is not None and issuer.is_active:
                    people[issuer.pk] = issuer
            messages += [_message(user, "order_overdue", _notice(key, order), order) for user in people.values()]
        notify_staff_many(messages)
    return taken


def orders_sweep(*, now: datetime | None = None, batch: int = 500, max_rows: int = 20_000) -> int:
    """The beat entry's work: every order late at `now` climbs one level (at most `max_rows`, oldest first).

    The due orders are listed once and taken in batches of `batch`, each its own transaction. Returns how
    many orders were raised or reported at the top.
    """
    now = now or timezone.now()
    ids = orders_due(now=now, limit=max_rows)
    done = 0
    for start in range(0, len(ids), batch):
        done += len(orders_escalate(order_ids=ids[start : start + batch], now=now))
    return done


def orders_escalate_due(now: datetime | None = None, batch: int = 500) -> int:
    """`orders_sweep` under the name the ladder's brief gives it."""
    return orders_sweep(now=now, batch=batch)
