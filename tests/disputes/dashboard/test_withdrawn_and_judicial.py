"""The dashboard's 撤回 and 司法确认 figures: withdrawn cases counted and listed, confirmations counted."""

from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disputes.dashboard import rollups, selectors
from disputes.dashboard.periods import month_period
from disputes.models import Agreement, AgreementVersion, JudicialConfirmation, WithdrawalRequest
from disputes.rules.enums import Outcome, Status, WithdrawalVia
from grids.models import Role
from tests.disputes.cases import case_in

pytestmark = pytest.mark.django_db
OCTOBER = month_period(date(2026, 10, 1))


def at(day: int, month: int = 10, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def withdrawn(tree, category, departments, staff_a):
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"]}

    def case(closed_at, **fields):
        return case_in(Status.WITHDRAWN, outcome=Outcome.WITHDRAWN, closed_at=closed_at, **{**a, **fields})

    made = {
        "phone": case(at(3)),
        "tracking_page": case(at(20)),
        "legacy": case(at(31, hour=23)),  # withdrawn before requests were recorded: counted, how unknown
        "september": case(at(30, month=9)),
        "b": case(at(5), grid=tree.grid_b, department=departments["b"]),
    }
    # A suspected duplicate merged into its earlier case is closed as "withdrawn" too, but is no withdrawal.
    made["merged"] = case(at(6), duplicate_of=made["phone"])
    for key, via, recorded_by in (
        ("phone", WithdrawalVia.PHONE, staff_a[Role.MEDIATOR]),
        ("tracking_page", WithdrawalVia.SMS_LINK, None),
        ("b", WithdrawalVia.IN_PERSON, None),
    ):
        WithdrawalRequest.objects.create(
            dispute=made[key],
            via=via,
            reason="已和解",
            recorded_by=recorded_by,
            state=WithdrawalRequest.State.APPROVED,
            decided_by=staff_a[Role.SUPERVISOR],
            decided_at=made[key].closed_at,
            area_path=made[key].area_path,
        )
    rollups.rebuild_all()
    return made


def test_withdrawn_cases_are_counted_by_area_and_period(withdrawn, tree):
    assert selectors.area_figures(tree.town_a, OCTOBER)["withdrawn"] == 3
    assert selectors.area_figures(tree.town_b, OCTOBER)["withdrawn"] == 1
    assert selectors.area_figures(tree.county, OCTOBER)["withdrawn"] == 4
    assert selectors.area_figures(tree.town_a, month_period(date(2026, 9, 1)))["withdrawn"] == 1


def test_the_list_behind_the_figure(withdrawn, tree, staff_a):
    with CaptureQueriesContext(connection) as queries:
        rows = selectors.withdrawn_rows(staff_a[Role.SUPERVISOR], tree.town_a, OCTOBER)
    assert len(queries) <= 4  # the cases (with their category) and their requests, whatever their number
    assert [r.tracking_number for r in rows] == [
        withdrawn["legacy"].tracking_number,
        withdrawn["tracking_page"].tracking_number,
        withdrawn["phone"].tracking_number,
    ]
    legacy, page, phone = rows
    assert (legacy.via, legacy.approved_by) == ("", "")
    assert page.via == str(WithdrawalVia.SMS_LINK.label) and page.approved_by == staff_a[Role.SUPERVISOR].username
    assert phone.recorded_by == staff_a[Role.MEDIATOR].username
    assert phone.withdrawn_at == withdrawn["phone"].closed_at


def test_the_figure_links_to_the_list(client, withdrawn, tree, staff_a):
    client.force_login(staff_a[Role.SUPERVISOR])
    page = client.get(reverse("disputes:dashboard"), {"kind": "month", "month": "2026-10"}).content.decode()
    link = reverse("disputes:dashboard_withdrawn", args=[tree.town_a.code]) + "?kind=month&amp;month=2026-10"
    assert f'<a href="{link}">3</a>' in page
    listing = client.get(link.replace("&amp;", "&"))
    assert listing.status_code == 200
    html = listing.content.decode()
    for key in ("phone", "tracking_page", "legacy"):
        assert withdrawn[key].tracking_number in html
    for key in ("september", "merged", "b"):
        assert withdrawn[key].tracking_number not in html
    # Another township's list: not found; a mediator: no dashboard at all.
    assert client.get(reverse("disputes:dashboard_withdrawn", args=[tree.town_b.code])).status_code == 404
    client.force_login(staff_a[Role.MEDIATOR])
    assert client.get(link.replace("&amp;", "&")).status_code == 403


def _confirmation(case, applied_on, result="pending", decided_on=None):
    agreement = Agreement.objects.create(
        dispute=case, facts="事实", points_in_dispute="争议", terms="条款", performance_method="一次性支付"
    )
    version, _made = AgreementVersion.objects.get_or_create(
        agreement=agreement,
        version=1,
        defaults={"facts": "事实", "points_in_dispute": "争议", "terms": "条款", "performance_method": "一次性支付"},
    )
    return JudicialConfirmation.objects.create(
        dispute=case,
        agreement_version=version,
        applied_on=applied_on,
        court="西湖区人民法院",
        result=result,
        decided_on=decided_on,
        area_path=case.area_path,
    )


@pytest.fixture
def confirmations(tree, category, departments):
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"]}

    def case(**fields):
        return case_in(Status.CLOSED, **{**a, **fields})

    _confirmation(case(), date(2026, 10, 5))
    _confirmation(case(), date(2026, 9, 20), "confirmed", date(2026, 10, 10))
    _confirmation(case(), date(2026, 10, 12), "rejected", date(2026, 10, 25))
    _confirmation(case(), date(2026, 11, 1))
    _confirmation(case(), date(2026, 9, 1), "confirmed", date(2026, 9, 30))
    _confirmation(
        case(grid=tree.grid_b, department=departments["b"]), date(2026, 10, 7), "confirmed", date(2026, 10, 8)
    )


def test_judicial_confirmation_is_counted(confirmations, tree):
    with CaptureQueriesContext(connection) as queries:
        town = selectors.judicial_counts(tree.town_a, OCTOBER)
    assert len(queries) == 2
    assert (town.applied, town.confirmed, town.rejected) == (2, 1, 1)
    county = selectors.judicial_counts(tree.county, OCTOBER)
    assert (county.applied, county.confirmed, county.rejected) == (3, 2, 1)
    september = selectors.judicial_counts(tree.town_a, month_period(date(2026, 9, 1)))
    assert (september.applied, september.confirmed, september.rejected) == (2, 1, 0)


def test_the_dashboard_shows_the_judicial_figures(client, confirmations, staff_a):
    rollups.rebuild_all()
    client.force_login(staff_a[Role.SUPERVISOR])
    page = client.get(reverse("disputes:dashboard"), {"kind": "month", "month": "2026-10"}).content.decode()
    applied = page.index('data-figure="judicial-applied"')
    assert '<p class="dash-card__value">2</p>' in page[applied : applied + 300]
    confirmed = page.index('data-figure="judicial-confirmed"')
    assert '<p class="dash-card__value">1</p>' in page[confirmed : confirmed + 300]
