"""The dashboard through the REST API (/api/v1/dashboard/): the page's numbers, its jurisdiction, its cache.

Every answer is compared with what the page shows for the same area and period:
the tables with the cells of the page's own HTML, the headline figures with the
page's headline table.
"""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from disputes.dashboard import api as dashboard_api
from disputes.dashboard import drilldown, rollups, selectors, tables
from disputes.dashboard.periods import month_period
from disputes.models import Deadline, Dispute
from disputes.rules.enums import DeadlineKind, Outcome, Status
from disputes.statistics import DEFINITIONS_BY_KEY, LABELS
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

BASE = "/api/v1/dashboard/areas/"


@pytest.fixture
def cases(tree, category, departments):
    now = timezone.now()
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"]}
    made = {
        "resolved": case_in(Status.CLOSED, callback_result="satisfied", **a),
        "late": case_in(Status.CLOSED, callback_result="dissatisfied", outcome=Outcome.RESOLVED_OTHERWISE, **a),
        "police": case_in(Status.CLOSED, outcome=Outcome.POLICE, **a),
        "overdue": case_in(Status.IN_MEDIATION, next_due_at=now - timedelta(hours=5), **a),
        "b": case_in(Status.CLOSED, grid=tree.grid_b, category=category, department=departments["b"]),
    }
    Deadline.objects.create(
        dispute=made["late"], kind=DeadlineKind.RESOLVE, due_at=now - timedelta(days=3), done_at=now - timedelta(days=1)
    )
    for case in made.values():
        PartyFactory(dispute=case, name="王小明")
    rollups.rebuild_all()
    return made


@pytest.fixture
def period(cases):
    return month_period(timezone.localtime(cases["resolved"].reported_at).date())


def reader(user, language: str = "zh-hans") -> APIClient:
    client = APIClient(headers={"accept-language": language})
    client.force_authenticate(user)
    return client


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


class _Cells(HTMLParser):
    """The cell texts of each <tr> of a page section's <tbody>, without the rates' "(2 / 3)" fraction."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_body = self._in_cell = self._in_small = False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif self._in_body and tag in ("td", "th"):
            self._in_cell = True
            self.rows[-1].append("")
        elif tag == "small":
            self._in_small = True

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag in ("td", "th"):
            self._in_cell = False
        elif tag == "small":
            self._in_small = False

    def handle_data(self, data):
        if self._in_cell and not self._in_small:
            self.rows[-1][-1] += data

    def texts(self) -> list[list[str]]:
        return [[" ".join(cell.split()) for cell in row] for row in self.rows]


def page_rows(page: str, key: str) -> list[list[str]]:
    section = page.split(f'<section class="dash-section" id="{key}"', 1)[1].split("</section>", 1)[0]
    parser = _Cells()
    parser.feed(section)
    return parser.texts()


def api_rows(table: dict) -> list[list[str]]:
    return [[" ".join(cell["text"].split()) for cell in row["cells"]] for row in table["rows"]]


# --- The numbers are the page's ---------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "where"), [(Role.SUPERVISOR, "town_a"), (Role.ADMIN, "county")])
def test_every_table_holds_the_pages_cells(client, cases, staff_a, tree, period, role, where):
    area = getattr(tree, where)
    client.force_login(staff_a[role])
    page = client.get(reverse("disputes:dashboard_area", args=[area.code]), period.query()).content.decode()
    api = reader(staff_a[role])
    for key in tables.TABLE_KEYS:
        response = api.get(f"{BASE}{area.code}/tables/{key}/", period.query())
        assert response.status_code == 200, (key, response.content)
        body = response.json()
        assert body["key"] == key and body["area"]["code"] == area.code
        assert body["period"]["start"] == period.start.isoformat()
        assert api_rows(body) == page_rows(page, key), key
        if key != "ranking_villages" and (key != "ranking_townships" or where == "county"):
            assert body["rows"], key  # something to compare
        assert all(len(row["cells"]) == len(body["columns"]) for row in body["rows"]), key
    # Numbers as numbers: the headline table's submitted count, the areas table's resolution rate.
    figures = selectors.area_figures(tree.town_a, period)
    headline = reader(staff_a[Role.SUPERVISOR]).get(f"{BASE}{tree.town_a.code}/tables/figures/", period.query()).json()
    submitted = headline["rows"][0]["cells"][1]
    assert submitted["value"] == figures["submitted"] == 4 and submitted["percent"] is False
    rates = [cell for row in headline["rows"] for cell in row["cells"] if cell["percent"]]
    assert rates and all(cell["value"] is None or 0 <= cell["value"] <= 1 for cell in rates)


def test_the_overdue_table_lists_the_readers_cases_masked_with_links(cases, staff_a, tree, period):
    body = reader(staff_a[Role.SUPERVISOR]).get(f"{BASE}{tree.town_a.code}/tables/overdue/").json()
    overdue = cases["overdue"]
    [row] = body["rows"]
    assert row["cells"][0]["text"] == overdue.tracking_number_display
    assert row["link"] == reverse("disputes:case", args=[overdue.tracking_number])
    assert row["cells"][1]["text"] == "王**"  # masked, as on the page


def test_headline_figures_are_the_selectors_figures(cases, staff_a, tree, period):
    response = reader(staff_a[Role.SUPERVISOR], "en").get(f"{BASE}{tree.town_a.code}/", period.query())
    assert response.status_code == 200
    body = response.json()
    figures = selectors.area_figures(tree.town_a, period)
    assert body["area"] == {
        "code": tree.town_a.code,
        "name": tree.town_a.display_name,
        "level": tree.town_a.level,
        "level_name": str(tree.town_a.get_level_display()),
        "population": 50_000,
    }
    assert body["period"]["kind"] == "month" and body["period"]["query"] == period.query()
    assert set(body["figures"]) == set(dashboard_api.FIGURE_NAMES)
    for name in ("resolution_rate", "on_time_rate", "callback_satisfaction", "mediation_success_rate"):
        rate = getattr(figures, name)
        got = body["figures"][name]
        assert (got["numerator"], got["denominator"], got["percent"]) == (rate.numerator, rate.denominator, True)
        assert got["value"] == rate.value and got["text"] == rate.display()
        # The definition 口径说明 states, in the reader's language.
        assert got["definition"] == DEFINITIONS_BY_KEY[name].text() and "÷" in got["definition"]
        assert got["term"] == DEFINITIONS_BY_KEY[name].term
    assert body["figures"]["submitted"]["value"] == 4
    assert body["figures"]["overdue"]["value"] == figures.overdue == 1
    assert body["figures"]["in_progress"]["value"] == figures.in_progress
    assert body["figures"]["resolution_rate"]["label"] == "Resolution rate"
    assert body["figures"]["concluded"]["definition"].startswith("Cases reported back in the period")
    assert body["judicial"] == {"applied": 0, "confirmed": 0, "rejected": 0}
    assert body["conversions"]["criminal"] == 0 and body["conversions"]["homicide"] == 0
    assert body["as_of"]
    assert body["links"]["tables"]["trend"].startswith(f"{BASE}{tree.town_a.code}/tables/trend/?")


def test_headline_labels_in_chinese(cases, staff_a, tree):
    body = reader(staff_a[Role.SUPERVISOR]).get(f"{BASE}{tree.town_a.code}/").json()
    with translation.override("zh-hans"):
        expected = str(LABELS["resolution_rate"])
    label = body["figures"]["resolution_rate"]["label"]
    assert label == expected and "化解率" in label


def test_children_for_the_big_screen(cases, staff_a, tree, period):
    body = reader(staff_a[Role.ADMIN]).get(f"{BASE}{tree.county.code}/children/", period.query()).json()
    by_code = {row["code"]: row for row in body["results"]}
    assert set(by_code) == {tree.town_a.code, tree.town_b.code}
    for child, figures in selectors.child_rows(tree.county, period):
        row = by_code[child.code]
        assert row["submitted"] == figures["submitted"]
        assert row["resolution_rate"] == figures.resolution_rate.value
        assert row["overdue"] == figures.overdue
        assert row["population"] == child.population
        assert row["link"].startswith(reverse("disputes:dashboard_area", args=[child.code]))
    assert by_code[tree.town_a.code]["submitted"] == 4 and by_code[tree.town_a.code]["overdue"] == 1


def test_areas_lists_the_home_area_and_its_children(cases, staff_a, tree):
    body = reader(staff_a[Role.SUPERVISOR]).get("/api/v1/dashboard/areas/").json()
    assert body["home"]["code"] == tree.town_a.code
    assert [row["code"] for row in body["results"]] == [tree.village_a.code]
    assert body["results"][0]["api"] == f"{BASE}{tree.village_a.code}/"
    admin = reader(staff_a[Role.ADMIN]).get("/api/v1/dashboard/areas/").json()
    assert admin["home"]["code"] == tree.city.code


# --- Jurisdiction and errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_STAFF, Role.DISPATCHER, Role.CALLBACK_CALLER])
def test_other_roles_get_403(cases, staff_a, tree, role):
    api = reader(staff_a[role], "en")
    for url in (
        "/api/v1/dashboard/areas/",
        f"{BASE}{tree.town_a.code}/",
        f"{BASE}{tree.town_a.code}/tables/figures/",
        f"{BASE}{tree.town_a.code}/children/",
        f"{BASE}{tree.town_a.code}/cases/?measure=submitted",
    ):
        response = api.get(url)
        assert response.status_code == 403, url
        assert error_of(response)["code"] == "wrong_role"


def test_anonymous_gets_403(cases, tree):
    assert APIClient().get(f"{BASE}{tree.town_a.code}/").status_code == 403


def test_areas_outside_answer_404(cases, staff_a, tree):
    api = reader(staff_a[Role.SUPERVISOR], "en")
    for code in (tree.town_b.code, tree.city.code, "nosuch"):
        for url in (f"{BASE}{code}/", f"{BASE}{code}/tables/areas/", f"{BASE}{code}/children/"):
            response = api.get(url)
            assert response.status_code == 404, url
            assert error_of(response)["code"] == "not_found"
        assert api.get(f"{BASE}{code}/cases/", {"measure": "submitted"}).status_code == 404
    assert api.get(f"{BASE}{tree.town_a.code}/tables/nosuch/").status_code == 404
    assert api.get(f"{BASE}{tree.village_a.code}/").status_code == 200


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "The end of the range must not come before its start."), ("zh-hans", "截止日期不能早于起始日期。")],
)
def test_an_invalid_period_is_a_400_in_the_readers_language(cases, staff_a, tree, language, message):
    api = reader(staff_a[Role.SUPERVISOR], language)
    params = {"kind": "custom", "start": "2026-03-01", "end": "2026-01-01"}
    for url in (f"{BASE}{tree.town_a.code}/", f"{BASE}{tree.town_a.code}/tables/trend/"):
        response = api.get(url, params)
        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "invalid"
        assert error["fields"] == {"end": [message]} and error["message"] == message


def test_the_kind_follows_the_parameter_given(cases, staff_a, tree):
    api = reader(staff_a[Role.SUPERVISOR], "en")
    year = api.get(f"{BASE}{tree.town_a.code}/", {"year": "2025"}).json()["period"]
    assert (year["kind"], year["start"], year["end"]) == ("year", "2025-01-01", "2026-01-01")
    days = api.get(f"{BASE}{tree.town_a.code}/", {"start": "2025-03-02", "end": "2025-03-05"}).json()["period"]
    assert (days["kind"], days["last_day"]) == ("custom", "2025-03-05")
    quarter = api.get(f"{BASE}{tree.town_a.code}/", {"kind": "quarter", "quarter": "2025-Q2"}).json()["period"]
    assert (quarter["start"], quarter["end"], quarter["label"]) == ("2025-04-01", "2025-07-01", "2025-Q2")


def test_a_bad_month_is_a_400(cases, staff_a, tree):
    response = reader(staff_a[Role.SUPERVISOR], "en").get(f"{BASE}{tree.town_a.code}/children/", {"month": "2026-13"})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"month": ["Enter a month like 2026-11."]}


# --- The cases behind a count -----------------------------------------------------------------------------


def test_the_cases_behind_a_count(cases, staff_a, tree, period):
    api = reader(staff_a[Role.SUPERVISOR], "en")
    response = api.get(f"{BASE}{tree.town_a.code}/cases/", {"measure": "concluded", **period.query()})
    assert response.status_code == 200
    body = response.json()
    numbers = {row["tracking_number"] for row in body["results"]}
    assert numbers == {cases[k].tracking_number for k in ("resolved", "late", "police")}
    assert body["total"] == selectors.area_figures(tree.town_a, period)["concluded"] == 3
    row = body["results"][0]
    assert row["link"] == reverse("disputes:case", args=[row["tracking_number"]])
    assert set(row) == set(dashboard_api.CaseRowSerializer().fields)
    # The supervisor of the township works its cases: the applicant in clear, as on the case page.
    assert row["applicant"] == "王小明"
    assert body["page"].startswith(reverse("disputes:dashboard_cases", args=[tree.town_a.code]))


def test_the_case_list_pages_with_a_cursor(cases, staff_a, tree, period):
    api = reader(staff_a[Role.SUPERVISOR], "en")
    first = api.get(f"{BASE}{tree.town_a.code}/cases/", {"measure": "submitted", "page_size": 3, **period.query()})
    body = first.json()
    assert len(body["results"]) == 3 and body["next"]
    second = api.get(body["next"]).json()
    assert second["next"] is None
    seen = [row["tracking_number"] for row in body["results"] + second["results"]]
    assert sorted(seen) == sorted(cases[k].tracking_number for k in ("resolved", "late", "police", "overdue"))
    broken = api.get(f"{BASE}{tree.town_a.code}/cases/", {"measure": "submitted", "cursor": "nonsense"})
    assert broken.status_code == 400 and error_of(broken)["code"] == "invalid_cursor"


def test_a_reader_who_does_not_work_the_case_sees_the_name_masked(cases, staff_a):
    """The list's rows (`drilldown.case_page`, the page's and the API's) for a reader who may see a case
    without working it: a mediator sees their own department's case in clear, the other township's masked."""
    both = Dispute.objects.filter(pk__in=[cases["overdue"].pk, cases["b"].pk])
    rows = drilldown.case_page(staff_a[Role.MEDIATOR], both, "submitted").rows
    by_number = {row.tracking_number: row.applicant for row in rows}
    assert by_number[cases["overdue"].tracking_number] == "王小明"
    assert by_number[cases["b"].tracking_number] == "王**"
    [admin] = drilldown.case_page(staff_a[Role.ADMIN], both.filter(pk=cases["b"].pk), "submitted").rows
    assert admin.applicant == "王小明"


@pytest.mark.parametrize(
    ("language", "message"), [("en", '"nosuch" is not a valid choice.'), ("zh-hans", "“nosuch” 不是合法选项。")]
)
def test_an_unknown_measure_is_a_400(cases, staff_a, tree, language, message):
    response = reader(staff_a[Role.SUPERVISOR], language).get(f"{BASE}{tree.town_a.code}/cases/", {"measure": "nosuch"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and error["fields"] == {"measure": [message]}
    missing = reader(staff_a[Role.SUPERVISOR], "en").get(f"{BASE}{tree.town_a.code}/cases/")
    assert missing.status_code == 400 and "measure" in error_of(missing)["fields"]


# --- The cache ------------------------------------------------------------------------------------------


def test_the_second_call_reads_no_rollup(cases, staff_a, tree, period):
    api = reader(staff_a[Role.SUPERVISOR])
    for url in (
        f"{BASE}{tree.town_a.code}/",
        f"{BASE}{tree.town_a.code}/tables/trend/",
        f"{BASE}{tree.town_a.code}/tables/overdue/",
        f"{BASE}{tree.town_a.code}/children/",
    ):
        cache.clear()  # each answer from scratch, then again from the cache
        with CaptureQueriesContext(connection) as first:
            one = api.get(url, period.query())
        with CaptureQueriesContext(connection) as second:
            two = api.get(url, period.query())
        # The same answer; the overdue list (read on every call) says when it was read.
        assert {**one.json(), "as_of": None} == {**two.json(), "as_of": None}
        assert any("disputes_disputerollup" in q["sql"] for q in first.captured_queries)
        assert not any("disputes_disputerollup" in q["sql"] for q in second.captured_queries), url
        assert len(second.captured_queries) < len(first.captured_queries)


def test_a_cached_answer_is_cheap(cases, staff_a, tree, period, django_assert_max_num_queries):
    api = reader(staff_a[Role.SUPERVISOR])
    api.get(f"{BASE}{tree.town_a.code}/children/", period.query())
    # The reader's jurisdiction is checked again (the user's profile, the area); nothing else is read.
    with django_assert_max_num_queries(4):
        assert api.get(f"{BASE}{tree.town_a.code}/children/", period.query()).status_code == 200


def test_etag_answers_304_until_the_rollups_are_refreshed(cases, staff_a, tree, category, departments):
    api = reader(staff_a[Role.SUPERVISOR])
    url = f"{BASE}{tree.town_a.code}/"
    first = api.get(url)
    etag = first["ETag"]
    assert etag and first["Cache-Control"] == "private, no-cache"
    again = api.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304 and not again.content
    # Another language is another answer.
    assert reader(staff_a[Role.SUPERVISOR], "en").get(url, headers={"if-none-match": etag}).status_code == 200
    case_in(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"])
    rollups.refresh_recent()
    fresh = api.get(url, headers={"if-none-match": etag})
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    assert fresh.json()["figures"]["submitted"]["value"] == first.json()["figures"]["submitted"]["value"] + 1


def test_the_overdue_table_is_read_on_every_call(cases, staff_a, tree, category, departments):
    api = reader(staff_a[Role.SUPERVISOR])
    url = f"{BASE}{tree.town_a.code}/tables/overdue/"
    assert len(api.get(url).json()["rows"]) == 1
    case_in(
        Status.IN_MEDIATION,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        next_due_at=timezone.now() - timedelta(hours=1),
    )
    assert len(api.get(url).json()["rows"]) == 2
    assert "ETag" not in api.get(url)


# --- The schema -----------------------------------------------------------------------------------------


def test_the_schema_lists_the_dashboard_endpoints(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/v1/dashboard/areas/:",
        "/api/v1/dashboard/areas/{code}/:",
        "/api/v1/dashboard/areas/{code}/tables/{key}/:",
        "/api/v1/dashboard/areas/{code}/children/:",
        "/api/v1/dashboard/areas/{code}/cases/:",
    ):
        assert path in text, path
    for name in ("DashboardFigures", "Table", "Child", "CasesPage", "resolution_rate"):
        assert name in text, name


def test_no_case_is_read_for_the_figures(cases, staff_a, tree, period):
    """The figures come from the rollups: the headline answer never reads the cases table."""
    with CaptureQueriesContext(connection) as queries:
        reader(staff_a[Role.SUPERVISOR]).get(f"{BASE}{tree.town_a.code}/", period.query())
    assert not any(f'FROM "{Dispute._meta.db_table}"' in q["sql"] for q in queries.captured_queries)
