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
