"""Staff pages for petitions (信访): the list, the petition page, the A4 print view
of a letter, revealing a petitioner's data, and the satisfaction callback (回访).

Read-only: every change goes through `petitions.services`. A petition is found
through `petition_get_for`; one outside the user's jurisdiction answers 404,
like one that does not exist. Petitioners' names, phones, ID numbers and addresses are masked
for those who do not work the petition (`user_works_petition`); those who do
may reveal one field at a time, and each reveal is logged (core.audit).
"""

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.actors import Actor
from core.audit import REVEAL_HELD_BACK_CODES, phones_for_callback
from core.casework.callbacks import MAX_UNANSWERED, next_counting_at, spread_rule, unanswered_counted
from core.casework.forms import CallbackAttemptForm
from core.casework.people import REVEALABLE_FIELDS, present_person
from core.durations import time_left_words
from core.exceptions import ApplicationError, NotFoundError, as_page_errors
from core.types import RequestUser
from petitions import services
from petitions.models import Petition
from petitions.rules import CALLBACK_ROLES, OPEN_STATUSES, Status
from petitions.selectors import (
    PAGE_RELATED,
    petition_callback_due,
    petition_callback_queue,
    petition_get_for,
    petition_list_for,
    unanswered_call_times,
    user_works_petition,
)

PAGE_SIZE = 50


def _visible(request: HttpRequest, tracking_number: str) -> Petition:
    """The petition if this user may see it; 404 otherwise, as for a number that does not exist."""
    try:
        return petition_get_for(request.user, tracking_number, related=PAGE_RELATED)
    except NotFoundError:
        raise Http404 from None


@login_required
@never_cache
@require_GET
def petition_list(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "staff", None) is None and not request.user.is_superuser:
        # An account without a staff profile works no petitions (as the dispute queue answers).
        raise PermissionDenied
    page = Paginator(petition_list_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "petitions/list.html",
        {"page": page, "now": timezone.now(), "open_statuses": OPEN_STATUSES},
    )


@login_required
@never_cache
@require_GET
def petition_page(request: HttpRequest, tracking_number: str) -> HttpResponse:
    petition = _visible(request, tracking_number)
    return render(request, "petitions/petition.html", _petition_context(request, petition, revealed={}))


FIELD_LABELS = {"phone": _("Phone"), "id_number": _("ID-card number"), "address": _("Address")}
REVEAL_LABELS = {
    "phone": _("Show the full phone number"),
    "id_number": _("Show the full ID-card number"),
    "address": _("Show the full address"),
}


def petitioner_rows(
    user: RequestUser, petition: Petition, revealed: dict[tuple[int, str], str]
) -> tuple[bool, list[dict[str, Any]]]:
    """The petitioners as this user may see them: names and fields masked unless they work the petition."""
    works = user_works_petition(user, petition)
    rows = []
    for person in petition.petitioners.all():
        clear = {name for (pk, name) in revealed if pk == person.pk}
        shown = present_person(person, works=works, clear=clear)
        fields = [
            {
                "name": name,
                "label": FIELD_LABELS[name],
                "shown": shown[name],
                "clear": name in clear,
                "can_reveal": works and name not in clear,
                "reveal_label": REVEAL_LABELS[name],
            }
            for name in REVEALABLE_FIELDS
            if getattr(person, name)
        ]
        rows.append({"pk": person.pk, "name": shown["name"], "fields": fields})
    return works, rows


def _petition_context(
    request: HttpRequest, petition: Petition, *, revealed: dict[tuple[int, str], str]
) -> dict[str, Any]:
    works, petitioners = petitioner_rows(request.user, petition, revealed)
    return {
        "petition": petition,
        "petitioners": petitioners,
        "works_petition": works,
        "callback_attempts": list(petition.callback_attempts.select_related("caller").order_by("at", "pk")),
        "deadlines": petition.deadlines.order_by("due_at", "pk"),
        "letters": petition.letters.select_related("office").order_by("issued_at", "pk"),
        "events": petition.events.select_related("actor").order_by("-at", "-pk"),
        "now": timezone.now(),
    }


@login_required
@never_cache
@require_POST
def petitioner_reveal(request: HttpRequest, tracking_number: str, pk: int) -> HttpResponse:
    """Show one field of one petitioner in clear on the page (logged); nothing is kept for the next request."""
    petition = _visible(request, tracking_number)
    field_name = request.POST.get("field", "")
    try:
        value = services.petitioner_reveal(user=request.user, petition=petition, petitioner_id=pk, field=field_name)
    except ApplicationError as exc:
        if exc.code not in REVEAL_HELD_BACK_CODES:
            with as_page_errors():
                raise
        # No second factor yet, or the hour's reveals used up: the petition page, masked, says why.
        messages.error(request, str(exc.message))
        context = _petition_context(request, petition, revealed={})
        return render(request, "petitions/petition.html", context, status=exc.status_code)
    return render(
        request, "petitions/petition.html", _petition_context(request, petition, revealed={(pk, field_name): value})
    )


@login_required
@never_cache
@require_GET
def letter_print(request: HttpRequest, tracking_number: str, pk: int) -> HttpResponse:
    """交办函 / 提醒函 / 督办函 on A4, numbered 〔2026〕第12号."""
    petition = _visible(request, tracking_number)
    letter = petition.letters.select_related("office").filter(pk=pk).first()
    if letter is None:
        raise Http404
    return render(request, "petitions/letter_print.html", {"petition": petition, "letter": letter})


# --- 回访: the petitions' satisfaction callbacks ---------------------------------------------------------

CALLBACK_PAGE_SIZE = 50


def _caller(request: HttpRequest) -> Actor:
    actor = Actor.for_user(request.user)
    if actor.role not in CALLBACK_ROLES:
        raise PermissionDenied
    return actor


def _queue_item(p: Any, now: datetime) -> dict[str, Any]:
    """One row of the callers' queue; `p` carries the queue's `callback_due` and `all_attempts`."""
    people = p.petitioners.all()
    return {
        "petition": p,
        "petitioner": present_person(people[0], works=False, fields=())["name"] if people else "",
        "overdue": p.callback_due < now,
        "due_words": time_left_words(p.callback_due, now),
        "unanswered": sum(1 for a in p.all_attempts if not a.reached and a.at >= (p.replied_at or a.at)),
    }


@login_required
@never_cache
@require_GET
def callback_queue(request: HttpRequest) -> HttpResponse:
    """Replied petitions awaiting their callback in the caller's area, the oldest due first."""
    _caller(request)
    page = Paginator(petition_callback_queue(request.user), CALLBACK_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    items = [_queue_item(p, now) for p in page.object_list]
    return render(
        request,
        "petitions/callbacks.html",
        {"page": page, "items": items, "now": now, "max_unanswered": MAX_UNANSWERED},
    )


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def callback_record(request: HttpRequest, tracking_number: str) -> HttpResponse:
    """One petition's callback: the reply, the petitioners' phones in clear (logged), earlier calls, the form."""
    actor = _caller(request)
    petition = _visible(request, tracking_number)
    due = petition_callback_due(petition)
    awaiting = petition.status == Status.REPLIED and due is not None
    posted = request.method == "POST"
    # When the next unanswered call would count towards "unreachable" (core.casework.callbacks).
    next_at = None
    if awaiting:
        rule = spread_rule()
        times = unanswered_call_times(petition, since=petition.replied_at or timezone.now())
        next_at = next_counting_at(unanswered_counted(times, rule=rule), rule=rule)
    form = CallbackAttemptForm(request.POST if posted else None, next_counting_at=next_at) if awaiting else None
    status = 200
    if posted and form is not None:
        if form.is_valid():
            try:
                services.petition_callback_record_attempt(
                    petition=petition,
                    actor=actor,
                    reached=form.cleaned_data["reached"] == "yes",
                    satisfaction=form.cleaned_data["satisfaction"],
                    remarks=form.cleaned_data["remarks"],
                )
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                return HttpResponseRedirect(reverse("petitions:callbacks"), status=303)
        status = 400
    elif posted:
        status = 409
    people = list(petition.petitioners.all())
    in_clear, held_back = False, ""
    if awaiting:
        # The caller works this callback: the petitioners' phones are shown in clear, and each view is logged.
        in_clear, held_back = phones_for_callback(
            user=request.user,
            people=people,
            what="petitioner.phone",
            case_ref=petition.tracking_number,
            page="petition_callback_record",
        )
    return render(
        request,
        "petitions/callback_record.html",
        {
            "petition": petition,
            "form": form,
            "awaiting": awaiting,
            "held_back": held_back,
            "callback_due": due,
            "petitioners": [
                present_person(p, works=awaiting, clear={"phone"} if in_clear else (), fields=("phone",))
                for p in people
            ],
            "attempts": list(petition.callback_attempts.select_related("caller").order_by("at", "pk")),
            "max_unanswered": MAX_UNANSWERED,
        },
        status=status,
    )
