"""督办: supervision orders on a case (督办单), issued by a supervisor or by the escalation ladder.

This module issues them (one or a sweep's batch); signing for, replying,
closing and raising a late order a level are added beside it. An order is
created in the same transaction as the event that causes it, with its number
(机关代字〔2026〕12号, unique per issuing office and year) and the recipients'
inbox items.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import Actor
from core.documents import document_number_text, document_numbers_next
from core.models import Notification
from core.notifications import notify_staff_many
from disputes.models import CaseEvent, Dispute, SupervisionOrder
from disputes.rules.enums import EventKind
from disputes.services.casefile import event_new
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
    return reverse("disputes:case", kwargs={"tracking_number": order.dispute.tracking_number})


def order_recipients(order: SupervisionOrder) -> list[Any]:
    """Who is told of an order: the person it is addressed to, else the department's head(s), else its staff."""
    if order.to_user_id is not None:
        return [order.to_user]
    if order.to_department_id is None:
        return []
    users = get_user_model().objects.filter(is_active=True, staff__department_id=order.to_department_id)
    heads = list(users.filter(staff__is_head=True).order_by("pk")[:20])
    return heads or list(users.order_by("pk")[:20])


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
            for user in order_recipients(order)
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
