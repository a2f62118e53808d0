"""The case page's 类案参考 and 当事人历史 panels (disputes.services.similar).

The panels are read on every view of the case page, after the case itself: the similar
closed cases for whoever may see the case, the same people's other cases for those who
work it. Each case listed is logged (`services.log_shown`, page "case"). Drafting from a
similar case (参照起草) is a POST to `disputes.staff.case.draft_from_similar`, which calls
`services.agreement_draft_from_similar` and comes back to the page with a message, as every
case action does.
"""

from disputes import services
from disputes.models import Dispute
from disputes.selectors import similar as similar_selectors


def panels(request, case: Dispute, *, may_draft: bool) -> dict:
    """The two panels' context; `may_draft`: the page offers drafting the agreement and there is none yet."""
    user = request.user
    similar_cases = similar_selectors.similar_cases_for(user=user, case=case)
    history = similar_selectors.party_history_for(user=user, case=case)
    services.log_shown(user=user, shown=similar_cases, what=similar_selectors.SIMILAR_WHAT, page="case", case=case)
    services.log_shown(user=user, shown=history, what=similar_selectors.HISTORY_WHAT, page="case", case=case)
    return {
        "similar_cases": similar_cases,
        "party_history": history,
        "may_draft_from_similar": may_draft,
    }
