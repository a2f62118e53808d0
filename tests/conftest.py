"""Shared fixtures, and the rule that CI never passes on a skipped service test.

Tests that need PostgreSQL, Redis or a live worker call `require_service(...)`.
Locally, without the service, they skip. With REQUIRE_SERVICES=1 (set by
.ci/run) they fail instead, and any skip at all fails the run.
"""

import os
from dataclasses import dataclass

import pytest
from django.db import connection

from grids.models import Role
from tests.factories import CategoryFactory, DepartmentFactory, StaffFactory, UserFactory, area_child, area_root

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def require_service(available: bool, why: str) -> None:
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {why}")
    pytest.skip(why)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres"):
        require_service(connection.vendor == "postgresql", "this test needs PostgreSQL (set DATABASE_URL)")
    if item.get_closest_marker("redis"):
        require_service(bool(os.environ.get("REDIS_URL")), "this test needs Redis (set REDIS_URL)")


def pytest_sessionfinish(session, exitstatus):
    if not REQUIRE_SERVICES:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        reporter.write_line(f"REQUIRE_SERVICES=1: {skipped} test(s) skipped; failing the run.", red=True)
        session.exitstatus = 1


@dataclass
class Tree:
    """A small city: two townships, each with a village and a grid below it."""

    city: object
    county: object
    town_a: object
    town_b: object
    village_a: object
    village_b: object
    grid_a: object
    grid_b: object


@pytest.fixture
def tree(db) -> Tree:
    city = area_root()
    county = area_child(city, code="360103", name="西湖区", population=500_000)
    town_a = area_child(county, code="360103001", name="南浦街道", population=50_000)
    town_b = area_child(county, code="360103002", name="朝阳洲街道", population=40_000)
    village_a = area_child(town_a, code="360103001001", name="船山社区", population=5_000)
    village_b = area_child(town_b, code="360103002001", name="朝阳社区", population=4_000)
    grid_a = area_child(village_a, code="360103001001001", name="船山社区第一网格", population=800)
    grid_b = area_child(village_b, code="360103002001001", name="朝阳社区第一网格", population=700)
    return Tree(city, county, town_a, town_b, village_a, village_b, grid_a, grid_b)


@pytest.fixture
def category(db):
    return CategoryFactory(code="neighbour", name="邻里纠纷", name_en="Neighbour")


@pytest.fixture
def departments(tree):
    """The mediation committee of each township."""
    return {
        "a": DepartmentFactory(name="南浦街道人民调解委员会", area=tree.town_a),
        "b": DepartmentFactory(name="朝阳洲街道人民调解委员会", area=tree.town_b),
    }


@pytest.fixture
def make_staff(tree, departments):
    """make_staff(role, area=..., department=...) → a user with a staff profile."""

    def make(role: str, *, area=None, department=None, username: str | None = None):
        user = UserFactory(username=username or f"{role}-{UserFactory._meta.model.objects.count()}")
        StaffFactory(user=user, role=role, area=area or tree.town_a, department=department)
        return user

    return make


@pytest.fixture
def staff_a(make_staff, tree, departments):
    """One user per role, all working in township A (handlers in A's committee)."""
    return {
        Role.MEDIATOR: make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"]),
        Role.DEPARTMENT_STAFF: make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=departments["a"]),
        Role.DISPATCHER: make_staff(Role.DISPATCHER, area=tree.town_a),
        Role.CALLBACK_CALLER: make_staff(Role.CALLBACK_CALLER, area=tree.town_a),
        Role.SUPERVISOR: make_staff(Role.SUPERVISOR, area=tree.town_a),
        Role.ADMIN: make_staff(Role.ADMIN, area=tree.city),
    }
