"""登记: what dispute_submit refuses, and that a resent machine record never makes two cases."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.actors import Actor
from core.exceptions import ApplicationError
from disputes import services
from disputes.models import CaseEvent, Dispute, Party
from disputes.rules.enums import Channel, PartyRole, Status
from disputes.rules.tracking import ALPHABET, LENGTH
from grids.models import Role

APPLICANT = {"role": PartyRole.APPLICANT, "name": "李四", "phone": "13900139000"}
RESPONDENT = {"role": PartyRole.RESPONDENT, "name": "王五", "phone": "13700137000"}


@pytest.fixture
def submit(tree, category):
    def call(**overrides):
        kwargs = {
            "category": category,
            "description": "楼上卫生间漏水，多次沟通无果。",
            "grid": tree.grid_a,
            "channel": Channel.WEB,
            "parties": [APPLICANT, RESPONDENT],
        }
        kwargs.update(overrides)
        return services.dispute_submit(**kwargs)

    return call


def counts() -> tuple[int, int, int]:
    return Dispute.objects.count(), Party.objects.count(), CaseEvent.objects.count()


def test_submit_stores_the_case_its_parties_and_first_event(submit, tree, category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        case = submit(occurred_place="船山路12号", amount="3000.00", people_involved=2)
    assert len(callbacks) == 1, "routing is queued once, after commit"
    case.refresh_from_db()
    assert (case.status, case.grid, case.area_path, case.channel) == (
        Status.SUBMITTED,
        tree.grid_a,
        tree.grid_a.path,
        Channel.WEB,
    )
    assert case.colour == category.base_colour
    assert len(case.tracking_number) == LENGTH and set(case.tracking_number) <= set(ALPHABET)
    assert [(p.role, p.name, p.phone) for p in case.parties.all()] == [
        (PartyRole.APPLICANT, "李四", "13900139000"),
        (PartyRole.RESPONDENT, "王五", "13700137000"),
    ]
    event = case.events.get()
    assert (event.action, event.from_status, event.to_status, event.actor_role, event.is_public) == (
        "submit",
        "",
        Status.SUBMITTED,
        "resident",
        True,
    )
    assert event.data == {"channel": Channel.WEB}


def test_submit_records_the_staff_member_who_registered_it(submit, staff_a):
    clerk = staff_a[Role.DISPATCHER]
    case = submit(channel=Channel.WALK_IN, actor=Actor.for_user(clerk))
    event = case.events.get()
    assert (event.actor, event.actor_role) == (clerk, Role.DISPATCHER)


def test_submit_strips_the_description(submit):
    case = submit(description="  邻居噪音  \n")
    assert case.description == "邻居噪音"


def test_submit_ignores_unknown_party_fields(submit):
    case = submit(parties=[{**APPLICANT, "is_admin": True, "dispute_id": 999}])
    assert case.parties.get().name == "李四"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"description": ""}, "description_required"),
        ({"description": "   \n\t "}, "description_required"),
        ({"description": None}, "description_required"),
        ({"channel": "carrier_pigeon"}, "unknown_channel"),
        ({"grid": "city"}, "grid_required"),
        ({"grid": "county"}, "grid_required"),
        ({"grid": "town_a"}, "grid_required"),
        ({"parties": []}, "applicant_required"),
        ({"parties": [RESPONDENT]}, "applicant_required"),
        ({"occurred_at": "tomorrow"}, "future_date"),
        ({"occurred_at": "in_an_hour"}, "future_date"),
        ({"occurred_at": "year_one"}, "date_out_of_range"),
        ({"occurred_at": "long_ago"}, "date_out_of_range"),
    ],
)
def test_submit_refuses_and_stores_nothing(submit, tree, overrides, code, django_capture_on_commit_callbacks):
    if isinstance(overrides.get("grid"), str):
        overrides = {**overrides, "grid": getattr(tree, overrides["grid"])}
    if overrides.get("occurred_at") == "tomorrow":
        overrides = {**overrides, "occurred_at": timezone.now() + timedelta(days=1)}
    elif overrides.get("occurred_at") == "in_an_hour":
        overrides = {**overrides, "occurred_at": timezone.now() + timedelta(hours=1)}
    elif overrides.get("occurred_at") == "year_one":
        # Midnight of 0001-01-01 in Beijing: the year 0 in UTC, which cannot be stored.
        overrides = {**overrides, "occurred_at": datetime(1, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))}
    elif overrides.get("occurred_at") == "long_ago":
        overrides = {**overrides, "occurred_at": datetime(1899, 12, 31, 23, tzinfo=ZoneInfo("Asia/Shanghai"))}
    before = counts()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ApplicationError) as caught:
        submit(**overrides)
    assert caught.value.code == code
    assert str(caught.value.message)
    assert counts() == before
    assert callbacks == []


@pytest.mark.parametrize("grid", ["village_a", "grid_a"])
def test_submit_accepts_a_village_or_a_grid(submit, tree, grid):
    case = submit(grid=getattr(tree, grid))
    assert case.area_path == getattr(tree, grid).path


def test_submit_accepts_a_time_in_the_past_and_a_little_clock_skew(submit):
    earlier = submit(occurred_at=timezone.now() - timedelta(days=3))
    skewed = submit(occurred_at=timezone.now() + timedelta(minutes=2))
    assert earlier.pk != skewed.pk


def test_a_resent_record_returns_the_existing_case(submit):
    first = submit(channel=Channel.POLICE_110, source_id="110-20260301-0042")
    before = counts()
    again = submit(channel=Channel.POLICE_110, source_id="110-20260301-0042", description="重复推送")
    assert again.pk == first.pk
    assert again.tracking_number == first.tracking_number
    assert counts() == before
    assert Dispute.objects.filter(source_id="110-20260301-0042").count() == 1


def test_the_same_source_id_on_another_channel_is_another_case(submit):
    police = submit(channel=Channel.POLICE_110, source_id="0042")
    hotline = submit(channel=Channel.HOTLINE_12345, source_id="0042")
    assert police.pk != hotline.pk


def test_cases_without_a_source_id_are_never_merged(submit):
    assert submit().pk != submit().pk
