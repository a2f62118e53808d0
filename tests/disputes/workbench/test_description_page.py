"""The case page's description action: those who may correct the case's facts rewrite it; triage runs again.

The README's promise ("editing a description re-triages the case") through the page a mediator uses.
"""

import pytest
from django.utils import translation

from disputes.models import CaseEvent
from disputes.rules.enums import Colour, EventKind, Status
from grids.models import Role
from tests.disputes.workbench.casepage import action_url, case_url, client_for, rendered_actions

pytestmark = pytest.mark.django_db

QUIET = "楼上卫生间漏水，多次沟通无果。"
THREAT = "对方说要砍死我全家。"


def test_the_handler_rewrites_the_description_and_the_case_is_triaged_again(make_case, mediator):
    case = make_case(Status.IN_MEDIATION, colour=Colour.WHITE, description=QUIET)
    client = client_for(mediator)
    page = client.get(case_url(case)).content.decode()
    assert "description" in rendered_actions(page)
    assert 'name="description-description"' in page and QUIET in page

    # In English throughout: the confirmation is translated when it is stored, at the POST.
    with translation.override("en"):
        response = client.post(action_url(case, "description"), {"description-description": f"{QUIET}{THREAT}"})

    assert response.status_code == 303
    case.refresh_from_db()
    assert case.description == f"{QUIET}{THREAT}"
    assert case.colour == Colour.RED
    assert any(r["rule"] == "threat_violence" for r in case.triage_reasons)
    edited = case.events.get(kind=EventKind.DESCRIPTION_EDITED)
    assert edited.data == {"previous": QUIET} and edited.actor == mediator
    assert case.events.filter(kind=EventKind.TRIAGE, data__cause="description_edited").exists()
    with translation.override("en"):
        followed = client.get(case_url(case)).content.decode()
    assert "The description has been saved and the case triaged again." in followed


def test_an_empty_description_is_refused_beside_its_field(make_case, mediator):
    case = make_case(Status.ACCEPTED, description=QUIET)
    with translation.override("en"):
        response = client_for(mediator).post(action_url(case, "description"), {"description-description": "   "})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-action="description" open' in page
    case.refresh_from_db()
    assert case.description == QUIET
    assert not CaseEvent.objects.filter(dispute=case, kind=EventKind.DESCRIPTION_EDITED).exists()


@pytest.mark.parametrize("role", [Role.CALLBACK_CALLER])
def test_who_only_sees_the_case_is_not_offered_the_form_and_is_refused(make_case, staff_a, role):
    case = make_case(Status.AWAITING_CALLBACK, description=QUIET)
    client = client_for(staff_a[role])
    assert "description" not in rendered_actions(client.get(case_url(case)).content.decode())
    response = client.post(action_url(case, "description"), {"description-description": THREAT})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.description == QUIET


def test_a_closed_case_is_not_offered_the_form(make_case, mediator, staff_a):
    case = make_case(Status.CLOSED, description=QUIET)
    for user in (mediator, staff_a[Role.DISPATCHER]):
        assert "description" not in rendered_actions(client_for(user).get(case_url(case)).content.decode())
