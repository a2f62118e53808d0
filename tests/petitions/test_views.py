"""The staff pages: list and petition page under the jurisdiction rules, and the letter's A4 print view."""

from datetime import timedelta

from django.contrib.admin.sites import site
from django.urls import reverse
from django.utils import timezone

from core.actors import Actor
from grids.models import Role
from petitions import services
from petitions.models import Petition, PetitionLetter
from petitions.rules import LetterKind
from tests.factories import CategoryFactory

from .conftest import PETITIONER


def test_the_list_shows_only_petitions_in_jurisdiction_open_first(client, register, make_staff, tree, clerk):
    sooner = register(received_on=timezone.localdate() - timedelta(days=5))
    in_b = register(area=tree.village_b, petitioners=[{"name": "赵六"}], category=CategoryFactory(code="land"))
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.town_a))

    response = client.get(reverse("petitions:list"))

    assert response.status_code == 200
    body = response.content.decode()
    assert sooner.tracking_number_display in body and in_b.tracking_number_display not in body

    client.force_login(clerk)
    body = client.get(reverse("petitions:list")).content.decode()
    assert body.index(sooner.tracking_number_display) < body.index(in_b.tracking_number_display)


def test_the_petition_page_shows_timeline_deadlines_and_letters_with_personal_data_masked(
    client, register, clerk, departments
):
    petition = services.petition_decide(
        petition=register(leader_name="李副区长"),
        actor=Actor.for_user(clerk),
        decision="accept",
        handling_department=departments["a"],
    )
    letter = services.petition_issue_letter(petition=petition, actor=Actor.for_user(clerk), kind=LetterKind.REMINDER)
    client.force_login(clerk)

    response = client.get(reverse("petitions:petition", args=[petition.tracking_number]))

    assert response.status_code == 200
    body = response.content.decode()
    assert letter.document_number in body
    assert reverse("petitions:letter_print", args=[petition.tracking_number, letter.pk]) in body
    assert PETITIONER["phone"] not in body and PETITIONER["id_number"] not in body
    assert "136****6000" in body
    # Registered, accepted, letter issued: newest first.
    assert [e.kind for e in response.context["events"]] == ["letter_issued", "transition", "registered"]


def test_a_petition_outside_jurisdiction_is_not_found(client, register, make_staff, tree):
    petition = register()
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.town_b))
    assert client.get(reverse("petitions:petition", args=[petition.tracking_number])).status_code == 404
    assert client.get(reverse("petitions:petition", args=["NOSUCHNUMBER"])).status_code == 404


def test_the_pages_need_a_login(client, register):
    petition = register()
    response = client.get(reverse("petitions:petition", args=[petition.tracking_number]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_letter_prints_with_its_document_number(client, register, clerk, departments, make_staff, tree):
    petition = services.petition_decide(
        petition=register(), actor=Actor.for_user(clerk), decision="accept", handling_department=departments["a"]
    )
    actor = Actor.for_user(clerk)
    for _ in range(11):
        services.petition_issue_letter(petition=petition, actor=actor, kind=LetterKind.ASSIGNMENT)
    letter = PetitionLetter.objects.get(number=11)
    url = reverse("petitions:letter_print", args=[petition.tracking_number, letter.pk])
    client.force_login(clerk)

    response = client.get(url)

    assert response.status_code == 200
    body = response.content.decode()
    assert f"〔{timezone.localdate().year}〕第11号" in body
    assert "交办函" in body or "Assignment letter" in body
    assert departments["a"].name in body
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.town_b))
    assert client.get(url).status_code == 404


def test_the_models_are_in_the_admin():
    assert Petition in site._registry and PetitionLetter in site._registry


def test_an_account_without_a_staff_profile_is_refused_the_list(client, register):
    from tests.factories import UserFactory

    register()
    client.force_login(UserFactory(username="resident-account"))
    assert client.get(reverse("petitions:list")).status_code == 403


def test_both_pages_link_a_petition_turned_into_a_dispute(client, register, clerk, tree):
    petition = register(area=tree.grid_a)
    case = services.petition_to_dispute(petition=petition, actor=Actor.for_user(clerk), reason="实为邻里纠纷")
    client.force_login(clerk)

    petition_page = client.get(reverse("petitions:petition", args=[petition.tracking_number])).content.decode()
    case_page = client.get(reverse("disputes:case", args=[case.tracking_number]))

    assert reverse("disputes:case", args=[case.tracking_number]) in petition_page
    assert case_page.status_code == 200
    assert "实为邻里纠纷" in case_page.content.decode()
