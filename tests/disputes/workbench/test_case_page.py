"""The case page: what it shows, to whom, and the attachment download."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from disputes.models import Attachment, CaseEvent, Deadline, DisputeAssist, MediationSession
from disputes.rules.clocks import time_left_words
from disputes.rules.enums import Colour, DeadlineKind, EventKind, Status
from grids.models import Role
from tests.disputes.workbench.casepage import (
    APPLICANT_ID,
    APPLICANT_PHONE,
    case_url,
    client_for,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=timezone.get_default_timezone())


# --- time left, in words -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(days=2, hours=5), "2 days left"),
        (timedelta(days=1), "1 day left"),
        (timedelta(hours=3, minutes=20), "3 hours left"),
        # Time left rounds to the nearest unit (core.durations): 3 h 59 min reads 4 hours.
        (timedelta(hours=3, minutes=59), "4 hours left"),
        (timedelta(minutes=20), "20 minutes left"),
        (timedelta(seconds=10), "1 minute left"),
        (-timedelta(hours=3, minutes=10), "3 hours overdue"),
        (-timedelta(days=4), "4 days overdue"),
        (-timedelta(minutes=1), "1 minute overdue"),
    ],
)
def test_time_left_in_words(delta, words):
    with translation.override("en"):
        assert time_left_words(NOW + delta, NOW) == words


# --- what the page shows -----------------------------------------------------------------------------


def test_login_required(client, make_case):
    case = make_case(Status.ACCEPTED)
    answer = client.get(case_url(case))
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_the_mediator_sees_the_case(make_case, mediator, departments, county_department):
    with time_machine.travel(NOW, tick=False):
        case = make_case(
            Status.IN_MEDIATION,
            colour=Colour.RED,
            triage_reasons=[{"rule": "threat_violence", "colour": "red", "params": {"words": ["砍死"]}}],
            occurred_place="船山路12号",
            occurred_at=NOW - timedelta(days=3),
        )
        DisputeAssist.objects.create(dispute=case, department=county_department)
        CaseEvent.objects.create(
            dispute=case,
            at=NOW - timedelta(days=2),
            actor_role="system",
            kind=EventKind.TRANSITION,
            action="submit",
            to_status=Status.SUBMITTED,
        )
        CaseEvent.objects.create(
            dispute=case,
            at=NOW - timedelta(hours=1),
            actor=mediator,
            actor_role=Role.MEDIATOR,
            kind=EventKind.NOTE,
            reason="已电话联系双方",
        )
        MediationSession.objects.create(
            dispute=case, held_at=NOW - timedelta(hours=2), place="社区调解室", attendees="李四、王五"
        )
        Attachment.objects.create(
            dispute=case,
            storage_name="ab" * 16,
            original_name="漏水.png",
            content_type="image/png",
            size=10,
            sha256="0" * 64,
        )
        url = "/en" + case_url(case)
        with translation.override("en"):
            html = client_for(mediator).get(url).content.decode()

    assert "Ticket colour: Red" in html, "the colour in words, not only as a colour"
    assert "The description threatens violence (砍死)." in html
    assert "In mediation" in html
    assert case.description in html and "船山路12号" in html and "Web form" in html
    assert departments["a"].name in html and county_department.name in html
    assert "南昌市 西湖区 南浦街道 船山社区 船山社区第一网格" in html
    # The resolve deadline (10 days in the shape) in words.
    assert "10 days left" in html
    # Parties: names for the handler, phone and ID masked, a reveal button for each.
    assert "李四" in html and "139****9000" in html
    assert APPLICANT_PHONE not in html and APPLICANT_ID not in html
    assert html.count('name="field" value="phone"') == 2
    assert "社区调解室" in html and "漏水.png" in html
    # Newest first: the note (1 hour ago) before the submission (2 days ago).
    assert html.index("已电话联系双方") < html.index("Submitted</span>")


def test_a_case_outside_the_jurisdiction_is_not_found(make_case, make_staff, tree, departments):
    case = make_case(Status.ACCEPTED)
    outsider = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"])
    assert client_for(outsider).get(case_url(case)).status_code == 404
    # The same answer as a number that does not exist.
    case.tracking_number = "ZZZZZZZZZZZZ"
    assert client_for(outsider).get(case_url(case)).status_code == 404


def test_staff_who_do_not_work_the_case_see_it_masked(make_case, make_staff, tree, county_department):
    case = make_case(Status.ACCEPTED)
    # A county bureau's staff see the county's cases, but do not work this one.
    bystander = make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=county_department)
    html = client_for(bystander).get(case_url(case)).content.decode()
    assert "李*" in html and "李四" not in html
    assert "139****9000" in html
    assert 'name="field"' not in html, "no reveal button"
    assert "Print" not in html


def test_deadlines_show_overdue_paused_and_done(make_case, mediator):
    with time_machine.travel(NOW, tick=False):
        case = make_case(Status.IN_MEDIATION)
        Deadline.objects.filter(dispute=case).update(due_at=NOW - timedelta(hours=3, minutes=5))
        Deadline.objects.create(
            dispute=case, kind=DeadlineKind.ACCEPT, due_at=NOW - timedelta(days=5), done_at=NOW - timedelta(days=6)
        )
        url = "/en" + case_url(case)
        with translation.override("en"):
            html = client_for(mediator).get(url).content.decode()
            assert "3 hours overdue" in html
            assert "Done on" in html
            Deadline.objects.filter(dispute=case, kind=DeadlineKind.RESOLVE).update(paused_at=NOW)
            html = client_for(mediator).get(url).content.decode()
            assert "Paused" in html and "overdue" not in html


# --- attachments ---------------------------------------------------------------------------------------


@pytest.fixture
def stored_attachment(settings, tmp_path, make_case):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    case = make_case(Status.ACCEPTED)
    storage_name = "cd" * 16
    path = tmp_path / "private" / storage_name[:2] / storage_name
    path.parent.mkdir(parents=True)
    path.write_bytes(b"<html><script>alert(1)</script></html>")
    attachment = Attachment.objects.create(
        dispute=case,
        storage_name=storage_name,
        original_name="现场照片.png",
        content_type="image/png",
        size=39,
        sha256="0" * 64,
    )
    return case, attachment


def test_attachment_download_is_a_checked_download(stored_attachment, mediator):
    case, attachment = stored_attachment
    answer = client_for(mediator).get(case_url(case, "case_attachment", pk=attachment.pk))
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content).startswith(b"<html>")
    assert answer["Content-Type"] == "image/png"
    assert answer["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in answer["Content-Disposition"]
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in answer["Cache-Control"]


def test_attachment_download_outside_the_jurisdiction_is_not_found(
    stored_attachment, make_staff, tree, departments, make_case
):
    case, attachment = stored_attachment
    outsider = make_staff(Role.DISPATCHER, area=tree.town_b)
    assert client_for(outsider).get(case_url(case, "case_attachment", pk=attachment.pk)).status_code == 404
    # Another case's attachment id under a visible case is not found either.
    other = make_case(Status.ACCEPTED)
    insider = make_staff(Role.DISPATCHER, area=tree.town_a)
    assert client_for(insider).get(case_url(other, "case_attachment", pk=attachment.pk)).status_code == 404
    assert client_for(insider).get(case_url(case, "case_attachment", pk=attachment.pk)).status_code == 200


def test_anonymous_cannot_download(client, stored_attachment):
    case, attachment = stored_attachment
    assert client.get(case_url(case, "case_attachment", pk=attachment.pk)).status_code == 302


def _form_of(html: str, action: str) -> str:
    """The HTML of one action's form on the case page."""
    start = html.index(f'data-action="{action}"')
    return html[start : html.index("</details>", start)]


def test_kept_action_forms_follow_each_case(make_case, make_staff, tree, departments, county_department):
    """The blank forms' HTML is kept per language and variant: the next case gets its own colour and
    departments, never the previous case's."""
    supervisor = make_staff(Role.SUPERVISOR, area=tree.town_a)
    red = make_case(Status.IN_MEDIATION, colour=Colour.RED)
    white = make_case(Status.IN_MEDIATION, colour=Colour.WHITE)
    DisputeAssist.objects.create(dispute=white, department=county_department)
    client = client_for(supervisor)
    first = client.get(case_url(red)).content.decode()
    second = client.get(case_url(white)).content.decode()
    again = client.get(case_url(red)).content.decode()
    selected = f'<option value="{Colour.RED.value}" selected>'
    assert selected in _form_of(first, "colour") and selected in _form_of(again, "colour")
    assert selected not in _form_of(second, "colour")
    assert f'<option value="{Colour.WHITE.value}" selected>' in _form_of(second, "colour")
    # Assistance: the county bureau already assists the white case, so only the red one may ask it.
    assert county_department.name in _form_of(first, "assistance")
    assert county_department.name not in _form_of(second, "assistance")
    # The same form again, with a fresh CSRF token (the token is never part of what is kept).
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", _form_of(first, "assistance")) == token.sub("", _form_of(again, "assistance"))
    assert _form_of(first, "assistance") != _form_of(again, "assistance")
    # English pages get their own copy.
    with translation.override("en"):
        english = client.get(case_url(red)).content.decode()
    assert "Reason" in _form_of(english, "colour") and "Reason" not in _form_of(first, "colour")
