"""民转刑 / 刑转命 in the demo city: a few disputes of 西湖区 that later became criminal cases (one a homicide), this
year and last year, recorded by 西湖区's supervisor (`zhuguan_xihu`) through the service and most of last year's
reviewed by the city's supervisor (`zhuguan`), so the register, the case panel and the dashboard's cards have
something to show, with a change on last year. Nothing the second time (or without those logins or cases).
"""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.actors import Actor
from disputes.models import CriminalConversion, Dispute
from disputes.rules.enums import FINAL_STATUSES
from disputes.services import conversions
from grids.models import Area

XIHU = "360103"

SUMMARIES = [
    "邻里噪音纠纷调解后双方再次争吵，一方持刀将对方砍伤，公安机关以故意伤害罪立案侦查。",
    "婚姻家庭纠纷久拖未决，男方酒后殴打女方致轻伤二级，公安机关立案侦查。",
    "工程款纠纷中，讨薪人员聚集后堵塞道路并与项目负责人发生肢体冲突，公安机关以寻衅滋事罪立案。",
    "宅基地边界纠纷双方多次扬言报复，一方夜间损毁对方房屋及车辆，公安机关以故意毁坏财物罪立案。",
    "民间借贷纠纷中债权人非法拘禁债务人十余小时，公安机关以非法拘禁罪立案侦查。",
]
HOMICIDE_SUMMARY = "家庭矛盾纠纷反复发生，调解后未持续跟踪，当事人持械致人死亡，公安机关以故意杀人罪立案侦查。"
REVIEW = {
    "missed": "红单风险研判不到位：当事人多次扬言报复，未及时上报街道综治中心，调解后未开展回访跟踪。",
    "responsible": "承办调解员、所在社区网格员及街道调委会主任。",
    "changes": "一、红单案件二十四小时内上报并落实包案领导；二、扬言类纠纷每周回访；三、与派出所建立警情日通报机制。",
    "accountability": "criticism",
    "notes": "对承办调解员通报批评，对社区网格员提醒谈话。",
}


def _cases(area: Area, start: date, end: date, count: int) -> list[Dispute]:
    """Finished cases of the area submitted between `start` and `end`, spread over the span."""
    rows = list(
        Dispute.objects.filter(
            area_path__startswith=area.path,
            status__in=list(FINAL_STATUSES),
            submitted_at__date__gte=start,
            submitted_at__date__lt=end,
        )
        .order_by("submitted_at")
        .only("pk", "submitted_at")[:2000]
    )
    if not rows:
        return []
    step = max(1, len(rows) // count)
    return rows[::step][:count]


def seed_conversions(today: date | None = None) -> int:
    """Record the demo's conversions; returns how many."""
    if CriminalConversion.objects.exists():
        return 0
    users = get_user_model().objects
    recorder, reviewer = users.filter(username="zhuguan_xihu").first(), users.filter(username="zhuguan").first()
    area = Area.objects.filter(code=XIHU).first()
    if recorder is None or reviewer is None or area is None:
        return 0
    today = today or timezone.localdate()
    year_start = date(today.year, 1, 1)
    this_year = _cases(area, year_start, today - timedelta(days=20), 4)
    last_year = _cases(area, date(today.year - 1, 1, 1), today.replace(year=today.year - 1, day=1), 3)
    made = 0
    plan = [(case, False) for case in this_year] + [(case, True) for case in last_year]
    for index, (case, old) in enumerate(plan):
        submitted_on = timezone.localdate(case.submitted_at)
        occurred_on = min(submitted_on + timedelta(days=5 + 7 * index), today - timedelta(days=2))
        reported_on = min(occurred_on + timedelta(days=3 + index % 4), today)
        homicide = index == 1
        conversion = conversions.conversion_record(
            Actor.for_user(recorder),
            case,
            kind=CriminalConversion.Kind.HOMICIDE if homicide else CriminalConversion.Kind.CRIMINAL,
            police_case_number=f"A360103{510000 + index:06d}{occurred_on.year}{occurred_on.month:02d}{index + 1:04d}",
            police_unit="南昌市公安局西湖分局",
            occurred_on=occurred_on,
            reported_on=reported_on,
            summary=HOMICIDE_SUMMARY if homicide else SUMMARIES[index % len(SUMMARIES)],
        )
        made += 1
        if old or index == 0:
            conversions.conversion_review(Actor.for_user(reviewer), conversion, **REVIEW)
    return made
