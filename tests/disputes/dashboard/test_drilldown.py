"""下钻: every count on the dashboard opens the list of exactly the cases it counts.

The oracle ties the lists to the figures: after `rebuild_all`, for every measure, several areas ×
periods and breakdown values, the cases behind a count number the rollup's count.
"""

import io
import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from disputes.dashboard import drilldown, rollups, selectors, tables
from disputes.dashboard.periods import Period, add_months, month_period, quarter_period, year_period
from disputes.models import Dispute, DisputeRollup
from disputes.rules.enums import Outcome, PartyRole, Status
from disputes.statistics import COUNT_FIELDS
from grids.models import Area, AreaLevel, Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory, UserFactory

pytestmark = pytest.mark.django_db


def _periods(today):
    last_month = add_months(today.replace(day=1), -1)
    return {
        "this month": month_period(today),
        "last month": month_period(last_month),
        "a quarter": quarter_period(last_month.year, (last_month.month - 1) // 3 + 1),
        "last year": year_period(today.year - 1),
        "custom": Period("custom", add_months(today.replace(day=1), -4) + timedelta(days=9), today.replace(day=1)),
    }


def _admin():
    return UserFactory(is_superuser=True, is_staff=True)


def test_every_measure_lists_exactly_the_cases_counted():
    """The oracle: for every measure, area × period and a value of each breakdown, list = figure."""
    call_command("seed_demo", cases=1500, workers=0, force=True, stdout=io.StringIO())
    now = timezone.now()
    rollups.rebuild_all(now=now)
    admin = _admin()
    city = Area.objects.get_first_root_node()
    district = Area.objects.filter(level=AreaLevel.COUNTY).order_by("path").first()
    township = Area.objects.filter(level=AreaLevel.TOWNSHIP, path__startswith=district.path).order_by("path").last()
    areas = {"city": city, "district": district, "township": township}
    periods = _periods(timezone.localdate(now))
    nonzero = set()
    for area_name, area in areas.items():
        figures_by_period = {name: selectors.area_figures(area, p) for name, p in periods.items()}
        for period_name, period in periods.items():
            for measure in drilldown.MEASURES:
                where = f"{area_name} / {period_name} / {measure}"
                expected = drilldown.rollup_count(area, period, measure)
                if expected is None:  # open_overdue of a custom period ending inside a past month
                    assert period_name == "custom" and measure == "open_overdue", where
                    continue
                got = drilldown.count_behind(admin, area, period, measure, now=now)
                assert got == expected, where
                if measure in COUNT_FIELDS:
                    # The same number the dashboard shows.
                    assert figures_by_period[period_name][measure] == expected, where
                if measure == "overdue":
                    assert figures_by_period[period_name].overdue == expected, where
                if expected:
                    nonzero.add(measure)
    # The seeded cases exercise (nearly) every measure: a list that always came back empty would pass.
    assert {"submitted", "registered_open", "concluded", "on_time", "overdue", "dispatched", "closed"} <= nonzero
    assert len(nonzero) >= len(drilldown.MEASURES) - 4, set(drilldown.MEASURES) - nonzero

    # Each breakdown: the busiest values, every measure, last month and the quarter.
    for dimension in drilldown.DIMENSIONS:
        values = list(
            DisputeRollup.objects.filter(dimension=dimension, grain=DisputeRollup.Grain.MONTH, area_path=district.path)
            .order_by("-submitted", "-dispatched")
            .values_list("value", flat=True)
            .distinct()[:3]
        )
        values.append("")  # 尚未派单 for the department; a value with nothing elsewhere
        for value in values:
            for period_name in ("last month", "a quarter"):
                period = periods[period_name]
                for measure in drilldown.MEASURES:
                    expected = drilldown.rollup_count(district, period, measure, dimension, value)
                    got = drilldown.count_behind(admin, district, period, measure, dimension, value, now=now)
                    assert got == expected, f"{dimension}={value!r} / {period_name} / {measure}"


def test_a_supervisor_lists_the_same_cases_as_the_figure():
    call_command("seed_demo", cases=400, workers=0, force=True, stdout=io.StringIO())
    now = timezone.now()
    rollups.rebuild_all(now=now)
    district = Area.objects.filter(level=AreaLevel.COUNTY).order_by("path").first()
    user = UserFactory()
    from tests.factories import StaffFactory

    StaffFactory(user=user, role=Role.SUPERVISOR, area=district)
    period = month_period(timezone.localdate(now))
    for measure in ("submitted", "registered_open", "overdue", "dispatched"):
        expected = drilldown.rollup_count(district, period, measure)
        assert drilldown.count_behind(user, district, period, measure, now=now) == expected, measure
    # Nothing from outside the area, even for an admin asking about the district.
    outside = drilldown.cases_behind(_admin(), district, period, "submitted").exclude(
        area_path__startswith=district.path
    )
    assert not outside.exists()


# --- Hand-made cases: the page ---------------------------------------------------------------------


@pytest.fixture
def made(tree, category, departments):
    now = timezone.now()
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"]}
    cases = [case_in(Status.IN_MEDIATION, **a) for _ in range(7)]
    for index, case in enumerate(cases):
        Dispute.objects.filter(pk=case.pk).update(submitted_at=now - timedelta(minutes=index + 1))
        PartyFactory(dispute=case, name=f"张{'三四五六七八九'[index]}丰", role=PartyRole.APPLICANT)
    overdue = case_in(Status.IN_MEDIATION, next_due_at=now - timedelta(hours=5), **a)
    closed = case_in(Status.CLOSED, outcome=Outcome.AGREEMENT, **a)
    elsewhere = case_in(Status.IN_MEDIATION, grid=tree.grid_b, category=category, department=departments["b"])
    rollups.rebuild_all(now=now)
    return {"open": cases, "overdue": overdue, "closed": closed, "elsewhere": elsewhere, "now": now}


def _cases_url(area, measure, **extra):
    period = month_period(timezone.localdate())
    return drilldown.cases_url(area, period, measure, **extra)


def test_the_list_behind_a_number(client, made, staff_a, tree):
    client.force_login(staff_a[Role.SUPERVISOR])
    response = client.get(_cases_url(tree.town_a, "registered_open"))
    assert response.status_code == 200
    html = response.content.decode()
    total = drilldown.rollup_count(tree.town_a, month_period(timezone.localdate()), "registered_open")
    assert total == 8  # seven open, the overdue one; not the closed one, not town B's
    title = unescape(re.search(r'<h1 id="drilldown-title">(.*?)</h1>', html, re.S).group(1))
    assert tree.town_a.name in title and str(total) in title
    for case in made["open"]:
        assert case.tracking_number in html
    assert made["closed"].tracking_number not in html
    assert made["elsewhere"].tracking_number not in html
    # The supervisor works the cases of their area: names in clear.
    assert "张三丰" in html
    back = reverse("disputes:dashboard_area", args=[tree.town_a.code])
    assert f'href="{back}?kind=month' in html


def test_the_overdue_list_holds_the_overdue_case(client, made, staff_a, tree):
    client.force_login(staff_a[Role.SUPERVISOR])
    html = client.get(_cases_url(tree.town_a, "overdue")).content.decode()
    assert made["overdue"].tracking_number in html
    assert made["open"][0].tracking_number not in html


def test_jurisdiction(client, made, staff_a, tree):
    client.force_login(staff_a[Role.SUPERVISOR])
    assert client.get(_cases_url(tree.town_b, "submitted")).status_code == 404
    assert client.get(_cases_url(tree.city, "submitted")).status_code == 404
    assert client.get(_cases_url(tree.town_a, "nosuch")).status_code == 404
    assert client.get(_cases_url(tree.town_a, "submitted", dimension="nosuch", value="1")).status_code == 404
    by = reverse("disputes:dashboard_dimension", args=[tree.town_b.code])
    assert client.get(by, {"dimension": "colour", "value": "1"}).status_code == 404
    client.force_login(staff_a[Role.MEDIATOR])
    assert client.get(_cases_url(tree.town_a, "submitted")).status_code == 403
    by = reverse("disputes:dashboard_dimension", args=[tree.town_a.code])
    assert client.get(by, {"dimension": "colour", "value": "1"}).status_code == 403
    client.logout()
    assert client.get(_cases_url(tree.town_a, "submitted")).status_code == 302


def test_names_are_masked_for_a_reader_who_does_not_work_the_case(made, staff_a, make_staff, tree, departments):
    """A mediator of another department in the township sees the cases (their area) but works none."""
    from tests.factories import DepartmentFactory

    other = make_staff(Role.MEDIATOR, area=tree.town_a, department=DepartmentFactory(name="别的部门", area=tree.town_a))
    period = month_period(timezone.localdate())
    cases = drilldown.cases_behind(other, tree.town_a, period, "submitted")
    page = drilldown.case_page(other, cases, "submitted")
    names = {row.applicant for row in page.rows}
    assert page.rows and "张三丰" not in names
    assert all("*" in name or name == "" for name in names), names
    clear = drilldown.case_page(staff_a[Role.SUPERVISOR], cases, "submitted")
    assert "张三丰" in {row.applicant for row in clear.rows}


def test_keyset_pages_cover_every_case_once(made, staff_a, tree):
    user = staff_a[Role.SUPERVISOR]
    period = month_period(timezone.localdate())
    cases = drilldown.cases_behind(user, tree.town_a, period, "submitted")
    seen, cursor, pages = [], None, 0
    while True:
        page = drilldown.case_page(user, cases, "submitted", cursor, size=3)
        pages += 1
        seen.extend(row.tracking_number for row in page.rows)
        assert len(page.rows) <= 3
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == cases.count() == 9  # the seven, the overdue, the closed
    assert pages == 3
    # Newest first.
    stamps = [Dispute.objects.get(tracking_number=n).submitted_at for n in seen]
    assert stamps == sorted(stamps, reverse=True)
    # A forged cursor starts again from the first page rather than failing.
    again = drilldown.case_page(user, cases, "submitted", "forged", size=3)
    assert [r.tracking_number for r in again.rows] == seen[:3]


def test_the_page_links_to_the_next_page(client, made, staff_a, tree, monkeypatch):
    monkeypatch.setattr(drilldown, "PAGE_SIZE", 4)
    client.force_login(staff_a[Role.SUPERVISOR])
    html = client.get(_cases_url(tree.town_a, "submitted")).content.decode()
    first = set(re.findall(r'data-case="([^"]+)"', html))
    assert len(first) == 4
    next_url = unescape(re.search(r'href="([^"]+)" rel="next"', html).group(1))
    assert "after=" in next_url
    second = set(re.findall(r'data-case="([^"]+)"', client.get(next_url).content.decode()))
    assert len(second) == 4 and not first & second


def _links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*/dashboard/[^"]*/cases/\?[^"]*)"', html)]


def test_every_count_on_the_dashboard_is_a_link(client, made, staff_a, tree):
    client.force_login(staff_a[Role.SUPERVISOR])
    html = client.get(reverse("disputes:dashboard")).content.decode()
    links = _links(html)
    assert links
    measures = {parse_qs(urlsplit(u).query)["measure"][0] for u in links}
    assert {"submitted", "overdue", "registered_open", "registered_resolved"} <= measures
    dimensions = {parse_qs(urlsplit(u).query).get("dimension", [""])[0] for u in links}
    assert {"department", "category", "colour", "channel"} <= dimensions
    # A breakdown row opens that value by area and month; a trend row opens its month.
    assert reverse("disputes:dashboard_dimension", args=[tree.town_a.code]) + "?dimension=category" in html
    month = timezone.localdate().strftime("%Y-%m")
    assert f"{reverse('disputes:dashboard_area', args=[tree.town_a.code])}?kind=month&amp;month={month}" in html
    # Following a link: the list holds as many cases as the figure said.
    for url in links:
        query = parse_qs(urlsplit(url).query)
        if query["measure"][0] == "submitted" and "dimension" not in query:
            page = client.get(url).content.decode()
            shown = len(re.findall(r'data-case="', page))
            title = unescape(re.search(r'<h1 id="drilldown-title">(.*?)</h1>', page, re.S).group(1))
            assert str(shown) in title
            break
    else:
        pytest.fail("no link behind the submitted count")


def test_a_breakdown_value_by_area_and_month(client, made, staff_a, tree, category):
    client.force_login(staff_a[Role.SUPERVISOR])
    url = drilldown.dimension_url(tree.town_a, month_period(timezone.localdate()), "category", str(category.pk))
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert category.display_name in html
    links = _links(html)
    assert links and all(f"value={category.pk}" in u and "dimension=category" in u for u in links)
    # The village row's submitted count links to its list, which holds the village's cases of that category.
    village = [u for u in links if f"/{tree.village_a.code}/cases/" in u and "measure=submitted" in u]
    assert village
    page = client.get(village[0]).content.decode()
    assert made["open"][0].tracking_number in page


def test_table_cells_carry_their_links(made, tree):
    period = month_period(timezone.localdate())
    table = tables.areas_table(tree.town_a, period, lambda a: "/x/")
    row = table.rows[0]
    links = table.cell_links[0]
    assert links, "the village row has counts"
    for index, url in links.items():
        measure = parse_qs(urlsplit(url).query)["measure"][0]
        assert measure in drilldown.MEASURES
        assert row[index] != 0
    # The JSON the API serves carries the same links.
    cells = table.as_json()["rows"][0]["cells"]
    assert [c["link"] for c in cells[1:] if c["link"]] == list(links.values())
