"""Walk-in and phone registration by staff: the same form, the staff member's area, channel walk_in."""

import pytest

from disputes.models import Dispute
from disputes.rules.enums import Channel, Status
from grids.models import Role

WALK_IN = "/staff/walk-in/"


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(WALK_IN)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_roles_that_do_not_register_cases_are_refused(client, staff_a):
    client.force_login(staff_a[Role.CALLBACK_CALLER])
    assert client.get(WALK_IN).status_code == 403


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.SUPERVISOR, Role.MEDIATOR, Role.DEPARTMENT_STAFF, Role.ADMIN])
def test_staff_roles_may_open_the_page(client, staff_a, role):
    client.force_login(staff_a[role])
    assert client.get(WALK_IN).status_code == 200


def test_a_dispatcher_registers_a_visitor(client, staff_a, form_data, tree):
    clerk = staff_a[Role.DISPATCHER]
    client.force_login(clerk)
    page = client.get(WALK_IN).content.decode()
    # The places start at the dispatcher's township: its villages only.
    assert f'<option value="{tree.village_a.pk}">船山社区</option>' in page
    assert f'<option value="{tree.village_b.pk}">' not in page
    data = form_data(area_2=None, area_3=None)
    response = client.post(WALK_IN, data)
    assert response.status_code == 302
    case = Dispute.objects.get()
    assert (case.channel, case.grid) == (Channel.WALK_IN, tree.grid_a)
    first = case.events.get(action="submit")
    assert (first.actor, first.actor_role) == (clerk, Role.DISPATCHER)
    done = client.get(response["Location"])
    assert done.status_code == 200
    assert case.tracking_number_display.split()[0] in done.content.decode()
    assert f"<strong>{Status(case.status).label}</strong>" in done.content.decode()


def test_a_place_outside_the_staff_area_is_refused(client, staff_a, form_data, tree):
    client.force_login(staff_a[Role.DISPATCHER])
    data = form_data(area_2=None, area_3=None, area_4=str(tree.village_b.pk), area_5=str(tree.grid_b.pk))
    response = client.post(WALK_IN, data)
    assert response.status_code == 400
    assert 'id="id_area_4_error"' in response.content.decode()
    assert not Dispute.objects.exists()


def test_the_done_page_shows_only_cases_the_staff_member_may_see(client, staff_a, make_staff, form_data, tree):
    client.force_login(staff_a[Role.DISPATCHER])
    location = client.post(WALK_IN, form_data(area_2=None, area_3=None))["Location"]
    outsider = make_staff(Role.DISPATCHER, area=tree.town_b)
    client.force_login(outsider)
    assert client.get(location).status_code == 404


def test_no_rate_limit_for_staff(client, staff_a, form_data, settings):
    settings.PUBLIC_SUBMIT_PER_IP_HOUR = 0
    settings.PUBLIC_SUBMIT_PER_PHONE_DAY = 0
    client.force_login(staff_a[Role.DISPATCHER])
    assert client.post(WALK_IN, form_data(area_2=None, area_3=None)).status_code == 302


def test_a_registration_from_the_english_pages_still_texts_the_resident_in_chinese(client, staff_a, form_data):
    from core.models import Notification

    client.force_login(staff_a[Role.DISPATCHER])
    response = client.post("/en" + WALK_IN, form_data(area_2=None, area_3=None))
    assert response.status_code == 302
    sms = Notification.objects.get(kind="submitted")
    assert "Tracking number" not in sms.body
    assert sms.body.startswith("您的纠纷已登记")
