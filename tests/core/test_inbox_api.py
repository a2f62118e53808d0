"""收件箱 API: the list, marking read and the polled summary (ETag / 304); only ever the caller's own items."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone, translation
from rest_framework.test import APIClient

from core.models import Notification
from core.security import LAST_ACTIVITY_KEY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST, READ, SUMMARY = "/api/v1/inbox/", "/api/v1/inbox/read/", "/api/v1/inbox/summary/"


def staff_item(user, kind="assigned", body="新案件已分派给您。", **fields) -> Notification:
    return Notification.objects.create(
        channel=Notification.Channel.STAFF, recipient_user=user, kind=kind, body=body, **fields
    )


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("method", "path"), [("get", LIST), ("post", READ), ("get", SUMMARY)])
def test_anonymous_callers_are_refused(method, path):
    response = getattr(APIClient(), method)(path, {"all": True}, format="json" if method == "post" else None)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_list_is_the_callers_own_newest_first_with_filters_and_paging():
    reader, other = UserFactory(), UserFactory()
    a = staff_item(reader, kind="assigned")
    b = staff_item(reader, kind="supervision_order", link="/work/case/X/")
    c = staff_item(reader, kind="order_signed", read_at=a.created_at)
    staff_item(other, kind="assigned", body="别人的")
    client = client_for(reader)

    body = client.get(LIST).json()
    assert [r["id"] for r in body["results"]] == [c.pk, b.pk, a.pk]
    assert (body["unread"], body["unread_display"], body["next_before"]) == (2, "2", None)
    assert body["results"][1] | {"created_at": None} == {
        "id": b.pk,
        "kind": "supervision_order",
        "group": "supervision",
        "group_label": "督办单",
        "body": "新案件已分派给您。",
        "created_at": None,
        "read_at": None,
        "unread": True,
        "link": "/work/case/X/",
    }

    assert [r["id"] for r in client.get(LIST, {"group": "supervision"}).json()["results"]] == [c.pk, b.pk]
    assert [r["id"] for r in client.get(LIST, {"unread": "true"}).json()["results"]] == [b.pk, a.pk]
    first = client.get(LIST, {"page_size": 2}).json()
    assert [r["id"] for r in first["results"]] == [c.pk, b.pk] and first["next_before"] == b.pk
    second = client.get(LIST, {"page_size": 2, "before": first["next_before"]}).json()
    assert [r["id"] for r in second["results"]] == [a.pk] and second["next_before"] is None


@pytest.mark.parametrize(
    "params", [{"group": "nonsense"}, {"before": "abc"}, {"before": str(2**70)}, {"page_size": "0"}]
)
def test_bad_list_parameters_are_a_400_in_the_one_error_shape(params):
    response = client_for(UserFactory()).get(LIST, params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_marking_read_ignores_another_readers_ids():
    reader, other = UserFactory(), UserFactory()
    mine, theirs = staff_item(reader), staff_item(other)
    client = client_for(reader)
    response = client.post(READ, {"ids": [mine.pk, theirs.pk]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 0, "unread_display": "0"}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # Again: nothing more to mark.
    assert client.post(READ, {"ids": [mine.pk]}, format="json").json()["marked"] == 0


def test_mark_all_read():
    reader = UserFactory()
    for _ in range(3):
        staff_item(reader)
    response = client_for(reader).post(READ, {"all": True}, format="json")
    assert response.json() == {"marked": 3, "unread": 0, "unread_display": "0"}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_empty_read_request_is_refused_in_the_users_language(language):
    client = client_for(UserFactory())
    response = client.post(READ, {}, format="json", headers={"Accept-Language": language})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    expected = {
        "zh-hans": "请在“ids”中列出要标为已读的消息，或发送“all”: true。",
        "en": 'Name the items to mark read in "ids", or send "all": true.',
    }[language]
    assert error["message"] == expected


def test_the_summary_answers_304_while_nothing_changed():
    reader = UserFactory()
    first = staff_item(reader)
    client = client_for(reader)
    response = client.get(SUMMARY, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    etag = response["ETag"]
    assert response.json() == {
        "unread": 1,
        "unread_display": "1",
        "unread_label": "1 unread message",
        "latest_id": first.pk,
        "new": None,
        "new_label": "",
    }
    again = client.get(SUMMARY, headers={"If-None-Match": etag, "Accept-Language": "en"})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag

    # A new item changes the answer, and so does reading one.
    staff_item(reader)
    changed = client.get(SUMMARY, headers={"If-None-Match": etag, "Accept-Language": "en"})
    assert changed.status_code == 200 and changed.json()["unread"] == 2
    etag = changed["ETag"]
    client.post(READ, {"all": True}, format="json")
    read = client.get(SUMMARY, headers={"If-None-Match": etag, "Accept-Language": "en"})
    assert read.status_code == 200 and read.json()["unread"] == 0


def test_the_summary_counts_what_is_newer_than_the_page(settings):
    reader = UserFactory()
    first = staff_item(reader)
    staff_item(reader)
    staff_item(reader)
    client = client_for(reader)
    with translation.override("zh-hans"):
        body = client.get(SUMMARY, {"since": first.pk}, headers={"Accept-Language": "zh-hans"}).json()
    assert body["new"] == 2
    assert body["new_label"] == "有 2 条新消息，点击刷新。"
    assert body["unread_label"] == "3 条未读消息"
    en = client.get(SUMMARY, {"since": first.pk}, headers={"Accept-Language": "en"}).json()
    assert en["new_label"] == "2 new messages: click to refresh."
    assert client.get(SUMMARY, {"since": "-1"}).status_code == 400


def test_a_summary_never_tells_about_another_readers_items():
    reader, other = UserFactory(), UserFactory()
    staff_item(other)
    body = client_for(reader).get(SUMMARY).json()
    assert (body["unread"], body["latest_id"]) == (0, None)


def test_the_schema_documents_the_inbox():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert {"/api/v1/inbox/", "/api/v1/inbox/read/", "/api/v1/inbox/summary/"} <= set(paths)
    summary = paths["/api/v1/inbox/summary/"]["get"]
    assert {"200", "304", "403"} <= set(summary["responses"])
    assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in summary["parameters"])


def test_the_badges_poll_does_not_keep_an_unattended_session_open(settings):
    """The page's script marks its poll as background (X-Background-Poll): not the person's activity."""
    reader = UserFactory()
    staff_item(reader)
    client = APIClient()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(reader)
        client.get("/work/")  # stamps the activity at sign-in time
        signed_in = client.session[LAST_ACTIVITY_KEY]
        for _ in range(settings.SESSION_IDLE_SECONDS // 60):  # the poll, every minute, for the whole idle limit
            traveller.shift(dt.timedelta(seconds=60))
            assert client.get(SUMMARY, headers={"X-Background-Poll": "1"}).status_code in (200, 304)
        assert client.session[LAST_ACTIVITY_KEY] == signed_in
        traveller.shift(dt.timedelta(seconds=61))
        # Past the idle limit the poll itself is refused: the session has ended.
        assert client.get(SUMMARY, headers={"X-Background-Poll": "1"}).status_code == 403
