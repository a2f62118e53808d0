"""督办 in the demo: the centres' 机关代字, a head for every department, `bumen_head`, and orders in each state."""

import pytest
from django.contrib.auth import get_user_model

from disputes.models import SupervisionOrder
from disputes.selectors import supervision as order_selectors
from grids.models import Area, AreaLevel, Department, StaffProfile
from tests.demo.test_seed_demo import seed

pytestmark = pytest.mark.django_db


def test_the_demo_has_office_codes_heads_and_orders_in_every_state():
    output = seed(cases=400)

    assert Area.objects.get(level=AreaLevel.CITY).doc_code == "南昌矛调督"
    assert Area.objects.get(code="360103").doc_code == "西湖矛调督"
    headed = set(StaffProfile.objects.filter(is_head=True).values_list("department_id", flat=True))
    assert headed == set(Department.objects.filter(staff__isnull=False).values_list("pk", flat=True))
    head = get_user_model().objects.get(username="bumen_head")
    assert head.staff.is_head and head.check_password("demo-password-2026")
    assert StaffProfile.objects.filter(department=head.staff.department, is_head=True).count() == 1
    assert "bumen_head" in output
    states = {order_selectors.order_state(o) for o in SupervisionOrder.objects.all()}
    assert {"issued", "signed", "replied", "closed", "escalated"} <= states
    raised = SupervisionOrder.objects.get(raised_from__isnull=False)
    assert raised.is_automatic and raised.document_number.startswith("南昌矛调督〔")

    again = seed(cases=400)
    assert "Supervision orders" not in again  # a second run adds none
