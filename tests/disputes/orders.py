"""Fixtures for the 督办单 tests (services, API, pages): three offices with their codes, their supervisors,
township A's committee and a case it holds. Import the fixtures into a test module to use them."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.actors import Actor
from disputes.rules.enums import Status
from disputes.services import supervision
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def offices(tree):
    """The 机关代字 of the three levels' centres."""
    for area, code in ((tree.city, "南昌矛调督"), (tree.county, "西湖矛调督"), (tree.town_a, "南浦矛调督")):
        area.doc_code = code
        area.save(update_fields=["doc_code"])
    return tree


@pytest.fixture
def people(tree, departments, make_staff, offices):
    return {
        "mediator": make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"]),
        "clerk": make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=departments["a"]),
        "supervisor": make_staff(Role.SUPERVISOR, area=tree.town_a),
        "county_supervisor": make_staff(Role.SUPERVISOR, area=tree.county),
        "city_supervisor": make_staff(Role.SUPERVISOR, area=tree.city),
        "b_supervisor": make_staff(Role.SUPERVISOR, area=tree.town_b),
        "b_clerk": make_staff(Role.DEPARTMENT_STAFF, area=tree.town_b, department=departments["b"]),
    }


@pytest.fixture
def case(tree, category, departments, people):
    found = case_in(
        Status.ACCEPTED, grid=tree.grid_a, category=category, department=departments["a"], mediator=people["mediator"]
    )
    PartyFactory(dispute=found, name="李四", phone="13900139000")
    return found


def actor(user) -> Actor:
    return Actor.for_user(user)


def issue(case, user, **kw):
    values = {"reason": "该案件受理后已超期未调解。", "to_department": kw.pop("to_department", case.lead_department)}
    values.update(kw)
    return supervision.order_issue(dispute=case, actor=actor(user), **values)
