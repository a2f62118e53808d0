"""Machine channels: API keys, idempotency and source ids, also under concurrency on PostgreSQL."""

import io
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import Notification
from disputes import services
from disputes.api.keys import channel_key_create, channel_key_find, hash_key
from disputes.models import CaseEvent, ChannelKey, Dispute, IdempotencyRecord, Party
from disputes.rules.enums import Channel, PartyRole
from disputes.services import intake as intake_services

URL = "/api/v1/channels/cases/"


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def key_110(db):
    return channel_key_create(name="西湖区110指挥中心", channel=Channel.POLICE_110)


@pytest.fixture
def client_110(key_110) -> APIClient:
    return APIClient(headers={"authorization": f"Api-Key {key_110[1]}", "accept-language": "en"})


@pytest.fixture
def record(tree, category):
    def make(**overrides) -> dict:
        data = {
            "category": category.code,
            "description": "报警人称邻居装修噪音扰民，属非警务警情，转综治中心处理。",
            "occurred_at": (timezone.now() - timedelta(hours=3)).isoformat(),
            "occurred_place": "船山路12号",
            "grid": tree.grid_a.code,
            "applicant": {"name": "李四", "phone": "13900139000"},
            "other_parties": [{"role": "respondent", "name": "王五"}],
            "source_id": "JJ20261123000123",
            "amount": "3000.00",
            "people_involved": 2,
        }
        data.update(overrides)
        return data

    return make


def counts() -> tuple[int, int, int, int]:
    return Dispute.objects.count(), Party.objects.count(), CaseEvent.objects.count(), IdempotencyRecord.objects.count()


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


# --- Keys -----------------------------------------------------------------------------------------


def test_a_key_is_stored_as_a_hash_only(key_110):
    key, raw = key_110
    assert raw.startswith(key.prefix + ".") and len(raw) > 40
    assert key.key_hash == hash_key(raw) and raw not in key.key_hash
    assert channel_key_find(raw) == key
    assert channel_key_find(raw + "x") is None
    assert channel_key_find(key.prefix + ".wrong") is None
    assert channel_key_find("no-dot") is None


def test_create_channel_key_command_prints_the_key_once(db):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_channel_key", "--name", "12345热线", "--channel", "hotline_12345", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    key = ChannelKey.objects.get()
    assert (key.name, key.channel, key.is_active) == ("12345热线", Channel.HOTLINE_12345, True)
    assert channel_key_find(raw) == key
    assert raw not in err.getvalue() and "only this once" in err.getvalue()


def test_create_channel_key_refuses_a_people_channel(db):
    with pytest.raises(Exception, match="invalid choice"):
        call_command("create_channel_key", "--name", "x", "--channel", "web")


def test_a_case_from_110(client_110, record, key_110, tree):
    response = client_110.post(URL, record(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "police_110" and body["source_id"] == "JJ20261123000123" and body["created"] is True
    case = Dispute.objects.get(tracking_number=body["tracking_number"])
    assert (case.channel, case.source_id, case.amount, case.people_involved, case.grid) == (
        Channel.POLICE_110,
        "JJ20261123000123",
        Decimal("3000.00"),
        2,
        tree.grid_a,
    )
    assert [(p.role, p.name) for p in case.parties.all()] == [
        (PartyRole.APPLICANT, "李四"),
        (PartyRole.RESPONDENT, "王五"),
    ]
    assert case.events.get().actor_role == "system"
    key_110[0].refresh_from_db()
    assert key_110[0].last_used_at is not None


def test_the_channel_comes_from_the_key(tree, record):
    _key, raw = channel_key_create(name="网格通", channel=Channel.GRID_REPORT)
    client = APIClient(headers={"x-api-key": raw})
    response = client.post(URL, record(source_id="G-1"), format="json")
    assert response.status_code == 201, response.content
    assert Dispute.objects.get().channel == Channel.GRID_REPORT


def test_the_police_incident_number_is_the_source_id(client_110, record):
    data = record(police_incident_number="JJ-777")
    data.pop("source_id")
    response = client_110.post(URL, data, format="json")
    assert response.status_code == 201, response.content
    assert Dispute.objects.get().source_id == "JJ-777"
    conflicting = client_110.post(URL, record(source_id="A", police_incident_number="B"), format="json")
    assert conflicting.status_code == 400
    assert "police_incident_number" in error_of(conflicting)["fields"]


def test_missing_key_is_401(record, db):
    before = counts()
    response = APIClient(headers={"accept-language": "en"}).post(URL, record(), format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Api-Key")
    assert error_of(response)["code"] == "not_authenticated"
    assert counts() == before


@pytest.mark.parametrize("header", ["Api-Key nonsense", "Api-Key abcd1234.wrong-secret", "Bearer something"])
def test_invalid_key_is_401(record, key_110, header):
    before = counts()
    response = APIClient(headers={"authorization": header, "accept-language": "en"}).post(URL, record(), format="json")
    assert response.status_code == 401
    assert counts() == before


def test_a_wrong_secret_with_a_real_prefix_is_401(record, key_110):
    key, _raw = key_110
    client = APIClient(headers={"x-api-key": f"{key.prefix}.not-the-secret", "accept-language": "en"})
    response = client.post(URL, record(), format="json")
    assert response.status_code == 401
    assert error_of(response) == {"code": "authentication_failed", "message": "Invalid API key."}


def test_revoked_key_is_403(client_110, record, key_110):
    key, _raw = key_110
    ChannelKey.objects.filter(pk=key.pk).update(is_active=False)
    before = counts()
    response = client_110.post(URL, record(), format="json")
    assert response.status_code == 403
    assert error_of(response)["message"] == "This API key has been revoked."
    assert counts() == before


def test_a_key_of_a_people_channel_is_refused(record, db):
    raw = "feedc0de.secret"
    ChannelKey.objects.create(name="web?", channel=Channel.WEB, prefix="feedc0de", key_hash=hash_key(raw))
    response = APIClient(headers={"x-api-key": raw}).post(URL, record(), format="json")
    assert response.status_code == 403
    assert Dispute.objects.count() == 0


def test_staff_sessions_do_not_open_the_channel_api(record, staff_a):
    from grids.models import Role

    client = APIClient()
    client.force_login(staff_a[Role.ADMIN])
    assert client.post(URL, record(), format="json").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(client_110, record, key_110):
    key, _raw = key_110
    assert client_110.post(URL, record(source_id="1"), format="json").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        assert client_110.post(URL, record(source_id="2"), format="json").status_code == 201
    assert not [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "disputes_channelkey"')]
    ChannelKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - timedelta(minutes=5))
    with CaptureQueriesContext(connection) as queries:
        assert client_110.post(URL, record(source_id="3"), format="json").status_code == 201
    assert [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "disputes_channelkey"')]


def test_bad_input_is_refused_and_nothing_stored(client_110, record):
    before = counts()
    for bad in (
        record(grid="nope"),
        record(applicant={"name": "李四", "phone": "123"}),
        record(amount="-1"),
        record(people_involved=0),
        record(colour="red"),
        record(occurred_at=(timezone.now() + timedelta(days=2)).isoformat()),
    ):
        response = client_110.post(URL, bad, format="json", headers={"idempotency-key": "bad-1"})
        assert response.status_code == 400, response.content
        assert error_of(response)["fields"]
    assert counts() == before


def test_machine_records_are_not_merged(client_110, record):
    first = client_110.post(URL, record(source_id="A-1"), format="json").json()
    second = client_110.post(URL, record(source_id="A-2"), format="json").json()
    assert first["tracking_number"] != second["tracking_number"]
    assert Dispute.objects.count() == 2


def test_a_record_like_an_open_case_is_its_own_case_linked_for_staff(client_110, record, tree, category):
    """The same applicant phone and other side as a resident's open case: a new case, flagged, the usual receipt."""
    original = services.dispute_submit(
        category=category,
        description="丈夫多次动手，要求调解。",
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=[
            {"role": PartyRole.APPLICANT, "name": "李四", "phone": "13900139000"},
            {"role": PartyRole.RESPONDENT, "name": "王五", "phone": "13700137000"},
        ],
    )
    fresh = client_110.post(
        URL, record(source_id="A-0", applicant={"name": "赵六", "phone": "13600136000"}), format="json"
    )
    response = client_110.post(URL, record(source_id="A-1"), format="json")
    assert response.status_code == fresh.status_code == 201, response.content
    assert set(response.json()) == set(fresh.json())
    assert response.json()["tracking_number"] != original.tracking_number
    assert original.tracking_number not in response.content.decode()
    case = Dispute.objects.get(tracking_number=response.json()["tracking_number"])
    assert case.duplicate_of == original
    for on, key, other in ((case, "duplicate_of", original), (original, "duplicate", case)):
        event = on.events.get(kind="duplicate_suspected")
        assert event.data == {key: other.tracking_number} and not event.is_public
    original.refresh_from_db()
    assert original.description == "丈夫多次动手，要求调解。"


# --- Idempotency ------------------------------------------------------------------------------------


def test_same_idempotency_key_and_body_returns_the_same_case(client_110, record):
    data = record(source_id="")
    first = client_110.post(URL, data, format="json", headers={"idempotency-key": "req-1"})
    assert first.status_code == 201, first.content
    before = counts()
    reordered = dict(reversed(list(data.items())))
    again = client_110.post(URL, reordered, format="json", headers={"idempotency-key": "req-1"})
    assert again.status_code == 200
    assert again.json()["tracking_number"] == first.json()["tracking_number"]
    assert again.json()["created"] is False
    assert again["Idempotent-Replayed"] == "true"
    assert counts() == before
    assert Notification.objects.filter(kind="submitted").count() == 1


def test_same_idempotency_key_with_another_body_is_409(client_110, record):
    assert client_110.post(URL, record(), format="json", headers={"idempotency-key": "req-1"}).status_code == 201
    before = counts()
    response = client_110.post(
        URL, record(description="另一起纠纷。"), format="json", headers={"idempotency-key": "req-1"}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_conflict"
    assert counts() == before


def test_idempotency_keys_belong_to_one_channel_key(client_110, record, tree):
    _key, raw = channel_key_create(name="12345", channel=Channel.HOTLINE_12345)
    hotline = APIClient(headers={"x-api-key": raw})
    a = client_110.post(URL, record(source_id=""), format="json", headers={"idempotency-key": "same"})
    b = hotline.post(URL, record(source_id=""), format="json", headers={"idempotency-key": "same"})
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["tracking_number"] != b.json()["tracking_number"]


def test_a_refused_request_does_not_use_up_its_idempotency_key(client_110, record):
    bad = client_110.post(URL, record(grid="nope"), format="json", headers={"idempotency-key": "k"})
    assert bad.status_code == 400
    good = client_110.post(URL, record(), format="json", headers={"idempotency-key": "k"})
    assert good.status_code == 201


def test_an_overlong_idempotency_key_is_refused(client_110, record):
    response = client_110.post(URL, record(), format="json", headers={"idempotency-key": "x" * 101})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_idempotency_key"


def test_a_known_source_id_returns_the_existing_case(client_110, record):
    first = client_110.post(URL, record(), format="json")
    assert first.status_code == 201
    before = counts()
    again = client_110.post(URL, record(description="重复推送。"), format="json")
    assert again.status_code == 200
    assert again.json()["tracking_number"] == first.json()["tracking_number"]
    assert again.json()["created"] is False
    assert counts() == before
    assert Notification.objects.filter(kind="submitted").count() == 1


def test_the_same_source_id_in_another_channel_is_another_case(client_110, record):
    _key, raw = channel_key_create(name="12345", channel=Channel.HOTLINE_12345)
    a = client_110.post(URL, record(), format="json").json()
    b = APIClient(headers={"x-api-key": raw}).post(URL, record(), format="json").json()
    assert a["tracking_number"] != b["tracking_number"]


# --- Concurrency (PostgreSQL) --------------------------------------------------------------------------


def _race(monkeypatch, send, *, parties: int = 2) -> list:
    """Run `send(client)` in two threads that both reach the INSERT of a new case before either commits."""
    barrier = threading.Barrier(parties, timeout=15)
    real = intake_services.new_tracking_number

    def slow_tracking_number():
        # Both requests have passed every "already stored?" check by now.
        barrier.wait()
        return real()

    monkeypatch.setattr(intake_services, "new_tracking_number", slow_tracking_number)
    results: list = [None] * parties

    def run(i: int) -> None:
        try:
            results[i] = send()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(parties)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert not [r for r in results if isinstance(r, Exception)], results
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_identical_requests_at_once_make_one_case_idempotency_key(monkeypatch, record, tree, category):
    _key, raw = channel_key_create(name="110", channel=Channel.POLICE_110)
    data = record(source_id="")

    def send():
        client = APIClient(headers={"x-api-key": raw, "idempotency-key": "same-request"})
        return client.post(URL, data, format="json")

    responses = _race(monkeypatch, send)
    assert sorted(r.status_code for r in responses) == [200, 201], [r.content for r in responses]
    assert len({r.json()["tracking_number"] for r in responses}) == 1
    assert Dispute.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert Party.objects.count() == 2
    assert Notification.objects.filter(kind="submitted").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_identical_requests_at_once_make_one_case_source_id(monkeypatch, record, tree, category):
    _key, raw = channel_key_create(name="110", channel=Channel.POLICE_110)
    data = record(source_id="JJ-RACE-1")

    def send():
        return APIClient(headers={"x-api-key": raw}).post(URL, data, format="json")

    responses = _race(monkeypatch, send)
    assert sorted(r.status_code for r in responses) == [200, 201], [r.content for r in responses]
    assert len({r.json()["tracking_number"] for r in responses}) == 1
    assert Dispute.objects.count() == 1
    assert Party.objects.count() == 2
    assert Notification.objects.filter(kind="submitted").count() == 1, "the loser confirms nothing"


# --- Admin: a key is shown once, and revoked rather than deleted -------------------------------------


@pytest.fixture
def admin_client(db):
    from django.test import Client

    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def test_admin_makes_a_key_and_shows_it_once(admin_client):
    response = admin_client.post("/admin/disputes/channelkey/add/", {"name": "西湖区110", "channel": "police_110"})
    assert response.status_code == 200
    key = ChannelKey.objects.get()
    page = response.content.decode()
    raw = next(word for word in page.replace("<", " ").replace(">", " ").split() if word.startswith(key.prefix + "."))
    assert channel_key_find(raw) == key
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    # The change page never shows it again.
    change = admin_client.get(f"/admin/disputes/channelkey/{key.pk}/change/").content.decode()
    assert raw not in change and key.key_hash not in change
    # And it works.
    client = APIClient(headers={"x-api-key": raw})
    assert client.post(URL, {}, format="json").status_code == 400


def test_admin_offers_only_machine_channels(admin_client):
    response = admin_client.post("/admin/disputes/channelkey/add/", {"name": "web", "channel": "web"})
    assert response.status_code == 200
    assert ChannelKey.objects.count() == 0
    assert "errorlist" in response.content.decode()


def test_admin_revokes_keys(admin_client, key_110, client_110, record):
    key, _raw = key_110
    response = admin_client.post(
        "/admin/disputes/channelkey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.is_active is False
    assert client_110.post(URL, record(), format="json").status_code == 403
    # Not deletable: its idempotency records would go with it.
    assert admin_client.get(f"/admin/disputes/channelkey/{key.pk}/delete/").status_code == 403


# --- Source ids and areas belong to a key ----------------------------------------------------------------


@pytest.fixture
def second_110(db):
    """Another 110 centre: the same channel, its own key, incident numbers that may look the same."""
    key, raw = channel_key_create(name="青山湖区110指挥中心", channel=Channel.POLICE_110)
    return key, APIClient(headers={"x-api-key": raw, "accept-language": "en"})


def test_a_case_records_the_key_that_handed_it_over(client_110, record, key_110):
    response = client_110.post(URL, record(), format="json")
    assert response.status_code == 201, response.content
    assert Dispute.objects.get().channel_key == key_110[0]


def test_a_source_id_resent_by_another_key_of_the_channel_makes_that_keys_own_case(
    client_110, record, key_110, second_110
):
    other_key, other = second_110
    first = client_110.post(URL, record(), format="json").json()
    theirs = other.post(URL, record(description="另一个指挥中心的警情，编号相同。"), format="json")
    # Its own case: not the first key's tracking number, status or existence.
    assert theirs.status_code == 201, theirs.content
    body = theirs.json()
    assert body["created"] is True and body["tracking_number"] != first["tracking_number"]
    assert first["tracking_number"] not in theirs.content.decode()
    mine = Dispute.objects.get(tracking_number=first["tracking_number"])
    other_case = Dispute.objects.get(tracking_number=body["tracking_number"])
    assert (mine.channel_key, other_case.channel_key) == (key_110[0], other_key)
    assert other_case.description == "另一个指挥中心的警情，编号相同。"
    assert Notification.objects.filter(kind="submitted").count() == 2
    # Each key's resend answers its own case, never the other's.
    again_mine = client_110.post(URL, record(), format="json")
    again_theirs = other.post(URL, record(), format="json")
    assert (again_mine.status_code, again_theirs.status_code) == (200, 200)
    assert again_mine.json()["tracking_number"] == first["tracking_number"]
    assert again_theirs.json()["tracking_number"] == body["tracking_number"]
    assert Dispute.objects.count() == 2


def test_a_case_stored_without_a_key_is_not_answered_to_a_key(client_110, record, tree, category):
    """Which system sent a case stored before keys were recorded is unknown: no key receives it."""
    old = services.dispute_submit(
        category=category,
        description="升级前由110转来的警情。",
        grid=tree.grid_a,
        channel=Channel.POLICE_110,
        parties=[{"role": PartyRole.APPLICANT, "name": "赵六", "phone": "13700137000"}],
        source_id="JJ20261123000123",
    )
    assert old.channel_key is None
    response = client_110.post(URL, record(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["tracking_number"] != old.tracking_number


def test_services_keep_source_ids_per_key(tree, category, key_110, second_110):
    def submit(key):
        return services.dispute_store(
            category=category,
            description="同一编号。",
            grid=tree.grid_a,
            channel=Channel.POLICE_110,
            parties=[{"role": PartyRole.APPLICANT, "name": "李四", "phone": "13900139000"}],
            source_id="JJ-1",
            channel_key=key,
        )

    a, b = submit(key_110[0]), submit(second_110[0])
    assert a.dispute.pk != b.dispute.pk and b.created is True
    again = submit(key_110[0])
    assert again.dispute.pk == a.dispute.pk and again.created is False


@pytest.fixture
def county_key(tree):
    """A key limited to township A (南浦街道)."""
    key, raw = channel_key_create(name="南浦街道网格通", channel=Channel.GRID_REPORT, area=tree.town_a)
    return key, raw


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This API key may only hand over cases in 南浦街道."),
        ("zh-hans", "该接口密钥只能移交南浦街道范围内的案件。"),
    ],
)
def test_an_area_limited_key_is_refused_elsewhere_and_nothing_is_stored(county_key, record, tree, language, message):
    _key, raw = county_key
    client = APIClient(headers={"x-api-key": raw, "accept-language": language})
    before = counts()
    response = client.post(URL, record(grid=tree.grid_b.code), format="json", headers={"idempotency-key": "r-1"})
    assert response.status_code == 403, response.content
    assert error_of(response) == {"code": "outside_key_area", "message": message}
    assert counts() == before
    assert Notification.objects.count() == 0


def test_an_area_limited_key_files_cases_in_its_area(county_key, record, tree):
    key, raw = county_key
    client = APIClient(headers={"x-api-key": raw})
    for grid, source_id in ((tree.grid_a, "G-1"), (tree.village_a, "G-2")):
        response = client.post(URL, record(grid=grid.code, source_id=source_id), format="json")
        assert response.status_code == 201, response.content
    assert set(Dispute.objects.values_list("channel_key", flat=True)) == {key.pk}


def test_the_area_limit_holds_in_the_service_too(county_key, tree, category):
    from core.exceptions import PermissionDeniedError

    with pytest.raises(PermissionDeniedError) as refused:
        services.dispute_submit(
            category=category,
            description="越界。",
            grid=tree.grid_b,
            channel=Channel.GRID_REPORT,
            parties=[{"role": PartyRole.APPLICANT, "name": "李四", "phone": "13900139000"}],
            channel_key=county_key[0],
        )
    assert refused.value.code == "outside_key_area"
    assert Dispute.objects.count() == 0


def test_an_area_limited_open311_key_is_refused_elsewhere(tree, category):
    _key, raw = channel_key_create(name="南浦街道App", channel=Channel.OPEN311, area=tree.town_a)
    form = {
        "service_code": category.code,
        "description": "隔壁饭店油烟扰民。",
        "phone": "13900139000",
        "api_key": raw,
    }
    from django.test import Client

    client = Client(headers={"accept-language": "en"})
    refused = client.post("/open311/v2/requests.json", {**form, "attribute[grid]": tree.grid_b.code})
    assert refused.status_code == 403
    assert refused.json() == [{"code": 403, "description": "This API key may only hand over cases in 南浦街道."}]
    assert Dispute.objects.count() == 0
    stored = client.post("/open311/v2/requests.json", {**form, "attribute[grid]": tree.grid_a.code})
    assert stored.status_code == 201
    assert Dispute.objects.get().channel_key == _key


# --- A limit per key (core.throttling.CHANNEL_SUBMIT_PER_KEY) ---------------------------------------------


def test_each_key_is_rate_limited_on_its_own(client_110, record, second_110, settings):
    settings.CHANNEL_SUBMIT_PER_KEY_HOUR = 2
    for source_id in ("L-1", "L-2"):
        assert client_110.post(URL, record(source_id=source_id), format="json").status_code == 201
    before = counts()
    refused = client_110.post(URL, record(source_id="L-3"), format="json")
    assert refused.status_code == 429
    assert error_of(refused) == {
        "code": "throttled",
        "message": "Too many cases from this API key in the last hour. Please try again later.",
    }
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert counts() == before
    # Another key of the same channel has its own allowance.
    assert second_110[1].post(URL, record(source_id="L-3"), format="json").status_code == 201


def test_an_open311_key_counts_against_the_same_limit(tree, category, settings):
    from django.test import Client

    settings.CHANNEL_SUBMIT_PER_KEY_HOUR = 1
    _key, raw = channel_key_create(name="App", channel=Channel.OPEN311)
    form = {"service_code": category.code, "description": "油烟扰民。", "attribute[grid]": tree.grid_a.code}
    client = Client(headers={"accept-language": "en"})
    assert client.post("/open311/v2/requests.json", {**form, "phone": "13900139000", "api_key": raw}).status_code == 201
    refused = client.post("/open311/v2/requests.json", {**form, "phone": "13900139001", "api_key": raw})
    assert refused.status_code == 429
    assert Dispute.objects.count() == 1


# --- Per key under concurrency (PostgreSQL) --------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_keys_sending_the_same_source_id_at_once_make_two_cases(monkeypatch, record, tree, category):
    raws = [channel_key_create(name=f"110-{i}", channel=Channel.POLICE_110)[1] for i in range(2)]
    data = record(source_id="JJ-RACE-2")
    turn = iter(raws)

    def send():
        return APIClient(headers={"x-api-key": next(turn)}).post(URL, data, format="json")

    responses = _race(monkeypatch, send)
    assert [r.status_code for r in responses] == [201, 201], [r.content for r in responses]
    assert len({r.json()["tracking_number"] for r in responses}) == 2
    assert Dispute.objects.filter(source_id="JJ-RACE-2").values("channel_key").distinct().count() == 2


# --- Admin: the area of a key ------------------------------------------------------------------------------


def test_admin_limits_a_key_to_an_area_and_changes_it(admin_client, tree):
    response = admin_client.post(
        "/admin/disputes/channelkey/add/", {"name": "南浦110", "channel": "police_110", "area": tree.town_a.pk}
    )
    assert response.status_code == 200
    key = ChannelKey.objects.get()
    assert key.area == tree.town_a
    change = admin_client.post(
        f"/admin/disputes/channelkey/{key.pk}/change/", {"name": "南浦110", "area": tree.town_b.pk}
    )
    assert change.status_code == 302, change.content.decode()[:2000]
    key.refresh_from_db()
    assert key.area == tree.town_b
    cleared = admin_client.post(f"/admin/disputes/channelkey/{key.pk}/change/", {"name": "南浦110", "area": ""})
    assert cleared.status_code == 302
    key.refresh_from_db()
    assert key.area is None


def test_create_channel_key_command_limits_a_key_to_an_area(tree):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_channel_key",
        "--name",
        "南浦",
        "--channel",
        "grid_report",
        "--area",
        tree.town_a.code,
        stdout=out,
        stderr=err,
    )
    assert ChannelKey.objects.get().area == tree.town_a
    with pytest.raises(Exception, match="No area has the code"):
        call_command("create_channel_key", "--name", "x", "--channel", "grid_report", "--area", "999", stderr=err)
