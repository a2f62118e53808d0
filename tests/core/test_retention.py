"""匿名化: parties of cases closed more than RETENTION_YEARS ago are anonymised; the statistics do not move."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.actors import Actor
from core.audit import log_personal_data_access
from core.models import Notification, PersonalDataAccess
from core.retention import PLACEHOLDER, anonymise_closed_cases
from disputes.dashboard import rollups, selectors, tables
from disputes.dashboard.periods import Period
from disputes.models import Dispute, Party
from disputes.rules.enums import Outcome, PartyRole, Status
from grids.models import DepartmentKind, Role
from petitions import services as petition_services
from petitions.models import Petition, Petitioner
from petitions.rules import Form
from petitions.rules import Status as PetitionStatus
from tests.disputes.cases import case_in
from tests.factories import DepartmentFactory, PartyFactory

pytestmark = pytest.mark.django_db

YEAR = timedelta(days=365)
PERSON = {"phone": "13912345678", "id_number": "36010219900101123X", "address": "南昌市西湖区船山路12号"}


@pytest.fixture
def made(tree, category, departments, make_staff):
    now = timezone.now()
    a = {"grid": tree.grid_a, "category": category, "department": departments["a"]}
    cases = {
        "old": case_in(Status.CLOSED, now=now - 6 * YEAR, callback_result="satisfied", **a),
        "old_withdrawn": case_in(Status.WITHDRAWN, now=now - 6 * YEAR, **a),
        "old_police": case_in(Status.CLOSED, now=now - 6 * YEAR, outcome=Outcome.POLICE, **a),
        "recent": case_in(Status.CLOSED, now=now - 4 * YEAR, **a),
        # Filed long ago but still open: its people are still being helped.
        "open": case_in(Status.IN_MEDIATION, now=now - 6 * YEAR, **a),
    }
    for key, case in cases.items():
        PartyFactory(dispute=case, role=PartyRole.APPLICANT, name=f"申请人{key}", is_elderly=True, **PERSON)
        PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name=f"被申请人{key}", **PERSON)

    bureau = DepartmentFactory(name="西湖区信访局", kind=DepartmentKind.PETITIONS_BUREAU, area=tree.county)
    clerk = make_staff(Role.DEPARTMENT_STAFF, area=tree.county, department=bureau, username="clerk")
    petitions = {}
    for key, closed_ago in (("old", 6 * YEAR), ("recent", 4 * YEAR)):
        petition = petition_services.petition_register(
            actor=Actor.for_user(clerk),
            form=Form.VISIT,
            matter="村里征地补偿款一直没有发放到位，请求尽快发放。",
            area=tree.village_a,
            category=category,
            receiving_office=bureau,
            petitioners=[{"name": f"信访人{key}", **PERSON}],
        )
        Petition.objects.filter(pk=petition.pk).update(status=PetitionStatus.CLOSED, closed_at=now - closed_ago)
        petitions[key] = petition
    # An open petition registered long ago keeps its petitioner.
    petitions["open"] = petition_services.petition_register(
        actor=Actor.for_user(clerk),
        form=Form.LETTER,
        matter="邻居占用公共通道堆放杂物。",
        area=tree.village_a,
        category=category,
        receiving_office=bureau,
        petitioners=[{"name": "信访人open", **PERSON}],
    )
    Petition.objects.filter(pk=petitions["open"].pk).update(created_at=now - 6 * YEAR)
    log_personal_data_access(user=clerk, action="reveal", what="party.phone", case_ref=cases["old"].tracking_number)
    return {"cases": cases, "petitions": petitions, "clerk": clerk}


def _anonymised(row) -> bool:
    return row.name == PLACEHOLDER and row.phone == row.id_number == row.address == ""


def _snapshot(tree, user) -> dict:
    """Every dashboard figure and table (but the live overdue list) over the last seven years, and the counts."""
    today = timezone.localdate()
    periods = [
        Period("range", today - timedelta(days=7 * 365), today + timedelta(days=1)),
        Period("year", date(today.year - 6, 1, 1), date(today.year - 5, 1, 1)),
        Period("year", date(today.year - 4, 1, 1), date(today.year - 3, 1, 1)),
    ]
    rollups.rebuild_all()
    snap: dict = {
        "disputes": Dispute.objects.count(),
        "parties": Party.objects.count(),
        "elderly": Party.objects.filter(is_elderly=True).count(),
        "petitioners": Petitioner.objects.count(),
        "log": list(PersonalDataAccess.objects.values_list("pk", "case_ref", "what")),
    }
    for period in periods:
        for area in (tree.city, tree.county, tree.town_a, tree.village_a):
            snap[("figures", area.code, period.slug)] = selectors.figures_for_path(area.path, period).counts
        for key in tables.TABLE_KEYS:
            if key == "overdue":
                continue
            table = tables.build_table(
                key, user=user, area=tree.city, period=period, area_link=lambda a: "", case_link=lambda n: ""
            )
            snap[(key, period.slug)] = [[tables.cell_text(v) for v in row] for row in table.rows]
    return snap


def test_old_closed_cases_are_anonymised_and_the_statistics_stay(made, tree, staff_a):
    cases, petitions = made["cases"], made["petitions"]
    before = _snapshot(tree, staff_a[Role.ADMIN])
    # The range covers the old cases: two concluded six years ago (a withdrawal is not concluded), one four.
    assert before[("figures", tree.city.code, _range_slug())]["concluded"] == 3

    result = anonymise_closed_cases(years=5)

    assert (result.parties, result.petitioners) == (6, 1)
    for key in ("old", "old_withdrawn", "old_police"):
        assert all(_anonymised(p) for p in cases[key].parties.all())
    for key in ("recent", "open"):
        parties = list(cases[key].parties.all())
        assert len(parties) == 2 and not any(_anonymised(p) for p in parties)
        assert {p.phone for p in parties} == {PERSON["phone"]}
    assert _anonymised(petitions["old"].petitioners.get())
    for key in ("recent", "open"):
        assert petitions[key].petitioners.get().name == f"信访人{key}"
    # Flags the statistics may use stay; the description stays (a known limit, see core.retention).
    assert cases["old"].parties.get(role=PartyRole.APPLICANT).is_elderly
    assert Dispute.objects.get(pk=cases["old"].pk).description == cases["old"].description

    assert _snapshot(tree, staff_a[Role.ADMIN]) == before

    again = anonymise_closed_cases(years=5)
    assert (again.parties, again.petitioners) == (0, 0)


def _range_slug() -> str:
    today = timezone.localdate()
    return Period("range", today - timedelta(days=7 * 365), today + timedelta(days=1)).slug


def test_the_setting_is_the_default_and_small_batches_reach_every_row(made, settings):
    settings.RETENTION_YEARS = 7
    assert anonymise_closed_cases().parties == 0
    settings.RETENTION_YEARS = 3
    result = anonymise_closed_cases(batch_size=2)
    assert result.parties == 8  # the old three and the recent one, two parties each
    assert Party.objects.filter(name=PLACEHOLDER).count() == 8


def test_dry_run_changes_nothing_and_prints_the_count(made):
    rows = sorted(Party.objects.values_list("pk", "name", "phone", "id_number", "address"))
    out = io.StringIO()
    call_command("anonymise_closed_cases", "--dry-run", "--years", "5", stdout=out)
    assert "would anonymise 6 parties and 1 petitioners" in out.getvalue()
    assert sorted(Party.objects.values_list("pk", "name", "phone", "id_number", "address")) == rows
    assert not Petitioner.objects.filter(name=PLACEHOLDER).exists()

    out = io.StringIO()
    call_command("anonymise_closed_cases", "--years", "5", stdout=out)
    assert "anonymised 6 parties and 1 petitioners" in out.getvalue()
    out = io.StringIO()
    call_command("anonymise_closed_cases", "--years", "5", stdout=out)
    assert "anonymised 0 parties and 0 petitioners" in out.getvalue()


def test_the_task_runs_daily_from_beat(made, settings):
    from core.tasks import anonymise_closed_cases as task

    entry = settings.CELERY_BEAT_SCHEDULE["anonymise-closed-cases"]
    assert entry["task"] == "core.tasks.anonymise_closed_cases"
    assert entry["schedule"].hour == {4} and entry["schedule"].minute == {7}
    assert task.name == "core.tasks.anonymise_closed_cases"
    assert task.run() == 7
    assert task.run() == 0


# --- The rest of a finished case: the outbox and the uploaded files (disputes.retention) ----------------

SMS_BODY = "您的纠纷已受理，查询码 ABCD1234EFGH，请凭手机号13912345678查询。"


@pytest.fixture
def outbox_and_files(made, settings, tmp_path):
    """For the old closed case and the recent one: an SMS sent, an SMS pending, a staff message, two files."""
    from core.notifications import notify_sms, notify_staff
    from disputes import intake
    from disputes.models import Attachment

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    made["files"] = {}
    for key in ("old", "recent"):
        case = made["cases"][key]
        sent = notify_sms(phone=PERSON["phone"], kind="submitted", body=f"{key}:{SMS_BODY}", dispute_id=case.pk)
        Notification.objects.filter(pk=sent.pk).update(state=Notification.State.SENT, attempts=1)
        notify_sms(phone=PERSON["phone"], kind="reported", body=f"{key}:请对调解结果评价。", dispute_id=case.pk)
        notify_staff(
            user=made["clerk"], kind="assigned", body=f"{key}:申请人{key}的纠纷已分派给您。", dispute_id=case.pk
        )
        paths = []
        for n in range(2):
            storage_name = f"{key}{n}".ljust(32, "0")
            path = intake.attachment_path(storage_name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"%PDF-1.4 " + key.encode())
            Attachment.objects.create(
                dispute=case,
                storage_name=storage_name,
                original_name=f"申请人{key}身份证{n}.pdf",
                content_type="application/pdf",
                size=path.stat().st_size,
                sha256="0" * 64,
            )
            paths.append(path)
        made["files"][key] = paths
    return made


def _outbox_text() -> str:
    return " ".join(f"{n.recipient_phone} {n.body}" for n in Notification.objects.all())


def test_the_outbox_and_the_files_of_anonymised_cases_are_pruned(outbox_and_files, django_capture_on_commit_callbacks):
    from disputes.models import Attachment

    old, recent = outbox_and_files["cases"]["old"], outbox_and_files["cases"]["recent"]
    assert f"old:{SMS_BODY}" in _outbox_text()

    with django_capture_on_commit_callbacks(execute=True):
        result = anonymise_closed_cases(years=5)

    old_rows = Notification.objects.filter(dispute_id=old.pk)
    # The delivery record stays for the figures; nothing of the resident does.
    assert sorted(old_rows.values_list("channel", "kind", "state", "recipient_phone", "body")) == [
        ("sms", "reported", "failed", "", ""),  # was pending: there is nothing left to send
        ("sms", "submitted", "sent", "", ""),
        ("staff", "assigned", "sent", "", ""),  # delivered by the inbox when it was written
    ]
    assert old_rows.get(kind="submitted").attempts == 1
    text = _outbox_text()
    assert "old:" not in text and "申请人old" not in text
    assert Notification.objects.filter(recipient_phone=PERSON["phone"]).exclude(dispute_id=recent.pk).count() == 0
    # The recent case (closed four years ago) keeps its messages and files.
    assert f"recent:{SMS_BODY}" in text
    assert Notification.objects.filter(dispute_id=recent.pk, recipient_phone=PERSON["phone"]).count() == 2

    assert not any(path.exists() for path in outbox_and_files["files"]["old"])
    assert not Attachment.objects.filter(dispute=old).exists()
    assert all(path.exists() for path in outbox_and_files["files"]["recent"])
    assert Attachment.objects.filter(dispute=recent).count() == 2
    assert result.pruned == {"notifications": 3, "attachments": 2}

    with django_capture_on_commit_callbacks(execute=True):
        again = anonymise_closed_cases(years=5)
    assert again.pruned == {"notifications": 0, "attachments": 0}


def test_the_command_reports_what_it_prunes(outbox_and_files, django_capture_on_commit_callbacks):
    out = io.StringIO()
    call_command("anonymise_closed_cases", "--dry-run", "--years", "5", stdout=out)
    assert "would prune 3 notifications, 2 attachments" in out.getvalue()
    assert all(path.exists() for path in outbox_and_files["files"]["old"])
    assert f"old:{SMS_BODY}" in _outbox_text()

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("anonymise_closed_cases", "--years", "5", stdout=out)
    assert "pruned 3 notifications, 2 attachments" in out.getvalue()
    assert not any(path.exists() for path in outbox_and_files["files"]["old"])


def test_a_run_that_rolls_back_deletes_no_file(outbox_and_files, django_capture_on_commit_callbacks):
    from django.db import transaction

    from disputes.models import Attachment

    old = outbox_and_files["cases"]["old"]
    names = sorted(Attachment.objects.filter(dispute=old).values_list("original_name", flat=True))
    # Whatever the run queued for after its commit is run here, unless the rollback dropped it.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        anonymise_closed_cases(years=5)
        raise RuntimeError("the database went away")
    assert all(path.exists() for path in outbox_and_files["files"]["old"])
    assert sorted(Attachment.objects.filter(dispute=old).values_list("original_name", flat=True)) == names
    assert f"old:{SMS_BODY}" in _outbox_text()


def test_each_app_hands_in_its_part_through_the_setting(made, settings):
    """core.retention knows no app: the policies named in RETENTION_POLICIES are all it runs, in that order."""
    from core.retention import RetentionPolicy, retention_policies

    assert [p.people for p in retention_policies()] == ["parties", "petitioners"]
    assert all(isinstance(p, RetentionPolicy) for p in retention_policies())

    settings.RETENTION_POLICIES = ["petitions.retention.POLICY"]
    result = anonymise_closed_cases(years=5, dry_run=True)
    assert result.anonymised == {"petitioners": 1} and result.pruned == {}
    with pytest.raises(AttributeError):
        _ = result.parties

    settings.RETENTION_POLICIES = ["disputes.retention.POLICY"]
    result = anonymise_closed_cases(years=5)
    assert result.anonymised == {"parties": 6}
    assert not Petitioner.objects.filter(name=PLACEHOLDER).exists()
