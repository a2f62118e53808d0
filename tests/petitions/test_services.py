"""The petition services against the database: registration, decisions, extension, reply, letters, disputes."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from core.models import Notification
from disputes.models import Dispute
from disputes.rules.enums import Channel, PartyRole
from grids.models import Role
from petitions import rules, services
from petitions.models import Petition, PetitionDeadline, PetitionLetter
from petitions.rules import DeadlineKind, EventKind, LetterKind, Status
from petitions.selectors import petition_list_for, petitions_visible_to
from tests.factories import CategoryFactory, DepartmentFactory

from .conftest import PETITIONER


def open_deadlines(petition) -> dict[str, PetitionDeadline]:
    return {d.kind: d for d in PetitionDeadline.objects.open().filter(petition=petition)}


def accepted(register, clerk, departments, **kwargs):
    petition = register(**kwargs)
    return services.petition_decide(
        petition=petition, actor=Actor.for_user(clerk), decision="accept", handling_department=departments["a"]
    )


# --- Registration ---------------------------------------------------------------------------------


def test_registration_stores_the_petitioners_and_opens_the_15_day_clock(register):
    petition = register(received_on=timezone.localdate() - timedelta(days=2))

    assert petition.status == Status.REGISTERED
    assert list(petition.petitioners.values_list("name", flat=True)) == ["王五"]
    assert petition.area_path.startswith(petition.area.path)
    (deadline,) = open_deadlines(petition).values()
    assert deadline.kind == DeadlineKind.DECIDE_ACCEPTANCE
    assert deadline.due_at == rules.period_end(petition.received_on, 15)
    assert deadline.escalate_at == deadline.due_at - timedelta(days=3)
    assert petition.next_due_at == deadline.due_at
    assert list(petition.events.values_list("kind", flat=True)) == [EventKind.REGISTERED]
    assert not petition.is_group and not petition.is_repeat


def test_five_petitioners_or_five_people_make_a_group_petition(register):
    people = [{"name": f"村民{i}", "phone": f"1350013500{i}"} for i in range(5)]
    assert register(petitioners=people).is_group
    assert not register(petitioners=people[:4], category=CategoryFactory(code="land")).is_group
    assert register(petitioners=people[:1], people_count=30, category=CategoryFactory(code="wages")).is_group


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"matter": "  "}, "matter_required"),
        ({"petitioners": [{"name": ""}]}, "petitioner_required"),
        ({"form": "fax"}, "unknown_form"),
    ],
)
def test_registration_refuses_incomplete_petitions(register, overrides, code):
    with pytest.raises(ApplicationError) as exc:
        register(**overrides)
    assert exc.value.code == code
    assert not Petition.objects.exists()


def test_registration_refuses_a_future_date(register):
    with pytest.raises(ApplicationError) as exc:
        register(received_on=timezone.localdate() + timedelta(days=2))
    assert exc.value.code == "future_date"


@pytest.mark.parametrize("received_on", [date(1, 1, 1), date(1899, 12, 31)])
def test_registration_refuses_a_date_out_of_range(register, received_on):
    """The year 1 answered 500: its deadlines cannot be stored in UTC."""
    with pytest.raises(ApplicationError) as exc:
        register(received_on=received_on)
    assert exc.value.code == "date_out_of_range"
    assert str(exc.value.message) == "日期须在1900年至2999年之间。"
    assert not Petition.objects.exists()


def test_staff_register_only_in_their_own_area_and_mediators_not_at_all(register, make_staff, tree):
    outsider = make_staff(Role.DISPATCHER, area=tree.town_b)
    with pytest.raises(PermissionDeniedError):
        register(actor=Actor.for_user(outsider))
    mediator = make_staff(Role.MEDIATOR, area=tree.town_a)
    with pytest.raises(PermissionDeniedError):
        register(actor=Actor.for_user(mediator))
    assert register(actor=Actor.for_user(make_staff(Role.DISPATCHER, area=tree.town_a))).pk


# --- Repeat detection (both databases: trigram on PostgreSQL, difflib on SQLite) ----------------------

SIMILAR = "征地补偿款一直没有发放到位，多次找村委会都没有结果，再次请求发放补偿款。"
UNRELATED = "邻居在楼道里堆放杂物，影响通行和消防安全，希望有关部门处理。"


def test_the_same_person_on_the_same_matter_is_a_repeat_petition(register):
    first = register()
    # Same person by ID number alone (a new phone).
    second = register(matter=SIMILAR, petitioners=[{"name": "王五", "id_number": PETITIONER["id_number"]}])

    assert second.is_repeat and second.repeat_of == first
    event = second.events.get(kind=EventKind.REPEAT_FLAGGED)
    assert event.data["repeat_of"] == first.pk
    # Same person by phone alone.
    third = register(matter=SIMILAR, petitioners=[{"name": "王五", "phone": PETITIONER["phone"]}])
    assert third.is_repeat and third.repeat_of in (first, second)


@pytest.mark.parametrize(
    "change",
    ["other_person", "other_area", "other_category", "other_text"],
)
def test_no_repeat_without_the_same_person_area_category_and_a_similar_text(register, tree, change):
    register()
    overrides = {"matter": SIMILAR}
    if change == "other_person":
        overrides["petitioners"] = [{"name": "王五", "phone": "13911112222", "id_number": "360103198802021111"}]
    elif change == "other_area":
        overrides["area"] = tree.village_b
    elif change == "other_category":
        overrides["category"] = CategoryFactory(code="land")
    else:
        overrides["matter"] = UNRELATED
    second = register(**overrides)

    assert not second.is_repeat and second.repeat_of is None
    assert not second.events.filter(kind=EventKind.REPEAT_FLAGGED).exists()


# --- Decisions and the one door -----------------------------------------------------------------------


def test_accepting_closes_the_decision_clock_and_opens_60_days_of_handling(register, clerk, departments):
    petition = accepted(register, clerk, departments)

    assert petition.status == Status.ACCEPTED
    assert petition.handling_department == departments["a"]
    assert petition.accepted_at is not None
    deadlines = open_deadlines(petition)
    assert set(deadlines) == {DeadlineKind.HANDLE}
    assert deadlines[DeadlineKind.HANDLE].due_at == rules.period_end(timezone.localdate(), 60)
    assert PetitionDeadline.objects.get(kind=DeadlineKind.DECIDE_ACCEPTANCE).done_at is not None
    event = petition.events.get(kind=EventKind.TRANSITION)
    assert (event.action, event.from_status, event.to_status) == ("accept", Status.REGISTERED, Status.ACCEPTED)
    assert event.actor == clerk

    with pytest.raises(ApplicationError) as exc:
        services.petition_decide(petition=petition, actor=Actor.for_user(clerk), decision="accept")
    assert exc.value.code == "wrong_state"


def test_not_accepting_needs_a_reason_and_finishes_the_petition(register, clerk):
    petition = register()
    actor = Actor.for_user(clerk)
    with pytest.raises(ApplicationError) as exc:
        services.petition_decide(petition=petition, actor=actor, decision="not_accept")
    assert exc.value.code == "reason_required"

    petition = services.petition_decide(petition=petition, actor=actor, decision="not_accept", reason="已经法院判决")
    assert petition.status == Status.NOT_ACCEPTED and petition.closed_at is not None
    assert open_deadlines(petition) == {}
    assert petition.events.last().reason == "已经法院判决"


def test_referring_names_the_competent_body(register, clerk):
    petition = register()
    actor = Actor.for_user(clerk)
    with pytest.raises(ApplicationError) as exc:
        services.petition_decide(petition=petition, actor=actor, decision="refer", reason="属人社部门职责")
    assert exc.value.code == "referred_to_required"
    petition = services.petition_decide(
        petition=petition, actor=actor, decision="refer", reason="属人社部门职责", referred_to="区人社局"
    )
    assert petition.status == Status.REFERRED and petition.referred_to == "区人社局"
    assert open_deadlines(petition) == {}


def test_staff_outside_the_area_and_department_cannot_see_or_act(register, make_staff, tree):
    petition = register()
    outsider = make_staff(Role.SUPERVISOR, area=tree.town_b)
    with pytest.raises(NotFoundError):
        services.petition_decide(petition=petition, actor=Actor.for_user(outsider), decision="accept")
    assert Petition.objects.get(pk=petition.pk).status == Status.REGISTERED


def test_visibility_by_area_department_and_role(register, make_staff, tree, departments, clerk, staff_a):
    in_a = register()
    in_b = register(area=tree.village_b, petitioners=[{"name": "赵六"}])
    handler_b = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_b, department=departments["b"])

    assert set(petitions_visible_to(staff_a[Role.SUPERVISOR])) == {in_a}
    assert set(petitions_visible_to(make_staff(Role.SUPERVISOR, area=tree.town_b))) == {in_b}
    assert set(petitions_visible_to(clerk)) == {in_a, in_b}
    assert set(petitions_visible_to(staff_a[Role.ADMIN])) == {in_a, in_b}
    # A department sees what it handles, even outside its area.
    assert set(petitions_visible_to(handler_b)) == {in_b}
    services.petition_decide(
        petition=in_a, actor=Actor.for_user(clerk), decision="accept", handling_department=departments["b"]
    )
    assert set(petitions_visible_to(handler_b)) == {in_a, in_b}
    from django.contrib.auth.models import AnonymousUser

    assert not petitions_visible_to(AnonymousUser()).exists()


def test_the_list_puts_open_petitions_first_by_nearest_deadline(register, clerk):
    actor = Actor.for_user(clerk)
    later = register(received_on=timezone.localdate())
    sooner = register(received_on=timezone.localdate() - timedelta(days=5), category=CategoryFactory(code="land"))
    done = register(category=CategoryFactory(code="wages"))
    services.petition_decide(petition=done, actor=actor, decision="not_accept", reason="不属于信访事项")

    assert list(petition_list_for(clerk)) == [sooner, later, done]


# --- Extension ---------------------------------------------------------------------------------------


def test_the_handling_period_extends_once_by_at_most_30_days(register, clerk, departments, supervisor_a):
    petition = accepted(register, clerk, departments)
    due = open_deadlines(petition)[DeadlineKind.HANDLE].due_at
    boss = Actor.for_user(supervisor_a)

    with pytest.raises(PermissionDeniedError):
        services.petition_extend(petition=petition, actor=Actor.for_user(clerk), days=10, reason="情况复杂")
    with pytest.raises(ApplicationError) as exc:
        services.petition_extend(petition=petition, actor=boss, days=31, reason="情况复杂")
    assert exc.value.code == "too_long"
    with pytest.raises(ApplicationError) as exc:
        services.petition_extend(petition=petition, actor=boss, days=30, reason="")
    assert exc.value.code == "reason_required"

    deadline = services.petition_extend(petition=petition, actor=boss, days=30, reason="涉及多个部门，情况复杂")
    assert deadline.due_at == due + timedelta(days=30)
    assert (deadline.extended_days, deadline.extension_approved_by) == (30, supervisor_a)
    assert deadline.escalate_at == deadline.due_at - timedelta(days=7)
    assert Petition.objects.get(pk=petition.pk).next_due_at == deadline.due_at
    assert petition.events.filter(kind=EventKind.EXTENDED).get().data["days"] == 30

    with pytest.raises(ApplicationError) as exc:
        services.petition_extend(petition=petition, actor=boss, days=1, reason="还需要时间")
    assert exc.value.code == "already_extended"
    assert PetitionDeadline.objects.get(pk=deadline.pk).due_at == due + timedelta(days=30)


def test_only_a_running_handling_period_can_be_extended(register, supervisor_a):
    petition = register()
    with pytest.raises(ApplicationError) as exc:
        services.petition_extend(petition=petition, actor=Actor.for_user(supervisor_a), days=5, reason="情况复杂")
    assert exc.value.code == "nothing_to_extend"


# --- Reply, review, close ----------------------------------------------------------------------------


def test_the_written_reply_closes_handling_and_opens_the_review_window(register, clerk, departments, staff_a):
    petition = accepted(register, clerk, departments)
    handler = Actor.for_user(staff_a[Role.DEPARTMENT_STAFF])
    with pytest.raises(ApplicationError) as exc:
        services.petition_reply(petition=petition, actor=handler, text=" ")
    assert exc.value.code == "reply_required"

    petition = services.petition_reply(petition=petition, actor=handler, text="经核查，补偿款已于本月发放。")
    assert petition.status == Status.REPLIED and petition.reply_text.startswith("经核查")
    assert set(open_deadlines(petition)) == {DeadlineKind.REVIEW_REQUEST, DeadlineKind.CALLBACK}
    assert open_deadlines(petition)[DeadlineKind.REVIEW_REQUEST].due_at == rules.period_end(timezone.localdate(), 30)
    assert open_deadlines(petition)[DeadlineKind.CALLBACK].due_at == petition.replied_at + timedelta(days=7)

    petition = services.petition_transition(petition=petition, action="request_review", actor=Actor.for_user(clerk))
    assert set(open_deadlines(petition)) == {DeadlineKind.REPLY}
    petition = services.petition_transition(petition=petition, action="close", actor=Actor.for_user(clerk))
    assert petition.status == Status.CLOSED and petition.closed_at is not None and open_deadlines(petition) == {}


# --- The three letters -------------------------------------------------------------------------------


def test_letters_are_numbered_per_office_and_year_across_kinds(register, clerk, departments, make_staff, tree):
    petition = accepted(register, clerk, departments, leader_name="李副区长")
    actor = Actor.for_user(clerk)
    handler = make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=departments["a"])

    first = services.petition_issue_letter(petition=petition, actor=actor, kind=LetterKind.ASSIGNMENT)
    second = services.petition_issue_letter(petition=petition, actor=actor, kind=LetterKind.REMINDER)
    other_office = DepartmentFactory(name="西湖区综治中心", area=tree.county)
    elsewhere = services.petition_issue_letter(
        petition=petition, actor=actor, kind=LetterKind.ASSIGNMENT, office=other_office
    )

    year = timezone.localdate().year
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert first.document_number == f"〔{year}〕第1号"
    assert first.recipient == departments["a"].name and second.recipient == "李副区长"
    assert petition.tracking_number_display in first.text
    events = petition.events.filter(kind=EventKind.LETTER_ISSUED)
    assert [e.data["number"] for e in events] == [f"〔{year}〕第1号", f"〔{year}〕第2号", f"〔{year}〕第1号"]
    assert Notification.objects.filter(recipient_user=handler, kind="petition_assignment_letter").count() == 2


def test_a_reminder_letter_needs_a_leader_and_an_assignment_a_department(register, clerk):
    petition = register()
    actor = Actor.for_user(clerk)
    for kind, code in [(LetterKind.REMINDER, "leader_required"), (LetterKind.ASSIGNMENT, "department_required")]:
        with pytest.raises(ApplicationError) as exc:
            services.petition_issue_letter(petition=petition, actor=actor, kind=kind)
        assert exc.value.code == code
    assert not PetitionLetter.objects.exists()


def test_a_supervision_letter_is_for_repeat_or_overdue_petitions(register, clerk, departments):
    petition = accepted(register, clerk, departments)
    actor = Actor.for_user(clerk)
    with pytest.raises(ApplicationError) as exc:
        services.petition_issue_letter(petition=petition, actor=actor, kind=LetterKind.SUPERVISION)
    assert exc.value.code == "not_repeat_or_overdue"

    PetitionDeadline.objects.filter(petition=petition).update(due_at=timezone.now() - timedelta(hours=1))
    letter = services.petition_issue_letter(petition=petition, actor=actor, kind=LetterKind.SUPERVISION)
    assert letter.kind == LetterKind.SUPERVISION and letter.number == 1

    repeat = register(matter="征地补偿款一直没有发放到位，多次找村委会都没有结果，再次请求发放补偿款。")
    assert repeat.is_repeat
    repeat.handling_department = departments["a"]
    repeat.save()
    assert services.petition_issue_letter(petition=repeat, actor=actor, kind=LetterKind.SUPERVISION).number == 2


def test_no_letters_on_a_finished_petition(register, clerk):
    petition = register(leader_name="李副区长")
    actor = Actor.for_user(clerk)
    services.petition_decide(petition=petition, actor=actor, decision="not_accept", reason="不属于信访事项")
    with pytest.raises(ApplicationError) as exc:
        services.petition_issue_letter(petition=petition, actor=actor, kind=LetterKind.REMINDER)
    assert exc.value.code == "wrong_state"


# --- Petitions that are disputes -----------------------------------------------------------------------


def test_a_petition_turned_into_a_dispute_is_linked_both_ways(
    register, clerk, tree, django_capture_on_commit_callbacks
):
    people = [dict(PETITIONER), {"name": "王六", "phone": "13600136001"}]
    petition = register(petitioners=people, area=tree.grid_a)
    actor = Actor.for_user(clerk)

    case = services.petition_to_dispute(petition=petition, actor=actor, reason="实为邻里纠纷，适合调解")

    petition.refresh_from_db()
    assert petition.status == Status.CONVERTED and petition.dispute == case
    assert list(case.petitions.all()) == [petition]
    assert case.channel == Channel.PETITION and case.source_id == petition.tracking_number
    assert case.description == petition.matter
    assert sorted(case.parties.values_list("name", "role")) == [
        ("王五", PartyRole.APPLICANT),
        ("王六", PartyRole.APPLICANT),
    ]
    assert case.events.get(action="from_petition").data["petition_tracking_number"] == petition.tracking_number
    assert petition.events.get(kind=EventKind.CONVERTED).data["dispute"] == case.pk
    assert open_deadlines(petition) == {}
    with pytest.raises(ApplicationError):
        services.petition_to_dispute(petition=petition, actor=actor, reason="再来一次")
    assert Dispute.objects.count() == 1


def test_a_petition_about_a_township_needs_a_grid_to_become_a_dispute(register, clerk, tree):
    petition = register(area=tree.town_a)
    actor = Actor.for_user(clerk)
    with pytest.raises(ApplicationError) as exc:
        services.petition_to_dispute(petition=petition, actor=actor, reason="实为纠纷")
    assert exc.value.code == "grid_required"
    assert not Dispute.objects.exists()
    case = services.petition_to_dispute(petition=petition, actor=actor, reason="实为纠纷", grid=tree.grid_a)
    assert case.grid == tree.grid_a
