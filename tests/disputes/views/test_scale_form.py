"""规模 on the resident's form and the walk-in form: the two range questions, and what triage makes of them.

The issue's example: a wage claim of twelve workers for about ¥280,000. From the web form
(10–29 people, ¥100k–1M) it must come out the colour the 12345 channel gives it with the
exact figures: red, for the group of ten or more.
"""

from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from disputes import services
from disputes.api.keys import channel_key_create
from disputes.models import Dispute
from disputes.rules.enums import Channel, Colour, PartyRole
from grids.models import Role
from tests.factories import CategoryFactory

SUBMIT = "/submit/"
WALK_IN = "/staff/walk-in/"
WAGES = "包工头拖欠我们12个工人的工资，一共大约28万元，年底了还不给。"


@pytest.fixture
def labour(db):
    return CategoryFactory(code="labour", name="劳资纠纷", name_en="Labour and unpaid wages", base_colour=Colour.YELLOW)


def routed(case: Dispute) -> Dispute:
    """Triage as the routing task runs it after the commit."""
    services.dispute_route(dispute_id=case.pk)
    case.refresh_from_db()
    return case


def rules(case: Dispute) -> dict[str, str]:
    return {r["rule"]: r["colour"] for r in case.triage_reasons}


def test_the_form_asks_both_questions_as_radio_groups(client, tree):
    page = client.get(SUBMIT).content.decode()
    for name, values in (
        ("people_band", ["1", "2-4", "5-9", "10-29", "30+"]),
        ("amount_band", ["0", "&lt;10k", "10k-100k", "100k-1m", "1m+"]),
    ):
        for value in values:
            assert f'type="radio" name="{name}" value="{value}"' in page
        # The markup of the other radio groups: a fieldset with a legend, help tied to the group.
        assert f'aria-describedby="id_{name}_helptext"' in page
    assert 'class="choices choices--large' in page
    # Only the walk-in form takes exact figures.
    assert 'name="people_involved"' not in page and 'name="amount"' not in page


def test_a_wage_claim_with_ranges_comes_out_red_like_the_same_facts_through_12345(client, form_data, labour, tree):
    data = form_data(category=str(labour.pk), description=WAGES, people_band="10-29", amount_band="100k-1m")
    response = client.post(SUBMIT, data)
    assert response.status_code == 302, [line for line in response.content.decode().splitlines() if "error" in line]
    web = routed(Dispute.objects.get())
    assert (web.people_band, web.people_involved, web.amount_band, web.amount) == (
        "10-29",
        10,
        "100k-1m",
        Decimal("100000.00"),
    )
    assert web.colour == Colour.RED
    assert rules(web)["group_dispute"] == "red"
    assert rules(web)["large_amount"] == "yellow"

    cache.clear()
    _key, raw = channel_key_create(name="12345热线", channel=Channel.HOTLINE_12345)
    api = APIClient(headers={"authorization": f"Api-Key {raw}"})
    record = {
        "category": "labour",
        "description": WAGES,
        "grid": tree.grid_a.code,
        "applicant": {"name": "赵六", "phone": "13600136000"},
        "source_id": "12345-20261207-0001",
        "people_involved": 12,
        "amount": "280000",
    }
    answer = api.post("/api/v1/channels/cases/", record, format="json")
    assert answer.status_code == 201, answer.content
    hotline = routed(Dispute.objects.get(tracking_number=answer.json()["tracking_number"]))
    assert (hotline.people_involved, hotline.people_band, hotline.amount, hotline.amount_band) == (
        12,
        "",
        Decimal("280000.00"),
        "",
    )
    assert hotline.colour == web.colour == Colour.RED
    assert rules(hotline)["group_dispute"] == "red"


def test_the_questions_are_optional(client, form_data):
    assert client.post(SUBMIT, form_data()).status_code == 302
    case = Dispute.objects.get()
    assert (case.people_involved, case.people_band, case.amount, case.amount_band) == (None, "", None, "")


def test_a_form_error_keeps_the_choices(client, form_data):
    response = client.post(SUBMIT, form_data(description="", people_band="5-9", amount_band="10k-100k"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'type="radio" name="people_band" value="5-9" id="id_people_band_3" checked' in page
    assert 'type="radio" name="amount_band" value="10k-100k" id="id_amount_band_3" checked' in page
    assert Dispute.objects.count() == 0


def test_not_sure_is_offered_first_and_chosen_by_default_so_a_range_can_be_taken_back(client, form_data):
    page = client.get(SUBMIT).content.decode()
    assert 'type="radio" name="people_band" value="" id="id_people_band_0" checked' in page
    response = client.post(SUBMIT, form_data(people_band="", amount_band=""))
    assert response.status_code == 302
    case = Dispute.objects.get()
    assert (case.people_band, case.people_involved, case.amount_band, case.amount) == ("", None, "", None)


def test_a_range_not_offered_is_refused_beside_the_question(client, form_data):
    response = client.post(SUBMIT, form_data(people_band="1000+"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_people_band_error"' in page
    assert Dispute.objects.count() == 0


def test_the_walk_in_form_takes_exact_figures_and_they_win_over_a_range(client, staff_a, form_data):
    client.force_login(staff_a[Role.DISPATCHER])
    page = client.get(WALK_IN).content.decode()
    assert 'name="people_involved"' in page and 'name="amount"' in page
    data = form_data(area_2=None, area_3=None, people_band="2-4", people_involved="12", amount_band="100k-1m")
    data["amount"] = "280000"
    response = client.post(WALK_IN, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Dispute.objects.get()
    assert (case.people_involved, case.people_band, case.amount, case.amount_band) == (
        12,
        "",
        Decimal("280000.00"),
        "",
    )
    assert case.parties.filter(role=PartyRole.APPLICANT).count() == 1


def test_the_walk_in_form_refuses_figures_out_of_bounds_and_keeps_the_rest(client, staff_a, form_data):
    client.force_login(staff_a[Role.DISPATCHER])
    data = form_data(area_2=None, area_3=None, people_involved="0", amount_band="1m+")
    response = client.post(WALK_IN, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_people_involved_error"' in page
    assert 'value="1m+" id="id_amount_band_5" checked' in page
    assert Dispute.objects.count() == 0
