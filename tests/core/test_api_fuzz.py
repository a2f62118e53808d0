"""Property-based fuzzing of the REST API against its own OpenAPI schema (schemathesis).

The schema is read from the running application (`/api/schema/` through the WSGI
app, in this process and this test's database transaction) and every operation in
it is called with generated requests, valid and invalid:

- staff operations (security `cookieAuth`) as a signed-in administrator, with a
  session cookie and a real CSRF token, so that the handling code runs instead of
  stopping at "not signed in";
- the machine-channel operation (`ChannelApiKey`) with a channel's API key;
- the public operations anonymously.

Path parameters are steered towards stored cases, petitions and parties in most
examples (a random tracking number only ever reaches the 404 branch).

Checks on every answer: no 5xx, a status code the schema documents for that
operation, a documented content type, and a body that matches the documented
schema. The public rate limits are raised for the run: a 429 is documented where
it is real, but it would hide every answer after the limit. Open311
(/open311/v2/) has its own specification and is not in this schema; it is tested
in tests/disputes/test_open311.py.

The number of examples per operation is bounded (MAX_EXAMPLES) so the whole run
stays well under two minutes on a 2-core machine.
"""

import base64
import json
import os
import zlib

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.actors import Actor
from disputes.api.keys import channel_key_create
from disputes.rules.enums import Channel, PartyRole, Status
from grids.models import DepartmentKind, Role
from petitions import services as petition_services
from petitions.rules import Form
from tests.disputes.cases import case_in, with_agreement
from tests.factories import DepartmentFactory, PartyFactory

MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "20"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SCHEMA_PATH = "/api/schema/"


@pytest.fixture
def fuzz_world(db, settings, tree, category, departments, make_staff):
    """Stored data for the fuzzer to hit: cases in several states, parties, a petition, the callers' credentials."""
    # Generous limits: the fuzzer sends hundreds of requests from one address and a handful of phones.
    for name in (
        "PUBLIC_SUBMIT_PER_IP_HOUR",
        "PUBLIC_SUBMIT_PER_PHONE_DAY",
        "PUBLIC_TRACK_PER_IP_HOUR",
        "PUBLIC_TRACK_FAILURES_PER_IP_HOUR",
        "PUBLIC_TRACK_FAILURES_PER_NUMBER_HOUR",
        "CHANNEL_SUBMIT_PER_KEY_HOUR",
    ):
        setattr(settings, name, 1_000_000)

    mediator = make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"], username="fuzz-mediator")
    admin = make_staff(Role.ADMIN, area=tree.city, username="fuzz-admin")
    cases = [
        case_in(status, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator)
        for status in (
            Status.SUBMITTED,
            Status.TRIAGED,
            Status.DISPATCHED,
            Status.ACCEPTED,
            Status.IN_MEDIATION,
            Status.REPORTED,
            Status.AWAITING_CALLBACK,
            Status.CLOSED,
        )
    ]
    cases.append(case_in(Status.IN_MEDIATION, grid=tree.grid_b, category=category, department=departments["b"]))
    parties = []
    for case in cases:
        parties.append(PartyFactory(dispute=case, role=PartyRole.APPLICANT, name="张三", phone="13800138000"))
        parties.append(PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name="李四", phone="13900139000"))
    with_agreement(cases[5])

    bureau = DepartmentFactory(name="西湖区信访局", kind=DepartmentKind.PETITIONS_BUREAU, area=tree.county)
    clerk = make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=bureau, username="fuzz-clerk")
    petition = petition_services.petition_register(
        actor=Actor.for_user(clerk),
        form=Form.VISIT,
        matter="村里征地补偿款一直没有发放到位，多次找村委会都没有结果，请求尽快发放补偿款。",
        area=tree.village_a,
        category=category,
        receiving_office=bureau,
        petitioners=[{"name": "王五", "phone": "13600136000", "id_number": "", "address": ""}],
    )

    # The staff API refuses supervisors and admins who have not passed a TOTP code this session
    # (core/two_factor.py): sign the administrator in as production would, with a verified device.
    settings.TWO_FACTOR_REQUIRED = True
    device = TOTPDevice.objects.create(user=admin, name="fuzz", confirmed=True)
    client = Client()
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    csrf = _get_new_csrf_string()
    _key, raw_key = channel_key_create(name="西湖区110指挥中心", channel=Channel.POLICE_110)
    _open311_key, raw_open311_key = channel_key_create(name="市民通App", channel=Channel.OPEN311)
    return {
        "tracking_numbers": [case.tracking_number for case in cases] + [petition.tracking_number],
        "parties": {party.dispute.tracking_number: party.pk for party in parties},
        "session_cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf},
        "session_headers": {"X-CSRFToken": csrf},
        "channel_headers": {"X-Api-Key": raw_key},
        "open311_key": raw_open311_key,
    }


@pytest.fixture(autouse=True)
def keep_connection_open():
    """The requests run in this thread, inside the test's transaction: like Django's test
    client, do not close the database connection at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Loaded at collection, from the application itself: one test per operation in the schema.
schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, WSGIHandler())
schema.config.phases.update(phases=["examples", "fuzzing"])


def _pick(generated, choices):
    """A stored value for most examples, the generated one for some: deterministic in the generated value."""
    bucket = zlib.crc32(json.dumps(generated, default=str).encode()) % (len(choices) + 2)
    return generated if bucket >= len(choices) else choices[bucket]


def _steer(case, world) -> None:
    params = case.path_parameters
    if not params:
        return
    if "tracking_number" in params:
        params["tracking_number"] = _pick(params["tracking_number"], world["tracking_numbers"])
    if "party_id" in params:
        party = world["parties"].get(params.get("tracking_number"))
        if party is not None and zlib.crc32(str(params["party_id"]).encode()) % 4:
            params["party_id"] = party


def _credentials(case, world) -> dict:
    schemes = {name for requirement in case.operation.definition.raw.get("security", []) for name in requirement}
    if "cookieAuth" in schemes:
        return {"headers": world["session_headers"], "cookies": world["session_cookies"]}
    if "ChannelApiKey" in schemes:
        return {"headers": world["channel_headers"]}
    return {}


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
    # The same examples on every run, so CI cannot fail by chance; API_FUZZ_RANDOM=1 explores new ones.
    derandomize=os.environ.get("API_FUZZ_RANDOM") != "1",
)
@schema.parametrize()
def test_api_answers_conform_to_schema(case, fuzz_world):
    _steer(case, fuzz_world)
    credentials = _credentials(case, fuzz_world)
    case.call_and_validate(checks=CHECKS, **credentials)


def test_the_fuzzer_gets_past_the_doors(fuzz_world):
    """The credentials the fuzz test sends work: otherwise every staff operation would stop at 403."""
    from werkzeug.test import Client as WSGIClient

    client = WSGIClient(WSGIHandler())
    for name, value in fuzz_world["session_cookies"].items():
        client.set_cookie(name, value)
    answer = client.get("/api/v1/cases/", headers=fuzz_world["session_headers"])
    assert answer.status_code == 200, answer.text
    assert len(answer.json["results"]) == len(fuzz_world["tracking_numbers"]) - 1  # the petition is not a case
    # A write passes the CSRF check and reaches validation.
    number = fuzz_world["tracking_numbers"][0]
    answer = client.post(f"/api/v1/cases/{number}/notes/", json={}, headers=fuzz_world["session_headers"])
    assert answer.status_code == 400, answer.text
    assert answer.json["error"]["code"] == "invalid"

    machine = WSGIClient(WSGIHandler())
    answer = machine.post("/api/v1/channels/cases/", json={}, headers=fuzz_world["channel_headers"])
    assert answer.status_code == 400, answer.text
    assert machine.post("/api/v1/channels/cases/", json={}).status_code == 401


# --- Pinned examples ------------------------------------------------------------------------------
# Requests that once answered 500, kept as explicit examples so that the gate does not depend on the
# fuzzer drawing them again. Each goes through the same checks as the generated examples.


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


PINNED_API = {
    # A cursor whose position is not an id (DRF passed it to the query unchecked).
    "cases, cursor p=abc": ("/api/v1/cases/", {"cursor": _b64("p=abc")}),
    "dispatch queue, cursor p=abc": ("/api/v1/dispatch-queue/", {"cursor": _b64("p=abc")}),
    "callbacks, cursor in the year 1": ("/api/v1/callbacks/", {"cursor": _b64("p=0001-01-01 00:00:00+08:00")}),
    # The year 1 in Beijing is the year 0 in UTC (an OverflowError).
    "spot-check sample, the year 1": ("/api/v1/spot-checks/sample/", {"since": "0001-01-01", "until": "0001-05-01"}),
    "spot-check sample, the year 9999": (
        "/api/v1/spot-checks/sample/",
        {"since": "9999-01-01", "until": "9999-12-31"},
    ),
}


@pytest.mark.parametrize(("path", "query"), PINNED_API.values(), ids=PINNED_API.keys())
def test_pinned_api_examples(fuzz_world, path, query):
    case = schema[path]["GET"].Case(query=query)
    response = case.call_and_validate(checks=CHECKS, **_credentials(case, fuzz_world))
    assert response.status_code == 400, response.text


PINNED_OPEN311 = {
    "end_date in the year 1": {"end_date": "0001-01-01"},
    "start_date at the end of the year 9999": {"start_date": "9999-12-31T23:59:59-12:00"},
}


@pytest.mark.parametrize("reader", ["anonymous, list published", "channel key"])
@pytest.mark.parametrize("query", PINNED_OPEN311.values(), ids=PINNED_OPEN311.keys())
def test_pinned_open311_examples(fuzz_world, settings, reader, query):
    """Open311 has its own specification, outside the OpenAPI schema: a 400 in its error shape, never a 500."""
    from werkzeug.test import Client as WSGIClient

    settings.OPEN311_PUBLIC_REQUESTS = True
    headers = {"Accept-Language": "en"}
    if reader == "channel key":
        headers["X-Api-Key"] = fuzz_world["open311_key"]
    answer = WSGIClient(WSGIHandler()).get("/open311/v2/requests.json", query_string=query, headers=headers)
    assert answer.status_code == 400, answer.text
    [error] = answer.json
    assert error["code"] == 400 and "must be between the years" in error["description"]
