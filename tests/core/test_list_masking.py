"""Every staff API list masks personal data for those who can see a case but do not work it.

The lists are taken from the OpenAPI schema (every GET under /api/v1/ without a path
parameter that needs a staff session), so a list added later is checked without
anyone remembering to. The callers are bystanders: staff who see the case (their
area covers it) but do not work it (core.masking / disputes.workbench.user_works_case):
a mediator and a department clerk of another committee in the same township, and a
callback caller before the case is reported back. The parties' names, phones, ID
numbers and addresses must not appear in clear anywhere in the answers.
"""

import json

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from core.actors import Actor
from disputes.rules.enums import PartyRole, Status
from grids.models import DepartmentKind, Role
from petitions import services as petition_services
from petitions.rules import Form
from tests.disputes.cases import case_in
from tests.factories import DepartmentFactory, PartyFactory

CLEAR = {
    "name": "欧阳娜娜",
    "phone": "13812345678",
    "id_number": "360103199001011237",
    "address": "南浦街道船山路88号3栋",
}
RESPONDENT = {"name": "司马光明", "phone": "13987654321"}
PETITIONER = {"name": "诸葛亮亮", "phone": "13655556666", "id_number": "", "address": "船山社区9栋"}


def staff_list_paths() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = []
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if not path.startswith("/api/v1/") or "{" in path or operation is None:
            continue
        if any("cookieAuth" in requirement for requirement in operation.get("security", [])):
            paths.append(path)
    return sorted(paths)


def test_the_staff_lists_are_found():
    """The schema-driven list below is not empty by accident."""
    assert {"/api/v1/cases/", "/api/v1/queue/", "/api/v1/callbacks/", "/api/v1/petitions/"} <= set(staff_list_paths())


@pytest.fixture
def world(tree, category, departments, make_staff):
    mediator = make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"])
    cases = [
        case_in(status, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator)
        for status in (Status.TRIAGED, Status.IN_MEDIATION, Status.AWAITING_CALLBACK, Status.CLOSED)
    ]
    for case in cases:
        PartyFactory(dispute=case, role=PartyRole.APPLICANT, **CLEAR)
        PartyFactory(dispute=case, role=PartyRole.RESPONDENT, **RESPONDENT)
    bureau = DepartmentFactory(name="西湖区信访局", kind=DepartmentKind.PETITIONS_BUREAU, area=tree.county)
    clerk = make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=bureau)
    petition_services.petition_register(
        actor=Actor.for_user(clerk),
        form=Form.VISIT,
        matter="村里征地补偿款一直没有发放到位，多次找村委会都没有结果，请求尽快发放补偿款。",
        area=tree.village_a,
        category=category,
        receiving_office=bureau,
        petitioners=[dict(PETITIONER)],
    )
    other_committee = DepartmentFactory(name="南浦街道物业纠纷调解委员会", area=tree.town_a)
    return {
        "mediator of another committee": make_staff(Role.MEDIATOR, area=tree.town_a, department=other_committee),
        "clerk of another committee": make_staff(Role.DEPARTMENT_STAFF, area=tree.town_a, department=other_committee),
        "callback caller": make_staff(Role.CALLBACK_CALLER, area=tree.town_a),
    }


@pytest.mark.parametrize("who", ["mediator of another committee", "clerk of another committee", "callback caller"])
def test_no_staff_list_shows_personal_data_in_clear_to_a_bystander(world, who):
    client = Client()
    client.force_login(world[who])
    rows = 0
    for path in staff_list_paths():
        answer = client.get(path)
        assert answer.status_code in (200, 403), (path, answer.status_code, answer.content[:300])
        if answer.status_code != 200:
            continue
        text = json.dumps(answer.json(), ensure_ascii=False)
        for value in (*CLEAR.values(), *RESPONDENT.values(), PETITIONER["name"], PETITIONER["phone"]):
            assert value not in text, f"{path} shows {value} in clear to the {who}"
        body = answer.json()
        rows += len(body.get("results", [])) if isinstance(body, dict) else len(body)
    # The bystander did see cases (their area covers them): the check above was not vacuous.
    assert rows > 0
    cases = client.get("/api/v1/cases/").json()["results"]
    assert len(cases) == 4
