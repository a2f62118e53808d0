"""规模: `clean_scale` (every door's check and mapping) and `dispute_set_scale` (correcting it after intake)."""

from decimal import Decimal

import pytest
from django.utils import translation

from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from disputes import scale, services
from disputes.models import Dispute
from disputes.rules.enums import AMOUNT_BAND_LOWER, PEOPLE_BAND_LOWER, AmountBand, Colour, EventKind, PeopleBand, Status
from disputes.rules.triage import AMOUNT_RED_AT, AMOUNT_YELLOW_AT, GROUP_RED_AT, GROUP_YELLOW_AT, WAGE_WORKERS_RED_AT
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import CategoryFactory, PartyFactory

# --- clean_scale -------------------------------------------------------------------------------------------


def test_every_range_has_a_lower_bound_and_the_rule_thresholds_start_ranges():
    assert set(PEOPLE_BAND_LOWER) == set(PeopleBand.values)
    assert set(AMOUNT_BAND_LOWER) == set(AmountBand.values)
    people = set(PEOPLE_BAND_LOWER.values())
    assert {GROUP_YELLOW_AT, GROUP_RED_AT, WAGE_WORKERS_RED_AT} <= people
    assert {AMOUNT_YELLOW_AT, AMOUNT_RED_AT} <= {Decimal(v) for v in AMOUNT_BAND_LOWER.values()}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({}, (None, "", None, "")),
        ({"people_band": "10-29", "amount_band": "100k-1m"}, (10, "10-29", Decimal("100000.00"), "100k-1m")),
        ({"people_band": "1", "amount_band": "0"}, (1, "1", Decimal("0.00"), "0")),
        ({"people_involved": "12", "amount": "280000"}, (12, "", Decimal("280000.00"), "")),
        (
            {"people_involved": 100_000, "amount": Decimal("999999999999.99")},
            (100_000, "", Decimal("999999999999.99"), ""),
        ),
    ],
)
def test_clean_scale_maps_a_range_to_its_lower_bound(given, stored):
    values = scale.clean_scale(**given)
    assert tuple(values[name] for name in scale.FIELDS) == stored


@pytest.mark.parametrize(
    ("given", "code", "field"),
    [
        ({"people_band": "5-9", "people_involved": 6}, "scale_conflict", "people_band"),
        ({"amount_band": "1m+", "amount": 2_000_000}, "scale_conflict", "amount_band"),
        ({"people_band": "many"}, "unknown_band", "people_band"),
        ({"amount_band": "1m"}, "unknown_band", "amount_band"),
        ({"people_involved": 0}, "invalid_people", "people_involved"),
        ({"people_involved": 100_001}, "invalid_people", "people_involved"),
        ({"people_involved": "twelve"}, "invalid_people", "people_involved"),
        ({"people_involved": True}, "invalid_people", "people_involved"),
        ({"amount": -1}, "invalid_amount", "amount"),
        ({"amount": Decimal(10) ** 12}, "invalid_amount", "amount"),
        ({"amount": "1.005"}, "invalid_amount", "amount"),
        ({"amount": "NaN"}, "invalid_amount", "amount"),
        ({"amount": "Infinity"}, "invalid_amount", "amount"),
    ],
)
def test_clean_scale_refuses(given, code, field):
    with pytest.raises(ApplicationError) as refused:
        scale.clean_scale(**given)
    assert (refused.value.code, refused.value.extra["field"]) == (code, field)


# --- dispute_set_scale ----------------------------------------------------------------------------------------


@pytest.fixture
def labour(db):
    return CategoryFactory(code="labour", name="劳资纠纷", base_colour=Colour.YELLOW)


@pytest.fixture
def make(tree, labour, departments, staff_a):
    def build(status=Status.ACCEPTED, **fields) -> Dispute:
        case = case_in(
            status,
            grid=tree.grid_a,
            category=labour,
            department=departments["a"],
            mediator=staff_a[Role.MEDIATOR],
            colour=Colour.YELLOW,
            **fields,
        )
        PartyFactory(dispute=case, role="applicant", name="李四", phone="13900139000")
        PartyFactory(dispute=case, role="respondent", name="某建筑公司", phone="")
        return case

    return build


def test_a_range_raises_the_colour_with_the_group_reason_and_the_event_keeps_from_and_to(make, staff_a):
    case = make(people_involved=3, amount=Decimal("5000"))
    mediator = Actor.for_user(staff_a[Role.MEDIATOR])
    updated = services.dispute_set_scale(
        dispute=case, actor=mediator, people_band="10-29", amount_band="100k-1m", reason="申请人来电更正"
    )
    assert (updated.people_involved, updated.people_band, updated.amount, updated.amount_band) == (
        10,
        "10-29",
        Decimal("100000.00"),
        "100k-1m",
    )
    assert updated.colour == Colour.RED
    assert {r["rule"]: r["colour"] for r in updated.triage_reasons}["group_dispute"] == "red"
    event = case.events.get(kind=EventKind.SCALE_SET)
    assert (event.actor, event.reason) == (staff_a[Role.MEDIATOR], "申请人来电更正")
    assert event.data == {
        "from": {"people_involved": 3, "people_band": "", "amount": "5000.00", "amount_band": ""},
        "to": {"people_involved": 10, "people_band": "10-29", "amount": "100000.00", "amount_band": "100k-1m"},
    }
    triage = case.events.filter(kind=EventKind.TRIAGE).latest("at")
    assert triage.data["cause"] == "scale_set"


def test_a_smaller_figure_never_lowers_the_colour(make, staff_a):
    case = make(people_involved=40)
    actor = Actor.for_user(staff_a[Role.DISPATCHER])
    assert services.dispute_set_scale(dispute=case, actor=actor, people_involved=40 - 1).colour == Colour.RED
    updated = services.dispute_set_scale(dispute=case, actor=actor, people_band="1")
    assert updated.colour == Colour.RED
    assert (updated.people_involved, updated.people_band) == (1, "1")


def test_a_value_left_out_is_kept_and_none_clears_it(make, staff_a):
    case = make(people_involved=10, people_band="10-29", amount=Decimal("3000"))
    actor = Actor.for_user(staff_a[Role.SUPERVISOR])
    updated = services.dispute_set_scale(dispute=case, actor=actor, amount=None, amount_band="")
    assert (updated.people_involved, updated.people_band, updated.amount, updated.amount_band) == (
        10,
        "10-29",
        None,
        "",
    )


def test_nothing_to_change_is_refused(make, staff_a):
    case = make(people_involved=10, people_band="10-29")
    with pytest.raises(ApplicationError) as refused:
        services.dispute_set_scale(dispute=case, actor=Actor.for_user(staff_a[Role.MEDIATOR]), people_band="10-29")
    assert refused.value.code == "scale_unchanged"
    assert not case.events.filter(kind=EventKind.SCALE_SET).exists()


@pytest.mark.parametrize("status", [Status.CLOSED, Status.WITHDRAWN])
def test_a_closed_or_withdrawn_case_is_refused(make, staff_a, status):
    case = make(status)
    with pytest.raises(ApplicationError) as refused:
        services.dispute_set_scale(dispute=case, actor=Actor.for_user(staff_a[Role.ADMIN]), people_band="30+")
    assert refused.value.code == "wrong_state"
    case.refresh_from_db()
    assert (case.people_involved, case.people_band) == (None, "")


def test_a_reader_who_may_not_edit_the_case_is_refused(make, staff_a, make_staff, tree, departments):
    case = make()
    for reader in (
        staff_a[Role.CALLBACK_CALLER],
        # A mediator of the same township's committee who is not the case's: sees it, does not handle it.
        make_staff(Role.MEDIATOR, area=tree.town_a, department=None, username="other-mediator"),
    ):
        with pytest.raises(PermissionDeniedError):
            services.dispute_set_scale(dispute=case, actor=Actor.for_user(reader), people_band="30+")
    assert not case.events.filter(kind=EventKind.SCALE_SET).exists()


def test_a_case_outside_the_jurisdiction_is_not_found(make, make_staff, tree):
    case = make()
    outsider = make_staff(Role.DISPATCHER, area=tree.town_b, username="dispatcher-b")
    with pytest.raises(NotFoundError):
        services.dispute_set_scale(dispute=case, actor=Actor.for_user(outsider), people_band="30+")


def test_the_timeline_says_what_changed():
    with translation.override("en"):
        details = scale.scale_event_details(
            {
                "from": {"people_involved": 3, "people_band": "", "amount": None, "amount_band": ""},
                "to": {"people_involved": 10, "people_band": "10-29", "amount": "280000.00", "amount_band": ""},
            }
        )
    assert details == [
        "People involved: 3 → 10 to 29 people (range chosen by the party)",
        "Amount at stake (yuan): Not given → 280000.00",
    ]
