"""Personal data on the case page: masked by default, revealed one field at a time to those working the case,
each reveal logged (who, when, which case, which field) and never the value itself."""

import pytest
from rest_framework.test import APIClient

from core.models import PersonalDataAccess
from disputes.models import DisputeAssist
from disputes.rules.enums import Status
from disputes.selectors import user_works_case
from grids.models import Role
from tests.disputes.workbench.casepage import (
    APPLICANT_ADDRESS,
    APPLICANT_ID,
    APPLICANT_PHONE,
    case_url,
    client_for,
)

pytestmark = pytest.mark.django_db


def reveal(user, case, party, field):
    return client_for(user).post(case_url(case, "case_reveal", party_id=party.pk), {"field": field})


@pytest.fixture
def case(make_case):
    return make_case(Status.IN_MEDIATION)


@pytest.fixture
def applicant(case):
    return case.parties.get(role="applicant")


def test_masked_by_default(case, mediator):
    html = client_for(mediator).get(case_url(case)).content.decode()
    for clear in (APPLICANT_PHONE, APPLICANT_ID, APPLICANT_ADDRESS):
        assert clear not in html
    assert "139****9000" in html and "360*************16" in html
    assert not PersonalDataAccess.objects.exists(), "opening the page reveals nothing"


@pytest.mark.parametrize(
    ("field", "value"), [("phone", APPLICANT_PHONE), ("id_number", APPLICANT_ID), ("address", APPLICANT_ADDRESS)]
)
def test_the_mediator_reveals_one_field_and_it_is_logged(case, applicant, mediator, field, value):
    answer = reveal(mediator, case, applicant, field)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert value in html
    # Only that field: the others stay masked.
    others = {APPLICANT_PHONE, APPLICANT_ID, APPLICANT_ADDRESS} - {value}
    assert not any(other in html for other in others)
    assert "no-store" in answer["Cache-Control"]
    row = PersonalDataAccess.objects.get()
    assert (row.user, row.action, row.what, row.case_ref, row.object_id) == (
        mediator,
        PersonalDataAccess.Action.REVEAL,
        f"party.{field}",
        case.tracking_number,
        applicant.pk,
    )
    assert value not in str(row.detail)
    # The next visit is masked again.
    assert value not in client_for(mediator).get(case_url(case)).content.decode()


def workers_and_bystanders(staff_a, make_staff, tree, county_department, departments):
    return {
        "assigned mediator": (staff_a[Role.MEDIATOR], True),
        "lead department staff": (staff_a[Role.DEPARTMENT_STAFF], True),
        "dispatcher of the township": (staff_a[Role.DISPATCHER], True),
        "supervisor of the township": (staff_a[Role.SUPERVISOR], True),
        "admin": (staff_a[Role.ADMIN], True),
        "caller before the report-back": (staff_a[Role.CALLBACK_CALLER], False),
        "county bureau staff": (
            make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=county_department),
            False,
        ),
        "a county mediator with no department": (
            make_staff(Role.MEDIATOR, area=tree.county, department=None),
            False,
        ),
    }


def test_who_may_reveal(case, applicant, staff_a, make_staff, tree, county_department, departments):
    for who, (user, allowed) in workers_and_bystanders(
        staff_a, make_staff, tree, county_department, departments
    ).items():
        assert user_works_case(user, case) is allowed, who
        before = PersonalDataAccess.objects.count()
        answer = reveal(user, case, applicant, "phone")
        if allowed:
            assert answer.status_code == 200 and APPLICANT_PHONE in answer.content.decode(), who
            assert PersonalDataAccess.objects.count() == before + 1, who
        else:
            assert answer.status_code == 403, who
            assert APPLICANT_PHONE not in answer.content.decode()
            assert PersonalDataAccess.objects.count() == before, f"{who}: a refusal is not logged"


def test_an_assisting_department_works_the_case(case, applicant, make_staff, tree, county_department):
    helper = make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=county_department)
    assert reveal(helper, case, applicant, "phone").status_code == 403
    DisputeAssist.objects.create(dispute=case, department=county_department)
    assert reveal(helper, case, applicant, "phone").status_code == 200


def test_a_caller_works_the_case_once_it_is_reported(make_case, staff_a):
    caller = staff_a[Role.CALLBACK_CALLER]
    reported = make_case(Status.AWAITING_CALLBACK)
    applicant = reported.parties.get(role="applicant")
    assert reveal(caller, reported, applicant, "phone").status_code == 200
    assert PersonalDataAccess.objects.get(what="party.phone").user == caller


def test_outside_the_jurisdiction_is_not_found_and_not_logged(case, applicant, make_staff, tree, departments):
    outsider = make_staff(Role.SUPERVISOR, area=tree.town_b)
    assert reveal(outsider, case, applicant, "phone").status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_unknown_fields_and_other_cases_parties_are_refused(case, applicant, mediator, make_case):
    assert reveal(mediator, case, applicant, "name").status_code == 404
    assert reveal(mediator, case, applicant, "password").status_code == 404
    other = make_case(Status.IN_MEDIATION)
    assert reveal(mediator, other, applicant, "phone").status_code == 404, "a party of another case"
    assert not PersonalDataAccess.objects.exists()


def test_reveal_needs_post(case, applicant, mediator):
    assert client_for(mediator).get(case_url(case, "case_reveal", party_id=applicant.pk)).status_code == 405


def test_the_api_reveals_and_logs(case, applicant, mediator, make_staff, tree, county_department):
    api = APIClient()
    api.force_login(mediator)
    url = f"/api/v1/cases/{case.tracking_number}/parties/{applicant.pk}/reveal/"
    answer = api.post(url, {"field": "id_number"}, format="json")
    assert answer.status_code == 200
    assert answer.json() == {"party": applicant.pk, "field": "id_number", "value": APPLICANT_ID}
    assert answer["Cache-Control"] == "no-store"
    assert PersonalDataAccess.objects.get().what == "party.id_number"
    bystander = APIClient()
    bystander.force_login(make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=county_department))
    refused = bystander.post(url, {"field": "id_number"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "reveal_refused"
    assert PersonalDataAccess.objects.count() == 1


# --- Two-factor and pace (core.audit.personal_data_reveal) ------------------------------------------------
# Dispatchers, supervisors, callers and admins work every case of their area, so a password alone must not
# open any resident's phone there; and nobody reveals faster than PERSONAL_DATA_REVEALS_PER_HOUR.


def api_reveal(user, case, party, field, *, language="zh-hans", session=None):
    api = session or APIClient()
    if session is None:
        api.force_login(user)
    url = f"/api/v1/cases/{case.tracking_number}/parties/{party.pk}/reveal/"
    return api.post(url, {"field": field}, format="json", HTTP_ACCEPT_LANGUAGE=language)


@pytest.fixture
def two_factor_required(settings):
    settings.TWO_FACTOR_REQUIRED = True
    return settings


@pytest.mark.parametrize(
    ("language", "expected"),
    [  # the staff API's own two-factor guard answers first (core.two_factor.TwoFactorRequiredMiddleware)
        ("zh-hans", "使用工作人员接口前，请先设置双因素登录。"),
        ("en", "Set up two-factor sign-in before using the staff API."),
    ],
)
def test_a_dispatcher_without_a_second_factor_cannot_reveal_through_the_api(
    case, applicant, staff_a, two_factor_required, language, expected
):
    dispatcher = staff_a[Role.DISPATCHER]
    answer = api_reveal(dispatcher, case, applicant, "phone", language=language)
    assert answer.status_code == 403
    assert answer.json()["error"] == {"code": "two_factor_required", "message": expected}
    assert APPLICANT_PHONE not in answer.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_a_dispatcher_without_a_second_factor_cannot_reveal_on_the_page(case, applicant, staff_a, two_factor_required):
    from django.urls import reverse

    answer = reveal(staff_a[Role.DISPATCHER], case, applicant, "phone")
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("two_factor_setup"))
    assert APPLICANT_PHONE not in answer.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_the_reveal_service_itself_refuses_without_the_middleware(case, applicant, staff_a, two_factor_required):
    """A door the two-factor middleware does not guard (a new route, a mistake in its list) still gets no data."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.exceptions import PermissionDeniedError
    from disputes.services import party_reveal

    two_factor_required.MIDDLEWARE = [m for m in two_factor_required.MIDDLEWARE if "TwoFactorRequired" not in m]
    dispatcher = staff_a[Role.DISPATCHER]
    with pytest.raises(PermissionDeniedError) as refused:
        party_reveal(user=dispatcher, dispute=case, party_id=applicant.pk, field="phone")
    assert refused.value.code == "two_factor_required"

    device = TOTPDevice.objects.create(user=dispatcher, name="default", confirmed=True)
    page = client_for(dispatcher).post(case_url(case, "case_reveal", party_id=applicant.pk), {"field": "phone"})
    assert page.status_code == 403
    html = page.content.decode()
    assert "查看完整的个人信息前，请先输入身份验证器应用中的验证码。" in html
    assert APPLICANT_PHONE not in html and "139****9000" in html
    api = APIClient()
    api.force_login(dispatcher)
    answer = api_reveal(dispatcher, case, applicant, "phone", language="en", session=api)
    assert answer.status_code == 403
    assert answer.json()["error"] == {
        "code": "two_factor_required",
        "message": "Enter the code from your authenticator app before revealing personal data.",
    }
    assert not PersonalDataAccess.objects.exists()

    # The same session, once the code is passed, reveals.
    session = api.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    answer = api_reveal(dispatcher, case, applicant, "phone", session=api)
    assert answer.status_code == 200 and answer.json()["value"] == APPLICANT_PHONE
    assert PersonalDataAccess.objects.get().user == dispatcher


def test_a_verified_dispatcher_reveals(case, applicant, staff_a, two_factor_required):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    dispatcher = staff_a[Role.DISPATCHER]
    device = TOTPDevice.objects.create(user=dispatcher, name="default", confirmed=True)
    client = client_for(dispatcher)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    answer = client.post(case_url(case, "case_reveal", party_id=applicant.pk), {"field": "phone"})
    assert answer.status_code == 200 and APPLICANT_PHONE in answer.content.decode()


def test_the_61st_reveal_in_an_hour_is_refused_everywhere(case, applicant, mediator, staff_a, caplog, time_machine):
    time_machine.move_to("2026-12-07 10:05:00 +0800", tick=False)
    api = APIClient()
    api.force_login(mediator)
    fields = ("phone", "id_number", "address")
    for n in range(60):
        assert api_reveal(mediator, case, applicant, fields[n % 3], session=api).status_code == 200, n
    assert PersonalDataAccess.objects.filter(user=mediator).count() == 60

    page = client_for(mediator).post(case_url(case, "case_reveal", party_id=applicant.pk), {"field": "phone"})
    assert page.status_code == 429
    html = page.content.decode()
    assert "您在一小时内查看的个人信息已达上限" in html
    assert APPLICANT_PHONE not in html and "139****9000" in html

    refused = api_reveal(mediator, case, applicant, "phone", session=api, language="en")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "reveal_limit"
    assert refused.json()["error"]["message"].startswith("You have revealed as much personal data as one hour allows.")
    assert refused["Retry-After"] == str(55 * 60)  # until 11:00
    assert APPLICANT_PHONE not in refused.content.decode()
    assert PersonalDataAccess.objects.filter(user=mediator).count() == 60, "a refusal is not a reveal"
    logged = [r.getMessage() for r in caplog.records if "Reveal refused" in r.getMessage()]
    assert logged and all(APPLICANT_PHONE not in line and str(mediator.pk) in line for line in logged)

    # Another user has an allowance of their own, and the next hour opens it again.
    assert api_reveal(staff_a[Role.DISPATCHER], case, applicant, "phone").status_code == 200
    time_machine.move_to("2026-12-07 11:00:01 +0800", tick=False)
    assert api_reveal(mediator, case, applicant, "phone").status_code == 200  # signed in again: the idle timeout
