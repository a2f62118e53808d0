"""研判 through the services: the facts come from the database, the colour and reasons are stored.

The pure rules are tested table-driven in tests/disputes/rules/test_triage.py;
these tests prove that `triage_facts` finds the right history (repeat disputes,
prior incidents between the same parties, failed mediations), that the admin's
keyword lists are used, and that re-triage and overrides follow the rule
"raise freely, lower only by a person with a reason".
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from disputes import services
from disputes.models import Dispute, TriageKeyword
from disputes.rules.enums import Channel, Colour, EventKind, Outcome, PartyRole, Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import DepartmentFactory, DisputeFactory, PartyFactory

APPLICANT_PHONE = "13900139000"
RESPONDENT_PHONE = "13700137000"
QUIET = "楼上卫生间漏水，多次沟通无果。"
THREAT = "对方说要砍死我全家。"


def submit(tree, category, *, description=QUIET, parties=None, **kwargs) -> Dispute:
    return services.dispute_submit(
        category=category,
        description=description,
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=parties or [{"role": PartyRole.APPLICANT, "name": "李四", "phone": APPLICANT_PHONE}],
        **kwargs,
    )


def triaged(tree, category, **kwargs) -> Dispute:
    case = submit(tree, category, **kwargs)
    return services.dispute_route(dispute_id=case.pk)


def earlier_case(tree, category, *, phones, days_ago: int, outcome: str = "") -> Dispute:
    """A case already stored, submitted `days_ago`, with an applicant (and a respondent) with these phones."""
    case = DisputeFactory(
        grid=tree.grid_a,
        category=category,
        status=Status.CLOSED if outcome else Status.DISPATCHED,
        outcome=outcome,
        submitted_at=timezone.now() - timedelta(days=days_ago),
    )
    roles = [PartyRole.APPLICANT, PartyRole.RESPONDENT]
    for role, phone in zip(roles, phones, strict=False):
        PartyFactory(dispute=case, role=role, phone=phone)
    return case


def rules(case: Dispute) -> dict[str, dict]:
    return {r["rule"]: r for r in case.triage_reasons}


# --- History from the database ------------------------------------------------------------------


def test_a_first_case_is_white_with_its_category_as_the_only_reason(tree, category):
    case = triaged(tree, category)

    assert case.colour == Colour.WHITE
    assert case.triage_reasons == [{"rule": "category_base", "colour": "white", "params": {"category": "neighbour"}}]


def test_the_triage_event_stores_the_colour_and_the_reasons(tree, category):
    case = triaged(tree, category, description=THREAT)

    event = case.events.get(action="triage")
    assert event.data == {"colour": "red", "reasons": case.triage_reasons}
    stored = Dispute.objects.get(pk=case.pk)
    assert (stored.colour, stored.triage_reasons) == (Colour.RED, case.triage_reasons)
    assert rules(stored)["threat_violence"] == {
        "rule": "threat_violence",
        "colour": "red",
        "params": {"words": ["砍死"]},
    }


def test_the_same_phone_on_another_case_within_twelve_months_is_a_repeat_dispute(tree, category):
    earlier = earlier_case(tree, category, phones=[APPLICANT_PHONE], days_ago=300)

    case = triaged(tree, category)

    assert case.colour == Colour.YELLOW
    # The reason names the case it was drawn from, so a reader is shown it only if they may open that case.
    assert rules(case)["repeat_dispute"] == {
        "rule": "repeat_dispute",
        "colour": "yellow",
        "params": {"count": 1},
        "sources": {"disputes": [earlier.pk]},
    }


def test_cases_older_than_twelve_months_are_not_counted(tree, category):
    earlier_case(tree, category, phones=[APPLICANT_PHONE], days_ago=370)
    earlier_case(tree, category, phones=["13000000000"], days_ago=10)  # someone else

    case = triaged(tree, category)

    assert case.colour == Colour.WHITE
    assert "repeat_dispute" not in rules(case)


def test_several_earlier_cases_are_counted_once_each(tree, category):
    # Both parties of the new case were on the same earlier case: one case, not two.
    earlier_case(tree, category, phones=[APPLICANT_PHONE, "13111111111"], days_ago=30)
    earlier_case(tree, category, phones=["13222222222", APPLICANT_PHONE], days_ago=60)

    case = triaged(tree, category)

    assert rules(case)["repeat_dispute"]["params"] == {"count": 2}


def test_the_same_applicant_and_respondent_again_is_a_prior_incident(tree, category):
    earlier_case(tree, category, phones=[APPLICANT_PHONE, RESPONDENT_PHONE], days_ago=90)
    parties = [
        {"role": PartyRole.APPLICANT, "name": "李四", "phone": APPLICANT_PHONE},
        {"role": PartyRole.RESPONDENT, "name": "王五", "phone": RESPONDENT_PHONE},
    ]

    case = triaged(tree, category, parties=parties)

    assert case.colour == Colour.RED
    assert rules(case)["prior_incident_same_parties"]["params"] == {"count": 1}
    # The stronger rule replaces the plain repeat.
    assert "repeat_dispute" not in rules(case)


def test_the_same_applicant_with_another_respondent_is_only_a_repeat(tree, category):
    earlier_case(tree, category, phones=[APPLICANT_PHONE, "13666666666"], days_ago=90)
    parties = [
        {"role": PartyRole.APPLICANT, "name": "李四", "phone": APPLICANT_PHONE},
        {"role": PartyRole.RESPONDENT, "name": "王五", "phone": RESPONDENT_PHONE},
    ]

    case = triaged(tree, category, parties=parties)

    assert case.colour == Colour.YELLOW
    assert set(rules(case)) == {"category_base", "repeat_dispute"}


def test_an_earlier_case_referred_to_litigation_is_a_failed_mediation(tree, category):
    earlier_case(tree, category, phones=[APPLICANT_PHONE], days_ago=100, outcome=Outcome.LITIGATION)

    case = triaged(tree, category)

    assert case.colour == Colour.YELLOW
    assert rules(case)["failed_mediation_before"]["params"] == {"count": 1}


def test_an_earlier_case_resolved_by_agreement_is_not_a_failed_mediation(tree, category):
    earlier_case(tree, category, phones=[APPLICANT_PHONE], days_ago=100, outcome=Outcome.AGREEMENT)

    case = triaged(tree, category)

    assert "failed_mediation_before" not in rules(case)


@pytest.mark.parametrize("flag", ["is_minor", "is_elderly", "is_disabled", "is_pregnant"])
def test_a_vulnerable_party_makes_the_case_yellow(tree, category, flag):
    parties = [{"role": PartyRole.APPLICANT, "name": "李奶奶", "phone": APPLICANT_PHONE, flag: True}]

    case = triaged(tree, category, parties=parties)

    assert case.colour == Colour.YELLOW
    assert rules(case)["vulnerable_party"]["params"] == {"flags": [flag]}


def test_the_category_base_colour_is_the_floor(tree, category):
    category.base_colour = Colour.YELLOW
    category.save()

    case = triaged(tree, category)

    assert case.colour == Colour.YELLOW
    assert case.triage_reasons == [{"rule": "category_base", "colour": "yellow", "params": {"category": "neighbour"}}]


# --- Keywords (admin-editable) --------------------------------------------------------------------


def test_an_admin_keyword_is_added_to_the_built_in_list_of_its_kind(tree, category):
    TriageKeyword.objects.create(kind=TriageKeyword.Kind.VIOLENCE, word="教训")

    built_in = triaged(tree, category, description=THREAT)
    new_word = triaged(tree, category, description="他说要找人教训我。", parties=[{"role": "applicant", "name": "甲"}])
    other_kind = triaged(
        tree, category, description="他拿着斧头站在门口。", parties=[{"role": "applicant", "name": "乙"}]
    )

    assert built_in.colour == Colour.RED, "the built-in words still count beside the admin's"
    assert new_word.colour == Colour.RED
    assert "教训" in rules(new_word)["threat_violence"]["params"]["words"]
    assert rules(other_kind)["weapon"]["params"] == {"words": ["斧头"]}


def test_an_inactive_keyword_switches_a_built_in_word_off(tree, category):
    TriageKeyword.objects.create(kind=TriageKeyword.Kind.VIOLENCE, word="同归于尽", is_active=False)

    switched_off = triaged(tree, category, description="他说要跟我同归于尽。")
    still_on = triaged(tree, category, description="他说要弄死我。", parties=[{"role": "applicant", "name": "丙"}])

    assert "threat_violence" not in rules(switched_off)
    assert switched_off.colour == Colour.WHITE
    assert rules(still_on)["threat_violence"]["params"]["words"] == ["弄死我"]


def test_a_negation_word_added_by_the_admin_sets_a_mention_aside(tree, category):
    TriageKeyword.objects.create(kind=TriageKeyword.Kind.NEGATION, word="假装")

    case = triaged(tree, category, description="他假装砍人吓唬小孩玩。")

    assert "threat_violence" not in rules(case) or "砍人" not in rules(case)["threat_violence"]["params"]["words"]


def test_the_place_is_searched_for_keywords_too(tree, category):
    case = triaged(tree, category, occurred_place="村口，对方拿着刀守在那里")

    assert rules(case)["weapon"]["params"] == {"words": ["刀"]}


# --- Re-triage on new information -----------------------------------------------------------------


@pytest.fixture
def dispatcher(make_staff, tree):
    return Actor.for_user(make_staff(Role.DISPATCHER, area=tree.town_a))


def test_adding_a_vulnerable_party_raises_the_colour(tree, category, dispatcher):
    case = triaged(tree, category)
    assert case.colour == Colour.WHITE

    party = services.dispute_add_party(
        dispute=case, actor=dispatcher, party={"role": PartyRole.THIRD_PARTY, "name": "李小宝", "is_minor": True}
    )

    case.refresh_from_db()
    assert case.colour == Colour.YELLOW
    assert "vulnerable_party" in rules(case)
    added = case.events.get(kind=EventKind.PARTY_ADDED)
    assert added.data == {"party": party.pk, "role": PartyRole.THIRD_PARTY}
    retriage = case.events.get(kind=EventKind.TRIAGE)
    assert retriage.data == {
        "cause": "party_added",
        "from_colour": "white",
        "colour": "yellow",
        "reasons": case.triage_reasons,
    }
    assert retriage.actor == dispatcher.user
    assert added.pk < retriage.pk


def test_adding_a_party_with_history_counts_their_earlier_cases(tree, category, dispatcher):
    case = triaged(tree, category)
    earlier_case(tree, category, phones=[APPLICANT_PHONE, RESPONDENT_PHONE], days_ago=40)

    services.dispute_add_party(
        dispute=case, actor=dispatcher, party={"role": PartyRole.RESPONDENT, "name": "王五", "phone": RESPONDENT_PHONE}
    )

    case.refresh_from_db()
    assert case.colour == Colour.RED
    assert rules(case)["prior_incident_same_parties"]["params"] == {"count": 1}


def test_removing_the_threat_from_the_description_does_not_lower_the_colour(tree, category, dispatcher):
    case = triaged(tree, category, description=THREAT)
    assert case.colour == Colour.RED

    updated = services.dispute_update_description(dispute=case, actor=dispatcher, description=QUIET)

    assert updated.colour == Colour.RED
    stored = Dispute.objects.get(pk=case.pk)
    assert (stored.description, stored.colour) == (QUIET, Colour.RED)
    edited = case.events.get(kind=EventKind.DESCRIPTION_EDITED)
    assert edited.data == {"previous": THREAT}
    retriage = case.events.get(kind=EventKind.TRIAGE)
    assert (retriage.data["cause"], retriage.data["from_colour"], retriage.data["colour"]) == (
        "description_edited",
        "red",
        "red",
    )
    # The colour is still explained: the reason that made it red stays on the list.
    assert rules(stored)["threat_violence"]["colour"] == "red"
    assert retriage.data["reasons"] == stored.triage_reasons


def test_a_threat_added_to_the_description_raises_the_colour(tree, category, dispatcher):
    case = triaged(tree, category)

    services.dispute_update_description(dispute=case, actor=dispatcher, description=f"{QUIET}{THREAT}")

    case.refresh_from_db()
    assert case.colour == Colour.RED
    assert rules(case)["threat_violence"]["params"] == {"words": ["砍死"]}


def test_re_triage_is_refused_on_finished_cases_and_outside_the_area(tree, category, dispatcher, make_staff):
    closed = case_in(Status.CLOSED, grid=tree.grid_a, category=category)
    outsider = Actor.for_user(make_staff(Role.DISPATCHER, area=tree.town_b))
    open_case = triaged(tree, category)

    with pytest.raises(ApplicationError) as finished:
        services.dispute_update_description(dispute=closed, actor=dispatcher, description=THREAT)
    with pytest.raises(ApplicationError) as party_on_finished:
        services.dispute_add_party(dispute=closed, actor=dispatcher, party={"role": "respondent", "name": "王五"})
    with pytest.raises(NotFoundError):
        services.dispute_update_description(dispute=open_case, actor=outsider, description=THREAT)

    assert (finished.value.code, party_on_finished.value.code) == ("wrong_state", "wrong_state")
    closed.refresh_from_db()
    open_case.refresh_from_db()
    assert closed.description != THREAT and open_case.description == QUIET
    assert not closed.parties.exists()


# --- Overrides ----------------------------------------------------------------------------------------


def test_an_override_needs_a_reason(tree, category, dispatcher):
    case = triaged(tree, category)

    for reason in ("", "   "):
        with pytest.raises(ApplicationError) as refused:
            services.dispute_override_colour(dispute=case, actor=dispatcher, colour=Colour.RED, reason=reason)
        assert refused.value.code == "reason_required"
    case.refresh_from_db()
    assert (case.colour, case.colour_overridden) == (Colour.WHITE, False)
    assert not case.events.filter(kind=EventKind.COLOUR_OVERRIDE).exists()


def test_an_override_is_an_event_with_from_and_to(tree, category, dispatcher):
    case = triaged(tree, category, description=THREAT)

    services.dispute_override_colour(dispute=case, actor=dispatcher, colour=Colour.WHITE, reason="玩笑话，双方已和好")

    case.refresh_from_db()
    assert (case.colour, case.colour_overridden) == (Colour.WHITE, True)
    event = case.events.get(kind=EventKind.COLOUR_OVERRIDE)
    assert (event.reason, event.data, event.actor, event.actor_role) == (
        "玩笑话，双方已和好",
        {"from_colour": "red", "colour": "white"},
        dispatcher.user,
        Role.DISPATCHER,
    )
    assert rules(case)["staff_override"] == {
        "rule": "staff_override",
        "colour": "white",
        "params": {"reason": "玩笑话，双方已和好"},
    }


@pytest.mark.parametrize("role", [Role.CALLBACK_CALLER, "resident", "system"])
def test_roles_outside_the_override_list_are_refused(tree, category, make_staff, role):
    case = triaged(tree, category)
    if role == "resident":
        actor = Actor.resident()
    elif role == "system":
        actor = Actor.system()
    else:
        actor = Actor.for_user(make_staff(role, area=tree.town_a))

    with pytest.raises(PermissionDeniedError) as refused:
        services.dispute_override_colour(dispute=case, actor=actor, colour=Colour.RED, reason="我觉得很危险")

    assert refused.value.code == "wrong_role"
    case.refresh_from_db()
    assert case.colour == Colour.WHITE


def test_an_override_outside_the_area_is_not_found(tree, category, make_staff):
    case = triaged(tree, category)
    outsider = Actor.for_user(make_staff(Role.SUPERVISOR, area=tree.town_b))

    with pytest.raises(NotFoundError):
        services.dispute_override_colour(dispute=case, actor=outsider, colour=Colour.RED, reason="升级处理")
    case.refresh_from_db()
    assert case.colour == Colour.WHITE


def test_a_handler_of_another_department_may_not_override(tree, category, departments, make_staff):
    case = case_in(Status.DISPATCHED, grid=tree.grid_a, category=category, department=departments["a"])
    other = Actor.for_user(make_staff(Role.MEDIATOR, area=tree.town_a, department=DepartmentFactory(area=tree.town_a)))
    lead = Actor.for_user(make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"]))

    with pytest.raises(PermissionDeniedError) as refused:
        services.dispute_override_colour(dispute=case, actor=other, colour=Colour.RED, reason="升级处理")
    assert refused.value.code == "not_handler"
    services.dispute_override_colour(dispute=case, actor=lead, colour=Colour.RED, reason="升级处理")
    case.refresh_from_db()
    assert case.colour == Colour.RED


@pytest.mark.parametrize("status", [Status.CLOSED, Status.WITHDRAWN])
def test_an_override_on_a_finished_case_is_refused(tree, category, dispatcher, status):
    case = case_in(status, grid=tree.grid_a, category=category)

    with pytest.raises(ApplicationError) as refused:
        services.dispute_override_colour(dispute=case, actor=dispatcher, colour=Colour.RED, reason="升级处理")

    assert refused.value.code == "wrong_state"
    assert not case.events.filter(kind=EventKind.COLOUR_OVERRIDE).exists()


def test_an_unknown_colour_is_refused(tree, category, dispatcher):
    case = triaged(tree, category)
    with pytest.raises(ApplicationError) as refused:
        services.dispute_override_colour(dispute=case, actor=dispatcher, colour=7, reason="升级处理")
    assert refused.value.code == "unknown_colour"


def test_after_an_override_to_white_a_new_red_signal_raises_it_again(tree, category, dispatcher):
    case = triaged(tree, category, description="他说要放火。")
    services.dispute_override_colour(dispute=case, actor=dispatcher, colour=Colour.WHITE, reason="说的是烧秸秆")
    case.refresh_from_db()
    assert case.colour == Colour.WHITE

    services.dispute_update_description(dispute=case, actor=dispatcher, description="他说要放火，还拿着汽油。")

    case.refresh_from_db()
    assert case.colour == Colour.RED
    # The person's override stays on the record beside the rules that fired.
    assert {"staff_override", "weapon", "threat_violence"} <= set(rules(case))
    retriage = case.events.filter(kind=EventKind.TRIAGE).last()
    assert (retriage.data["from_colour"], retriage.data["colour"]) == ("white", "red")


def test_after_an_override_to_red_new_information_does_not_lower_it(tree, category, dispatcher):
    case = triaged(tree, category)
    services.dispute_override_colour(dispute=case, actor=dispatcher, colour=Colour.RED, reason="当事人情绪激动")

    services.dispute_add_party(dispute=case, actor=dispatcher, party={"role": PartyRole.THIRD_PARTY, "name": "证人"})

    case.refresh_from_db()
    assert case.colour == Colour.RED
    assert rules(case)["staff_override"]["params"] == {"reason": "当事人情绪激动"}


def test_an_assisting_department_or_a_caller_may_not_rewrite_the_description(tree, category, make_staff):
    """The description is the facts of the case: the service refuses whoever may not add a party."""
    case = triaged(tree, category)
    caller = Actor.for_user(make_staff(Role.CALLBACK_CALLER, area=tree.town_a))

    with pytest.raises(PermissionDeniedError) as refused:
        services.dispute_update_description(dispute=case, actor=caller, description=THREAT)

    assert refused.value.code == "wrong_role"
    case.refresh_from_db()
    assert case.description == QUIET
    assert not case.events.filter(kind=EventKind.DESCRIPTION_EDITED).exists()
