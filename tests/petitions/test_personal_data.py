"""Petitioners' personal data: masked for those who do not work the petition, revealed one field at a time, logged."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from core.actors import Actor
from core.models import PersonalDataAccess
from grids.models import Role
from petitions import services
from petitions.selectors import user_works_petition
from tests.factories import DepartmentFactory

from .conftest import PETITIONER


@pytest.fixture
def petition(register, clerk, departments):
    """Registered by the county bureau about village A, handled by township A's committee."""
    return services.petition_decide(
        petition=register(), actor=Actor.for_user(clerk), decision="accept", handling_department=departments["a"]
    )


def test_who_works_a_petition(petition, clerk, staff_a, make_staff, tree, django_user_model):
    works = {role: user_works_petition(user, petition) for role, user in staff_a.items()}
    assert works == {
        Role.MEDIATOR: True,  # of the handling department (township A's committee)
        Role.DEPARTMENT_STAFF: True,
        Role.DISPATCHER: True,  # over township A
        Role.CALLBACK_CALLER: False,  # not before the written reply
        Role.SUPERVISOR: True,
        Role.ADMIN: True,
    }
    assert user_works_petition(clerk, petition)  # the receiving office
    other_department = DepartmentFactory(name="南浦街道司法所", area=tree.town_a)
    assert not user_works_petition(make_staff(Role.MEDIATOR, area=tree.town_a, department=other_department), petition)
    assert not user_works_petition(make_staff(Role.SUPERVISOR, area=tree.town_b), petition)
    assert not user_works_petition(AnonymousUser(), petition)
    assert not user_works_petition(django_user_model.objects.create_user("nobody"), petition)
    leader = django_user_model.objects.create_user("leader")
    petition.leader_user = leader
    assert user_works_petition(leader, petition)


def test_the_page_masks_for_a_bystander_and_shows_the_name_to_a_worker(client, petition, make_staff, tree, staff_a):
    bystander = make_staff(Role.MEDIATOR, area=tree.town_a, department=DepartmentFactory(area=tree.town_a))
    url = reverse("petitions:petition", args=[petition.tracking_number])

    client.force_login(bystander)
    body = client.get(url).content.decode()
    assert PETITIONER["name"] not in body and PETITIONER["phone"] not in body
    assert "petitioners/" not in body  # no reveal button

    client.force_login(staff_a[Role.DEPARTMENT_STAFF])
    body = client.get(url).content.decode()
    assert PETITIONER["name"] in body and PETITIONER["phone"] not in body
    assert (
        reverse("petitions:petitioner_reveal", args=[petition.tracking_number, petition.petitioners.get().pk]) in body
    )


def test_a_reveal_shows_one_field_and_is_logged_without_the_value(client, petition, staff_a):
    person = petition.petitioners.get()
    client.force_login(staff_a[Role.DEPARTMENT_STAFF])

    response = client.post(
        reverse("petitions:petitioner_reveal", args=[petition.tracking_number, person.pk]), {"field": "id_number"}
    )

    body = response.content.decode()
    assert response.status_code == 200 and PETITIONER["id_number"] in body and PETITIONER["phone"] not in body
    (entry,) = PersonalDataAccess.objects.all()
    assert (entry.user, entry.action, entry.what, entry.case_ref, entry.object_id) == (
        staff_a[Role.DEPARTMENT_STAFF],
        PersonalDataAccess.Action.REVEAL,
        "petitioner.id_number",
        petition.tracking_number,
        person.pk,
    )
    assert PETITIONER["id_number"] not in str(entry.detail)


def test_a_reveal_is_refused_and_not_logged_for_a_bystander(client, petition, make_staff, tree):
    bystander = make_staff(Role.MEDIATOR, area=tree.town_a, department=DepartmentFactory(area=tree.town_a))
    client.force_login(bystander)
    person = petition.petitioners.get()

    response = client.post(
        reverse("petitions:petitioner_reveal", args=[petition.tracking_number, person.pk]), {"field": "phone"}
    )

    assert response.status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_the_api_masks_names_for_a_bystander_and_reveals_to_a_worker(client, petition, make_staff, tree, staff_a):
    detail = reverse("api:petition-detail", args=[petition.tracking_number])
    person = petition.petitioners.get()
    client.force_login(make_staff(Role.MEDIATOR, area=tree.town_a, department=DepartmentFactory(area=tree.town_a)))
    (row,) = client.get(detail).json()["petitioners"]
    assert row["name"] != PETITIONER["name"] and row["phone"] != PETITIONER["phone"]

    client.force_login(staff_a[Role.SUPERVISOR])
    (row,) = client.get(detail).json()["petitioners"]
    assert row["name"] == PETITIONER["name"] and row["phone"] != PETITIONER["phone"] and row["id"] == person.pk
    reveal = reverse("api:petition-petitioner-reveal", args=[petition.tracking_number, person.pk])
    response = client.post(reveal, {"field": "phone"}, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"field": "phone", "value": PETITIONER["phone"]}
    assert PersonalDataAccess.objects.filter(what="petitioner.phone").count() == 1


def test_petitioner_reveals_need_the_second_factor_and_keep_the_hourly_pace(
    client, petition, staff_a, settings, time_machine
):
    """The same reveal service as the case page's: a dispatcher needs a verified code; past the limit, it waits."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    time_machine.move_to("2026-12-07 10:05:00 +0800", tick=False)  # one clock hour for the whole test
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "TwoFactorRequired" not in m]  # the service alone
    settings.TWO_FACTOR_REQUIRED = True
    settings.PERSONAL_DATA_REVEALS_PER_HOUR = 3
    dispatcher = staff_a[Role.DISPATCHER]
    person = petition.petitioners.get()
    page = reverse("petitions:petitioner_reveal", args=[petition.tracking_number, person.pk])
    api = reverse("api:petition-petitioner-reveal", args=[petition.tracking_number, person.pk])
    client.force_login(dispatcher)

    refused = client.post(page, {"field": "phone"})
    assert refused.status_code == 403
    body = refused.content.decode()
    assert "查看完整的个人信息前，请先设置双因素登录（身份验证器应用）。" in body and PETITIONER["phone"] not in body
    refused = client.post(api, {"field": "phone"}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "two_factor_required"
    assert not PersonalDataAccess.objects.exists()

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(user=dispatcher, confirmed=True).persistent_id
    session.save()
    for _ in range(3):
        assert client.post(api, {"field": "phone"}, content_type="application/json").status_code == 200
    held = client.post(page, {"field": "phone"})
    assert held.status_code == 429
    body = held.content.decode()
    assert "您在一小时内查看的个人信息已达上限" in body and PETITIONER["phone"] not in body
    again = client.post(api, {"field": "phone"}, content_type="application/json")
    assert again.status_code == 429 and again.json()["error"]["code"] == "reveal_limit"
    assert PersonalDataAccess.objects.filter(user=dispatcher).count() == 3
