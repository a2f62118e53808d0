"""Oral agreements (口头调解协议) at every door of the report-back, and a party named on each callback call."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from core.actors import Actor
from core.exceptions import ApplicationError
from disputes import services
from disputes.models import CallbackAttempt, CaseEvent, Deadline, Dispute
from disputes.rules.enums import DeadlineKind, Outcome, PartyRole, Status
from grids.models import Role
from tests.disputes.workbench.casepage import action_url, client_for

pytestmark = pytest.mark.django_db
TERMS = "王五当场向李四赔礼道歉，并于本周内修好漏水的管道。"


def _report_back_event(case) -> CaseEvent:
    return CaseEvent.objects.filter(dispute=case, action="report_back").latest("at")


def test_the_service_takes_an_oral_agreement_with_what_was_agreed(make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    actor = Actor.for_user(mediator)
    with pytest.raises(ApplicationError) as caught:
        services.dispute_report_back(dispute=case, actor=actor, outcome=Outcome.ORAL_AGREEMENT, reason="  ")
    assert caught.value.code == "oral_terms_required" and caught.value.extra["field"] == "reason"
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.IN_MEDIATION, "")
    # No written agreement is needed: what was agreed is the record.
    services.dispute_report_back(dispute=case, actor=actor, outcome=Outcome.ORAL_AGREEMENT, reason=TERMS)
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.AWAITING_CALLBACK, Outcome.ORAL_AGREEMENT)
    assert not hasattr(case, "agreement") or Dispute.objects.filter(pk=case.pk, agreement__isnull=True).exists()
    event = _report_back_event(case)
    assert event.data["oral_terms"] == TERMS and event.reason == TERMS
    # No judicial-confirmation window: that is for a written agreement.
    assert not Deadline.objects.filter(dispute=case, kind=DeadlineKind.JUDICIAL_CONFIRMATION).exists()


def test_the_case_page_form_requires_what_was_agreed(make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    refused = client_for(mediator).post(
        "/en" + action_url(case, "report_back"), {"report_back-outcome": Outcome.ORAL_AGREEMENT}
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'id="id_report_back-reason_error"' in page and "what the parties agreed orally" in page
    answer = client_for(mediator).post(
        action_url(case, "report_back"), {"report_back-outcome": Outcome.ORAL_AGREEMENT, "report_back-reason": TERMS}
    )
    assert answer.status_code == 303
    case.refresh_from_db()
    assert case.outcome == Outcome.ORAL_AGREEMENT


def test_the_api_takes_an_oral_agreement(make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    api = APIClient()
    api.force_login(mediator)
    url = f"/api/v1/cases/{case.tracking_number}/transitions/"
    refused = api.post(url, {"action": "report_back", "outcome": "oral_agreement"}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "oral_terms_required"
    answer = api.post(url, {"action": "report_back", "outcome": "oral_agreement", "reason": TERMS}, format="json")
    assert answer.status_code == 200, answer.content
    case.refresh_from_db()
    assert case.outcome == Outcome.ORAL_AGREEMENT


def test_the_resident_sees_the_oral_agreement_on_the_tracking_page(make_case, mediator):
    case = make_case(Status.IN_MEDIATION)
    services.dispute_report_back(
        dispute=case, actor=Actor.for_user(mediator), outcome=Outcome.ORAL_AGREEMENT, reason=TERMS
    )
    from disputes.views import resident_events  # noqa: PLC0415 - the tracking page's own timeline

    case.refresh_from_db()
    with translation.override("en"):
        details = [str(row["detail"]) for row in resident_events(case)]
    assert "Resolved by oral agreement" in details
    with translation.override("zh-hans"):
        assert "调解成功，达成口头协议" in [str(row["detail"]) for row in resident_events(case)]
    # The remarks (what was agreed, with names) stay off the resident's timeline.
    assert all(TERMS not in str(row) for row in resident_events(case))


# --- A party on each callback call ---------------------------------------------------------------------


def awaiting(make_case):
    case = make_case(Status.AWAITING_CALLBACK)
    Deadline.objects.filter(dispute=case, kind=DeadlineKind.CALLBACK).update(due_at=timezone.now() + timedelta(days=3))
    return case


def test_a_call_names_its_party_and_the_case_keeps_its_verdict(make_case, staff_a):
    case = awaiting(make_case)
    caller = Actor.for_user(staff_a[Role.CALLBACK_CALLER])
    applicant = case.parties.get(role=PartyRole.APPLICANT)
    respondent = case.parties.get(role=PartyRole.RESPONDENT)
    services.callback_record_attempt(dispute=case, actor=caller, reached=False, party=respondent.pk)
    attempt = CallbackAttempt.objects.get(dispute=case)
    assert attempt.party == respondent
    assert CaseEvent.objects.filter(dispute=case, kind="callback").latest("at").data["party"] == respondent.pk
    # No party named: the first applicant's call, as before.
    services.callback_record_attempt(dispute=case, actor=caller, reached=True, satisfaction="satisfied")
    assert CallbackAttempt.objects.filter(dispute=case).latest("at").party == applicant
    case.refresh_from_db()
    assert (case.status, case.callback_result) == (Status.CLOSED, "satisfied")


def test_a_party_of_another_case_is_refused(make_case, staff_a):
    case, other = awaiting(make_case), awaiting(make_case)
    caller = Actor.for_user(staff_a[Role.CALLBACK_CALLER])
    stranger = other.parties.first()
    with pytest.raises(ApplicationError) as caught:
        services.callback_record_attempt(dispute=case, actor=caller, reached=False, party=stranger.pk)
    assert caught.value.code == "party_not_on_case"
    assert not CallbackAttempt.objects.filter(dispute=case).exists()


def test_the_callback_form_offers_the_parties_the_applicant_first(client, make_case, staff_a):
    case = awaiting(make_case)
    respondent = case.parties.get(role=PartyRole.RESPONDENT)
    client.force_login(staff_a[Role.CALLBACK_CALLER])
    page = client.get(f"/en/work/callbacks/{case.tracking_number}/").content.decode()
    assert "Who did you call?" in page
    applicant = case.parties.get(role=PartyRole.APPLICANT)
    assert f'value="{applicant.pk}"' in page and f'value="{respondent.pk}"' in page
    assert page.index(f'value="{applicant.pk}"') < page.index(f'value="{respondent.pk}"')
    assert "Respondent: 王五" not in page and "Respondent: 王*" in page  # masked, as in "Who to call"
    answer = client.post(
        f"/work/callbacks/{case.tracking_number}/", {"party": respondent.pk, "reached": "no", "remarks": "无人接听"}
    )
    assert answer.status_code == 302
    assert CallbackAttempt.objects.get(dispute=case).party == respondent


def test_the_callback_api_takes_the_party(make_case, staff_a):
    case = awaiting(make_case)
    respondent = case.parties.get(role=PartyRole.RESPONDENT)
    api = APIClient()
    api.force_login(staff_a[Role.CALLBACK_CALLER])
    url = f"/api/v1/callbacks/{case.tracking_number}/attempts/"
    answer = api.post(url, {"reached": False, "party": respondent.pk}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["attempt"]["party"] == respondent.pk


def test_after_the_verdict_the_other_parties_are_still_asked(make_case, staff_a):
    case = awaiting(make_case)
    caller = Actor.for_user(staff_a[Role.CALLBACK_CALLER])
    applicant = case.parties.get(role=PartyRole.APPLICANT)
    respondent = case.parties.get(role=PartyRole.RESPONDENT)
    services.callback_record_attempt(dispute=case, actor=caller, reached=True, satisfaction="satisfied")
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert services.callback_further_parties(case) == [respondent]
    # The respondent, dissatisfied: recorded for 满意率 by parties; the case and its verdict stay.
    services.callback_record_attempt(
        dispute=case, actor=caller, reached=True, satisfaction="dissatisfied", party=respondent.pk
    )
    case.refresh_from_db()
    assert (case.status, case.callback_result, case.reopened_count) == (Status.CLOSED, "satisfied", 0)
    assert CallbackAttempt.objects.filter(dispute=case, party=respondent, satisfaction="dissatisfied").exists()
    assert services.callback_further_parties(case) == []
    # The applicant has answered already, and a party must be named: refused.
    for party in (applicant.pk, None):
        with pytest.raises(ApplicationError) as caught:
            services.callback_record_attempt(
                dispute=case, actor=caller, reached=True, satisfaction="satisfied", party=party
            )
        assert caught.value.code == "not_awaiting_callback"


def test_the_callback_page_asks_the_other_parties_after_the_verdict(client, make_case, staff_a):
    case = awaiting(make_case)
    caller = staff_a[Role.CALLBACK_CALLER]
    services.callback_record_attempt(
        dispute=case, actor=Actor.for_user(caller), reached=True, satisfaction="basically_satisfied"
    )
    respondent = case.parties.get(role=PartyRole.RESPONDENT)
    client.force_login(caller)
    page = client.get(f"/en/work/callbacks/{case.tracking_number}/").content.decode()
    assert "Other parties to ask" in page and f'value="{respondent.pk}"' in page
    applicant = case.parties.get(role=PartyRole.APPLICANT)
    assert f'name="party" value="{applicant.pk}"' not in page
    answer = client.post(
        f"/work/callbacks/{case.tracking_number}/",
        {"party": respondent.pk, "reached": "yes", "satisfaction": "satisfied"},
    )
    assert answer.status_code == 302
    page = client.get(f"/en/work/callbacks/{case.tracking_number}/").content.decode()
    assert "Other parties to ask" not in page and "This case is not awaiting its callback." in page
