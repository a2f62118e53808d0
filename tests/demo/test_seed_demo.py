"""`manage.py seed_demo`: the demo city is idempotent and complete, and its cases obey the lifecycle."""

import io
import re
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.utils import timezone

from core.actors import Actor
from demo import places
from demo.people import is_valid_id_number
from disputes.models import (
    CaseEvent,
    Category,
    Deadline,
    Dispute,
    DisputeAssist,
    DiversionRule,
    Party,
    RoutingReturn,
    ServiceLevelSetting,
    WithdrawalRequest,
)
from disputes.rules import lifecycle
from disputes.rules.enums import FINAL_STATUSES, Colour, DeadlineKind, EventKind, Outcome, PartyRole, Status
from disputes.selectors import diversion_rule_for
from disputes.services import dispute_transition
from grids.models import Area, AreaLevel, Department, DepartmentKind, Role, StaffProfile

pytestmark = pytest.mark.django_db

REFERENCE_MODELS = (Area, Department, Category, ServiceLevelSetting, DiversionRule, StaffProfile, get_user_model())
CODE_LENGTH = {AreaLevel.CITY: 6, AreaLevel.COUNTY: 6, AreaLevel.TOWNSHIP: 9, AreaLevel.VILLAGE: 12, AreaLevel.GRID: 15}
# The deadlines a case has open in each status (dispute_transition's effects).
OPEN_DEADLINES = {
    # Every open state has a running clock: waiting for dispatch too (issue 19).
    Status.SUBMITTED: {DeadlineKind.DISPATCH},
    Status.TRIAGED: {DeadlineKind.DISPATCH},
    Status.RETURNED: {DeadlineKind.DISPATCH},
    Status.DISPATCHED: {DeadlineKind.ACCEPT},
    Status.ACCEPTED: {DeadlineKind.RESOLVE},
    Status.IN_MEDIATION: {DeadlineKind.RESOLVE},
    Status.REOPENED: {DeadlineKind.RESOLVE},
    Status.AWAITING_CALLBACK: {DeadlineKind.CALLBACK},
}
MOBILE = re.compile(r"^1[3-9]\d{9}$")


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # The demo password is hashed once per run; the production hasher would only cost time here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(**options) -> str:
    # pytest-django runs with DEBUG=False, so the command needs --force here.
    out = io.StringIO()
    call_command("seed_demo", stdout=out, force=True, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in REFERENCE_MODELS}


def test_id_numbers_carry_the_gb11643_check_character():
    assert is_valid_id_number("11010519491231002X")  # the standard's own example
    assert not is_valid_id_number("110105194912310021")


def test_refuses_without_debug():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Area.objects.exists()


def test_reference_data_is_complete_and_idempotent():
    output = seed()
    first = counts()
    again = seed()
    assert counts() == first
    assert "created nothing" in again

    # The tree: 南昌市 > 3 counties > townships > villages > grids, official-style codes.
    city = Area.objects.get(code=places.CITY_CODE)
    assert (city.level, city.name, city.depth) == (AreaLevel.CITY, "南昌市", 1)
    assert {a.code for a in Area.objects.filter(level=AreaLevel.COUNTY)} == {"360103", "360104", "360121"}
    areas = list(Area.objects.all())
    by_path = {a.path: a for a in areas}
    children = defaultdict(list)
    for area in areas:
        assert len(area.code) == CODE_LENGTH[area.level], area
        if area.level > AreaLevel.CITY:
            parent = by_path[area.path[: -Area.steplen]]
            assert area.level == parent.level + 1
            assert area.code.startswith(parent.code if parent.level > AreaLevel.CITY else "")
            children[parent.pk].append(area)
    for area in areas:
        kids = children[area.pk]
        if area.level == AreaLevel.COUNTY:
            assert len(kids) >= 4
        elif area.level == AreaLevel.TOWNSHIP:
            assert 2 <= len(kids) <= 4
            assert all(k.name.endswith(("社区", "村")) for k in kids)
        elif area.level == AreaLevel.VILLAGE:
            assert 2 <= len(kids) <= 3
            assert all("网格" in k.name for k in kids)
        if AreaLevel.COUNTY <= area.level < AreaLevel.GRID:
            assert sum(k.population for k in kids) == area.population, area
        assert area.name_en

    # Every township has its mediation committee, judicial office, police station and centre.
    kinds = Counter(Department.objects.filter(area__level=AreaLevel.TOWNSHIP).values_list("kind", flat=True))
    townships = Area.objects.filter(level=AreaLevel.TOWNSHIP).count()
    for kind in ("mediation_committee", "judicial_office", "police_station", "governance_centre"):
        assert kinds[kind] == townships
    all_kinds = set(Department.objects.values_list("kind", flat=True))
    assert set(DepartmentKind.values) - {DepartmentKind.OTHER} <= all_kinds

    assert {c.code: c.base_colour for c in Category.objects.filter(base_colour=Colour.YELLOW)}.keys() == {
        "labour",
        "medical",
        "land",
    }
    assert Category.objects.count() == 13
    assert set(ServiceLevelSetting.objects.values_list("colour", flat=True)) == set(Colour.values)

    # One login per role, printed at the end with the demo password.
    profiles = {p.user.username: p for p in StaffProfile.objects.select_related("user", "department")}
    assert {profiles[spec.username].role for spec in places.LOGINS} == set(Role.values)
    tiaojie = profiles["tiaojie"]
    assert tiaojie.department.name == "南浦街道人民调解委员会"
    assert set(tiaojie.specialties.values_list("code", flat=True)) == {"neighbour", "family"}
    admin = profiles["admin"].user
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(places.DEMO_PASSWORD)
    assert "DEMO ONLY" in output and places.DEMO_PASSWORD in output
    for spec in places.LOGINS:
        assert re.search(rf"^{spec.username}\s+{spec.role}\s", output, re.MULTILINE), spec.username
    # Every department has someone to work its queue.
    staffed = set(StaffProfile.objects.filter(role__in=lifecycle.HANDLERS).values_list("department_id", flat=True))
    assert set(Department.objects.values_list("pk", flat=True)) <= staffed

    assert_every_place_routes_every_category()


def assert_every_place_routes_every_category() -> None:
    categories = list(Category.objects.all())
    places_below_townships = Area.objects.filter(level__gte=AreaLevel.VILLAGE)
    for area in places_below_townships:
        for category in categories:
            rule = diversion_rule_for(area=area, category=category)
            assert rule is not None, (area.code, category.code)
    # Nearest rule wins: neighbour rows go to the township's mediation committee, wages to the county.
    grid = Area.objects.get(code="360103001001001")
    neighbour = diversion_rule_for(area=grid, category=Category.objects.get(code="neighbour"))
    assert neighbour.lead_department.name == "南浦街道人民调解委员会"
    labour = diversion_rule_for(area=grid, category=Category.objects.get(code="labour"))
    assert labour.lead_department.area.code == "360103"
    assert labour.lead_department.kind == DepartmentKind.LABOUR


def test_cases_obey_the_lifecycle_and_top_up():
    output = seed(cases=200)
    assert "case_event" in output and Dispute.objects.count() == 200
    assert_cases_consistent()
    # 包案: the open red cases have a leader (the city's or 西湖区's supervisor), but for the newest few of 西湖区.
    open_red = Dispute.objects.filter(colour=Colour.RED).exclude(status__in=FINAL_STATUSES)
    leaders = set(open_red.exclude(leader=None).values_list("leader__username", flat=True))
    assert leaders <= {"zhuguan", "zhuguan_xihu"}
    assert open_red.filter(leader=None).count() <= 3

    # The same target again adds nothing; a larger one adds the difference, here in
    # several batches made by a worker process (the path big loads take).
    seed(cases=200)
    assert Dispute.objects.count() == 200
    seed(cases=260, batch_size=20, workers=1)
    assert Dispute.objects.count() == 260
    assert_cases_consistent()

    # Stalled cases are recent ones: nothing submitted over a year ago is still open.
    year_ago = timezone.now() - timedelta(days=365)
    assert Dispute.objects.filter(submitted_at__lt=year_ago).exists()
    assert not Dispute.objects.filter(submitted_at__lt=year_ago).exclude(status__in=FINAL_STATUSES).exists()

    # The generated cases are ordinary cases: the one door takes them further.
    case = Dispute.objects.filter(status=Status.CLOSED).first()
    supervisor = get_user_model().objects.get(username="zhuguan")
    reopened = dispute_transition(dispute=case, action="reopen", actor=Actor.for_user(supervisor), reason="不满意")
    assert reopened.status == Status.REOPENED
    assert reopened.next_due_at == Deadline.objects.open().get(dispute=case, kind=DeadlineKind.RESOLVE).due_at


def assert_cases_consistent() -> None:
    cases = {d.pk: d for d in Dispute.objects.select_related("grid", "category", "assigned_mediator__staff")}
    events = defaultdict(list)
    # The timeline as the case page shows it (by time): the demo adds some records (agreements signed,
    # orders issued) after walking its cases, dated where they belong.
    for event in CaseEvent.objects.order_by("at", "id"):
        events[event.dispute_id].append(event)
    deadlines = defaultdict(list)
    for deadline in Deadline.objects.all():
        deadlines[deadline.dispute_id].append(deadline)
    parties = defaultdict(list)
    for party in Party.objects.all():
        parties[party.dispute_id].append(party)
    staff = {
        user: (role, path, dept)
        for user, role, path, dept in StaffProfile.objects.values_list("user_id", "role", "area__path", "department_id")
    }
    rule_leads = dict(DiversionRule.objects.values_list("pk", "lead_department_id"))
    assists = defaultdict(set)
    for dispute_id, department_id in DisputeAssist.objects.values_list("dispute_id", "department_id"):
        assists[dispute_id].add(department_id)

    assert len({d.tracking_number for d in cases.values()}) == len(cases)
    returns = 0
    for case in cases.values():
        timeline = events[case.pk]
        moves = [e for e in timeline if e.kind == EventKind.TRANSITION]
        first = moves[0]
        assert (first.action, first.from_status, first.to_status) == ("submit", "", Status.SUBMITTED)
        status = Status.SUBMITTED
        handled_by = {e.data["department"] for e in moves if e.action in ("dispatch", "transfer")}
        for event in moves[1:]:
            transition = lifecycle.TRANSITIONS[event.action]
            assert event.from_status == status, (case.pk, event.action)
            assert status in transition.sources and event.to_status == transition.target
            assert event.actor_role in transition.roles, (case.pk, event.action, event.actor_role)
            if transition.needs_reason:
                assert event.reason.strip()
            if event.actor_id is not None:
                # Staff act in their own role, on cases in their area or routed to their department.
                role, area_path, department = staff[event.actor_id]
                assert role == event.actor_role
                if role in lifecycle.HANDLERS:
                    assert department in handled_by, (case.pk, event.action)
                else:
                    assert case.area_path.startswith(area_path), (case.pk, event.action)
            status = event.to_status
        for event in timeline:
            if event.kind != EventKind.TRANSITION:
                assert event.action == "" and event.kind in EventKind.values
        assert case.status == status
        assert case.area_path == case.grid.path
        assert case.submitted_at == first.at

        open_kinds = Counter(d.kind for d in deadlines[case.pk] if d.is_open)
        assert set(open_kinds) == OPEN_DEADLINES.get(status, set()), (case.pk, status, open_kinds)
        assert max(open_kinds.values(), default=1) == 1
        open_due = [d.due_at for d in deadlines[case.pk] if d.is_open and d.paused_at is None]
        assert case.next_due_at == min(open_due, default=None)
        for d in deadlines[case.pk]:
            assert d.created_at <= d.due_at and not (d.done_at and d.cancelled_at)

        # The case's fields say what its last events did.
        if status in (Status.SUBMITTED, Status.TRIAGED, Status.RETURNED):
            assert case.lead_department_id is None
        elif status != Status.WITHDRAWN:
            assert case.lead_department_id is not None
        if case.routing_rule_id is not None:
            assert case.lead_department_id == rule_leads[case.routing_rule_id]
        if case.assigned_mediator is not None:
            assert case.assigned_mediator.staff.department_id == case.lead_department_id
        finished = [e for e in moves if e.action in ("close", "withdraw")]
        if status in (Status.CLOSED, Status.WITHDRAWN):
            assert case.closed_at == finished[-1].at
        else:
            assert case.closed_at is None
        if status == Status.WITHDRAWN:
            assert case.outcome == Outcome.WITHDRAWN
        elif status in (Status.REPORTED, Status.AWAITING_CALLBACK, Status.CLOSED):
            assert case.outcome in Outcome.values
            assert case.reported_at == [e for e in moves if e.action == "report_back"][-1].at
        else:
            assert case.outcome == ""
        assert case.reopened_count == sum(e.action == "reopen" for e in moves)
        returns += sum(e.action == "return" for e in moves)
        # Joint mediation: the assisting departments named when the case was first dispatched.
        joined = [e.data["assisting"] for e in moves if e.action == "dispatch" and "assisting" in e.data]
        # ... and those asked later (联合调解 requested on the case: demo.leaders asks the labour bureau).
        asked = {e.data["department"] for e in timeline if e.kind == EventKind.ASSISTANCE}
        assert assists[case.pk] == (set(joined[0]) if joined else set()) | asked

        # Triage: never below the category's colour, every colour explained.
        assert case.colour <= case.category.base_colour
        assert case.triage_reasons[0]["rule"] == "category_base"
        assert Colour(case.colour).code in {r["colour"] for r in case.triage_reasons}

        people = parties[case.pk]
        assert 1 <= len(people) <= 4
        assert any(p.role == PartyRole.APPLICANT for p in people)
        for p in people:
            assert not p.phone or MOBILE.match(p.phone), p.phone
            assert not p.id_number or is_valid_id_number(p.id_number), p.id_number

    assert RoutingReturn.objects.count() == returns
    # 撤回: every withdrawn case has the applicant's request, approved by a supervisor of its area.
    withdrawn = {pk for pk, d in cases.items() if d.status == Status.WITHDRAWN}
    approved = list(
        WithdrawalRequest.objects.filter(state=WithdrawalRequest.State.APPROVED).values_list(
            "dispute_id", "decided_by_id", "area_path"
        )
    )
    assert withdrawn and sorted(pk for pk, _u, _p in approved) == sorted(withdrawn)
    for pk, decided_by, area_path in approved:
        assert area_path == cases[pk].area_path
        assert decided_by is None or staff[decided_by][0] == "supervisor"
    statuses = Counter(d.status for d in cases.values())
    assert statuses[Status.CLOSED] > len(cases) / 2
    colours = Counter(d.colour for d in cases.values())
    assert colours[Colour.WHITE] > colours[Colour.YELLOW] > colours[Colour.RED]
    assert Dispute.objects.filter(~Q(source_id="")).count() > 0
