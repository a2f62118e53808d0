"""督办 in the demo city: the centres' 机关代字, a head (科室负责人) for every department, and a few orders in
each state on overdue cases of 西湖区, so the 督办 list, the case panel and the printed 督办单 have something to show.

`seed_offices` runs with the reference data (before the cases: the generator reads who heads a department);
`seed_orders` after the cases. Both do nothing the second time.
"""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from core.actors import Actor
from demo import places
from disputes.models import CaseEvent, Deadline, Dispute, SupervisionOrder
from disputes.rules.enums import FINAL_STATUSES
from disputes.services import supervision
from grids.models import Area, AreaLevel, Department, Role, StaffProfile

# The centres' codes: the city's, every county's (its name without 区/县/市) and one township's.
CITY_CODE = "南昌矛调督"
EXTRA_CODES = {"360103001": "南浦矛调督"}
HEAD_LOGIN = places.LoginSpec("bumen_head", Role.DEPARTMENT_STAFF, "周建国", "360103", ("360103", "rsj"))
XIHU = "360103"
REASON = "该案件已超过办理时限，至今未办结。请你单位高度重视，落实专人负责，依法依规化解。"
REQUIREMENTS = "一、立即组织双方当事人调解；二、三日内书面报送办理情况；三、不能按期办结的，说明原因及下一步措施。"


def county_code(name: str) -> str:
    """西湖区 → 西湖矛调督."""
    stem = name[:-1] if len(name) > 2 and name[-1] in "区县市" else name
    return f"{stem}矛调督"


@transaction.atomic
def seed_offices() -> int:
    """The 机关代字 of the city's, the counties' and one township's centres; the 科室负责人 of each department
    (the login `bumen_head` heads 西湖区人社局, each other department's first account heads it). Returns how many
    heads were named."""
    for area in Area.objects.filter(level__in=[AreaLevel.CITY, AreaLevel.COUNTY], doc_code=""):
        area.doc_code = CITY_CODE if area.level == AreaLevel.CITY else county_code(area.name)
        area.save(update_fields=["doc_code"])
    for code, doc_code in EXTRA_CODES.items():
        Area.objects.filter(code=code, doc_code="").update(doc_code=doc_code)
    user_model = get_user_model()
    area_code, key = HEAD_LOGIN.department or ("", "")
    department = Department.objects.filter(area__code=area_code, kind="labour").order_by("pk").first()
    if department is not None and not user_model.objects.filter(username=HEAD_LOGIN.username).exists():
        user = user_model.objects.create(
            username=HEAD_LOGIN.username,
            password=make_password(places.DEMO_PASSWORD),
            first_name=HEAD_LOGIN.display_name,
        )
        StaffProfile.objects.create(
            user=user,
            area=department.area,
            department=department,
            role=HEAD_LOGIN.role,
            display_name=HEAD_LOGIN.display_name,
            is_head=True,
        )
    headed = StaffProfile.objects.filter(is_head=True, department__isnull=False).values("department_id")
    first = (
        StaffProfile.objects.filter(department__isnull=False, user__is_active=True)
        .exclude(department_id__in=headed)
        .values("department_id")
        .annotate(first=Min("pk"))
        .values("first")
    )
    return StaffProfile.objects.filter(pk__in=first).update(is_head=True)


def _candidates(now: datetime, limit: int = 500) -> dict[int, datetime]:
    """Open cases of 西湖区 with a lead department, those with a deadline already passed first (then the oldest),
    each with the time of the last event on its timeline."""
    xihu = Area.objects.filter(code=XIHU).first()
    if xihu is None:
        return {}
    open_here = Dispute.objects.filter(area_path__startswith=xihu.path, lead_department__isnull=False).exclude(
        status__in=list(FINAL_STATUSES)
    )
    late = (
        Deadline.objects.open()
        .filter(due_at__lt=now, dispute__in=open_here)
        .order_by("due_at")
        .values_list("dispute_id", flat=True)[:limit]
    )
    ids = list(dict.fromkeys(late))
    if len(ids) < limit:
        ids += list(
            open_here.exclude(pk__in=ids).order_by("submitted_at").values_list("pk", flat=True)[: limit - len(ids)]
        )
    last = dict(
        CaseEvent.objects.filter(dispute_id__in=ids)
        .values("dispute_id")
        .annotate(last=Max("at"))
        .values_list("dispute_id", "last")
    )
    return {pk: last[pk] for pk in ids if pk in last}


def seed_orders(now: datetime | None = None) -> int:
    """A few 督办单 of 西湖区's supervisor (`zhuguan_xihu`) on overdue cases, one in each state: awaiting
    signature, signed, answered, closed, and one left unsigned and raised by the sweep to the city's office.
    Nothing when orders exist already or the demo has no such case. Returns the orders issued."""
    if SupervisionOrder.objects.exists():
        return 0
    supervisor = get_user_model().objects.filter(username="zhuguan_xihu").first()
    if supervisor is None:
        return 0
    now = now or timezone.now()
    candidates = _candidates(now)
    boss = Actor.for_user(supervisor)
    made = 0
    # (hours ago, what happened since): the one of 30 hours ago stays unsigned past its sign-by time, for the sweep.
    # Each goes on a case whose timeline is quiet since then, so its events come last on it.
    steps = [(70, "close"), (40, "reply"), (30, ""), (20, "sign"), (1, "")]
    for hours, step in steps:
        issued_at = now - timedelta(hours=hours)
        pk = next((pk for pk, last in candidates.items() if last < issued_at), None)
        if pk is None:
            continue
        del candidates[pk]
        case = Dispute.objects.get(pk=pk)
        order = supervision.order_issue(
            dispute=case,
            actor=boss,
            to_department=case.lead_department_id,
            reason=REASON,
            requirements=REQUIREMENTS,
            now=issued_at,
        )
        made += 1
        handler = StaffProfile.objects.filter(department_id=case.lead_department_id, is_head=True).first()
        if handler is None or not step:
            continue
        recipient = Actor.for_user(handler.user)
        supervision.order_sign(order=order, actor=recipient, now=issued_at + timedelta(hours=3))
        if step in ("reply", "close"):
            supervision.order_reply(
                order=order,
                actor=recipient,
                reply="已约双方当事人到调解室面谈，初步达成调解意向，拟于本周内签订调解协议。",
                now=issued_at + timedelta(hours=30),
            )
        if step == "close":
            supervision.order_close(
                order=order, actor=boss, remarks="办理情况属实，予以办结。", now=issued_at + timedelta(hours=40)
            )
    return made + supervision.orders_sweep(now=now)
