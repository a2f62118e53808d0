"""Two supervisors record the same conversion at the same moment: one is stored, the other gets the clear
refusal (409 already_recorded), never an IntegrityError: the case's row lock orders them."""

import threading

import pytest
from django.db import connections

from core.exceptions import ConflictError
from disputes.models import CriminalConversion
from disputes.rules.enums import Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.disputes.conversions.helpers import record
from tests.disputes.orders import clock  # noqa: F401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_records_at_once_store_one_and_refuse_the_other(clock, tree, category, departments, make_staff):  # noqa: F811
    case = case_in(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"])
    people = [make_staff(Role.SUPERVISOR, area=area) for area in (tree.town_a, tree.county, tree.city, tree.county)]
    barrier = threading.Barrier(len(people))
    errors: list[BaseException] = []

    def run(user):
        try:
            barrier.wait(10)
            record(case, user)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert CriminalConversion.objects.filter(dispute=case).count() == 1
    assert len(errors) == len(people) - 1
    assert all(isinstance(exc, ConflictError) and exc.code == "already_recorded" for exc in errors), errors
