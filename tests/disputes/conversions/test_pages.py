# ruff: noqa: F811 (the fixtures imported from tests.disputes.orders are parameters here)
"""民转刑 / 刑转命 pages: the register (filters, counts, jurisdiction), the record form reached from the case page,
the review form, the printed review report, the dashboard's cards and the menu entry; in zh-hans."""

from datetime import timedelta

import pytest
from django.urls import reverse

from core.models import Notification
from disputes.models import CriminalConversion
from grids.models import Role
from tests.disputes.conversions.helpers import TODAY, record, review
from tests.disputes.orders import case, clock, offices, people  # noqa: F401

pytestmark = pytest.mark.django_db


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_the_case_page_offers_the_record_form_to_a_supervisor_only(client, clock, case, people):
    url = reverse("disputes:case", args=[case.tracking_number])
    form_url = reverse("disputes:conversion_new", args=[case.tracking_number])

    supervisor = get(client, people["supervisor"], url).content.decode()
    mediator = get(client, people["mediator"], url).content.decode()

    assert form_url in supervisor and "民转刑" in supervisor
    assert form_url not in mediator
    assert get(client, people["mediator"], form_url).status_code == 403
    assert get(client, people["b_supervisor"], form_url).status_code == 404


def test_recording_through_the_form(client, clock, case, people):
    url = reverse("disputes:conversion_new", args=[case.tracking_number])
    client.force_login(people["supervisor"])

    shown = client.get(url)
    response = client.post(
        url,
        {
            "kind": "criminal",
            "police_case_number": "A360103",
            "police_unit": "南浦派出所",
            "occurred_on": (TODAY - timedelta(days=1)).isoformat(),
            "reported_on": TODAY.isoformat(),
            "summary": "李四持械伤人",
        },
    )

    assert shown.status_code == 200 and 'name="police_case_number"' in shown.content.decode()
    # The date picker gets an ISO value whatever the language's date format.
    assert 'name="reported_on" value="2026-12-07"' in shown.content.decode()
    conversion = CriminalConversion.objects.get()
    assert response.status_code == 303 and response["Location"] == reverse("disputes:conversion", args=[conversion.pk])
    assert Notification.objects.filter(kind="criminal_conversion").exists()
    panel = client.get(reverse("disputes:case", args=[case.tracking_number])).content.decode()
    assert f'data-conversion="{conversion.pk}"' in panel and "A360103" in panel


def test_a_refusal_goes_beside_its_field(client, clock, case, people):
    url = reverse("disputes:conversion_new", args=[case.tracking_number])
    client.force_login(people["supervisor"])

    response = client.post(
        url,
        {
            "kind": "criminal",
            "police_case_number": "A1",
            "occurred_on": (TODAY - timedelta(days=10)).isoformat(),
            "reported_on": TODAY.isoformat(),
            "summary": "x",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["occurred_on"]
    assert not CriminalConversion.objects.exists()


def test_the_register_lists_counts_and_filters(client, clock, case, people):
    first = record(case, people["supervisor"])
    second = record(case, people["supervisor"], kind="homicide", police_case_number="B2")
    review(first, people["county_supervisor"])
    url = reverse("disputes:conversions")

    everything = get(client, people["county_supervisor"], url).content.decode()
    homicides = get(client, people["county_supervisor"], url, kind="year", year=2026, conversion_kind="homicide")
    pending = get(client, people["county_supervisor"], url, kind="year", year=2026, reviewed="not_reviewed")
    last_year = get(client, people["county_supervisor"], url, kind="year", year=2025).content.decode()

    assert f'data-conversion="{first.pk}"' in everything and f'data-conversion="{second.pk}"' in everything
    assert reverse("disputes:conversion", args=[first.pk]) in everything
    assert reverse("disputes:case", args=[case.tracking_number]) in everything
    assert homicides.context["rows"][0]["conversion"] == second and len(homicides.context["rows"]) == 1
    assert [r["conversion"] for r in pending.context["rows"]] == [second]
    assert homicides.context["counts"].homicide == 1 and homicides.context["counts"].criminal == 1
    assert 'data-conversion="' not in last_year


def test_the_register_in_zh_hans(client, clock, case, people):
    record(case, people["supervisor"])

    body = get(client, people["county_supervisor"], reverse("disputes:conversions")).content.decode()

    assert "民转刑" in body and "刑转命" in body and "去年同期" in body
    assert "未复盘" in body and "复盘倒查" in body and "公安机关案件编号" in body
    assert "Became a criminal case" not in body and "Police case number" not in body and "Not yet reviewed" not in body


def test_the_register_of_an_area_outside_is_not_found(client, clock, case, people, tree):
    record(case, people["supervisor"])

    outside = get(client, people["b_supervisor"], reverse("disputes:conversions_area", args=[tree.town_a.code]))
    by_query = get(client, people["b_supervisor"], reverse("disputes:conversions"), area=tree.town_a.code)
    mediator = get(client, people["mediator"], reverse("disputes:conversions"))
    own = get(client, people["b_supervisor"], reverse("disputes:conversions")).content.decode()

    assert outside.status_code == 404 and by_query.status_code == 404
    assert mediator.status_code == 403
    assert "A3601030500002026120001" not in own


def test_a_record_outside_is_not_found(client, clock, case, people):
    conversion = record(case, people["supervisor"])

    assert get(client, people["b_supervisor"], reverse("disputes:conversion", args=[conversion.pk])).status_code == 404
    assert (
        get(client, people["b_supervisor"], reverse("disputes:conversion_print", args=[conversion.pk])).status_code
        == 404
    )


def test_the_review_form_and_the_printed_report(client, clock, case, people):
    conversion = record(case, people["supervisor"])
    url = reverse("disputes:conversion", args=[conversion.pk])
    client.force_login(people["county_supervisor"])

    before = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "missed": "未及时发现扬言风险",
            "responsible": "南浦街道调委会",
            "changes": "红单每日回访",
            "accountability": "criticism",
            "notes": "通报批评",
        },
    )
    after = client.get(url).content.decode()
    printed = client.get(reverse("disputes:conversion_print", args=[conversion.pk])).content.decode()

    assert 'data-action="review"' in before
    assert response.status_code == 303
    assert "未及时发现扬言风险" in after and 'data-reviewed="1"' in after
    assert "西湖区" in printed and "未及时发现扬言风险" in printed and "2026年12月7日" in printed
    assert CriminalConversion.objects.get().accountability == "criticism"


def test_the_township_supervisor_of_a_grid_supervisor_only_reads(client, clock, case, people, make_staff, tree):
    conversion = record(case, people["supervisor"])
    grid_supervisor = make_staff(Role.SUPERVISOR, area=tree.grid_a)
    url = reverse("disputes:conversion", args=[conversion.pk])

    shown = get(client, grid_supervisor, url)
    posted = client.post(url, {"missed": "a", "responsible": "b", "changes": "c"})

    assert shown.status_code == 200 and 'data-action="review"' not in shown.content.decode()
    assert posted.status_code == 403
    assert CriminalConversion.objects.get().reviewed_at is None


def test_the_dashboard_shows_the_counts_and_links_to_the_register(client, clock, case, people, tree):
    record(case, people["supervisor"])

    response = get(client, people["county_supervisor"], reverse("disputes:dashboard"), kind="year", year=2026)
    body = response.content.decode()

    assert response.status_code == 200
    assert 'data-figure="conversions-criminal"' in body and 'data-figure="conversions-homicide"' in body
    register = reverse("disputes:conversions_area", args=[tree.county.code])
    assert f"{register}?kind=year&amp;year=2026&amp;conversion_kind=criminal" in body


def test_the_menu_has_the_register_for_supervisors(client, clock, case, people):
    url = reverse("disputes:conversions")

    supervisor = get(client, people["supervisor"], reverse("disputes:queue")).content.decode()
    mediator = get(client, people["mediator"], reverse("disputes:queue")).content.decode()

    assert f'href="{url}"' in supervisor
    assert f'href="{url}"' not in mediator


def test_the_dashboard_cards_count_and_link(clock, case, people, tree):
    """The cards the dashboard includes (`{% dash_conversions area period %}`), rendered on their own."""
    from django.template import Context, Template

    from disputes.dashboard.periods import year_period

    record(case, people["supervisor"])
    record(case, people["supervisor"], kind="homicide", police_case_number="B2")

    html = Template("{% load conversions %}{% dash_conversions area period %}").render(
        Context({"area": tree.county, "period": year_period(2026)})
    )
    empty = Template("{% load conversions %}{% dash_conversions area period %}").render(
        Context({"area": tree.town_b, "period": year_period(2026)})
    )

    register = reverse("disputes:conversions_area", args=[tree.county.code])
    assert f'href="{register}?kind=year&amp;year=2026&amp;conversion_kind=criminal">1</a>' in html
    assert f'href="{register}?kind=year&amp;year=2026&amp;conversion_kind=homicide">1</a>' in html
    assert "去年同期0件；增减+1件" in html
    assert ">0</a>" in empty and "dash-card--alert" not in empty
