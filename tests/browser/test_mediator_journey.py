"""The mediator's main path in a real browser, on an office PC's screen (1366×768).

Sign in → the queue → open the case assigned to me → accept → start
mediation → record a session → draft the agreement → report back with the
agreement → print it: the print view shows the parties and the standard
clause, and the print is logged.

Uses Debian's Chromium (/usr/bin/chromium) through the fixtures of tests/browser/conftest.py.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from core.models import PersonalDataAccess
from disputes.models import CaseEvent, Deadline, MediationSession
from disputes.rules.enums import DeadlineKind, EventKind, Outcome, PartyRole, Status
from grids.models import Role
from tests.browser.conftest import session_held_at, sign_in
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLAUSE = (
    "The parties may jointly apply to the people's court for judicial confirmation of this agreement within thirty "
    "days of the day it takes effect."
)


def submit(page, action: str) -> None:
    """Post one action's form and wait for the page it redirects to."""
    with page.expect_navigation():
        page.click(f"[data-action={action}] button[type=submit]")


def test_a_mediator_works_a_case_to_an_agreement_and_prints_it(
    live_server, desktop, tree, category, staff_a, departments
):
    mediator = staff_a[Role.MEDIATOR]
    case = case_in(
        Status.DISPATCHED,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        assigned_mediator=mediator,
        description="楼上卫生间漏水，楼下天花板发霉，多次沟通无果。",
    )
    PartyFactory(
        dispute=case,
        role=PartyRole.APPLICANT,
        name="李四",
        phone="13900139000",
        id_number="360103198001010016",
        address="船山路12号302室",
    )
    PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name="王五", phone="13700137000", address="船山路12号402室")
    page = desktop

    # Sign in: staff land on their queue, the case is there.
    sign_in(page, live_server.url, mediator.username)
    assert "/work/" in page.url
    with page.expect_navigation():
        page.click(f"a:has-text('{case.tracking_number_display}')")
    assert page.url.endswith(f"/work/case/{case.tracking_number}/")
    assert page.locator(".badge").is_visible()
    # Masked until revealed.
    assert "139****9000" in page.content() and "13900139000" not in page.content()

    submit(page, "accept")
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert page.locator(".alert").count() == 1

    submit(page, "start_mediation")
    case.refresh_from_db()
    assert case.status == Status.IN_MEDIATION

    page.click("[data-action=session] > summary")
    page.fill("#id_session-held_at", session_held_at())
    page.fill("#id_session-place", "船山社区调解室")
    page.fill("#id_session-attendees", "李四、王五、社区网格员")
    page.fill("#id_session-notes", "双方同意由王五承担维修费用。")
    submit(page, "session")
    assert MediationSession.objects.get(dispute=case).place == "船山社区调解室"
    assert "船山社区调解室" in page.locator("#sessions-title + .session").inner_text()

    page.click("[data-action=agreement] > summary")
    assert page.input_value("#id_agreement-facts") == case.description, "prefilled from the case"
    page.fill("#id_agreement-points_in_dispute", "漏水维修费用由谁承担。")
    page.fill("#id_agreement-terms", "王五承担维修费用人民币两千元。")
    page.fill("#id_agreement-performance_method", "现金一次付清。")
    page.fill("#id_agreement-perform_by", (timezone.localdate() + timedelta(days=14)).isoformat())
    submit(page, "agreement")
    assert case.agreement.terms == "王五承担维修费用人民币两千元。"

    page.click("[data-action=report_back] > summary")
    page.check("input[name='report_back-outcome'][value='agreement']")
    # The agreement just drafted is in the same form, ready to confirm.
    assert page.input_value("#id_report_back-agreement-terms") == "王五承担维修费用人民币两千元。"
    page.fill("#id_report_back-reason", "双方在调解员主持下达成协议。")
    submit(page, "report_back")
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.AWAITING_CALLBACK, Outcome.AGREEMENT)
    assert Deadline.objects.open().filter(dispute=case, kind=DeadlineKind.JUDICIAL_CONFIRMATION).exists()
    assert CaseEvent.objects.filter(dispute=case, kind=EventKind.SESSION).exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    with page.expect_navigation():
        page.click(f"a[href$='/work/case/{case.tracking_number}/agreement/print/']")
    text = page.locator("article.sheet").inner_text()
    for clear in (
        "李四",
        "王五",
        "360103198001010016",
        "船山路12号302室",
        "13900139000",
        "王五承担维修费用人民币两千元。",
    ):
        assert clear in text
    assert gettext(CLAUSE) in text
    assert page.locator("[data-print]").is_visible(), "the Print button, shown by print.js"
    assert not page.locator(".site-nav").count()
    log = PersonalDataAccess.objects.get(action=PersonalDataAccess.Action.PRINT)
    assert (log.user, log.case_ref) == (mediator, case.tracking_number)
