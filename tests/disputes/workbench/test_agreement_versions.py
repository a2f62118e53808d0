"""协议版本: the signed agreement is immutable. A frozen version (printed for signature, signed, reported back)
is never written again; a change after a reopening makes the next version; the case page, the print view and
the timeline say which version was signed."""

from datetime import date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation
from rest_framework.test import APIClient

from core.actors import Actor
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from disputes import services
from disputes.models import Agreement, AgreementVersion, CaseEvent, Deadline
from disputes.rules.enums import DeadlineKind, EventKind, Outcome, Status
from disputes.services.callbacks import callback_record_attempt
from disputes.services.outcomes import agreement_version_write
from grids.models import Role
from tests.disputes.workbench.casepage import AGREEMENT_VALUES, action_url, case_url, client_for

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
TERMS_V1 = "王五赔偿李四人民币¥86,400元。"
TERMS_V2 = "王五赔偿李四人民币¥90,000元。"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def handler(mediator):
    return Actor.for_user(mediator)


def values(**changes):
    return {**AGREEMENT_VALUES, "terms": TERMS_V1, **changes}


def versions(case) -> list[tuple]:
    return list(
        AgreementVersion.objects.filter(agreement__dispute=case)
        .order_by("version")
        .values_list("version", "terms", "frozen_by", "signed_on", "effective_on")
    )


def print_html(user, case, **query) -> str:
    url = en(case_url(case, "agreement_print"))
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    answer = client_for(user).get(url)
    assert answer.status_code == 200, answer.status_code
    return unescape(answer.content.decode())


def en(path: str) -> str:
    """The English page of a path reversed in the default language."""
    return path if path.startswith("/en/") else "/en" + path


# --- The field's case, end to end -----------------------------------------------------------------------


def test_editing_after_a_reopening_makes_version_2_and_the_signed_version_1_stands(
    clock, make_case, handler, mediator, staff_a
):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    # Reported back: version 1 is signed on 1 December and takes effect that day.
    services.dispute_report_back(
        dispute=case, actor=handler, outcome=Outcome.AGREEMENT, signed_on=date(2026, 12, 1), effective_on=None
    )
    assert versions(case) == [(1, TERMS_V1, "reported", date(2026, 12, 1), date(2026, 12, 1))]
    # The callback: dissatisfied, the case is reopened; the mediator changes the terms.
    clock.shift(timedelta(days=2))
    caller = Actor.for_user(staff_a[Role.CALLBACK_CALLER])
    callback_record_attempt(dispute=case, actor=caller, reached=True, satisfaction="dissatisfied", remarks="少了")
    case.refresh_from_db()
    assert case.status == Status.REOPENED
    clock.shift(timedelta(hours=1))
    services.agreement_save(dispute=case, actor=handler, values=values(terms=TERMS_V2))

    agreement = Agreement.objects.get(dispute=case)
    assert (agreement.version, agreement.terms, agreement.signed_version.version) == (2, TERMS_V2, 1)
    # Version 1 is exactly as signed; version 2 is a draft.
    assert versions(case) == [
        (1, TERMS_V1, "reported", date(2026, 12, 1), date(2026, 12, 1)),
        (2, TERMS_V2, "", None, None),
    ]
    # The timeline records the version and the old and new terms.
    event = CaseEvent.objects.filter(dispute=case, kind=EventKind.AGREEMENT).latest("at", "pk")
    assert (event.data["version"], event.data["from_version"], event.data["changed"]) == (2, 1, ["terms"])
    assert event.data["changes"] == {"terms": {"from": TERMS_V1, "to": TERMS_V2}}

    # The case page: which version was signed, and the current draft; the timeline quotes both terms.
    with translation.override("en"):
        html = unescape(client_for(mediator).get(en(case_url(case))).content.decode())
    assert "Signed: version 1 (signed on 1 December 2026, in effect from 1 December 2026)" in html
    assert "Current draft: version 2" in html
    assert 'data-signed-version="1"' in html and "Print the signed version 1" in html
    assert f"What was agreed: “{TERMS_V1}” → “{TERMS_V2}”" in html
    assert "Version 2 is frozen" not in html and "Version 1 is frozen: this change makes version 2." in html

    # The print view: the current draft is marked as such and says which version was signed.
    current = print_html(mediator, case)
    assert "Draft, version 2" in current and TERMS_V2 in current and TERMS_V1 not in current
    assert "Version 1 was signed on 1 December 2026: this page is not the signed text." in current
    # ?version=1 prints the signed text, ¥86,400.
    signed = print_html(mediator, case, version=1)
    assert TERMS_V1 in signed and TERMS_V2 not in signed
    assert "Version 1, signed on 1 December 2026" in signed and "Draft" not in signed
    assert "this page is not the signed text" not in signed


def test_the_same_scenario_in_chinese_on_the_case_page(clock, make_case, handler, mediator):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    services.agreement_sign(dispute=case, actor=handler, signed_on=date(2026, 12, 1))
    services.agreement_save(dispute=case, actor=handler, values=values(terms=TERMS_V2))
    html = unescape(client_for(mediator).get(case_url(case)).content.decode())
    assert "已签署：第1版（2026年12月1日签署，2026年12月1日生效）" in html
    assert "当前草稿：第2版" in html
    assert 'data-agreement-version="2"' in html and 'data-signed-version="1"' in html
    printed = unescape(client_for(mediator).get(case_url(case, "agreement_print")).content.decode())
    assert "草稿 第2版" in printed
    assert "第1版，2026年12月1日签署" in unescape(
        client_for(mediator).get(case_url(case, "agreement_print") + "?version=1").content.decode()
    )


# --- Drafts, freezing ---------------------------------------------------------------------------------------


def test_a_draft_is_edited_in_place(clock, make_case, handler):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    services.agreement_save(dispute=case, actor=handler, values=values(terms=TERMS_V2))
    assert versions(case) == [(1, TERMS_V2, "", None, None)]
    first, second = CaseEvent.objects.filter(dispute=case, kind=EventKind.AGREEMENT).order_by("pk")
    assert (first.data["version"], first.data["created"]) == (1, True)
    assert second.data["version"] == 1 and "from_version" not in second.data
    assert second.data["changes"] == {"terms": {"from": TERMS_V1, "to": TERMS_V2}}
    # Saving the same text again writes nothing.
    services.agreement_save(dispute=case, actor=handler, values=values(terms=TERMS_V2))
    assert CaseEvent.objects.filter(dispute=case, kind=EventKind.AGREEMENT).count() == 2


def test_printing_for_signature_freezes_the_version_and_the_next_edit_makes_a_new_one(
    clock, make_case, handler, mediator
):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    assert "Draft, version 1" in print_html(mediator, case)

    # The page's button: a POST that freezes version 1 and goes on to its print.
    answer = client_for(mediator).post(action_url(case, "print_for_signature"))
    assert answer.status_code == 303
    assert answer["Location"] == case_url(case, "agreement_print")
    assert versions(case) == [(1, TERMS_V1, "printed", None, None)]
    frozen = CaseEvent.objects.get(dispute=case, kind=EventKind.AGREEMENT_FROZEN)
    assert frozen.data == {"agreement": case.agreement.pk, "version": 1, "by": "printed"}
    printed = print_html(mediator, case)
    assert "Version 1" in printed and "Draft" not in printed

    # Frozen already: the button is gone, the service refuses.
    assert 'data-action="print_for_signature"' not in client_for(mediator).get(case_url(case)).content.decode()
    with pytest.raises(ConflictError) as caught:
        services.agreement_print_for_signature(dispute=case, actor=handler)
    assert caught.value.code == "agreement_version_frozen"

    # A change (the parties asked for one before signing) makes version 2; version 1 stays as printed.
    services.agreement_save(dispute=case, actor=handler, values=values(terms=TERMS_V2))
    assert versions(case) == [(1, TERMS_V1, "printed", None, None), (2, TERMS_V2, "", None, None)]
    assert "Draft, version 2" in print_html(mediator, case)
    assert TERMS_V1 in print_html(mediator, case, version=1)


def test_a_frozen_version_is_never_written(clock, make_case, handler):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    services.agreement_sign(dispute=case, actor=handler, signed_on=date(2026, 11, 30))
    frozen = AgreementVersion.objects.get(agreement__dispute=case, version=1)
    with pytest.raises(ConflictError) as caught:
        agreement_version_write(frozen, values(terms=TERMS_V2))
    assert caught.value.code == "agreement_version_frozen"
    # Even through a copy read before it was frozen.
    stale = AgreementVersion.objects.get(pk=frozen.pk)
    stale.frozen_at = None
    with pytest.raises(ConflictError):
        agreement_version_write(stale, values(terms=TERMS_V2))
    assert AgreementVersion.objects.get(pk=frozen.pk).terms == TERMS_V1


def test_the_refusal_of_a_frozen_version_in_both_languages(clock, make_case, handler):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    services.agreement_print_for_signature(dispute=case, actor=handler)
    for language, text in (("en", "Version 1 of the agreement is frozen already"), ("zh-hans", "1")):
        with translation.override(language), pytest.raises(ConflictError) as caught:
            services.agreement_print_for_signature(dispute=case, actor=handler)
        assert text in str(caught.value.message)


def test_a_reported_case_s_agreement_cannot_be_edited_at_all(clock, make_case, handler):
    case = make_case(Status.AWAITING_CALLBACK)
    with pytest.raises(ApplicationError) as caught:
        services.agreement_save(dispute=case, actor=handler, values=values(terms=TERMS_V2))
    assert caught.value.code == "wrong_state"
    assert versions(case)[0][1] == AGREEMENT_VALUES["terms"]


# --- Signing ------------------------------------------------------------------------------------------------


def test_signing_records_the_dates_freezes_and_names_the_signed_version(clock, make_case, handler):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    services.agreement_sign(dispute=case, actor=handler, signed_on=date(2026, 11, 30), effective_on=date(2026, 12, 1))
    assert versions(case) == [(1, TERMS_V1, "signed", date(2026, 11, 30), date(2026, 12, 1))]
    assert Agreement.objects.get(dispute=case).signed_version.version == 1
    signed = CaseEvent.objects.get(dispute=case, kind=EventKind.AGREEMENT_SIGNED)
    assert signed.data["signed_on"] == "2026-11-30" and signed.data["effective_on"] == "2026-12-01"
    assert CaseEvent.objects.get(dispute=case, kind=EventKind.AGREEMENT_FROZEN).data["by"] == "signed"
    with pytest.raises(ConflictError) as caught:
        services.agreement_sign(dispute=case, actor=handler, signed_on=date(2026, 12, 1))
    assert caught.value.code == "agreement_already_signed"


def test_the_effective_date_defaults_to_the_signing_date(clock, make_case, handler):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    services.agreement_sign(dispute=case, actor=handler, signed_on=date(2026, 11, 30))
    assert versions(case)[0][3:] == (date(2026, 11, 30), date(2026, 11, 30))


@pytest.mark.parametrize(
    ("signed_on", "effective_on", "code", "english"),
    [
        (None, None, "signed_on_required", "Give the date the agreement was signed."),
        (date(2026, 12, 2), None, "signed_on_future", "The date of signing cannot be in the future."),
        (
            date(2026, 11, 30),
            date(2026, 11, 29),
            "effective_before_signed",
            "The agreement cannot take effect before it is signed.",
        ),
        (
            date(2026, 11, 30),
            date(2026, 12, 2),
            "effective_on_future",
            "The date the agreement takes effect cannot be in the future.",
        ),
        (
            date(2025, 1, 1),
            None,
            "signed_before_case",
            "The agreement cannot have been signed before the case was registered.",
        ),
    ],
)
def test_signing_refusals(clock, make_case, handler, signed_on, effective_on, code, english):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        services.agreement_sign(dispute=case, actor=handler, signed_on=signed_on, effective_on=effective_on)
    assert (caught.value.code, str(caught.value.message)) == (code, english)
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as caught:
        services.agreement_sign(dispute=case, actor=handler, signed_on=signed_on, effective_on=effective_on)
    assert caught.value.code == code
    assert versions(case) == [(1, TERMS_V1, "", None, None)]
    assert not CaseEvent.objects.filter(dispute=case, kind=EventKind.AGREEMENT_SIGNED).exists()


def test_only_the_handlers_sign(clock, make_case, handler, staff_a):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    with pytest.raises(PermissionDeniedError):
        services.agreement_sign(
            dispute=case, actor=Actor.for_user(staff_a[Role.DISPATCHER]), signed_on=date(2026, 12, 1)
        )


def test_the_page_records_the_signing(clock, make_case, handler, mediator):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    client = client_for(mediator)
    html = client.get(case_url(case)).content.decode()
    assert 'data-action="agreement_sign"' in html
    refused = client.post(en(action_url(case, "agreement_sign")), {"agreement_sign-signed_on": "2026-12-09"})
    assert refused.status_code == 400
    assert "The date of signing cannot be in the future." in unescape(refused.content.decode())
    answer = client.post(
        action_url(case, "agreement_sign"),
        {"agreement_sign-signed_on": "2026-11-30", "agreement_sign-effective_on": "2026-12-01"},
    )
    assert answer.status_code == 303
    assert versions(case) == [(1, TERMS_V1, "signed", date(2026, 11, 30), date(2026, 12, 1))]
    assert 'data-action="agreement_sign"' not in client.get(case_url(case)).content.decode()


# --- The report-back signs, and the judicial window counts from the effective date ---------------------------


def test_the_report_back_form_signs_with_its_dates_and_the_window_counts_from_the_effective_date(
    clock, make_case, handler, mediator
):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    data = {
        "report_back-outcome": Outcome.AGREEMENT,
        "report_back-signed_on": "2026-11-28",
        "report_back-effective_on": "2026-11-29",
        **{f"report_back-agreement-{k}": v for k, v in values().items() if v},
    }
    answer = client_for(mediator).post(action_url(case, "report_back"), data)
    assert answer.status_code == 303
    assert versions(case) == [(1, TERMS_V1, "reported", date(2026, 11, 28), date(2026, 11, 29))]
    judicial = Deadline.objects.open().get(dispute=case, kind=DeadlineKind.JUDICIAL_CONFIRMATION)
    # In effect on 29 November: the 30 days run to the end of 29 December, not 30 days from the report-back.
    assert judicial.due_at == datetime(2026, 12, 30, 0, 0, tzinfo=TZ)
    report = CaseEvent.objects.get(dispute=case, action="report_back")
    assert report.data["agreement_version"] == 1


def test_the_report_back_form_refuses_a_future_signing_beside_its_field(clock, make_case, handler, mediator):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    data = {
        "report_back-outcome": Outcome.AGREEMENT,
        "report_back-signed_on": "2026-12-05",
        **{f"report_back-agreement-{k}": v for k, v in values().items() if v},
    }
    answer = client_for(mediator).post(en(action_url(case, "report_back")), data)
    assert answer.status_code == 400
    assert "The date of signing cannot be in the future." in unescape(answer.content.decode())
    case.refresh_from_db()
    assert case.status == Status.IN_MEDIATION and versions(case)[0][2] == ""


def test_a_version_signed_before_the_report_back_keeps_its_dates_and_freeze(clock, make_case, handler):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    services.agreement_print_for_signature(dispute=case, actor=handler)
    services.agreement_sign(dispute=case, actor=handler, signed_on=date(2026, 11, 20))
    services.dispute_report_back(dispute=case, actor=handler, outcome=Outcome.AGREEMENT, signed_on=date(2026, 12, 1))
    assert versions(case) == [(1, TERMS_V1, "printed", date(2026, 11, 20), date(2026, 11, 20))]
    judicial = Deadline.objects.get(dispute=case, kind=DeadlineKind.JUDICIAL_CONFIRMATION)
    assert judicial.due_at == datetime(2026, 12, 21, 0, 0, tzinfo=TZ)
    assert CaseEvent.objects.filter(dispute=case, kind=EventKind.AGREEMENT_FROZEN).count() == 1


def test_the_window_moves_with_the_clock_and_the_page_counts_the_days_left(clock, make_case, handler, mediator):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    services.dispute_report_back(
        dispute=case, actor=handler, outcome=Outcome.AGREEMENT, signed_on=date(2026, 11, 25), effective_on=None
    )
    # In effect on 25 November: until 25 December; on 1 December, 24 days are left.
    with translation.override("en"):
        html = unescape(client_for(mediator).get(en(case_url(case))).content.decode())
    assert "24 days left to apply (until 25 December 2026)." in html
    assert 'data-days-left="24"' in html
    clock.move_to(datetime(2026, 12, 25, 23, 0, tzinfo=TZ))
    html = unescape(client_for(mediator).get(en(case_url(case))).content.decode())
    assert 'data-days-left="0"' in html
    clock.move_to(datetime(2026, 12, 26, 9, 0, tzinfo=TZ))
    html = unescape(client_for(mediator).get(en(case_url(case))).content.decode())
    assert "The window to apply ended on 25 December 2026." in html


# --- The API --------------------------------------------------------------------------------------------------


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_the_api_reads_versions_prints_signs_and_reports_back_with_dates(clock, make_case, handler, mediator):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    api = api_for(mediator)
    base = f"/api/v1/cases/{case.tracking_number}/agreement/"
    body = api.put(base, values(), format="json").json()
    assert (body["version"], body["version_frozen"], body["signed_version"]) == (1, False, None)
    body = api.post(base + "print/").json()
    assert (body["version"], body["version_frozen"]) == (1, True)
    refused = api.post(base + "print/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "agreement_version_frozen")
    # A change after printing: version 2.
    body = api.put(base, values(terms=TERMS_V2), format="json").json()
    assert (body["version"], body["version_frozen"], body["terms"]) == (2, False, TERMS_V2)
    refused = api.post(base + "sign/", {"signed_on": "2026-12-02"}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "signed_on_future")
    body = api.post(base + "sign/", {"signed_on": "2026-11-30"}, format="json").json()
    assert (body["signed_version"], body["signed_on"], body["effective_on"]) == (2, "2026-11-30", "2026-11-30")
    answer = api.post(
        f"/api/v1/cases/{case.tracking_number}/transitions/",
        {"action": "report_back", "outcome": "agreement"},
        format="json",
    )
    assert answer.status_code == 200
    assert versions(case)[1][2:] == ("signed", date(2026, 11, 30), date(2026, 11, 30))


def test_the_api_report_back_signs_with_the_given_dates(clock, make_case, handler, mediator):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    answer = api_for(mediator).post(
        f"/api/v1/cases/{case.tracking_number}/transitions/",
        {"action": "report_back", "outcome": "agreement", "signed_on": "2026-11-27", "effective_on": "2026-11-28"},
        format="json",
    )
    assert answer.status_code == 200
    assert versions(case) == [(1, TERMS_V1, "reported", date(2026, 11, 27), date(2026, 11, 28))]
    refused_case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=refused_case, actor=handler, values=values())
    refused = api_for(mediator).post(
        f"/api/v1/cases/{refused_case.tracking_number}/transitions/",
        {"action": "report_back", "outcome": "agreement", "signed_on": "2026-11-27", "effective_on": "2026-11-26"},
        format="json",
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "effective_before_signed")
    refused_case.refresh_from_db()
    assert refused_case.status == Status.IN_MEDIATION


def test_an_unknown_version_is_not_found_and_other_areas_see_no_version(
    clock, make_case, handler, mediator, make_staff, tree, departments
):
    case = make_case(Status.IN_MEDIATION, submitted_at=NOW - timedelta(days=20))
    services.agreement_save(dispute=case, actor=handler, values=values())
    url = case_url(case, "agreement_print")
    for query in ("?version=2", "?version=abc", "?version=-1"):
        assert client_for(mediator).get(url + query).status_code == 404
    assert client_for(mediator).get(url + "?version=1").status_code == 200
    elsewhere = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"])
    assert client_for(elsewhere).get(url + "?version=1").status_code == 404
