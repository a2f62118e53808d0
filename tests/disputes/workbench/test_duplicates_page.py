"""疑似重复 on the staff side: the link on the case page, merge or dismiss by hand, and the staff API doing the same."""

import pytest
from django.utils.translation import gettext
from rest_framework.test import APIClient

from core.actors import Actor
from disputes.models import CaseEvent, Dispute
from disputes.rules.enums import Channel, EventKind, PartyRole, Status
from disputes.services.intake import dispute_intake
from disputes.staff.actions import PAGE_ACTIONS as ACTIONS
from disputes.staff.actions import actions_for
from grids.models import Role
from tests.disputes.cases import case_in
from tests.disputes.workbench.casepage import APPLICANT_PHONE, action_url, case_url, client_for
from tests.disputes.workbench.test_case_actions_page import accepted_by_service

pytestmark = pytest.mark.django_db

ATTACKER_TEXT = "我是李四，案件不用再处理了，请不要联系我。"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.fixture
def original(make_case):
    return make_case(Status.IN_MEDIATION, description="王五多次殴打我，要求调解。")


@pytest.fixture
def duplicate(original, tree, category) -> Dispute:
    """What the other side submits with the resident's phone and their own name, through the public form's door."""
    result = dispute_intake(
        category=category,
        description=ATTACKER_TEXT,
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=[
            {"role": PartyRole.APPLICANT, "name": "李四", "phone": APPLICANT_PHONE},
            {"role": PartyRole.RESPONDENT, "name": "王五"},
        ],
    )
    return Dispute.objects.get(pk=result.dispute.pk)


@pytest.fixture
def people(staff_a, make_staff, tree, county_department):
    """Each staff role of township A, and a county bureau's mediator who can see but not handle the cases."""
    return {**staff_a, "other_mediator": make_staff(Role.MEDIATOR, area=tree.county, department=county_department)}


@pytest.fixture
def other_committee(make_staff, tree, departments):
    """A mediator of township B's committee stationed in township A: sees both cases, handles neither."""
    return make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["b"])


def groups_of(case: Dispute) -> list[str]:
    return case.tracking_number_display.split()


# --- The page ----------------------------------------------------------------------------------------


def test_the_page_links_both_ways_for_staff_who_see_both(original, duplicate, mediator):
    client = client_for(mediator)
    original_url, duplicate_url = case_url(original), case_url(duplicate)
    html = client.get("/en" + duplicate_url).content.decode()
    assert f'data-duplicate-of="{original.tracking_number}"' in html
    assert f'href="/en{original_url}"' in html
    assert "Possible duplicate of" in html
    assert f"Merge into the earlier case {original.tracking_number_display}" in html
    assert 'data-action="merge_duplicate"' in html and 'data-action="dismiss_duplicate"' in html
    assert f"The earlier case: {original.tracking_number_display}" in html  # the timeline's event
    older = client.get("/en" + original_url).content.decode()
    assert f'data-duplicate="{duplicate.tracking_number}"' in older
    assert f'href="/en{duplicate_url}"' in older
    assert "Later cases that may repeat this one" in older
    assert f"The later case: {duplicate.tracking_number_display}" in older
    # Only on the duplicate: the earlier case's page has nothing to merge.
    assert 'data-action="merge_duplicate"' not in older


def test_the_page_never_names_a_case_the_user_cannot_open(original, duplicate, make_staff, tree):
    # The original moves to township B: township A's dispatcher sees the duplicate only.
    Dispute.objects.filter(pk=original.pk).update(grid=tree.grid_b, area_path=tree.grid_b.path)
    dispatcher = make_staff(Role.DISPATCHER, area=tree.town_a)
    answer = client_for(dispatcher).get(case_url(duplicate))
    assert answer.status_code == 200
    html = answer.content.decode()
    assert original.tracking_number not in html
    assert all(group not in html for group in groups_of(original))
    assert "data-duplicate-of" not in html and 'data-action="merge_duplicate"' not in html
    assert client_for(dispatcher).get(case_url(original)).status_code == 404


def test_merge_through_the_page(original, duplicate, mediator):
    client = client_for(mediator)
    answer = client.post(action_url(duplicate, "merge_duplicate"), {"merge_duplicate-reason": "同一纠纷"})
    assert answer.status_code == 303 and answer["Location"] == case_url(duplicate)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.WITHDRAWN
    assert CaseEvent.objects.filter(dispute=original, kind=EventKind.DUPLICATE_MERGED, actor=mediator).exists()
    older = client.get(case_url(original)).content.decode()
    assert ATTACKER_TEXT in older  # the internal note, for staff
    # Nothing more to decide on a merged duplicate.
    assert actions_for(mediator, duplicate, keys=ACTIONS) & {"merge_duplicate", "dismiss_duplicate"} == set()


def test_merge_needs_a_reason_beside_the_field(original, duplicate, mediator):
    answer = client_for(mediator).post(action_url(duplicate, "merge_duplicate"), {"merge_duplicate-reason": ""})
    assert answer.status_code == 400
    assert 'id="id_merge_duplicate-reason_error"' in answer.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.status == Status.SUBMITTED


def test_merge_is_refused_to_a_mediator_who_does_not_handle_the_earlier_case(original, duplicate, other_committee):
    client = client_for(other_committee)
    html = client.get(case_url(duplicate)).content.decode()
    assert 'data-action="merge_duplicate"' not in html and 'data-action="dismiss_duplicate"' not in html
    for action in ("merge_duplicate", "dismiss_duplicate"):
        answer = client.post(action_url(duplicate, action), {f"{action}-reason": "同一纠纷"})
        assert answer.status_code == 403
        assert gettext("Only the department handling this case may do this.") in answer.content.decode()
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of_id) == (Status.SUBMITTED, original.pk)
    assert not CaseEvent.objects.filter(kind=EventKind.DUPLICATE_MERGED).exists()


def test_dismiss_through_the_page(original, duplicate, staff_a):
    supervisor = staff_a[Role.SUPERVISOR]
    url = case_url(duplicate)
    answer = client_for(supervisor).post(
        action_url(duplicate, "dismiss_duplicate"), {"dismiss_duplicate-reason": "另一起纠纷"}
    )
    assert answer.status_code == 303
    duplicate.refresh_from_db()
    assert duplicate.duplicate_of_id is None and duplicate.status == Status.SUBMITTED
    html = client_for(supervisor).get("/en" + url).content.decode()
    assert "data-duplicate-of" not in html
    assert "Not the same dispute: the link was removed." in html


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.DISPATCHED, Status.ACCEPTED, Status.WITHDRAWN])
def test_the_page_offers_the_duplicate_actions_exactly_when_the_services_accept(
    status, original, people, departments, tree, category, county_department
):
    # The duplicate went to township B's committee: township A's mediator handles the original, not this one.
    duplicate = case_in(status, grid=tree.grid_a, category=category, department=departments["b"], duplicate_of=original)
    for who, user in people.items():
        expected = {
            a
            for a in ("merge_duplicate", "dismiss_duplicate")
            if accepted_by_service(a, duplicate, user, county_department)
        }
        offered = actions_for(user, duplicate, keys=ACTIONS) & {"merge_duplicate", "dismiss_duplicate"}
        assert offered == expected, (status, who)
        duplicate.refresh_from_db()
        assert (duplicate.status, duplicate.duplicate_of_id) == (status, original.pk)
    if status != Status.WITHDRAWN:
        assert "merge_duplicate" in actions_for(people[Role.MEDIATOR], duplicate, keys=ACTIONS)


# --- The staff API -----------------------------------------------------------------------------------


def api_for(user) -> APIClient:
    client = APIClient(headers={"accept-language": "en"})
    client.force_authenticate(user)
    return client


def duplicates_url(case: Dispute) -> str:
    return f"/api/v1/cases/{case.tracking_number}/duplicates/"


def test_the_api_shows_the_links_and_merges(original, duplicate, mediator):
    client = api_for(mediator)
    body = client.get(duplicates_url(duplicate)).json()
    assert body["duplicate_of"]["tracking_number"] == original.tracking_number
    assert body["allowed_actions"] == ["dismiss_duplicate", "merge_duplicate"]
    assert [c["tracking_number"] for c in client.get(duplicates_url(original)).json()["suspected_duplicates"]] == [
        duplicate.tracking_number
    ]
    answer = client.post(duplicates_url(duplicate), {"action": "merge", "reason": "同一纠纷"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["allowed_actions"] == []
    duplicate.refresh_from_db()
    assert duplicate.status == Status.WITHDRAWN
    assert CaseEvent.objects.filter(dispute=duplicate, kind=EventKind.DUPLICATE_MERGED, actor=mediator).exists()


def test_the_api_refuses_what_the_page_refuses(original, duplicate, other_committee, make_staff, tree, mediator):
    refused = api_for(other_committee).post(
        duplicates_url(duplicate), {"action": "merge", "reason": "同一纠纷"}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_handler"
    assert refused.json()["error"]["message"] == "Only the department handling this case may do this."
    outsider = make_staff(Role.DISPATCHER, area=tree.town_b)
    hidden = api_for(outsider).post(duplicates_url(duplicate), {"action": "merge", "reason": "同一纠纷"}, format="json")
    assert hidden.status_code == 404
    blank = api_for(mediator).post(duplicates_url(duplicate), {"action": "dismiss", "reason": ""}, format="json")
    assert blank.status_code == 400
    not_linked = api_for(mediator).post(duplicates_url(original), {"action": "merge", "reason": "同一"}, format="json")
    assert not_linked.status_code == 400 and not_linked.json()["error"]["code"] == "not_a_duplicate"
    # The generic transitions door does not close a case as a duplicate either.
    generic = api_for(mediator).post(
        f"/api/v1/cases/{duplicate.tracking_number}/transitions/",
        {"action": "merge_duplicate", "reason": "同一纠纷"},
        format="json",
    )
    assert generic.status_code == 400 and generic.json()["error"]["code"] == "not_a_duplicate"
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of_id) == (Status.SUBMITTED, original.pk)


def test_the_api_names_no_case_the_user_cannot_open(original, duplicate, make_staff, tree):
    Dispute.objects.filter(pk=original.pk).update(grid=tree.grid_b, area_path=tree.grid_b.path)
    dispatcher = make_staff(Role.DISPATCHER, area=tree.town_a)
    answer = api_for(dispatcher).get(duplicates_url(duplicate))
    assert answer.status_code == 200
    assert answer.json() == {"duplicate_of": None, "suspected_duplicates": [], "allowed_actions": []}
    assert original.tracking_number not in answer.content.decode()
    detail = api_for(dispatcher).get(f"/api/v1/cases/{duplicate.tracking_number}/").content.decode()
    assert original.tracking_number not in detail


def test_a_resident_track_page_of_the_original_is_unchanged_by_a_merge(original, duplicate, mediator, client):
    from disputes.selectors import resident_timeline

    before = [(e.kind, e.action) for e in resident_timeline(original)]
    api_for(mediator).post(duplicates_url(duplicate), {"action": "merge", "reason": "同一纠纷"}, format="json")
    assert [(e.kind, e.action) for e in resident_timeline(original)] == before
    assert Actor.for_user(mediator).role == Role.MEDIATOR
