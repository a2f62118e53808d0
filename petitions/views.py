"""Staff pages for petitions (信访): the list, the petition page, the A4 print view
of a letter, revealing a petitioner's data, and the satisfaction callback (回访).

Read-only: every change goes through `petitions.services`. Jurisdiction comes
from `petitions_visible_to`; a petition outside it answers 404, like one that
does not exist. Petitioners' names, phones, ID numbers and addresses are masked
for those who do not work the petition (`user_works_petition`); those who do
may reveal one field at a time, and each reveal is logged (core.audit).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.actors import Actor
from core.audit import REVEAL_HELD_BACK_CODES, phones_for_callback
from core.exceptions import ApplicationError, as_page_errors
from core.masking import mask_address, mask_id_number, mask_name, mask_phone
from disputes.callbacks import CALLBACK_ROLES, MAX_UNANSWERED
from disputes.rules.tracking import normalise_tracking_number
from disputes.staff.callbacks import CallbackAttemptForm
from petitions import services
from petitions.models import Petition
from petitions.rules import OPEN_STATUSES, Status
from petitions.selectors import (
    petition_callback_due,
    petition_callback_queue,
    petition_list_for,
    petitions_visible_to,
    user_works_petition,
)

PAGE_SIZE = 50


def _visible(request, tracking_number: str) -> Petition:
    petition = (
        petitions_visible_to(request.user)
        .select_related("area", "category", "receiving_office", "handling_department", "repeat_of", "dispute")
        .filter(tracking_number=normalise_tracking_number(tracking_number))
        .first()
    )
    if petition is None:
        raise Http404
    return petition


@login_required
@never_cache
@require_GET
def petition_list(request):
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
def petition_page(request, tracking_number: str):
    petition = _visible(request, tracking_number)
    return render(request, "petitions/petition.html", _petition_context(request, petition, revealed={}))


MASKS = {"phone": mask_phone, "id_number": mask_id_number, "address": mask_address}
FIELD_LABELS = {"phone": _("Phone"), "id_number": _("ID-card number"), "address": _("Address")}
REVEAL_LABELS = {
    "phone": _("Show the full phone number"),
    "id_number": _("Show the full ID-card number"),
    "address": _("Show the full address"),
}


def petitioner_rows(user, petition: Petition, revealed: dict) -> tuple[bool, list[dict]]:
    """The petitioners as this user may see them: names and fields masked unless they work the petition."""
    works = user_works_petition(user, petition)
    rows = []
    for person in petition.petitioners.all():
        fields = []
        for name in services.REVEALABLE_FIELDS:
            value = getattr(person, name)
            if not value:
                continue
            clear = (person.pk, name) in revealed
            fields.append(
                {
                    "name": name,
                    "label": FIELD_LABELS[name],
                    "shown": revealed[(person.pk, name)] if clear else MASKS[name](value),
                    "clear": clear,
                    "can_reveal": works and not clear,
                    "reveal_label": REVEAL_LABELS[name],
                }
            )
        rows.append({"pk": person.pk, "name": person.name if works else mask_name(person.name), "fields": fields})
    return works, rows


def _petition_context(request, petition: Petition, *, revealed: dict) -> dict:
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
def petitioner_reveal(request, tracking_number: str, pk: int):
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
def letter_print(request, tracking_number: str, pk: int):
    """交办函 / 提醒函 / 督办函 on A4, numbered 〔2026〕第12号."""
    petition = _visible(request, tracking_number)
    letter = petition.letters.select_related("office").filter(pk=pk).first()
    if letter is None:
        raise Http404
    return render(request, "petitions/letter_print.html", {"petition": petition, "letter": letter})


# --- 回访: the petitions' satisfaction callbacks ---------------------------------------------------------

CALLBACK_PAGE_SIZE = 50


def _caller(request) -> Actor:
    actor = Actor.for_user(request.user)
    if actor.role not in CALLBACK_ROLES:
        raise PermissionDenied
    return actor


@login_required
@never_cache
@require_GET
def callback_queue(request):
    """Replied petitions awaiting their callback in the caller's area, the oldest due first."""
    _caller(request)
    page = Paginator(petition_callback_queue(request.user), CALLBACK_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    items = [
        {
            "petition": p,
            "petitioner": mask_name(p.petitioners.all()[0].name) if p.petitioners.all() else "",
            "overdue": p.callback_due < now,
            "unanswered": sum(1 for a in p.all_attempts if not a.reached and a.at >= (p.replied_at or a.at)),
        }
        for p in page.object_list
    ]
    return render(
        request,
        "petitions/callbacks.html",
        {"page": page, "items": items, "now": now, "max_unanswered": MAX_UNANSWERED},
    )


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def callback_record(request, tracking_number: str):
    """One petition's callback: the reply, the petitioners' phones in clear (logged), earlier calls, the form."""
    actor = _caller(request)
    petition = _visible(request, tracking_number)
    due = petition_callback_due(petition)
    awaiting = petition.status == Status.REPLIED and due is not None
    posted = request.method == "POST"
    form = (CallbackAttemptForm(request.POST) if posted else CallbackAttemptForm()) if awaiting else None
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
                {
                    "name": p.name if awaiting else mask_name(p.name),
                    "phone": p.phone if in_clear else mask_phone(p.phone),
                }
                for p in people
            ],
            "attempts": list(petition.callback_attempts.select_related("caller").order_by("at", "pk")),
            "max_unanswered": MAX_UNANSWERED,
        },
        status=status,
    )
