"""The case page's 类案参考 and 当事人历史 panels, and its 参照起草 action (disputes.similar).

The panels are read on every view of the case page, after the case itself: the similar
closed cases for whoever may see the case, the same people's other cases for those who
work it. Each case listed is logged (`similar.log_shown`, page "case"). Drafting from a
similar case is a POST that calls `similar.agreement_draft_from_similar` and comes back to
the page with a message, as every case action does.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from disputes import similar
from disputes.models import Dispute


def panels(request, case: Dispute, *, may_draft: bool) -> dict:
    """The two panels' context; `may_draft`: the page offers drafting the agreement and there is none yet."""
    user = request.user
    similar_cases = similar.similar_cases_for(user=user, case=case)
    history = similar.party_history_for(user=user, case=case)
    similar.log_shown(user=user, shown=similar_cases, what=similar.SIMILAR_WHAT, page="case", case=case)
    similar.log_shown(user=user, shown=history, what=similar.HISTORY_WHAT, page="case", case=case)
    return {
        "similar_cases": similar_cases,
        "party_history": history,
        "may_draft_from_similar": may_draft,
    }


@login_required
@never_cache
@require_POST
def draft_from_similar(request, tracking_number: str, source_number: str):
    """参照起草 from the page: the agreement's structure from a similar case, back to the case with a message."""
    from disputes.staff.case import case_context, visible_case

    case = visible_case(request, tracking_number)
    case_url = reverse("disputes:case", kwargs={"tracking_number": case.tracking_number})
    try:
        similar.agreement_draft_from_similar(
            dispute=case, actor=Actor.for_user(request.user), source_number=source_number
        )
    except NotFoundError:
        raise Http404 from None
    except PermissionDeniedError as exc:
        messages.error(request, str(exc.message))
        return render(request, "disputes/staff/case.html", case_context(request, case), status=403)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(case_url, status=303)
    messages.success(
        request,
        _("The agreement has been drafted from the structure of a similar case. Fill in the placeholders 〔…〕."),
    )
    return HttpResponseRedirect(case_url + "#agreement-title", status=303)


urlpatterns = [
    path(
        "case/<str:tracking_number>/similar/<str:source_number>/draft/",
        draft_from_similar,
        name="case_draft_from_similar",
    ),
]
