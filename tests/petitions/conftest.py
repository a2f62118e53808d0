"""Fixtures for petitions: the county's petitions bureau, its clerk and a registration helper."""

import pytest

from core.actors import Actor
from grids.models import DepartmentKind, Role
from petitions import services
from petitions.rules import Form
from tests.factories import DepartmentFactory

MATTER = "村里征地补偿款一直没有发放到位，多次找村委会都没有结果，请求尽快发放补偿款。"
PETITIONER = {"name": "王五", "phone": "13600136000", "id_number": "360103197001011234", "address": "船山社区3栋"}


@pytest.fixture
def bureau(tree):
    return DepartmentFactory(name="西湖区信访局", kind=DepartmentKind.PETITIONS_BUREAU, area=tree.county)


@pytest.fixture
def clerk(make_staff, tree, bureau):
    """A petitions bureau clerk working the whole county."""
    return make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=bureau, username="clerk")


@pytest.fixture
def supervisor_a(make_staff, tree):
    return make_staff(Role.SUPERVISOR, area=tree.town_a, username="supervisor-a")


@pytest.fixture
def register(tree, category, bureau, clerk):
    """register(**overrides) → a petition registered by the clerk about village A."""

    def make(**overrides):
        fields = {
            "actor": Actor.for_user(clerk),
            "form": Form.VISIT,
            "matter": MATTER,
            "area": tree.village_a,
            "category": category,
            "receiving_office": bureau,
            "petitioners": [dict(PETITIONER)],
        }
        fields.update(overrides)
        return services.petition_register(**fields)

    return make
