"""包案 on the case page and in the staff API: who is offered "name the leader", the form, the leader shown,
POST /api/v1/cases/<n>/leader/ and the case detail's `leader`; the dashboard's overdue export lists the leader."""

import pytest
from rest_framework.test import APIClient

from core.models import Notification
from disputes.rules.enums import Colour, EventKind, Status
from grids.models import Role
from tests.disputes.workbench.casepage import action_url, case_url, client_for, rendered_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def district_leader(make_staff, tree):
    user = make_staff(Role.SUPERVISOR, area=tree.county, username="district-leader")
    user.staff.display_name = "区领导王强"
    user.staff.save()
    return user


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_a_supervisor_names_the_leader_from_the_case_page(make_case, staff_a, district_leader):
    case = make_case(Status.IN_MEDIATION, colour=Colour.RED)
    supervisor = client_for(staff_a[Role.SUPERVISOR])
    html = supervisor.get(case_url(case)).content.decode()
    assert "leader" in rendered_actions(html)
    assert f'value="{district_leader.pk}"' in html  # a candidate of the county
    assert 'data-field="leader"' in html

    response = supervisor.post(action_url(case, "leader"), {"leader-leader": district_leader.pk})
    assert response.status_code == 303
    case.refresh_from_db()
    assert case.leader_id == district_leader.pk
    page = supervisor.get(case_url(case)).content.decode()
    assert "区领导王强" in page.split('data-field="leader"', 1)[1].split("</dd>", 1)[0]
    assert case.events.filter(kind=EventKind.LEADER_SET).exists()
    assert Notification.objects.filter(recipient_user=district_leader, kind="leader_set").count() == 1
    # The leader opens the case from their inbox link.
    assert client_for(district_leader).get(case_url(case)).status_code == 200


def test_replacing_without_a_reason_is_refused_beside_the_field(make_case, staff_a, district_leader, make_staff, tree):
    case = make_case(Status.IN_MEDIATION, colour=Colour.RED, leader=district_leader)
    other = make_staff(Role.SUPERVISOR, area=tree.town_a)
    response = client_for(staff_a[Role.SUPERVISOR]).post(
        "/en" + action_url(case, "leader"), {"leader-leader": other.pk}
    )
    assert response.status_code == 400
    assert "Please give a reason for replacing the leader." in response.content.decode()
    case.refresh_from_db()
    assert case.leader_id == district_leader.pk


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DISPATCHER, Role.CALLBACK_CALLER])
def test_other_roles_are_not_offered_the_action_and_are_refused(make_case, staff_a, district_leader, role):
    case = make_case(Status.IN_MEDIATION, colour=Colour.RED)
    client = client_for(staff_a[role])
    assert "leader" not in rendered_actions(client.get(case_url(case)).content.decode())
    response = client.post(action_url(case, "leader"), {"leader-leader": district_leader.pk})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.leader_id is None


def test_a_red_case_without_a_leader_says_it_needs_one(make_case, staff_a):
    case = make_case(Status.IN_MEDIATION, colour=Colour.RED)
    html = client_for(staff_a[Role.MEDIATOR]).get("/en" + case_url(case)).content.decode()
    assert "None yet: a red case needs one" in html


def test_the_api_names_the_leader_and_the_detail_shows_it(make_case, staff_a, district_leader, tree, make_staff):
    case = make_case(Status.IN_MEDIATION, colour=Colour.RED)
    url = f"/api/v1/cases/{case.tracking_number}/"
    assert api_for(staff_a[Role.MEDIATOR]).get(url).json()["leader"] is None

    response = api_for(staff_a[Role.SUPERVISOR]).post(url + "leader/", {"leader": district_leader.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["leader"] == {"id": district_leader.pk, "name": "区领导王强"}

    refused = api_for(staff_a[Role.MEDIATOR]).post(
        url + "leader/", {"leader": district_leader.pk}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "wrong_role"

    outside = make_staff(Role.SUPERVISOR, area=tree.town_b)
    not_eligible = api_for(staff_a[Role.SUPERVISOR]).post(
        url + "leader/", {"leader": outside.pk, "reason": "换人"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert not_eligible.status_code == 400
    assert not_eligible.json()["error"]["code"] == "leader_not_eligible"
    case.refresh_from_db()
    assert case.leader_id == district_leader.pk


def test_the_overdue_export_lists_the_leader(make_case, staff_a, district_leader):
    from datetime import timedelta

    from django.utils import timezone

    from disputes.dashboard import tables

    case = make_case(Status.IN_MEDIATION, colour=Colour.RED, leader=district_leader)
    case.next_due_at = timezone.now() - timedelta(days=3)
    case.save(update_fields=["next_due_at"])
    supervisor = staff_a[Role.SUPERVISOR]
    table = tables.overdue_table(supervisor, supervisor.staff.area, lambda number: f"/work/case/{number}/", 1)
    assert table.columns[-1] in ("Leader in charge", "包案领导")
    assert table.rows[0][-1] == "区领导王强"
