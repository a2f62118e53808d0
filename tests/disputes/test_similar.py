"""类案参考 and 当事人历史 (disputes.similar) against the database: visibility, masking, ranking, logs, drafting."""

from datetime import timedelta

import pytest
from django.db import connection

from core.actors import Actor
from core.exceptions import ConflictError, NotFoundError, PermissionDeniedError
from core.models import PersonalDataAccess
from disputes import services
from disputes.models import Agreement, CaseEvent
from disputes.rules.enums import EventKind, PartyRole, Status
from disputes.selectors import similar as similar_selectors
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import PartyFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

STORY = "{a}反映楼上住户{b}装修期间噪音扰民，且导致其家中卫生间天花板漏水，双方协商未果。"
OTHER_STORY = "{a}与{b}因共用停车位的使用问题多次发生口角。"
CURRENT_PHONE = "13900139000"
CURRENT_ID = "360103198001010016"


@pytest.fixture
def world(tree, category, departments, staff_a):
    """A case in mediation in township A, and closed cases around it (visible or not, alike or not)."""
    mediator = staff_a[Role.MEDIATOR]
    made = {}

    def make(key, status, *, grid=None, story=STORY, names=("张伟", "刘强"), phone="", id_number="", **fields):
        department = departments["a"] if (grid or tree.grid_a) == tree.grid_a else departments["b"]
        case = case_in(
            status,
            grid=grid or tree.grid_a,
            category=category,
            department=department,
            mediator=mediator if department == departments["a"] else None,
            description=story.format(a=names[0], b=names[1]),
            **fields,
        )
        PartyFactory(
            dispute=case, role=PartyRole.APPLICANT, name=names[0], phone=phone or "13811112222", id_number=id_number
        )
        PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name=names[1], phone="")
        made[key] = case
        return case

    make("current", Status.IN_MEDIATION, names=("李四", "王五"), phone=CURRENT_PHONE, id_number=CURRENT_ID)
    for i, names in enumerate((("赵敏", "钱进"), ("孙丽", "周涛"), ("吴芳", "郑华"), ("冯军", "陈静"))):
        make(f"alike{i}", Status.CLOSED, names=names)
    make("different_story", Status.CLOSED, story=OTHER_STORY, names=("何平", "吕洋"))
    make("open_alike", Status.IN_MEDIATION, names=("施南", "张北"))
    make("outside", Status.CLOSED, grid=tree.grid_b, names=("孔亮", "曹操"))
    make("same_phone", Status.CLOSED, names=("李四", "马六"), phone=CURRENT_PHONE)
    make("same_id", Status.AWAITING_CALLBACK, names=("李思", "马七"), phone="13622223333", id_number=CURRENT_ID)
    Agreement.objects.create(
        dispute=made["alike0"],
        facts="事实",
        points_in_dispute="维修费用由谁承担",
        terms="钱进于2024年3月5日前一次性支付赵敏维修费人民币12,000元，赵敏电话13811112222，账户6222021234567890123。",
        performance_method="钱进将款项转入赵敏在南浦街道船山社区的账户。",
        performance=Agreement.Performance.PERFORMED,
    )
    return made


def numbers(rows) -> list[str]:
    return [r.case.tracking_number for r in rows]


def test_only_closed_visible_cases_never_the_case_itself_nor_the_same_peoples(world, staff_a):
    shown = similar_selectors.similar_cases_for(user=staff_a[Role.MEDIATOR], case=world["current"])
    got = set(numbers(shown))
    assert 3 <= len(shown) <= 5
    assert got <= {world[k].tracking_number for k in ("alike0", "alike1", "alike2", "alike3", "different_story")}
    for key in ("current", "open_alike", "outside", "same_phone", "same_id"):
        assert world[key].tracking_number not in got, key
    assert all(item.case.status == Status.CLOSED for item in shown)


def test_the_same_story_comes_before_another(world, staff_a):
    shown = similar_selectors.similar_cases_for(user=staff_a[Role.MEDIATOR], case=world["current"])
    assert world["different_story"].tracking_number not in numbers(shown)[:4]
    assert {world[f"alike{i}"].tracking_number for i in range(4)} <= set(numbers(shown))


def test_a_reader_never_gets_a_case_outside_their_jurisdiction(world, tree, departments, make_staff):
    # A mediator of township B sees township B's closed case and nothing of township A.
    other = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"])
    case_b = world["outside"]
    shown = similar_selectors.similar_cases_for(user=other, case=case_b)
    assert all(item.case.area_path.startswith(tree.town_b.path) for item in shown)
    assert shown == []  # township B holds no other closed case
    # An administrator sees the whole city, township B's case included.
    admin = UserFactory(username="similar-admin")
    StaffFactory(user=admin, role=Role.ADMIN, area=tree.city)
    assert case_b.tracking_number in numbers(similar_selectors.similar_cases_for(user=admin, case=world["current"]))


def test_what_worked_ranks_first_among_equally_similar_cases(world, staff_a):
    for key in ("alike1", "alike2", "alike3"):
        world[key].callback_result = "dissatisfied"
        world[key].reopened_count = 1
        world[key].save()
    shown = similar_selectors.similar_cases_for(user=staff_a[Role.MEDIATOR], case=world["current"])
    assert shown[0].case == world["alike0"], "performed, satisfied and never reopened"
    assert shown[0].worked > shown[1].worked


def test_the_other_cases_people_and_particulars_are_not_shown(world, staff_a):
    shown = similar_selectors.similar_cases_for(user=staff_a[Role.MEDIATOR], case=world["current"])
    [item] = [i for i in shown if i.case == world["alike0"]]
    assert item.performance == "performed" and item.days_taken == 1 and not item.reopened
    text = item.terms + item.performance_method
    for secret in ("钱进", "赵敏", "12,000", "13811112222", "6222021234567890123", "2024年3月5日", "船山社区"):
        assert secret not in text, secret
    assert "〔乙方〕于〔日期〕前一次性支付〔甲方〕维修费〔金额〕" in item.terms
    assert "〔电话〕" in item.terms and "〔账号〕" in item.terms
    others = [i for i in shown if i.case != world["alike0"]]
    assert all(i.terms is None and i.agreement is None for i in others)


def test_party_history_matches_phone_or_id_number_and_only_for_those_who_work_the_case(world, staff_a):
    history = similar_selectors.party_history_for(user=staff_a[Role.MEDIATOR], case=world["current"])
    assert {h.tracking_number: h.matched_by for h in history} == {
        world["same_phone"].tracking_number: ["phone"],
        world["same_id"].tracking_number: ["id_number"],
    }
    # A caller before the report-back sees the case but does not work it: no history.
    assert similar_selectors.party_history_for(user=staff_a[Role.CALLBACK_CALLER], case=world["current"]) is None


def test_party_history_names_only_visible_cases(world, tree, category, departments, staff_a):
    hidden = case_in(Status.CLOSED, grid=tree.grid_b, category=category, department=departments["b"])
    PartyFactory(dispute=hidden, role=PartyRole.APPLICANT, name="李四", phone=CURRENT_PHONE)
    history = similar_selectors.party_history_for(user=staff_a[Role.MEDIATOR], case=world["current"])
    assert hidden.tracking_number not in [h.tracking_number for h in history]


def test_each_case_shown_is_logged_without_the_hourly_pace(world, staff_a, settings):
    settings.PERSONAL_DATA_REVEALS_PER_HOUR = 1
    user = staff_a[Role.MEDIATOR]
    shown = similar_selectors.similar_cases_for(user=user, case=world["current"])
    services.log_shown(user=user, shown=shown, what=similar_selectors.SIMILAR_WHAT, page="case", case=world["current"])
    rows = PersonalDataAccess.objects.filter(what="dispute.similar")
    assert sorted(r.case_ref for r in rows) == sorted(numbers(shown))
    assert {r.action for r in rows} == {"reveal"}
    assert all(r.detail == {"page": "case", "for_case": world["current"].tracking_number, "masked": True} for r in rows)


def test_draft_from_a_similar_case(world, staff_a):
    mediator = staff_a[Role.MEDIATOR]
    agreement = services.agreement_draft_from_similar(
        dispute=world["current"], actor=Actor.for_user(mediator), source_number=world["alike0"].tracking_number
    )
    assert agreement.facts == world["current"].description
    assert agreement.terms.startswith("〔乙方〕于〔日期〕前一次性支付〔甲方〕维修费〔金额〕")
    assert "钱进" not in agreement.performance_method and "〔地点〕" in agreement.performance_method
    assert agreement.perform_by is None
    event = CaseEvent.objects.get(dispute=world["current"], kind=EventKind.AGREEMENT)
    assert event.data["drafted_from"] == world["alike0"].tracking_number
    assert similar_selectors.drafted_from_numbers(user=mediator, case=world["current"]) == {
        world["alike0"].tracking_number
    }
    # Never overwrites a draft.
    with pytest.raises(ConflictError):
        services.agreement_draft_from_similar(
            dispute=world["current"], actor=Actor.for_user(mediator), source_number=world["alike0"].tracking_number
        )


def test_draft_refused_to_who_may_not_draft_and_from_what_they_cannot_see(world, staff_a, tree, category, departments):
    caller = staff_a[Role.CALLBACK_CALLER]
    with pytest.raises(PermissionDeniedError):
        services.agreement_draft_from_similar(
            dispute=world["current"], actor=Actor.for_user(caller), source_number=world["alike0"].tracking_number
        )
    hidden = case_in(Status.CLOSED, grid=tree.grid_b, category=category, department=departments["b"])
    Agreement.objects.create(dispute=hidden, facts="f", points_in_dispute="p", terms="t", performance_method="m")
    with pytest.raises(NotFoundError):
        services.agreement_draft_from_similar(
            dispute=world["current"],
            actor=Actor.for_user(staff_a[Role.MEDIATOR]),
            source_number=hidden.tracking_number,
        )
    assert not Agreement.objects.filter(dispute=world["current"]).exists()
    assert not CaseEvent.objects.filter(dispute=world["current"], kind=EventKind.AGREEMENT).exists()


def test_other_categories_fill_in_only_after_the_same_category(world, staff_a, tree, departments):
    from tests.factories import CategoryFactory

    lonely = CategoryFactory(code="ip", name="知识产权纠纷")
    case = case_in(Status.IN_MEDIATION, grid=tree.grid_a, category=lonely, department=departments["a"])
    shown = similar_selectors.similar_cases_for(user=staff_a[Role.MEDIATOR], case=case)
    assert shown and all(not item.same_category for item in shown)


def test_days_taken_run_from_submission_to_the_report_back(world, staff_a):
    case = world["alike1"]
    case.reported_at = case.submitted_at + timedelta(days=9, hours=3)
    case.save()
    shown = similar_selectors.similar_cases_for(user=staff_a[Role.MEDIATOR], case=world["current"])
    assert next(i.days_taken for i in shown if i.case == case) == 9


@pytest.mark.postgres
def test_the_rings_read_the_partial_index(world, staff_a):
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM disputes_dispute WHERE status = 'closed' AND category_id = %s "
            "AND area_path LIKE %s ORDER BY id DESC LIMIT 200",
            [world["current"].category_id, world["current"].area_path + "%"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "dispute_closed_category_area" in plan
