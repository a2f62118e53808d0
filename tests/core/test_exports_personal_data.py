"""No dashboard export carries personal data in clear, so exports need no entry in the access log.

The only table that names anyone is the overdue list, and it shows the
applicant's name masked (王**) and no phone. If a table ever gains a clear
name, phone, ID number or address, this test fails: mask it, or log the export
with `core.audit.log_personal_data_access(action="export", ...)`.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.masking import mask_name
from core.models import PersonalDataAccess
from disputes.dashboard import rollups, tables
from disputes.rules.enums import PartyRole, Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db

NAME, OTHER_NAME = "欧阳振华", "司马青云"
PHONE, OTHER_PHONE = "13912345678", "13787654321"
ID_NUMBER = "36010219900101123X"
ADDRESS = "南昌市西湖区船山路12号3栋201室"
SECRETS = (NAME, OTHER_NAME, PHONE, OTHER_PHONE, ID_NUMBER, ADDRESS)


@pytest.fixture
def cases(tree, category, departments):
    now = timezone.now()
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"]}
    made = [
        case_in(Status.IN_MEDIATION, next_due_at=now - timedelta(hours=5), **a),  # on the overdue list
        case_in(Status.CLOSED, callback_result="satisfied", **a),
        case_in(Status.DISPATCHED, **a),
    ]
    for case in made:
        PartyFactory(
            dispute=case, role=PartyRole.APPLICANT, name=NAME, phone=PHONE, id_number=ID_NUMBER, address=ADDRESS
        )
        PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name=OTHER_NAME, phone=OTHER_PHONE, address=ADDRESS)
    rollups.rebuild_all()
    return made


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_no_dashboard_export_contains_a_name_or_phone_in_clear(client, cases, staff_a, tree, role):
    from openpyxl import load_workbook

    client.force_login(staff_a[role])
    overdue_seen = False
    for key in tables.TABLE_KEYS:
        response = client.get(reverse("disputes:dashboard_export", args=[tree.town_a.code, key, "csv"]))
        assert response.status_code == 200, key
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        for secret in SECRETS:
            assert secret not in text, (key, secret)
        if key == "overdue":
            rows = list(csv.reader(io.StringIO(text)))
            # The list did run and name the applicant, masked.
            assert any(mask_name(NAME) in row for row in rows[1:]), rows
            overdue_seen = True

        response = client.get(reverse("disputes:dashboard_export", args=[tree.town_a.code, key, "xlsx"]))
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
        cells = " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
        for secret in SECRETS:
            assert secret not in cells, (key, secret)
    assert overdue_seen
    # Nothing personal left the portal, so nothing was logged.
    assert not PersonalDataAccess.objects.exists()
