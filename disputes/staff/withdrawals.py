"""撤回审批: the supervisor's list of withdrawal requests awaiting a decision, and the case page's panel.

Thin: `disputes.selectors.withdrawal` reads, `disputes.services.withdrawal` decides
(the same service as the case page's "approve or refuse" and the API).
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError
from core.staff_names import person_name
from disputes.models import Dispute, WithdrawalRequest
from disputes.rules.enums import Colour, WithdrawalVia
from disputes.selectors import withdrawal as selectors
from disputes.services import withdrawal as services
from disputes.staff.case_forms import WithdrawalDecisionForm
from grids import roles


def _name(user: Any) -> str:
    return person_name(user)


def recorded_by_text(request: WithdrawalRequest) -> str:
    """Who recorded it: a staff member's name, or the applicant themselves (from the tracking page)."""
    return _name(request.recorded_by) if request.recorded_by_id else _("The applicant, from the tracking page")


def pending_panel(case: Dispute) -> dict | None:
    """The case page's panel: the request awaiting the supervisor, if any."""
    pending = selectors.withdrawal_pending_of(case)
    if pending is None:
        return None
    return {
        "request": pending,
        "via": WithdrawalVia(pending.via).label,
        "recorded_by": recorded_by_text(pending),
    }


def _may_decide(user: Any) -> bool:
    return bool(user.is_superuser) or roles.role_of(user) in services.DECIDE_ROLES


@login_required
@never_cache
@require_GET
def withdrawal_list(request):
    if not _may_decide(request.user):
        raise PermissionDenied
    rows = []
    for pending in selectors.withdrawals_pending_for(request.user)[: selectors.PENDING_LIST_LIMIT]:
        case = pending.dispute
        rows.append(
            {
                "request": pending,
                "case": case,
                "colour": Colour(case.colour),
                "via": WithdrawalVia(pending.via).label,
                "recorded_by": recorded_by_text(pending),
                "form": WithdrawalDecisionForm(prefix=f"w{pending.pk}"),
                "action": reverse("disputes:withdrawal_decide", args=[pending.pk]),
            }
        )
    return render(request, "disputes/staff/withdrawals.html", {"rows": rows})


@login_required
@never_cache
@require_POST
def withdrawal_decide(request, pk: int):
    """Approve or refuse one request from the list; back to the list with the outcome."""
    if not _may_decide(request.user):
        raise PermissionDenied
    back = reverse("disputes:withdrawals")
    # A request on a case this user may not see, or none at all: not found, whatever was posted.
    if not selectors.withdrawal_visible_to(request.user, pk):
        raise Http404
    form = WithdrawalDecisionForm(request.POST, prefix=f"w{pk}")
    if not form.is_valid():
        messages.error(request, _("Choose whether to approve or refuse the withdrawal."))
        return HttpResponseRedirect(back, status=303)
    try:
        services.withdrawal_decide(
            request=pk,
            actor=Actor.for_user(request.user),
            approve=form.cleaned_data["decision"] == "approve",
            remarks=form.cleaned_data["remarks"],
        )
    except NotFoundError:
        raise Http404 from None
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise PermissionDenied(str(exc.message)) from None
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(back, status=303)
    messages.success(request, _("The decision on the withdrawal has been recorded."))
    return HttpResponseRedirect(back, status=303)


urlpatterns = [
    path("withdrawals/", withdrawal_list, name="withdrawals"),
    path("withdrawals/<int:pk>/decide/", withdrawal_decide, name="withdrawal_decide"),
]
