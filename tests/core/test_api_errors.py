"""Every API failure has one shape: {"error": {"code", "message", ...}}, in the user's language."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test import override_settings
from django.utils import translation
from rest_framework import exceptions
from rest_framework.test import APIClient

from core.api import exception_handler
from core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from disputes.models import CaseEvent
from disputes.rules.enums import Status
from grids.models import Role
from tests.factories import DisputeFactory

pytestmark = pytest.mark.usefixtures("fast_password_hasher", "default_language")


@pytest.fixture
def fast_password_hasher():
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def default_language():
    """The API activates the client's language in this thread; leave the next test in the default one."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def case(tree, category):
    return DisputeFactory(grid=tree.grid_a, category=category, status=Status.SUBMITTED)


def client_as(user, language="en") -> APIClient:
    client = APIClient(headers={"accept-language": language})
    client.force_login(user)
    return client


def url(case, suffix="") -> str:
    return f"/api/v1/cases/{case.tracking_number}/{suffix}"


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return error


# --- Through the API ---------------------------------------------------------------------------


def test_validation_error(make_staff, case):
    response = client_as(make_staff(Role.DISPATCHER)).post(url(case, "transitions/"), {"action": "fly"}, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"action"}
    assert error["message"] == error["fields"]["action"][0]
    assert "fly" in error["message"]


def test_validation_error_for_a_missing_field(make_staff, case):
    response = client_as(make_staff(Role.DISPATCHER)).post(url(case, "transitions/"), {}, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["message"]) == ("invalid", "This field is required.")
    assert set(error["fields"]) == {"action"}


def test_not_found(make_staff):
    response = client_as(make_staff(Role.DISPATCHER)).get("/api/v1/cases/NOSUCHCASE22/")
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "Case not found."}


def test_not_authenticated(case):
    response = APIClient(headers={"accept-language": "en"}).get(url(case))
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "not_authenticated"
    assert error["message"] == "Authentication credentials were not provided."


def test_the_api_answers_in_the_clients_language(case):
    """API paths have no language prefix: the language comes from the cookie, then Accept-Language."""
    chinese = APIClient(headers={"accept-language": "zh-hans"}).get(url(case))
    assert chinese["Content-Language"] == "zh-hans"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error_of(chinese)["message"])
    english = APIClient(headers={"accept-language": "en-GB,en;q=0.9"}).get(url(case))
    assert english["Content-Language"] == "en"
    assert error_of(english)["message"] == "Authentication credentials were not provided."
    # The language chosen on the site (its cookie) wins over the browser's header.
    chosen = APIClient(headers={"accept-language": "zh-hans"})
    chosen.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert error_of(chosen.get(url(case)))["message"] == "Authentication credentials were not provided."
    # No preference at all: the default language.
    assert APIClient().get(url(case))["Content-Language"] == settings.LANGUAGE_CODE


def test_wrong_state(make_staff, case):
    """Dispatching a case that has not been triaged: the table refuses, nothing is written."""
    department = make_staff(Role.DISPATCHER).staff.area.departments.first()
    response = client_as(make_staff(Role.DISPATCHER)).post(
        url(case, "transitions/"), {"action": "dispatch", "department": department.pk}, format="json"
    )
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "wrong_state",
        "message": "This action is not possible while the case is “Submitted”.",
    }
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert not CaseEvent.objects.filter(dispute=case).exists()


def test_wrong_role(make_staff, case):
    response = client_as(make_staff(Role.CALLBACK_CALLER)).post(url(case, "transitions/"), {"action": "triage"})
    assert response.status_code == 403
    assert error_of(response) == {"code": "wrong_role", "message": "Your role may not take this action."}
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_reason_required(make_staff, case):
    response = client_as(make_staff(Role.SUPERVISOR)).post(url(case, "transitions/"), {"action": "merge_duplicate"})
    assert response.status_code == 400
    assert error_of(response) == {"code": "reason_required", "message": "Please give a reason for this action."}


def test_refusals_follow_the_accept_language_header(make_staff, case):
    user = make_staff(Role.CALLBACK_CALLER)
    english = error_of(client_as(user, "en").post(url(case, "transitions/"), {"action": "triage"}))
    chinese = error_of(client_as(user, "zh-hans").post(url(case, "transitions/"), {"action": "triage"}))
    assert english["code"] == chinese["code"] == "wrong_role"
    if chinese["message"] != english["message"]:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese["message"])


def test_the_api_succeeds_in_the_plain_shape(make_staff, case):
    """For contrast: a success is the case itself, not wrapped in "error"."""
    response = client_as(make_staff(Role.DISPATCHER)).post(url(case, "transitions/"), {"action": "triage"})
    assert response.status_code == 200
    assert "error" not in response.json()
    assert response.json()["status"] == Status.TRIAGED


# --- The handler on its own ----------------------------------------------------------------------


# Exceptions are built inside the test: DRF translates their message when they are made.
@pytest.mark.parametrize(
    ("make", "status", "body"),
    [
        (lambda: ApplicationError("Nope.", code="wrong_state"), 400, {"code": "wrong_state", "message": "Nope."}),
        (lambda: ApplicationError("Nope."), 400, {"code": "invalid", "message": "Nope."}),
        (lambda: PermissionDeniedError("Not yours."), 403, {"code": "permission_denied", "message": "Not yours."}),
        (lambda: NotFoundError("Gone."), 404, {"code": "not_found", "message": "Gone."}),
        (lambda: ConflictError("Twice."), 409, {"code": "conflict", "message": "Twice."}),
        (
            lambda: ApplicationError("Busy.", code="locked", extra={"retry_after": 5}),
            400,
            {"code": "locked", "message": "Busy.", "extra": {"retry_after": 5}},
        ),
        (Http404, 404, {"code": "not_found", "message": "Not found."}),
        (
            PermissionDenied,
            403,
            {"code": "permission_denied", "message": "You do not have permission to perform this action."},
        ),
        (
            exceptions.NotAuthenticated,
            401,
            {"code": "not_authenticated", "message": "Authentication credentials were not provided."},
        ),
        (
            lambda: exceptions.Throttled(wait=3),
            429,
            {"code": "throttled", "message": "Request was throttled. Expected available in 3 seconds."},
        ),
        (
            lambda: exceptions.MethodNotAllowed("PUT"),
            405,
            {"code": "method_not_allowed", "message": 'Method "PUT" not allowed.'},
        ),
    ],
    ids=[
        "application",
        "application-default-code",
        "permission-denied",
        "not-found",
        "conflict",
        "extra",
        "django-404",
        "django-permission-denied",
        "not-authenticated",
        "throttled",
        "method-not-allowed",
    ],
)
def test_handler(make, status, body):
    with translation.override("en"):
        response = exception_handler(make(), {})
    assert response.status_code == status
    assert response.data == {"error": body}


def test_handler_speaks_chinese_by_default():
    with translation.override("zh-hans"):
        response = exception_handler(exceptions.NotAuthenticated(), {})
    assert response.data["error"]["code"] == "not_authenticated"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.data["error"]["message"])


@pytest.mark.parametrize(
    ("make", "fields", "message"),
    [
        (
            lambda: DjangoValidationError({"phone": ["Enter a valid phone number."]}),
            {"phone": ["Enter a valid phone number."]},
            "Enter a valid phone number.",
        ),
        (lambda: DjangoValidationError("Bad input."), {"non_field_errors": ["Bad input."]}, "Bad input."),
        (
            lambda: exceptions.ValidationError(["First.", "Second."]),
            {"non_field_errors": ["First.", "Second."]},
            "First.",
        ),
        (
            lambda: exceptions.ValidationError({"parties": [{"name": ["Required."]}]}),
            {"parties": [{"name": ["Required."]}]},
            "Required.",
        ),
    ],
    ids=["django-dict", "django-message", "drf-list", "drf-nested"],
)
def test_handler_validation_errors(make, fields, message):
    response = exception_handler(make(), {})
    assert response.status_code == 400
    assert response.data == {"error": {"code": "invalid", "message": message, "fields": fields}}


def test_handler_leaves_unknown_exceptions_to_django():
    assert exception_handler(ValueError("boom"), {}) is None
