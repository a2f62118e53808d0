"""The petition figures on the supervisor dashboard: each definition against a hand-counted set of petitions."""

import time
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from core.actors import Actor
from disputes.dashboard.periods import month_period
from grids.models import Role
from petitions import services, statistics
from petitions.rules import TZ
from tests.factories import CategoryFactory

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
MARCH = month_period(date(2026, 3, 1))


def at(days: float):
    return time_machine.travel(NOW + timedelta(days=days), tick=False)


def person(n: int) -> list[dict]:
    return [{"name": f"信访人{n}", "phone": f"1360013600{n}", "id_number": ""}]


@pytest.fixture
def world(register, clerk, departments, staff_a, supervisor_a, tree, category):
    """Six petitions received in March 2026 (five in township A, one in B) and one in April; see the test."""
    office = Actor.for_user(clerk)
    handler = Actor.for_user(staff_a[Role.DEPARTMENT_STAFF])
    caller = Actor.for_user(staff_a[Role.CALLBACK_CALLER])
    land = CategoryFactory(code="land-x", name="土地纠纷")

    def decide(p, decision="accept", department="a", **kw):
        return services.petition_decide(
            petition=p, actor=office, decision=decision, handling_department=departments[department], **kw
        )

    def reply(p):
        return services.petition_reply(petition=p, actor=handler, text="已答复。")

    with at(0):
        a = register(petitioners=person(1), matter="小区噪音扰民，物业不管，请求处理。" * 2)
        b = register(petitioners=person(2), category=land, matter="承包地被占用，要求返还土地并赔偿。" * 2)
    with at(1):
        c = register(petitioners=person(3), matter="工资被拖欠三个月，老板失联，请求帮助讨薪。" * 2)
    with at(2):
        d = register(petitioners=person(4), matter="门前道路长期积水，出行困难。" * 2)
        c = decide(c)
    with at(3):
        a = decide(a)
        f = register(petitioners=person(5), area=tree.village_b, matter="邻居违建遮挡采光。" * 3)
    with at(4):
        f = decide(f, department="b")
    with at(5):
        # The same petitioner, area, category and matter as b: a repeat petition.
        e = register(petitioners=person(2), category=land, matter="承包地被占用，要求返还土地并赔偿。" * 2)
    with at(6):
        services.petition_decide(petition=e, actor=office, decision="not_accept", reason="已在办理中")
    with at(20):
        b = decide(b)  # late: the 15 days ended on 18 March
    with at(35):
        register(petitioners=person(6), matter="四月的信访件。" * 4)
    with at(40):
        reply(a)
    with at(50):
        services.petition_extend(petition=c, actor=Actor.for_user(supervisor_a), days=30, reason="案情复杂")
    with at(85):
        c = reply(c)  # after 60 days, within the extension
    with at(86):
        services.petition_callback_record_attempt(petition=c, actor=caller, reached=True, satisfaction="dissatisfied")
    with at(100):
        b = reply(b)  # late: handling ended on 20 May
    with at(101):
        services.petition_transition(petition=b, action="request_review", actor=office)
    assert e.is_repeat and e.repeat_of_id == b.pk
    b.refresh_from_db()
    assert b.has_repeat and b.review_requested and not a.has_repeat and not a.review_requested
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def test_the_counts_of_march_as_seen_on_day_200(world, tree, django_assert_num_queries):
    with at(200), django_assert_num_queries(1):
        figures = statistics.petition_figures(tree.county, MARCH)
    assert figures.counts == {
        "received": 6,
        "repeat": 1,  # e
        "decided": 6,  # a b c e f decided, d overdue undecided
        "decided_in_time": 4,  # a c e f; b decided on day 20, d never
        "handling_due": 4,  # a b c replied, f overdue unreplied
        "handled_in_time": 2,  # a, and c within its extension
        "replied": 3,  # a b c
        "first_time": 1,  # a; b asked for a review (and has a repeat), c was dissatisfied
    }
    assert figures.timely_acceptance_rate.display() == "66.7%"
    assert figures.on_time_completion_rate.display() == "50.0%"
    assert figures.first_time_resolution_rate.display() == "33.3%"
    assert figures.repeat_petitions.fraction() == "1 / 6"


def test_petitions_still_within_their_period_are_left_out(world, tree):
    # Read as if on day 10: d (received on day 2) is still within its 15 days, f within its 60.
    with at(10):
        figures = statistics.petition_figures(tree.county, MARCH)
    assert figures["decided"] == 5  # a b c e f; d left out, not counted late
    assert figures["handling_due"] == 3  # a b c replied; f left out


def test_the_area_rows_and_the_monthly_trend(world, tree):
    with at(200):
        rows = dict(statistics.petition_child_rows(tree.county, MARCH))
        trend = statistics.petition_trend(tree.county, MARCH)
        town_b = statistics.petition_figures(tree.town_b, MARCH)
    assert rows[tree.town_a]["received"] == 5 and rows[tree.town_b]["received"] == 1
    assert town_b.counts["handling_due"] == 1 and town_b.on_time_completion_rate.display() == "0.0%"
    by_month = {month: (received, repeats) for month, received, repeats in trend}
    assert len(trend) == 12 and trend[-1][0] == date(2026, 3, 1)
    assert by_month[date(2026, 3, 1)] == (6, 1)
    april = statistics.petition_trend(tree.county, month_period(date(2026, 4, 1)))
    assert april[-1] == (date(2026, 4, 1), 1, 0)


def test_a_rate_with_nothing_to_count_shows_a_dash(tree):
    figures = statistics.petition_figures(tree.county, MARCH)
    assert figures["received"] == 0
    assert figures.timely_acceptance_rate.display() == "—"
    assert figures.first_time_resolution_rate.display() == "—"


def test_the_dashboard_shows_the_petition_section_for_the_supervisors_area_only(client, world, make_staff, tree):
    url = reverse("disputes:dashboard") + "?kind=month&month=2026-03"
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.town_b))
    with at(200):
        body = client.get(url).content.decode()
    assert 'id="petitions"' in body
    section = body[body.index('id="petitions"') :]
    received = section[section.index('data-figure="received"') :]
    assert '<p class="dash-card__value">1</p>' in received[:300]

    client.force_login(make_staff(Role.SUPERVISOR, area=tree.county))
    with at(200):
        body = client.get(url).content.decode()
    section = body[body.index('id="petitions"') :]
    assert "66.7%" in section and "50.0%" in section and "33.3%" in section
    assert 'id="petitions-trend"' in section and "2026-03" in section


def test_the_dashboard_section_is_cached_for_the_rollup_interval(
    world, register, tree, django_assert_max_num_queries, monkeypatch
):
    assert statistics.SECTION_CACHE_SECONDS == 300  # the rollups' refresh interval
    # Real time, not time travel: the Redis cache expires keys by the server's clock.
    monkeypatch.setattr(statistics, "SECTION_CACHE_SECONDS", 1)
    first = statistics.petition_section(tree.county, MARCH)
    assert first["figures"]["received"] == 6
    with at(10):
        register(petitioners=person(7), matter="三月新登记的信访件，用于检验缓存。" * 2)
    with django_assert_max_num_queries(1):  # the child areas only: the counts come from the cache
        again = statistics.petition_section(tree.county, MARCH)
    assert again["figures"].counts == first["figures"].counts
    assert [(a.path, f.counts) for a, f in again["children"]] == [(a.path, f.counts) for a, f in first["children"]]
    assert again["trend"] == first["trend"]
    time.sleep(1.5)
    fresh = statistics.petition_section(tree.county, MARCH)
    assert fresh["figures"]["received"] == 7
