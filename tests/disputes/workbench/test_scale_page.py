"""The case page's scale: the two figures in words, and the small form that corrects them (disputes/staff/scale.py)."""

from decimal import Decimal

import pytest
from django.utils import translation

from disputes.models import CaseEvent
from disputes.rules.enums import Colour, EventKind, Status
from grids.models import Role
from tests.disputes.workbench.casepage import case_url, client_for


def scale_url(case) -> str:
    return case_url(case, "case_scale")


def english_page(client, case) -> str:
    with translation.override("en"):  # reverse() gives the /en/ address
        return client.get(case_url(case)).content.decode()


def test_a_range_shows_as_its_label_chosen_by_the_party_and_an_exact_figure_as_the_number(make_case, mediator):
    banded = make_case(people_involved=10, people_band="10-29", amount=Decimal("100000"), amount_band="100k-1m")
    # Read in English (/en/): the default language is zh-hans.
    page = english_page(client_for(mediator), banded)
    assert '<dd data-field="people_involved">10 to 29 people (range chosen by the party)</dd>' in page
    assert '<dd data-field="amount">100,000 to 1 million yuan (range chosen by the party)</dd>' in page
    exact = make_case(people_involved=12, amount=Decimal("280000"))
    page = english_page(client_for(mediator), exact)
    assert '<dd data-field="people_involved">12</dd>' in page
    assert '<dd data-field="amount">280000.00</dd>' in page


def test_the_handler_corrects_the_scale_and_the_timeline_says_so(make_case, mediator):
    case = make_case(colour=Colour.WHITE)
    client = client_for(mediator)
    page = client.get(case_url(case)).content.decode()
    assert "data-scale-form" in page and 'name="scale-people_band"' in page
    response = client.post(
        scale_url(case), {"scale-people_band": "2-4", "scale-people_involved": "12", "scale-amount_band": "1m+"}
    )
    assert response.status_code == 303
    case.refresh_from_db()
    # The exact number wins over the range chosen beside it.
    assert (case.people_involved, case.people_band, case.amount, case.amount_band) == (
        12,
        "",
        Decimal("1000000.00"),
        "1m+",
    )
    assert case.colour == Colour.RED
    page = english_page(client, case)
    assert "People involved or amount at stake changed" in page
    assert "People involved: Not given → 12" in page
    assert "Amount at stake (yuan): Not given → 1 million yuan or more (range chosen by the party)" in page


def test_a_refused_correction_shows_the_form_open_with_the_error(make_case, mediator):
    case = make_case()
    response = client_for(mediator).post(scale_url(case), {"scale-people_involved": "0"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "data-scale-form open" in page
    assert 'id="id_scale-people_involved_error"' in page
    unchanged = client_for(mediator).post(scale_url(case), {})
    assert unchanged.status_code == 400
    assert "data-scale-form open" in unchanged.content.decode()
    assert not CaseEvent.objects.filter(dispute=case, kind=EventKind.SCALE_SET).exists()


def test_a_callback_caller_sees_the_figures_but_no_form_and_may_not_post(make_case, staff_a):
    case = make_case(people_involved=5, people_band="5-9")
    caller = client_for(staff_a[Role.CALLBACK_CALLER])
    page = caller.get(case_url(case)).content.decode()
    assert 'data-field="people_involved"' in page and "data-scale-form" not in page
    assert caller.post(scale_url(case), {"scale-people_band": "30+"}).status_code == 403
    case.refresh_from_db()
    assert case.people_band == "5-9"


@pytest.mark.parametrize("status", [Status.CLOSED, Status.WITHDRAWN])
def test_no_form_on_a_finished_case(make_case, mediator, status):
    case = make_case(status)
    assert "data-scale-form" not in client_for(mediator).get(case_url(case)).content.decode()
