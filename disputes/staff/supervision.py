"""督办 pages: the list of orders (those the user's office issued, those addressed to them), one order with its
sign, reply and close forms, and its print view (GB/T 9704). Thin: reads in `disputes.selectors.supervision`,
writes in `disputes.services.supervision`. Every page works without JavaScript.
"""

from datetime import date, datetime
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import dates, staff_names
from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError
from disputes import visibility
from disputes.models import SupervisionOrder
from disputes.rules.enums import EventKind
from disputes.rules.tracking import format_tracking_number
from disputes.selectors import supervision as order_selectors
from disputes.services import supervision as order_services
from grids import roles

PAGE_SIZE = 50
STAFF = frozenset(roles.STAFF_ROLES)


# --- Words and dates -------------------------------------------------------------------------------------


def person_name(user: Any) -> str:
    """A staff member's name (core.staff_names.person_name)."""
    return staff_names.person_name(user)


def long_date(value: datetime | date | None) -> str:
    """2026年12月7日 (no zero padding) in Chinese, 7 December 2026 in English (core.dates.long_date)."""
    return dates.long_date(value)


def office_name(area: Any) -> str:
    """The issuing office as the red header prints it: the centre of its area."""
    return _("%(area)s Dispute Resolution Centre") % {"area": area.name}


def addressee(order: SupervisionOrder) -> str:
    if order.to_department_id is not None and order.to_department is not None:
        return order.to_department.display_name
    return person_name(order.to_user) if order.to_user is not None else "—"


def state_label(state: str) -> str:
    return str(order_selectors.STATES[state])


ORDER_EVENTS = frozenset(
    {
        EventKind.ORDER_ISSUED,
        EventKind.ORDER_SIGNED,
        EventKind.ORDER_REPLIED,
        EventKind.ORDER_CLOSED,
        EventKind.ORDER_ESCALATED,
        EventKind.NOTE,
    }
)


def event_details(event: Any) -> list[str]:
    """The case timeline's lines for a 督办 event: the order's number, late or sent back, raised or at the top."""
    data = event.data or {}
    if event.kind not in ORDER_EVENTS or not data.get("number"):
        return []
    lines = [_("Supervision order %(number)s") % {"number": data["number"]}]
    if data.get("late") is True:
        lines.append(_("Late."))
    if data.get("sent_back"):
        lines.append(_("Sent back for more."))
    if event.kind == EventKind.ORDER_ESCALATED:
        if data.get("top"):
            lines.append(_("No level above: the office's supervisors were told."))
        else:
            lines.append(
                _("Not signed for in time: raised a level.")
                if data.get("late") == "sign"
                else _("Not answered in time: raised a level.")
            )
    return lines


# --- Forms ---------------------------------------------------------------------------------------------


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=gettext_lazy("What was done"),
        max_length=order_services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class CloseForm(forms.Form):
    CLOSE = "close"
    SEND_BACK = "send_back"
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[(CLOSE, gettext_lazy("Close the order")), (SEND_BACK, gettext_lazy("Send it back for more"))],
        widget=forms.RadioSelect,
        initial=CLOSE,
    )
    remarks = forms.CharField(
        label=gettext_lazy("Remarks"),
        required=False,
        max_length=order_services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required when you send it back: say what more is needed."),
    )
    reply_within_days = forms.IntegerField(
        label=gettext_lazy("New reply due within (days)"),
        min_value=1,
        max_value=order_services.MAX_REPLY_DAYS,
        required=False,
        help_text=gettext_lazy("Only when you send it back."),
    )


class ListFilterForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["state"])
        field.choices = [
            ("", _("All")),
            *[(key, str(label)) for key, label in order_selectors.STATES.items()],
        ]


# --- Rows ------------------------------------------------------------------------------------------------


def order_row(order: SupervisionOrder, now: datetime) -> dict:
    state = (
        order_selectors.state_of_rank(order.state_rank)
        if hasattr(order, "state_rank")
        else order_selectors.order_state(order, now)
    )
    return {
        "order": order,
        "state": state,
        "state_label": state_label(state),
        "addressee": addressee(order),
        "case_number": order.dispute.tracking_number_display,
        "url": reverse("disputes:order", kwargs={"pk": order.pk}),
    }


def case_orders_panel(user: Any, case: Any) -> dict:
    """The case page's 督办 panel: the case's open orders (and how many were closed)."""
    now = timezone.now()
    found = order_selectors.orders_on_case(user, case)
    open_rows = [order_row(o, now) for o in found if o.closed_at is None]
    return {"rows": open_rows, "closed_count": len(found) - len(open_rows)}


# --- Views -----------------------------------------------------------------------------------------------


def _staff_only(request) -> None:
    if not (request.user.is_superuser or roles.role_of(request.user) in STAFF):
        raise PermissionDenied


def _visible_order(request, pk: int) -> SupervisionOrder:
    try:
        return order_selectors.order_get_for(request.user, pk)
    except NotFoundError:
        raise Http404 from None


@login_required
@never_cache
@require_GET
def orders_list(request):
    """督办: the orders the user's office issued (supervisors) or those addressed to them (everyone), by state."""
    _staff_only(request)
    box = request.GET.get("box") or order_selectors.default_box(request.user)
    if box not in order_selectors.BOXES:
        box = order_selectors.default_box(request.user)
    filters = ListFilterForm(request.GET or None)
    state = filters.cleaned_data.get("state", "") if filters.is_valid() else ""
    now = timezone.now()
    rows = order_selectors.orders_for_box(request.user, box, state=state, now=now)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    issuer = order_selectors.default_box(request.user) == order_selectors.ISSUED_BOX
    boxes = [
        (key, label, reverse("disputes:orders") + "?" + urlencode({"box": key}))
        for key, label in (
            (order_selectors.ISSUED_BOX, _("Orders issued")),
            (order_selectors.RECEIVED_BOX, _("Orders to me")),
        )
        if issuer or key == order_selectors.RECEIVED_BOX
    ]
    return render(
        request,
        "disputes/staff/supervision_list.html",
        {
            "box": box,
            "boxes": boxes,
            "filters": filters,
            "state": state,
            "page": page,
            "rows": [order_row(o, now) for o in page.object_list],
            "page_query": urlencode({"box": box, "state": state}),
        },
    )


def _order_context(request, order: SupervisionOrder, **forms_given: Any) -> dict:
    now = timezone.now()
    case = order.dispute
    lens = visibility.case_lens(request.user, case)
    state = order_selectors.order_state(order, now)
    open_order = order.closed_at is None
    recipient = order_selectors.is_order_recipient(request.user, order)
    issuer = order_selectors.may_close_order(request.user, order)
    raised_to = SupervisionOrder.objects.filter(raised_from=order).only("pk", "document_number").first()
    return {
        "order": order,
        "case": case,
        "state": state,
        "state_label": state_label(state),
        "addressee": addressee(order),
        "office": office_name(order.issuing_area),
        "issuer": person_name(order.issued_by) if order.issued_by is not None else _("The escalation ladder"),
        "reason": lens.text("event.text", order.reason),
        "requirements": lens.text("event.text", order.requirements),
        "reply": lens.text("event.text", order.reply),
        "may_sign": recipient and open_order and order.signed_at is None,
        "may_reply": recipient and open_order and order.replied_at is None,
        "may_close": issuer and open_order and order.replied_at is not None,
        "reply_form": forms_given.get("reply_form") or ReplyForm(prefix="reply"),
        "close_form": forms_given.get("close_form") or CloseForm(prefix="close"),
        "raised_from": order.raised_from,
        "raised_to": raised_to,
        "case_number": format_tracking_number(case.tracking_number),
        "sign_late": order.signed_at is not None and order.signed_at > order.sign_due_at,
    }


@login_required
@never_cache
@require_GET
def order_page(request, pk: int):
    order = _visible_order(request, pk)
    return render(request, "disputes/staff/supervision_order.html", _order_context(request, order))


def _after(request, order: SupervisionOrder, call, done: str, form=None, form_name: str = ""):
    """Run a step; a refusal goes beside its field (form pages) or to the top of the order page."""
    try:
        with transaction.atomic():
            call()
    except NotFoundError:
        raise Http404 from None
    except ApplicationError as exc:
        status = exc.status_code if exc.status_code in (403, 409) else 400
        if form is not None and exc.extra.get("field") in form.fields:
            form.add_error(exc.extra["field"], str(exc.message))
        else:
            messages.error(request, str(exc.message))
        context = _order_context(request, _visible_order(request, order.pk), **({form_name: form} if form else {}))
        return render(request, "disputes/staff/supervision_order.html", context, status=status)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("disputes:order", kwargs={"pk": order.pk}), status=303)


@login_required
@never_cache
@require_POST
def order_sign(request, pk: int):
    order = _visible_order(request, pk)
    actor = Actor.for_user(request.user)
    return _after(
        request,
        order,
        lambda: order_services.order_sign(order=order.pk, actor=actor),
        _("You have signed for the supervision order."),
    )


@login_required
@never_cache
@require_POST
def order_reply(request, pk: int):
    order = _visible_order(request, pk)
    form = ReplyForm(request.POST, prefix="reply")
    if not form.is_valid():
        context = _order_context(request, order, reply_form=form)
        return render(request, "disputes/staff/supervision_order.html", context, status=400)
    actor = Actor.for_user(request.user)
    return _after(
        request,
        order,
        lambda: order_services.order_reply(order=order.pk, actor=actor, reply=form.cleaned_data["reply"]),
        _("Your reply has been sent to the office that issued the order."),
        form,
        "reply_form",
    )


@login_required
@never_cache
@require_POST
def order_close(request, pk: int):
    order = _visible_order(request, pk)
    form = CloseForm(request.POST, prefix="close")
    if not form.is_valid():
        context = _order_context(request, order, close_form=form)
        return render(request, "disputes/staff/supervision_order.html", context, status=400)
    values = form.cleaned_data
    send_back = values["decision"] == CloseForm.SEND_BACK
    actor = Actor.for_user(request.user)
    return _after(
        request,
        order,
        lambda: order_services.order_close(
            order=order.pk,
            actor=actor,
            remarks=values["remarks"],
            send_back=send_back,
            reply_within_days=values["reply_within_days"],
        ),
        _("The order has been sent back for more.") if send_back else _("The order has been closed."),
        form,
        "close_form",
    )


@login_required
@never_cache
@require_GET
def order_print(request, pk: int):
    """督办单 on A4 (GB/T 9704): red header with the issuing office, number, title, addressee, body, dates."""
    order = _visible_order(request, pk)
    context = _order_context(request, order)
    context.update(
        {
            "issued_on": long_date(order.issued_at),
            "sign_by": long_date(order.sign_due_at),
            "reply_by": long_date(order.reply_due_at),
            "category": order.dispute.category.display_name,
            "order_url": reverse("disputes:order", kwargs={"pk": order.pk}),
            "language_is_chinese": (get_language() or settings.LANGUAGE_CODE).startswith("zh"),
        }
    )
    return render(request, "disputes/staff/supervision_print.html", context)


urlpatterns = [
    path("orders/", orders_list, name="orders"),
    path("orders/<int:pk>/", order_page, name="order"),
    path("orders/<int:pk>/sign/", order_sign, name="order_sign"),
    path("orders/<int:pk>/reply/", order_reply, name="order_reply"),
    path("orders/<int:pk>/close/", order_close, name="order_close"),
    path("orders/<int:pk>/print/", order_print, name="order_print"),
]
