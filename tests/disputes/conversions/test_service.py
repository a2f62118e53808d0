# ruff: noqa: F811 (the fixtures imported from tests.disputes.orders are parameters here)
"""民转刑 / 刑转命: who may record one and review it, the checks on what is written (each refusal, in both
languages), the case's lock, its timeline note and who is told."""

from datetime import timedelta

import pytest
from django.utils import translation

from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from core.models import Notification
from disputes.models import CaseEvent, CriminalConversion
from disputes.rules.enums import EventKind, Outcome, Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.disputes.conversions.helpers import TODAY, record, review
from tests.disputes.orders import case, clock, offices, people  # noqa: F401

pytestmark = pytest.mark.django_db


def refusal(call, language: str = "en") -> ApplicationError:
    with translation.override(language), pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


# --- Recording ------------------------------------------------------------------------------------------


def test_a_supervisor_records_a_conversion_on_the_case(clock, case, people):
    conversion = record(case, people["supervisor"])

    stored = CriminalConversion.objects.get()
    assert stored.pk == conversion.pk and stored.dispute == case
    assert (stored.kind, stored.area_path) == ("criminal", case.area_path)
    assert stored.police_case_number == "A3601030500002026120001"
    assert stored.recorded_by == people["supervisor"] and stored.reviewed_at is None
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.NOTE)
    assert event.data["conversion"] == conversion.pk and event.data["conversion_kind"] == "criminal"
    assert "A3601030500002026120001" in event.reason and "民转刑" in event.reason


def test_the_department_head_and_the_supervisors_above_are_told(clock, case, people):
    head = people["clerk"].staff
    head.is_head = True
    head.save(update_fields=["is_head"])

    conversion = record(case, people["supervisor"])

    told = set(Notification.objects.filter(kind="criminal_conversion").values_list("recipient_user", flat=True))
    # The recorder is not told; the other township's supervisor and the mediator are not either.
    assert told == {people["clerk"].pk, people["county_supervisor"].pk, people["city_supervisor"].pk}
    notice = Notification.objects.filter(kind="criminal_conversion").first()
    assert notice.link.endswith(f"/conversions/{conversion.pk}/") and notice.dispute_id == case.pk
    assert case.tracking_number_display in notice.body and "李四" not in notice.body


def test_an_administrator_records_and_the_township_supervisor_is_told(clock, case, people, make_staff, tree):
    admin = make_staff(Role.ADMIN, area=tree.city)

    record(case, admin, kind="homicide")

    told = set(Notification.objects.filter(kind="criminal_conversion").values_list("recipient_user", flat=True))
    assert people["supervisor"].pk in told and admin.pk not in told
    assert CriminalConversion.objects.get().kind == "homicide"


def test_a_finished_case_may_be_recorded(clock, tree, category, departments, people):
    closed = case_in(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"])

    conversion = record(closed, people["county_supervisor"])

    assert conversion.dispute == closed


def test_both_kinds_on_one_case_but_each_once(clock, case, people):
    record(case, people["supervisor"], kind="criminal")
    record(case, people["supervisor"], kind="homicide", police_case_number="A2")

    exc = refusal(lambda: record(case, people["county_supervisor"], kind="homicide"), "zh-hans")

    assert isinstance(exc, ConflictError) and exc.code == "already_recorded" and exc.status_code == 409
    assert str(exc.message) == "该案件已登记为“刑转命”。"
    assert CriminalConversion.objects.count() == 2


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_STAFF, Role.DISPATCHER, Role.CALLBACK_CALLER])
def test_only_supervisors_and_administrators_record(clock, case, make_staff, tree, departments, role):
    user = make_staff(role, area=tree.town_a, department=departments["a"])

    exc = refusal(lambda: record(case, user))

    assert isinstance(exc, PermissionDeniedError) and exc.code == "wrong_role"
    assert not CriminalConversion.objects.exists()


def test_a_supervisor_of_another_township_gets_not_found(clock, case, people):
    exc = refusal(lambda: record(case, people["b_supervisor"]))

    assert isinstance(exc, NotFoundError)
    assert not CriminalConversion.objects.exists()


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        ({"police_case_number": "  "}, "police_case_number_required", "police_case_number"),
        ({"police_case_number": "A" * 61}, "text_too_long", "police_case_number"),
        ({"summary": ""}, "summary_required", "summary"),
        ({"kind": "theft"}, "kind_invalid", "kind"),
        ({"occurred_on": TODAY + timedelta(days=1), "reported_on": TODAY}, "date_in_future", "occurred_on"),
        ({"reported_on": TODAY + timedelta(days=1)}, "date_in_future", "reported_on"),
        ({"occurred_on": TODAY - timedelta(days=3)}, "before_submission", "occurred_on"),
        ({"occurred_on": TODAY, "reported_on": TODAY - timedelta(days=1)}, "reported_before_crime", "reported_on"),
    ],
)
def test_what_is_written_is_checked(clock, case, people, values, code, field):
    exc = refusal(lambda: record(case, people["supervisor"], **values))

    assert exc.code == code and exc.extra["field"] == field and exc.status_code == 400
    assert not CriminalConversion.objects.exists()
    assert not CaseEvent.objects.filter(dispute=case).exists()


def test_the_crime_may_happen_on_the_day_the_dispute_was_submitted(clock, case, people):
    submitted_on = case.submitted_at.astimezone(clock_zone()).date()

    conversion = record(case, people["supervisor"], occurred_on=submitted_on, reported_on=submitted_on)

    assert conversion.occurred_on == submitted_on


def clock_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("zh-hans", "请填写公安机关案件编号。"),
        ("en", "Enter the police case number."),
    ],
)
def test_the_refusal_speaks_the_readers_language(clock, case, people, language, text):
    exc = refusal(lambda: record(case, people["supervisor"], police_case_number=""), language)

    assert str(exc.message) == text


def test_a_police_referral_is_not_a_conversion(clock, tree, category, departments, people):
    """移送公安 (outcome police) is counted apart: reporting a case back as referred creates no register row."""
    case_in(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"], outcome=Outcome.POLICE)

    assert not CriminalConversion.objects.exists()


# --- Review ---------------------------------------------------------------------------------------------


def test_a_supervisor_above_reviews_and_the_recorder_is_told(clock, case, people):
    conversion = record(case, people["supervisor"])

    reviewed = review(conversion, people["county_supervisor"])

    stored = CriminalConversion.objects.get()
    assert stored.review_missed.startswith("红单风险") and stored.review_changes.startswith("红单案件")
    assert stored.accountability == "reminder" and stored.accountability_notes.startswith("对承办")
    assert stored.reviewed_by == people["county_supervisor"] and stored.reviewed_at is not None
    assert reviewed.pk == stored.pk
    told = Notification.objects.get(kind="criminal_conversion_reviewed")
    assert told.recipient_user == people["supervisor"]
    notes = CaseEvent.objects.filter(dispute=case, kind=EventKind.NOTE, data__reviewed=True)
    assert notes.count() == 1


def test_the_review_may_be_revised(clock, case, people):
    conversion = record(case, people["supervisor"])
    review(conversion, people["county_supervisor"], accountability="")
    clock.shift(timedelta(days=3))

    review(conversion, people["city_supervisor"], accountability="discipline")

    stored = CriminalConversion.objects.get()
    assert stored.accountability == "discipline" and stored.reviewed_by == people["city_supervisor"]
    assert CaseEvent.objects.filter(dispute=case, data__reviewed=True).count() == 2
    # The recorder heard once, of the first review.
    assert Notification.objects.filter(kind="criminal_conversion_reviewed").count() == 1


def test_the_township_supervisor_of_the_grid_is_above_it_but_not_a_mediator(clock, case, people):
    conversion = record(case, people["county_supervisor"])

    review(conversion, people["supervisor"])  # the township's area strictly contains the case's grid
    exc = refusal(lambda: review(conversion, people["mediator"]))

    assert isinstance(exc, PermissionDeniedError) and exc.code == "wrong_role"


def test_a_supervisor_of_the_cases_own_grid_is_not_above_it(clock, case, people, make_staff, tree):
    conversion = record(case, people["supervisor"])
    grid_supervisor = make_staff(Role.SUPERVISOR, area=tree.grid_a)

    exc = refusal(lambda: review(conversion, grid_supervisor), "zh-hans")

    assert isinstance(exc, PermissionDeniedError) and exc.code == "not_above"
    assert CriminalConversion.objects.get().reviewed_at is None


def test_a_supervisor_elsewhere_cannot_find_it(clock, case, people):
    conversion = record(case, people["supervisor"])

    exc = refusal(lambda: review(conversion, people["b_supervisor"]))

    assert isinstance(exc, NotFoundError)


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"missed": ""}, "missed_required"),
        ({"responsible": " "}, "responsible_required"),
        ({"changes": ""}, "changes_required"),
        ({"accountability": "fine"}, "accountability_invalid"),
        ({"notes": "x" * 5001}, "text_too_long"),
    ],
)
def test_the_review_is_checked(clock, case, people, values, code):
    conversion = record(case, people["supervisor"])

    exc = refusal(lambda: review(conversion, people["county_supervisor"], **values))

    assert exc.code == code
    assert CriminalConversion.objects.get().reviewed_at is None
