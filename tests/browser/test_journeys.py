"""One dispute from the QR code on a village wall to the supervisor's monthly export, in a real browser.

The same story runs once in Chinese (the default) and once in English, against the
real database, broker and a live Celery worker, which routes the case and delivers
the SMS messages as it does in production:

1. the resident, on a phone, opens the village's QR link, submits a neighbour
   dispute with a photo, gets the tracking number and tracks the case once the
   worker has sent it to the township's mediation committee;
2. the mediator, at a desk, signs in and finds it at the top of the queue, under
   a red case; accepts it, records a session, reports an agreement and prints it;
3. the callback caller reaches the party, who is dissatisfied: the case reopens
   (and the resident's tracking page says so); the mediator resolves it again;
4. the resident opens the link of the outcome SMS (read from the outbox once the
   worker has delivered it) and rates the new result: still not quite right, so
   the case reopens once more and the mediator resolves it again; the caller's
   second call finds the party satisfied and the case is closed;
5. the worker refreshes the dashboard's figures; the supervisor sees the case in
   the township's figures, drills down to the village and downloads the month.

Screens go through `shoot` (see conftest); `make screenshots` keeps the Chinese ones.
"""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.models import Notification, PersonalDataAccess
from disputes.models import Attachment, CallbackAttempt, Dispute, DiversionRule
from disputes.rules.enums import Channel, Colour, Outcome, Status
from grids.models import Role
from grids.views import submit_url
from tests.browser.conftest import (
    LANGUAGES,
    check_accessible,
    language_prefix,
    session_held_at,
    sign_in,
    switch_language,
    tiny_png,
)
from tests.conftest import wait_for
from tests.disputes.cases import case_in
from tests.factories import PartyFactory

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PHONE = "13900139000"
STORY = {
    "zh-hans": {
        "description": "楼上空调外机常年滴水到我家阳台，墙面发霉，找邻居沟通了几次都没有结果。",
        "place": "船山路12号",
        "applicant": "李四",
        "respondent": "王五",
        "session_place": "船山社区调解室",
        "points": "滴水是否由王五家的空调造成，阳台墙面的修补费用由谁承担。",
        "terms": "王五于两周内加装空调冷凝水管，并承担阳台墙面修补费用人民币八百元。",
        "method": "王五自行请师傅安装水管；修补费用于签字当日以微信转账一次付清。",
        "remarks": "水管还没有装好，阳台还在滴水。",
        "rating": "水管装好了，可墙面还没有修补。",
    },
    "en": {
        "description": "The air conditioner upstairs drips onto my balcony all year; the wall is mouldy.",
        "place": "12 Chuanshan Road",
        "applicant": "Li Si",
        "respondent": "Wang Wu",
        "session_place": "Chuanshan community mediation room",
        "points": "Whether Wang Wu's air conditioner causes the dripping, and who pays to repair the wall.",
        "terms": "Wang Wu fits a drain pipe within two weeks and pays 800 yuan for the balcony wall.",
        "method": "Wang Wu has the pipe fitted himself and pays the 800 yuan in one transfer on signing.",
        "remarks": "The pipe is not fitted yet; it still drips.",
        "rating": "The pipe is fitted, but the wall has not been repaired.",
    },
}


def submit_action(page, action: str) -> None:
    """Post one of the case page's action forms and wait for the page it redirects to."""
    with page.expect_navigation():
        page.click(f"[data-action={action}] button[type=submit]")


def column(page, section: str, header: str) -> int:
    """The 0-based index of a column among a dashboard table's cells (th of the row not counted)."""
    headers = page.locator(f"#{section} thead th").all_inner_texts()
    return headers.index(header) - 1


def row_cells(page, section: str, label: str) -> list[str]:
    """The cells of a dashboard table's row, the "(n / d)" fractions left off; [] when no row has that label."""
    for row in page.locator(f"#{section} tbody tr").all():
        if row.locator("th").inner_text().strip() == label:
            return [text.split(" (")[0].strip() for text in row.locator("td").all_inner_texts()]
    return []


@pytest.fixture
def world(tree, category, departments, make_staff):
    """The township's committee with its mediator, a caller, a county supervisor, the diversion rule."""
    DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])
    mediator = make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["a"], username="tiaojie")
    # Already on the mediator's desk: a red case, which must stay above the new one.
    red = case_in(
        Status.ACCEPTED,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=mediator,
        colour=Colour.RED,
        submitted_at=timezone.now() - timedelta(hours=3),
        description="邻居扬言要动手，双方情绪激动。",
    )
    PartyFactory(dispute=red, name="赵六", phone="13600136000")
    return {
        "mediator": mediator,
        "caller": make_staff(Role.CALLBACK_CALLER, area=tree.town_a, username="huifang"),
        "supervisor": make_staff(Role.SUPERVISOR, area=tree.county, username="zhuguan"),
        "red": red,
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_dispute_from_the_qr_code_to_the_monthly_export(
    language, live_server, live_worker, new_page, shoot, tree, category, departments, world, settings, tmp_path
):
    from openpyxl import load_workbook

    started = time.monotonic()
    laps: list[str] = []

    def lap(what: str) -> None:
        laps.append(f"{what} {time.monotonic() - started:.1f}s")

    # The links in the SMS and on the poster point at this server.
    settings.PUBLIC_BASE_URL = live_server.url
    base = live_server.url
    words = STORY[language]
    mediator, caller, supervisor, red = world["mediator"], world["caller"], world["supervisor"], world["red"]
    worker = live_worker()
    lap("worker ready")

    def t(message: str) -> str:
        with translation.override(language):
            return gettext(message)

    def shot(page, name: str) -> None:
        shoot(page, name, language=language)

    # --- 1. The resident scans the village's QR code --------------------------------------------
    phone = new_page("phone", language=language)
    phone.goto(submit_url(tree.village_a))
    switch_language(phone, language)
    assert "船山社区" in phone.locator(".locked-place").inner_text()
    assert phone.locator("h1").inner_text() == t("Submit a dispute")
    check_accessible(phone, f"submit form, {language}")
    phone.select_option("#id_category", str(category.pk))
    phone.fill("#id_description", words["description"])
    phone.fill("#id_occurred_place", words["place"])
    phone.fill("#id_applicant-name", words["applicant"])
    phone.fill("#id_applicant-phone", PHONE)
    phone.fill("#id_parties-0-name", words["respondent"])
    phone.set_input_files(
        "#id_attachments", files=[{"name": "balcony.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    phone.check("#id_consent")
    phone.evaluate("window.scrollTo(0, 0)")
    shot(phone, "form")
    with phone.expect_navigation():
        phone.click("button.button--primary[type=submit]")

    assert "/submitted/" in phone.url
    assert phone.locator("h1").inner_text() == t("Your dispute has been received")
    number = "".join(phone.locator(".tracking-number__group").all_inner_texts())
    case = Dispute.objects.get(tracking_number=number)
    assert (case.channel, case.grid) == (Channel.QR, tree.village_a)
    assert Attachment.objects.get(dispute=case).content_type == "image/png"
    check_accessible(phone, f"submitted page, {language}")
    shot(phone, "submitted")

    # The worker, not this process, triages, dispatches by the diversion list and picks the mediator.
    wait_for(
        lambda: Dispute.objects.filter(pk=case.pk, assigned_mediator=mediator).exists(),
        what="the worker to route the case to the mediator",
        explain=worker.log,
    )
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.lead_department == departments["a"]
    assert case.colour != Colour.RED
    assert worker.succeeded("disputes.tasks.route_dispute") >= 1

    with phone.expect_navigation():
        phone.click(".actions a.button--primary")  # "Track my case"
    phone.fill("#id_tracking_number", " ".join(number[i : i + 4] for i in range(0, 12, 4)).lower())
    phone.fill("#id_phone", PHONE)
    with phone.expect_navigation():
        phone.click("button.button--primary[type=submit]")
    assert phone.locator(".status__sentence").inner_text() == t(
        "Your case has been sent to the department that will handle it."
    )
    assert departments["a"].name in phone.locator(".status").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, "fits the phone's screen"
    check_accessible(phone, f"tracking page, {language}")
    shot(phone, "tracking")

    lap("resident")

    # --- 2. The mediator works the case to an agreement --------------------------------------------
    desk = new_page("desktop", language=language)
    sign_in(desk, base, mediator.username, language=language)
    assert "/work/" in desk.url
    assert desk.locator("h1").inner_text() == t("Case queue")
    numbers = desk.locator(".queue-table tbody .queue-table__number").all_inner_texts()
    assert numbers[:2] == [red.tracking_number_display, case.tracking_number_display], "red first, then the new case"
    assert desk.locator(".queue-table tbody tr").first.locator(".badge--red").count() == 1
    check_accessible(desk, f"queue, {language}")
    shot(desk, "queue")

    with desk.expect_navigation():
        desk.click(f"a:text-is('{case.tracking_number_display}')")
    assert f"/work/case/{case.tracking_number}/" in desk.url
    submit_action(desk, "accept")
    assert desk.locator(".alert").inner_text().strip() == t("You have accepted the case.")
    submit_action(desk, "start_mediation")

    desk.click("[data-action=session] > summary")
    desk.fill("#id_session-held_at", session_held_at())
    desk.fill("#id_session-place", words["session_place"])
    desk.fill("#id_session-attendees", f"{words['applicant']}, {words['respondent']}")
    desk.fill("#id_session-notes", words["terms"])
    submit_action(desk, "session")
    assert words["session_place"] in desk.locator("#sessions-title + .session").inner_text()

    desk.click("[data-action=report_back] > summary")
    desk.check("input[name='report_back-outcome'][value='agreement']")
    desk.fill("#id_report_back-agreement-points_in_dispute", words["points"])
    desk.fill("#id_report_back-agreement-terms", words["terms"])
    desk.fill("#id_report_back-agreement-performance_method", words["method"])
    desk.fill("#id_report_back-agreement-perform_by", (timezone.localdate() + timedelta(days=14)).isoformat())
    desk.fill("#id_report_back-reason", words["terms"])
    submit_action(desk, "report_back")
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.AWAITING_CALLBACK, Outcome.AGREEMENT)
    with translation.override(language):
        assert desk.locator(".case-status").inner_text() == case.get_status_display()
    check_accessible(desk, f"case page, {language}")
    shot(desk, "case")

    with desk.expect_navigation():
        desk.click(f"a[href$='/work/case/{case.tracking_number}/agreement/print/']")
    sheet = desk.locator("article.sheet").inner_text()
    for clear in (words["applicant"], words["respondent"], PHONE, words["terms"]):
        assert clear in sheet
    assert desk.locator("[data-print]").is_visible(), "the Print button, shown by print.js"
    assert PersonalDataAccess.objects.filter(action=PersonalDataAccess.Action.PRINT, case_ref=number).exists()
    check_accessible(desk, f"agreement print view, {language}")
    shot(desk, "agreement")

    lap("mediator")

    # --- 3. The callback: dissatisfied, the case reopens, the mediator resolves it again ------------
    calls = new_page("desktop", language=language)
    sign_in(calls, base, caller.username, language=language)

    def call_back(satisfaction: str, remarks: str = "") -> None:
        """The caller opens the case from the callbacks list and records a reached call."""
        calls.goto(f"{base}{language_prefix(language)}/work/callbacks/")
        with calls.expect_navigation():
            calls.click(f".worklist a:text-is('{case.tracking_number_display}')")
        assert PHONE in calls.locator(".place-list").inner_text(), "the caller sees whom to call"
        check_accessible(calls, f"callback form, {language}")
        calls.check("input[name=reached][value=yes]")
        calls.check(f"input[name=satisfaction][value={satisfaction}]")
        calls.fill("#id_remarks", remarks)
        with calls.expect_navigation():
            calls.click("form.form button[type=submit]")
        case.refresh_from_db()
        with translation.override(language):
            assert case.get_status_display() in calls.locator(".panel--success").inner_text()

    def resolve_again(reason: str) -> None:
        """The mediator finds the reopened case in the queue, resumes and reports the agreement back again."""
        desk.goto(f"{base}{language_prefix(language)}/work/")
        with desk.expect_navigation():
            desk.click(f"a:text-is('{case.tracking_number_display}')")
        submit_action(desk, "resume")
        desk.click("[data-action=report_back] > summary")
        desk.check("input[name='report_back-outcome'][value='agreement']")
        assert desk.input_value("#id_report_back-agreement-terms") == words["terms"], "the agreement is kept"
        desk.fill("#id_report_back-reason", reason)
        submit_action(desk, "report_back")
        case.refresh_from_db()
        assert case.status == Status.AWAITING_CALLBACK

    # The first callback (the menu's way in): reached, dissatisfied, so the case reopens.
    with calls.expect_navigation():
        calls.click(f"nav.site-nav a:text-is('{t('Callbacks')}')")
    assert calls.locator("h1").inner_text() == t("Callbacks")
    call_back("dissatisfied", words["remarks"])
    assert (case.status, case.reopened_count) == (Status.REOPENED, 1)
    shot(calls, "callback-recorded")

    phone.reload()  # the tracking page remembers the case for this browser
    assert phone.locator(".status__sentence").inner_text() == t(
        "Your case has been reopened and is being handled again."
    )
    resolve_again(words["remarks"])

    lap("callback")

    # --- 4. The resident rates the new result from the SMS link -------------------------------------
    def delivered_outcome_sms():
        sms = (
            Notification.objects.filter(recipient_phone=PHONE, dispute_id=case.pk, kind="reported")
            .order_by("-pk")
            .first()
        )
        return sms if sms and sms.state == Notification.State.SENT and sms.created_at >= case.reported_at else None

    sms = wait_for(delivered_outcome_sms, what="the worker to deliver the outcome SMS", explain=worker.log)
    link = re.search(r"https?://\S+/rate/\S+/", sms.body).group(0)
    assert link.startswith(base)
    phone.goto(link)
    switch_language(phone, language)
    assert phone.locator("h1").inner_text() == t("How did we do?")
    check_accessible(phone, f"rating page, {language}")
    shot(phone, "rate")
    phone.check("input[name=satisfaction][value=dissatisfied]")
    phone.fill("#id_remarks", words["rating"])
    with phone.expect_navigation():
        phone.click("button.button--primary[type=submit]")
    assert phone.locator(".panel--success h1").inner_text() == t("Thank you for your answer")
    case.refresh_from_db()
    assert (case.status, case.reopened_count) == (Status.REOPENED, 2)
    resolve_again(words["rating"])

    # The second callback by phone: satisfied, the case is closed.
    call_back("satisfied")
    assert (case.status, case.callback_result) == (Status.CLOSED, "satisfied")
    assert list(case.callback_attempts.order_by("at").values_list("source", "satisfaction")) == [
        (CallbackAttempt.Source.CALLER, "dissatisfied"),
        (CallbackAttempt.Source.RESIDENT, "dissatisfied"),
        (CallbackAttempt.Source.CALLER, "satisfied"),
    ]
    waiting = " ".join(calls.locator(".worklist").all_inner_texts())
    assert case.tracking_number_display not in waiting, "no callback left to make"
    phone.goto(f"{base}{language_prefix(language)}/track/")
    assert phone.locator(".status__sentence").inner_text() == t("Your case is closed.")

    lap("rating")

    # --- 5. The supervisor's figures, after the worker has refreshed them ---------------------------
    from disputes.dashboard.tasks import refresh_rollups

    refresh_rollups.delay()
    wait_for(
        lambda: worker.succeeded("disputes.dashboard.refresh_rollups") >= 1,
        what="the worker to refresh the dashboard's figures",
        explain=worker.log,
    )
    boss = new_page("desktop", language=language)
    sign_in(boss, base, supervisor.username, language=language)
    with boss.expect_navigation():
        boss.click(f"nav.site-nav a:text-is('{t('Dashboard')}')")
    boss.wait_for_selector("#trend .dash-chart canvas")
    concluded, rate = column(boss, "areas", t("Cases concluded")), column(boss, "areas", t("Resolution rate"))
    working = column(boss, "areas", t("Still being worked"))
    by_report = column(boss, "areas", t("Resolution rate (by report-back)"))
    town_a = row_cells(boss, "areas", tree.town_a.name)
    # 受理口径: of the two disputes registered in the township one is resolved and one still worked (在办);
    # by report-back (办结口径) the one concluded is resolved.
    assert (town_a[concluded], town_a[rate], town_a[working], town_a[by_report]) == ("1", "50.0%", "1", "100.0%"), (
        town_a
    )
    assert row_cells(boss, "areas", tree.town_b.name)[concluded] == "0"
    check_accessible(boss, f"dashboard, {language}")
    boss.evaluate("window.scrollTo(0, document.querySelector('.breadcrumb').offsetTop - 8)")
    shot(boss, "dashboard")

    with boss.expect_navigation():
        boss.click(f"#areas tbody th a:text-is('{tree.town_a.name}')")
    assert f"/work/dashboard/{tree.town_a.code}/" in boss.url
    village = row_cells(boss, "areas", tree.village_a.name)
    assert village[column(boss, "areas", t("Cases concluded"))] == "1"

    with boss.expect_download() as download:
        boss.click("#figures a[href*='/export/figures.xlsx']")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.startswith(f"{tree.town_a.name}_") and path.suffix == ".xlsx"
    rows = {r[0]: r[1:] for r in load_workbook(path, read_only=True).active.iter_rows(values_only=True)}
    value, resolved, registered = rows[t("Resolution rate")][:3]
    assert (f"{value * 100:.1f}%", resolved, registered) == ("50.0%", 1, 2), rows

    lap("supervisor")
    print(f"\njourney ({language}): {', '.join(laps)}")
