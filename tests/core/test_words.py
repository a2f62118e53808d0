"""The words of issue 20, each where a person reads it, in Chinese and in English.

Durations in one unit (剩余2小时, 已超期95天), never Django's "3 月，1 周"; a fresh 2-hour limit reads 2 hours;
the empty choice of a select in the site's words; people by their names, not their logins; 已登记 at
submission; 已办结（待回访） and 已归档 kept apart; the agreement's dates written out and its copies counted;
the admin's filters by label; the resident told the pause's category, never its reason.
"""

from datetime import date, datetime, timedelta

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from core import dates, durations
from core.actors import Actor
from core.staff_names import person_name
from disputes import services
from disputes.models import Agreement, CaseEvent, Dispute
from disputes.rules import pauses
from disputes.rules.enums import EventKind, PartyRole, Status
from grids.models import Department, Role, StaffProfile
from tests.disputes.cases import case_in, with_agreement
from tests.factories import PartyFactory, UserFactory

NOW = datetime(2026, 12, 8, 10, 0, tzinfo=timezone.get_current_timezone())


def words(seconds: float, language: str = "en") -> str:
    with translation.override(language):
        return durations.time_left_words(NOW + timedelta(seconds=seconds), NOW)


# --- Durations (core.durations) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (2 * 3600 - 5, "2 hours left"),  # a 2-hour limit set five seconds ago
        (2 * 3600, "2 hours left"),
        (90 * 60 - 1, "1 hour left"),  # 1 h 29 min 59 s: nearer one hour than two
        (90 * 60 + 30, "2 hours left"),
        (59 * 60 + 50, "1 hour left"),  # 59 min 50 s rounds to the hour
        (10, "1 minute left"),
        (45 * 60, "45 minutes left"),
        (3 * 86400 - 60, "3 days left"),
        (86400 + 11 * 3600, "1 day left"),
        (-30, "1 minute overdue"),
        (-(3 * 3600 - 1), "2 hours overdue"),  # overdue counts whole hours passed
        (-95 * 86400 - 3600, "95 days overdue"),  # never "3 months, 1 week"
    ],
)
def test_time_left_in_one_unit(seconds, expected):
    assert words(seconds) == expected


def test_the_chinese_units_are_days_hours_and_minutes():
    # Needs the compiled catalogue (the msgids are not new: 剩余%(count)d小时 …).
    assert words(2 * 3600 - 5, "zh-hans") == "剩余2小时"
    assert words(-95 * 86400, "zh-hans") == "已超期95天"
    assert words(-20 * 60, "zh-hans") == "已超期20分钟"


def test_the_case_clocks_speak_through_core_durations():
    from disputes.rules import clocks

    due = NOW + timedelta(hours=2) - timedelta(seconds=3)
    with translation.override("en"):
        assert clocks.time_left_words(due, NOW) == durations.time_left_words(due, NOW) == "2 hours left"


# --- Dates (core.dates.long_date) -----------------------------------------------------------------------


def test_a_long_date_is_written_out():
    with translation.override("zh-hans"):
        assert dates.long_date(date(2027, 1, 15)) == "2027年1月15日"
        # A datetime is read in the site's time zone: 16:30 UTC on the 14th is the 15th in Beijing.
        assert dates.long_date(datetime(2027, 1, 14, 16, 30, tzinfo=timezone.UTC)) == "2027年1月15日"
        assert dates.long_date(None) == ""
    with translation.override("en"):
        assert dates.long_date(date(2027, 1, 15)) == "15 January 2027"


# --- The empty choice of a select ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_model_select_offers_the_sites_empty_choice():
    class DepartmentChoice(forms.Form):
        department = forms.ModelChoiceField(queryset=Department.objects.all(), required=False)

    with translation.override("en"):
        html = str(DepartmentChoice()["department"])
    assert "Select an option" not in html
    assert ">Choose…</option>" in html
    with translation.override("zh-hans"):
        assert ">请选择…</option>" in str(DepartmentChoice()["department"])


# --- People by their names -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_person_is_named_by_display_name_then_full_name_then_login(tree):
    named = UserFactory(username="huifang", first_name="娟", last_name="李")
    StaffProfile.objects.create(user=named, area=tree.city, role=Role.CALLBACK_CALLER, display_name="李娟（回访）")
    assert person_name(named) == "李娟（回访）"
    full = UserFactory(username="tjwyh360103001", first_name="明", last_name="王")
    assert person_name(full) == "明 王"  # Django's get_full_name: first, then last
    assert person_name(UserFactory(username="nobody-named")) == "nobody-named"
    assert person_name(None) == ""


@pytest.mark.django_db
def test_the_callback_record_names_the_caller_not_their_login(client, tree, category, departments, staff_a):
    caller = staff_a[Role.CALLBACK_CALLER]
    StaffProfile.objects.filter(user=caller).update(display_name="李娟")
    case = case_in(
        Status.AWAITING_CALLBACK,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=staff_a[Role.MEDIATOR],
    )
    with_agreement(case)
    PartyFactory(dispute=case)
    services.callback_record_attempt(dispute=case, actor=Actor.for_user(caller), reached=False, remarks="")
    client.force_login(caller)
    page = client.get(reverse("disputes:callback_record", args=[case.tracking_number])).content.decode()
    assert "李娟" in page
    assert caller.username not in page


# --- Statuses: 已登记 at submission; 办结 and 归档 apart ---------------------------------------------------------


def test_reported_back_and_closed_read_differently_in_both_languages():
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert str(Status.REPORTED.label) != str(Status.CLOSED.label)
    with translation.override("zh-hans"):  # needs the compiled catalogue
        assert str(Status.REPORTED.label) == "已办结（待回访）"
        assert str(Status.CLOSED.label) == "已归档"
        assert str(Status.SUBMITTED.label) == "已登记"


@pytest.mark.django_db
def test_the_submission_page_says_registered_not_accepted(client, tree, category):
    from django.core import signing

    from disputes.views import SUBMITTED_SALT

    case = case_in(Status.SUBMITTED, grid=tree.grid_a, category=category)
    token = signing.dumps({"d": case.pk, "m": False}, salt=SUBMITTED_SALT, compress=True)
    page = client.get(reverse("disputes:submitted", args=[token]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已受理" not in page
    assert "已登记" in page  # needs the compiled catalogue


# --- The agreement print: dates written out, copies counted ------------------------------------------------


@pytest.mark.django_db
def test_the_agreement_print_writes_its_dates_and_counts_its_copies(client, tree, category, departments, staff_a):
    mediator = staff_a[Role.MEDIATOR]
    case = case_in(
        Status.IN_MEDIATION, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator
    )
    with_agreement(case, perform_by=date(2027, 1, 15))
    PartyFactory(dispute=case, name="张三")
    PartyFactory(dispute=case, name="李四", role=PartyRole.RESPONDENT, phone="13900139000")
    PartyFactory(dispute=case, name="王五", role=PartyRole.RESPONDENT, phone="13700137000")
    client.force_login(mediator)
    with translation.override("en"):
        english = client.get(reverse("disputes:agreement_print", args=[case.tracking_number])).content.decode()
    assert "2027-01-15" not in english
    assert "15 January 2027" in english
    assert "made in 4 copies" in english  # three parties and the committee
    with translation.override("zh-hans"):
        chinese = client.get(reverse("disputes:agreement_print", args=[case.tracking_number])).content.decode()
    assert "2027年1月15日" in chinese
    assert "2027-01-15" not in chinese
    assert "若干" not in chinese
    assert "一式4份" in chinese  # needs the compiled catalogue


# --- The admin: names for every model and field, labels in the filters --------------------------------------


# The authenticator's secret and its clock: core.admin never shows them (core.admin.TwoFactorDeviceAdmin).
TOTP_SECRETS = {"key", "step", "t0", "digits", "tolerance", "drift", "last_t"}


@pytest.mark.django_db
def test_every_model_and_field_the_admin_shows_has_a_name_to_translate():
    from django.utils.functional import Promise

    for model in admin.site._registry:
        if model._meta.app_label not in ("core", "disputes", "grids", "petitions", "axes", "otp_totp"):
            continue
        assert isinstance(model._meta.verbose_name, Promise), model
        for field in model._meta.fields:
            if field.name == "id" or (model._meta.app_label == "otp_totp" and field.name in TOTP_SECRETS):
                continue
            assert isinstance(field.verbose_name, Promise), f"{model._meta.label}.{field.name}"


def test_the_models_declare_their_names():
    # In the declarations (and so in the migrations), not set when the apps load.
    assert "verbose_name" in CaseEvent._meta.original_attrs
    assert CaseEvent._meta.get_field("kind")._verbose_name is not None
    assert Dispute._meta.get_field("created_at")._verbose_name is not None
    with translation.override("en"):
        assert str(CaseEvent._meta.verbose_name) == "timeline entry"
        assert str(CaseEvent._meta.get_field("kind").verbose_name) == "event"
        assert str(Dispute._meta.get_field("created_at").verbose_name) == "created at"


@pytest.mark.django_db
def test_the_timeline_filters_offer_labels_not_codes(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "a-long-password-1")
    client.force_login(root)
    with translation.override("en"):
        page = client.get(reverse("admin:disputes_caseevent_changelist")).content.decode()
    assert ">Callback caller</a>" in page
    assert ">callback_caller</a>" not in page
    assert "By kind" not in page and "By event" in page
    model_admin = admin.site._registry[CaseEvent]
    request = RequestFactory().get("/")
    request.user = root
    assert model_admin.get_queryset(request) is not None


# --- The pause: the resident is told its category, never its reason ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reason_code", "told"),
    [
        (pauses.PauseReason.APPRAISAL, "Waiting for the result of an expert appraisal"),
        (pauses.PauseReason.PARTY_AWAY, "Waiting while a party is away or in hospital"),
        (pauses.PauseReason.DOCUMENTS, "Waiting for information from one of the parties"),
        ("", "Handling is paused for the time being"),
    ],
)
def test_the_tracking_page_tells_the_pause_category(client, tree, category, departments, staff_a, reason_code, told):
    mediator = staff_a[Role.MEDIATOR]
    case = case_in(
        Status.IN_MEDIATION, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator
    )
    PartyFactory(dispute=case, phone="13800138000")
    secret = "当事人张三在省人民医院住院治疗"
    services.dispute_pause_clock(dispute=case, actor=Actor.for_user(mediator), reason=secret, category=reason_code)
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.CLOCK_PAUSED)
    assert event.data[pauses.DATA_KEY] == (reason_code or pauses.PauseReason.OTHER)
    answer = client.post(
        "/en/track/", {"tracking_number": case.tracking_number, "phone": "13800138000"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 302
    page = client.get("/en/track/").content.decode()
    assert told in page
    assert secret not in page
    others = {str(text) for code, text in pauses.RESIDENT_TEXT.items() if code != (reason_code or "other")}
    assert not any(other in page for other in others)
    # The public API's timeline says the same.
    from disputes.api.public_serializers import timeline_text

    with translation.override("en"):
        assert timeline_text(event) == told


@pytest.mark.django_db
def test_a_pause_with_an_unknown_category_is_refused(tree, category, departments, staff_a):
    from core.exceptions import ApplicationError

    mediator = staff_a[Role.MEDIATOR]
    case = case_in(
        Status.IN_MEDIATION, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator
    )
    with pytest.raises(ApplicationError) as refused:
        services.dispute_pause_clock(dispute=case, actor=Actor.for_user(mediator), reason="等待", category="holiday")
    assert refused.value.code == "invalid_pause_reason"
    assert not CaseEvent.objects.filter(dispute=case, kind=EventKind.CLOCK_PAUSED).exists()


@pytest.mark.django_db
def test_the_case_page_asks_why_the_clock_is_paused(client, tree, category, departments, staff_a):
    mediator = staff_a[Role.MEDIATOR]
    case = case_in(
        Status.IN_MEDIATION, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator
    )
    client.force_login(mediator)
    url = reverse("disputes:case_action", args=[case.tracking_number, "pause"])
    refused = client.post(url, {"pause-reason": "等待鉴定结论"})
    assert refused.status_code == 400  # no category chosen: the page asks for one
    assert not CaseEvent.objects.filter(dispute=case, kind=EventKind.CLOCK_PAUSED).exists()
    done = client.post(url, {"pause-reason": "等待鉴定结论", "pause-category": "appraisal"})
    assert done.status_code == 303
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.CLOCK_PAUSED)
    assert event.data[pauses.DATA_KEY] == "appraisal" and event.reason == "等待鉴定结论"
    with translation.override("en"):
        page = client.get(reverse("disputes:case", args=[case.tracking_number]))
    assert "Awaiting an expert appraisal" in page.content.decode()


# --- The callback worklists: one unit, never "3 月，1 周" ---------------------------------------------------------


@pytest.mark.django_db
def test_the_callback_worklist_says_days_overdue(client, tree, category, departments, staff_a):
    from disputes.models import Deadline
    from disputes.rules.enums import DeadlineKind

    caller = staff_a[Role.CALLBACK_CALLER]
    case = case_in(
        Status.AWAITING_CALLBACK,
        grid=tree.grid_a,
        category=category,
        department=departments["a"],
        mediator=staff_a[Role.MEDIATOR],
    )
    PartyFactory(dispute=case)
    due = timezone.now() - timedelta(days=95, hours=2)
    Deadline.objects.filter(dispute=case, kind=DeadlineKind.CALLBACK).update(due_at=due)
    Dispute.objects.filter(pk=case.pk).update(next_due_at=due)
    client.force_login(caller)
    with translation.override("en"):
        english = client.get(reverse("disputes:callbacks")).content.decode()
    assert "95 days overdue" in english
    assert "month" not in english and "week" not in english
    with translation.override("zh-hans"):
        chinese = client.get(reverse("disputes:callbacks")).content.decode()
    assert "已超期95天" in chinese
    assert "月，" not in chinese and " 周" not in chinese


def test_agreement_is_imported_for_the_print_test():
    assert Agreement._meta.get_field("perform_by")
