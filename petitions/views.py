"""Staff pages for petitions (信访): the list, the petition page and the A4 print view of a letter.

Read-only: every change goes through `petitions.services`. Jurisdiction comes
from `petitions_visible_to`; a petition outside it answers 404, like one that
does not exist. Petitioners' phone and ID numbers are shown masked.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.masking import mask_address, mask_id_number, mask_phone
from disputes.rules.tracking import normalise_tracking_number
from petitions.models import Petition
from petitions.rules import OPEN_STATUSES
from petitions.selectors import petition_list_for, petitions_visible_to

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
    petitioners = [
        {
            "name": p.name,
            "phone": mask_phone(p.phone),
            "id_number": mask_id_number(p.id_number),
            "address": mask_address(p.address),
        }
        for p in petition.petitioners.all()
    ]
    return render(
        request,
        "petitions/petition.html",
        {
            "petition": petition,
            "petitioners": petitioners,
            "deadlines": petition.deadlines.order_by("due_at", "pk"),
            "letters": petition.letters.select_related("office").order_by("issued_at", "pk"),
            "events": petition.events.select_related("actor").order_by("-at", "-pk"),
            "now": timezone.now(),
        },
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
