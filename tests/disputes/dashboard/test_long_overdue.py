"""久拖未决: the district's and the city's dashboard list of cases overdue for N days, with who holds them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from disputes.models import SupervisionOrder
from disputes.rules.enums import Status
from disputes.selectors import long_overdue_cases, long_overdue_days
from grids.models import Role
from tests.disputes.cases import case_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(tree, category, departments, staff_a, make_staff):
    now = timezone.now()
    leader = make_staff(Role.SUPERVISOR, area=tree.county, username="baoan")
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"], "mediator": staff_a[Role.MEDIATOR]}

    def late(days: float, status=Status.ACCEPTED, **fields):
        return case_in(status, **{**a, "next_due_at": now - timedelta(days=days), **fields})

    made = {
        "forty": late(40, leader=leader),
        "twenty": late(20, status=Status.DISPATCHED),
        "five": late(5),
        "paused": late(0, next_due_at=None),
        "b": late(35, grid=tree.grid_b, department=departments["b"], mediator=None),
        "closed": late(50, status=Status.CLOSED),
    }
    SupervisionOrder.objects.create(
        dispute=made["forty"],
        issuing_area=tree.county,
        year=2026,
        number=7,
        document_number="西湖矛调督〔2026〕7号",
        is_automatic=True,
        to_department=departments["a"],
        reason="超期",
        sign_due_at=now,
        reply_due_at=now,
    )
    return made


def numbers(rows) -> list[str]:
    return [row.tracking_number for row in rows]


def test_the_district_lists_cases_overdue_15_days_oldest_first_with_who_holds_them(
    overdue, tree, departments, staff_a, make_staff
):
    county_supervisor = make_staff(Role.SUPERVISOR, area=tree.county)
    days = long_overdue_days(tree.county)
    assert days == 15

    rows = long_overdue_cases(user=county_supervisor, area=tree.county, days=days)

    assert numbers(rows) == [overdue[k].tracking_number for k in ("forty", "b", "twenty")]
    forty = rows[0]
    assert forty.days_overdue == 40
    assert (forty.department, forty.leader, forty.order_number) == (
        departments["a"].display_name,
        "baoan",
        "西湖矛调督〔2026〕7号",
    )
    assert forty.mediator == staff_a[Role.MEDIATOR].get_username()
    assert rows[1].mediator == "" and rows[1].order_number == ""


def test_the_city_lists_cases_overdue_30_days(overdue, tree, staff_a):
    assert long_overdue_days(tree.city) == 30
    rows = long_overdue_cases(user=staff_a[Role.ADMIN], area=tree.city, days=30)
    assert numbers(rows) == [overdue["forty"].tracking_number, overdue["b"].tracking_number]


def test_a_township_has_no_such_list_and_readers_see_only_their_cases(overdue, tree, staff_a, settings):
    assert long_overdue_days(tree.town_a) is None
    settings.LONG_OVERDUE_DISTRICT_DAYS = 3
    assert long_overdue_days(tree.county) == 3
    # The township supervisor reads through disputes_visible_to: township B's case is not theirs.
    rows = long_overdue_cases(user=staff_a[Role.SUPERVISOR], area=tree.county, days=3)
    assert overdue["b"].tracking_number not in numbers(rows)
    assert overdue["five"].tracking_number in numbers(rows)
    assert long_overdue_cases(user=staff_a[Role.SUPERVISOR], area=tree.county, days=3, limit=1) == rows[:1]


@pytest.mark.parametrize(("language", "title"), [("en", "Long overdue cases"), ("zh-hans", None)])
def test_the_district_dashboard_shows_the_list(client, overdue, tree, make_staff, language, title):
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.county))
    with translation.override(language):
        page = client.get(
            reverse("disputes:dashboard_area", args=[tree.county.code]), HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        expected = title or translation.gettext("Long overdue cases")
    assert 'id="long-overdue"' in page
    section = page[page.index('id="long-overdue"') :].split("</section>", 1)[0]
    assert expected in section
    assert overdue["forty"].tracking_number in section and overdue["five"].tracking_number not in section
    assert "西湖矛调督〔2026〕7号" in section


def test_a_township_dashboard_has_no_list(client, overdue, staff_a):
    client.force_login(staff_a[Role.SUPERVISOR])
    page = client.get(reverse("disputes:dashboard")).content.decode()
    assert 'id="long-overdue"' not in page
