"""The staff API for petitions (信访): every endpoint, its validation, the jurisdiction rules, roles and masking."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.actors import Actor
from disputes.models import Dispute
from grids.models import Role
from petitions import services
from petitions.models import Petition, PetitionLetter
from petitions.rules import LetterKind, Status
from tests.factories import CategoryFactory

from .conftest import MATTER, PETITIONER

VALID_ID = "360103197001011237"  # GB 11643 check character correct


def _accepted(register, clerk, departments, **overrides) -> Petition:
    return services.petition_decide(
        petition=register(leader_name="李副区长", **overrides),
        actor=Actor.for_user(clerk),
        decision="accept",
        handling_department=departments["a"],
    )


def _post(client, name: str, petition: Petition | None = None, data: dict | None = None, **extra):
    args = [petition.tracking_number] if petition is not None else []
    return client.post(reverse(f"api:{name}", args=args), data=data or {}, content_type="application/json", **extra)


def _register_body(tree, category, bureau, **overrides) -> dict:
    body = {
        "form": "visit",
        "matter": MATTER,
        "area": tree.village_a.pk,
        "category": category.pk,
        "receiving_office": bureau.pk,
        "petitioners": [{"name": "王五", "phone": "13600136000", "id_number": VALID_ID, "address": "船山社区3栋"}],
    }
    body.update(overrides)
    return body


# --- List ---------------------------------------------------------------------------------------


def test_the_list_shows_visible_petitions_open_first_by_nearest_deadline_with_names_masked(
    client, register, make_staff, tree, clerk, departments
):
    later = _accepted(register, clerk, departments)  # 60-day clock: due later
    sooner = register(received_on=timezone.localdate() - timedelta(days=5), petitioners=[{"name": "赵六"}])
    closed = services.petition_decide(
        petition=register(petitioners=[{"name": "钱七"}]),
        actor=Actor.for_user(clerk),
        decision="not_accept",
        reason="不属于信访事项",
    )
    outside = register(area=tree.village_b, category=CategoryFactory(code="land"))
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.town_a))

    body = client.get(reverse("api:petition-list")).json()

    numbers = [row["tracking_number"] for row in body["results"]]
    assert numbers == [p.tracking_number_display for p in (sooner, later, closed)]
    assert outside.tracking_number_display not in numbers
    assert body["next"] is None
    assert body["results"][1]["petitioners"] == ["王*"]
    text = str(body)
    assert PETITIONER["phone"] not in text and "王五" not in text


def test_the_list_pages_by_keyset_without_repeating_a_row(client, register, clerk, monkeypatch):
    from petitions.api.pagination import DeadlineKeyset

    monkeypatch.setattr(DeadlineKeyset, "page_size", 2)
    made = {register(petitioners=[{"name": f"人{i}"}]).tracking_number_display for i in range(5)}
    client.force_login(clerk)

    seen, url = [], reverse("api:petition-list")
    while url:
        body = client.get(url).json()
        seen += [row["tracking_number"] for row in body["results"]]
        url = body["next"]

    assert len(seen) == 5 and set(seen) == made


def test_the_list_filters_by_status_form_repeat_and_area(client, register, clerk, departments, tree):
    first = register()
    repeat = register(form="letter")  # same person, same matter
    accepted = _accepted(register, clerk, departments, petitioners=[{"name": "赵六", "phone": "13900139000"}])
    in_b = register(area=tree.village_b, petitioners=[{"name": "孙八"}])
    client.force_login(clerk)

    def numbers(**params):
        rows = client.get(reverse("api:petition-list"), params).json()["results"]
        return {row["tracking_number"] for row in rows}

    assert numbers(status="accepted") == {accepted.tracking_number_display}
    assert numbers(form="letter") == {repeat.tracking_number_display}
    assert numbers(is_repeat="true") == {repeat.tracking_number_display}
    assert first.tracking_number_display in numbers(is_repeat="false")
    assert numbers(area=tree.town_b.pk) == {in_b.tracking_number_display}
    response = client.get(reverse("api:petition-list"), {"status": "nonsense"})
    assert response.status_code == 400 and "status" in response.json()["error"]["fields"]


def test_an_account_without_a_staff_profile_lists_nothing(client, register, django_user_model):
    register()
    client.force_login(django_user_model.objects.create_user("resident", password="x-long-password-1"))

    assert client.get(reverse("api:petition-list")).json()["results"] == []


# --- Register -----------------------------------------------------------------------------------


def test_register_stores_the_petition_and_answers_its_detail(client, clerk, tree, category, bureau):
    client.force_login(clerk)

    response = _post(client, "petition-list", data=_register_body(tree, category, bureau))

    assert response.status_code == 201, response.json()
    body = response.json()
    petition = Petition.objects.get()
    assert body["tracking_number"] == petition.tracking_number_display
    assert body["status"] == Status.REGISTERED
    assert [d["kind"] for d in body["deadlines"]] == ["decide_acceptance"]
    assert petition.petitioners.get().id_number == VALID_ID
    assert body["petitioners"][0]["id_number"] == "360*************37"


def test_register_refuses_a_bad_phone_and_id_number_in_the_users_language(client, clerk, tree, category, bureau):
    client.force_login(clerk)
    bad = [{"name": "王五", "phone": "12345", "id_number": "360103197001011234"}]

    response = _post(client, "petition-list", data=_register_body(tree, category, bureau, petitioners=bad))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    person = error["fields"]["petitioners"]["0"]
    assert set(person) == {"phone", "id_number"}
    assert error["message"] == "请输入有效的11位手机号码。"
    english = _post(
        client,
        "petition-list",
        data=_register_body(tree, category, bureau, petitioners=bad),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.json()["error"]["message"] == "Enter a valid mobile phone number (11 digits)."
    assert not Petition.objects.exists()


def test_register_refuses_missing_fields_and_no_petitioners(client, clerk, tree, category, bureau):
    client.force_login(clerk)

    response = _post(client, "petition-list", data=_register_body(tree, category, bureau, petitioners=[], form="fax"))

    assert response.status_code == 400
    assert {"petitioners", "form"} <= set(response.json()["error"]["fields"])


def test_register_outside_the_users_area_is_refused(client, make_staff, tree, category, bureau):
    client.force_login(make_staff(Role.DISPATCHER, area=tree.town_a))

    response = _post(client, "petition-list", data=_register_body(tree, category, bureau, area=tree.village_b.pk))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "out_of_area"
    assert not Petition.objects.exists()


def test_a_mediator_may_not_register(client, make_staff, tree, category, bureau):
    client.force_login(make_staff(Role.MEDIATOR, area=tree.town_a))

    response = _post(client, "petition-list", data=_register_body(tree, category, bureau))

    assert response.status_code == 403 and response.json()["error"]["code"] == "wrong_role"


# --- Detail -------------------------------------------------------------------------------------


def test_the_detail_has_timeline_deadlines_letters_and_masked_petitioners(client, register, clerk, departments):
    petition = _accepted(register, clerk, departments)
    letter = services.petition_issue_letter(petition=petition, actor=Actor.for_user(clerk), kind=LetterKind.REMINDER)
    client.force_login(clerk)

    response = client.get(reverse("api:petition-detail", args=[petition.tracking_number]))

    assert response.status_code == 200
    body = response.json()
    assert [e["kind"] for e in body["timeline"]] == ["registered", "transition", "letter_issued"]
    assert {d["kind"] for d in body["deadlines"]} == {"decide_acceptance", "handle"}
    assert [x["document_number"] for x in body["letters"]] == [letter.document_number]
    assert body["handling_department"] == departments["a"].name
    assert body["petitioners"][0]["phone"] == "136****6000"
    text = response.content.decode()
    assert PETITIONER["phone"] not in text and PETITIONER["id_number"] not in text
    assert "船山社区3栋" not in text


def test_a_petition_outside_jurisdiction_is_not_found(client, register, make_staff, tree):
    petition = register(area=tree.village_b)
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.town_a))

    response = client.get(reverse("api:petition-detail", args=[petition.tracking_number]))

    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "未找到该信访件。"}
    # and no action reaches it either
    assert _post(client, "petition-reply", petition, {"text": "答复"}).status_code == 404


# --- Actions ------------------------------------------------------------------------------------


def test_decision_accepts_and_opens_the_handling_clock(client, register, supervisor_a, departments):
    petition = register()
    client.force_login(supervisor_a)

    response = _post(
        client, "petition-decision", petition, {"decision": "accept", "handling_department": departments["a"].pk}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Status.ACCEPTED
    assert "handle" in {d["kind"] for d in response.json()["deadlines"] if d["is_open"]}


def test_decision_not_accept_needs_a_reason_and_an_unknown_decision_is_invalid(client, register, supervisor_a):
    petition = register()
    client.force_login(supervisor_a)

    refused = _post(client, "petition-decision", petition, {"decision": "not_accept"})
    invalid = _post(client, "petition-decision", petition, {"decision": "ignore"})

    assert refused.status_code == 400 and refused.json()["error"]["code"] == "reason_required"
    assert invalid.status_code == 400 and "decision" in invalid.json()["error"]["fields"]
    petition.refresh_from_db()
    assert petition.status == Status.REGISTERED


def test_a_decision_in_the_wrong_state_is_refused(client, register, clerk, departments):
    petition = _accepted(register, clerk, departments)
    client.force_login(clerk)

    response = _post(client, "petition-decision", petition, {"decision": "accept"})

    assert response.status_code == 400 and response.json()["error"]["code"] == "wrong_state"


def test_extension_once_by_a_supervisor(client, register, clerk, supervisor_a, departments):
    petition = _accepted(register, clerk, departments)
    client.force_login(supervisor_a)

    response = _post(client, "petition-extension", petition, {"days": 30, "reason": "需要多部门会商"})
    again = _post(client, "petition-extension", petition, {"days": 5, "reason": "再延"})
    too_long = _post(client, "petition-extension", petition, {"days": 31, "reason": "太长"})

    assert response.status_code == 200, response.json()
    handle = next(d for d in response.json()["deadlines"] if d["kind"] == "handle")
    assert handle["extended_days"] == 30
    assert again.status_code == 400 and again.json()["error"]["code"] == "already_extended"
    assert too_long.status_code == 400 and "days" in too_long.json()["error"]["fields"]


def test_a_clerk_may_not_approve_an_extension(client, register, clerk, departments):
    petition = _accepted(register, clerk, departments)
    client.force_login(clerk)

    response = _post(client, "petition-extension", petition, {"days": 10, "reason": "需要时间"})

    assert response.status_code == 403 and response.json()["error"]["code"] == "wrong_role"


def test_reply_records_the_written_reply(client, register, clerk, departments):
    petition = _accepted(register, clerk, departments)
    client.force_login(clerk)

    response = _post(client, "petition-reply", petition, {"text": "经核实，补偿款已于本月发放。"})

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Status.REPLIED
    assert response.json()["reply_text"] == "经核实，补偿款已于本月发放。"
    assert _post(client, "petition-reply", petition, {}).status_code == 400


def test_a_dispatcher_may_not_reply(client, register, clerk, departments, make_staff, tree):
    petition = _accepted(register, clerk, departments)
    client.force_login(make_staff(Role.DISPATCHER, area=tree.town_a))

    response = _post(client, "petition-reply", petition, {"text": "答复"})

    assert response.status_code == 403 and response.json()["error"]["code"] == "wrong_role"


def test_letters_get_consecutive_numbers_per_office_and_year(client, register, clerk, departments):
    petition = _accepted(register, clerk, departments)
    client.force_login(clerk)

    first = _post(client, "petition-letters", petition, {"kind": "assignment"})
    second = _post(client, "petition-letters", petition, {"kind": "reminder"})

    assert first.status_code == 201, first.json()
    year = timezone.localdate().year
    assert first.json()["letter"]["document_number"] == f"〔{year}〕第1号"
    assert second.json()["letter"]["document_number"] == f"〔{year}〕第2号"
    assert [x["number"] for x in second.json()["petition"]["letters"]] == [1, 2]
    assert PetitionLetter.objects.filter(petition=petition).count() == 2


def test_a_letter_of_unknown_kind_or_by_a_mediator_is_refused(client, register, clerk, departments, make_staff, tree):
    petition = _accepted(register, clerk, departments)
    client.force_login(clerk)
    unknown = _post(client, "petition-letters", petition, {"kind": "love"})
    client.force_login(make_staff(Role.MEDIATOR, area=tree.town_a))
    mediator = _post(client, "petition-letters", petition, {"kind": "reminder"})

    assert unknown.status_code == 400 and "kind" in unknown.json()["error"]["fields"]
    assert mediator.status_code == 403
    assert not PetitionLetter.objects.exists()


def test_to_dispute_creates_the_linked_case(client, register, clerk, tree):
    petition = register()
    client.force_login(clerk)

    response = _post(client, "petition-to-dispute", petition, {"reason": "属于民间纠纷", "grid": tree.grid_a.pk})

    assert response.status_code == 201, response.json()
    case = Dispute.objects.get()
    petition.refresh_from_db()
    assert petition.status == Status.CONVERTED and petition.dispute_id == case.pk
    assert response.json()["petition"]["dispute"] == response.json()["dispute"]
    assert _post(client, "petition-to-dispute", petition, {}).status_code == 400


@pytest.mark.parametrize("who", [Role.MEDIATOR, Role.CALLBACK_CALLER])
def test_to_dispute_is_refused_to_roles_outside_the_office(client, register, make_staff, tree, who):
    petition = register()
    client.force_login(make_staff(who, area=tree.town_a))

    response = _post(client, "petition-to-dispute", petition, {"reason": "属于民间纠纷"})

    assert response.status_code == 403
    assert not Dispute.objects.exists()
